//! Public paths that dropshot cannot route as they are.
//!
//! Dropshot's router takes, at one position of a path, either literal segments or one variable,
//! never both. The reference API mixes them in five places: `/attempts/solve-adhoc` beside
//! `/attempts/{id}/status`, `/mastery/course/{courseId}` beside `/mastery/{studentId}`,
//! `/items/generate` beside `/items/{id}`, `/skills/taxonomy` beside `/skills/{id}`,
//! `/classrooms/mine` beside `/classrooms/{id}`. There, the API trait declares the routes with
//! the variable under a [`MARKER`] segment (`/attempts/by-id/{id}/status`); the edge inserts the
//! marker into incoming paths ([`to_internal`]) and the OpenAPI document is published with it
//! removed ([`to_public`]), so clients see — and call — exactly the reference's paths. Literal
//! siblings win, as in the reference (an attempt whose id were `solve-adhoc` would not be
//! reachable there either).

/// The segment the variable routes are declared under (never seen by clients).
pub const MARKER: &str = "by-id";

/// A path prefix whose next segment is either one of `literals` or a variable.
struct Alias {
    prefix: &'static str,
    literals: &'static [&'static str],
}

const ALIASES: &[Alias] = &[
    Alias {
        prefix: "/attempts",
        literals: &["solve-adhoc", "ocr-extract"],
    },
    Alias {
        prefix: "/mastery",
        literals: &["course", "classroom", "recommend"],
    },
    Alias {
        prefix: "/items",
        literals: &["generate"],
    },
    Alias {
        prefix: "/skills",
        literals: &["taxonomy", "error-tags"],
    },
    Alias {
        prefix: "/classrooms",
        literals: &["mine", "student", "join"],
    },
];

/// The path dropshot routes for a public request path, when it differs.
pub fn to_internal(path: &str) -> Option<String> {
    ALIASES.iter().find_map(|alias| {
        let rest = path.strip_prefix(alias.prefix)?.strip_prefix('/')?;
        let first = rest.split('/').next().unwrap_or_default();
        (!first.is_empty() && !alias.literals.contains(&first))
            .then(|| format!("{}/{MARKER}/{rest}", alias.prefix))
    })
}

/// The public form of a declared path (for the OpenAPI document).
pub fn to_public(path: &str) -> String {
    for alias in ALIASES {
        if let Some(rest) = path
            .strip_prefix(alias.prefix)
            .and_then(|r| r.strip_prefix(&format!("/{MARKER}/")))
        {
            return format!("{}/{rest}", alias.prefix);
        }
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_routes_get_the_marker_and_literals_do_not() {
        let cases = [
            ("/attempts/abc/status", Some("/attempts/by-id/abc/status")),
            ("/attempts/solve-adhoc", None),
            ("/attempts/ocr-extract", None),
            ("/attempts", None),
            ("/attempts/", None),
            (
                "/mastery/seed-student-001",
                Some("/mastery/by-id/seed-student-001"),
            ),
            ("/mastery/course/c1/heatmap", None),
            ("/mastery/recommend/c1/s1", None),
            ("/items/x1/irt", Some("/items/by-id/x1/irt")),
            ("/items/generate", None),
            ("/skills/t1", Some("/skills/by-id/t1")),
            ("/skills/error-tags", None),
            ("/classrooms/c1/invite", Some("/classrooms/by-id/c1/invite")),
            ("/classrooms/student/mine", None),
            ("/classroomsx/c1", None),
            ("/guides/g1", None),
            // A client cannot reach a declared path directly: the marker is inserted again.
            (
                "/attempts/by-id/x/status",
                Some("/attempts/by-id/by-id/x/status"),
            ),
        ];
        for (path, want) in cases {
            assert_eq!(to_internal(path).as_deref(), want, "{path}");
        }
    }

    #[test]
    fn declared_paths_are_published_without_the_marker() {
        assert_eq!(
            to_public("/attempts/by-id/{id}/status"),
            "/attempts/{id}/status"
        );
        assert_eq!(
            to_public("/mastery/by-id/{studentId}"),
            "/mastery/{studentId}"
        );
        assert_eq!(
            to_public("/mastery/course/{courseId}"),
            "/mastery/course/{courseId}"
        );
        assert_eq!(to_public("/"), "/");
        for path in ["/attempts/a/detail", "/skills/t", "/classrooms/c"] {
            let internal = to_internal(path).unwrap();
            assert_eq!(to_public(&internal), path);
        }
    }
}
