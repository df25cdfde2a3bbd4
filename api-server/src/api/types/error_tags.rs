//! `/admin/error-tags`: the admin error catalogue, browsed by keyset pages with filters and
//! counts, and a tag's status change.

use innova_app::error_tags as app;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::enums::{ErrorSource, ErrorStatus};
use crate::validate::{Problems, Validate};

/// Longest `q`, `domainCode` or `cursor` accepted.
const MAX_TEXT: usize = 200;

// ---- GET /admin/error-tags --------------------------------------------------------------------

/// The filters and the page of the browse (every parameter optional).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ErrorTagsQuery {
    /// Only tags with this status.
    #[serde(default)]
    pub status: Option<ErrorStatus>,
    /// Only tags of the domain with this code (an unknown code matches nothing).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub domain_code: Option<String>,
    /// Only tags from this source.
    #[serde(default)]
    pub source: Option<ErrorSource>,
    /// Trimmed; a case-insensitive substring of the code, the name or the description. Blank
    /// filters nothing.
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub q: Option<String>,
    /// The `nextCursor` of the previous page (the code of its last tag): the page starts
    /// strictly after it. A well-formed cursor that is no tag's code yields an empty page.
    #[serde(default)]
    #[schemars(length(min = 1, max = 200), regex(pattern = r"^[A-Za-z0-9_.\-]+$"))]
    pub cursor: Option<String>,
    /// Tags per page, 1–100 (default 50).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
}

/// A cursor is a tag code: ASCII letters, digits, `_`, `.` and `-`.
fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= MAX_TEXT
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

impl Validate for ErrorTagsQuery {
    fn validate(&self, p: &mut Problems) {
        if let Some(domain) = &self.domain_code {
            p.not_blank("domainCode", domain);
            p.chars_between("domainCode", domain, 0, MAX_TEXT);
        }
        if let Some(q) = &self.q {
            p.chars_between("q", q, 0, MAX_TEXT);
        }
        if let Some(cursor) = &self.cursor {
            p.check(is_code(cursor), || {
                "cursor must be the nextCursor of a previous page (a tag code)".into()
            });
        }
        p.in_range("limit", self.limit.map(i64::from), 1, app::MAX_LIMIT);
    }
}

impl ErrorTagsQuery {
    /// The use case's filter (`q` trimmed, blank dropped).
    pub fn filter(&self) -> app::TagFilter {
        app::TagFilter {
            status: self.status,
            domain_code: self.domain_code.clone(),
            source: self.source,
            q: self
                .q
                .as_deref()
                .map(str::trim)
                .filter(|q| !q.is_empty())
                .map(str::to_owned),
        }
    }

    /// The page size asked for, or the default.
    pub fn limit(&self) -> i64 {
        self.limit.map_or(app::DEFAULT_LIMIT, i64::from)
    }
}

/// A tag as the admin catalogue shows it: the row, whose JSON is the wire's.
pub use app::AdminTagRow as ErrorTagAdminView;

/// Tags per status over the whole catalogue.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct StatusCounts {
    pub active: u64,
    pub draft: u64,
    pub deprecated: u64,
}

/// A domain and its number of tags (any status).
#[derive(Debug, Serialize, JsonSchema)]
pub struct DomainCount {
    pub code: String,
    pub name: String,
    pub count: u64,
}

/// One page of the catalogue.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorTagPage {
    /// Ordered by code.
    pub items: Vec<ErrorTagAdminView>,
    /// The `cursor` of the next page (the last item's code) when more tags match, else `null`.
    pub next_cursor: Option<String>,
    /// Tags the filters match, over all pages.
    pub total: u64,
    /// The whole catalogue, unfiltered.
    pub status_counts: StatusCounts,
    /// Every domain by code, unfiltered.
    pub domains: Vec<DomainCount>,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

impl From<app::CataloguePage> for ErrorTagPage {
    fn from(p: app::CataloguePage) -> Self {
        let mut status_counts = StatusCounts::default();
        for (status, n) in p.status_counts {
            match status {
                ErrorStatus::Active => status_counts.active = count(n),
                ErrorStatus::Draft => status_counts.draft = count(n),
                ErrorStatus::Deprecated => status_counts.deprecated = count(n),
            }
        }
        ErrorTagPage {
            items: p.items,
            next_cursor: p.next_cursor,
            total: count(p.total),
            status_counts,
            domains: p
                .domains
                .into_iter()
                .map(|d| DomainCount {
                    code: d.code,
                    name: d.name,
                    count: count(d.count),
                })
                .collect(),
        }
    }
}

// ---- PATCH /admin/error-tags/{code}/status ----------------------------------------------------

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ErrorTagPath {
    /// The tag's code.
    pub code: String,
}

/// The new status.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateErrorTagStatus {
    pub status: ErrorStatus,
}

impl Validate for UpdateErrorTagStatus {
    fn validate(&self, _: &mut Problems) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_tag_codes() {
        assert!(is_code("ARITH_SUB_BORROW_OMITTED_TENS_G3"));
        for garbage in ["", "a b", "x'--", "ZZZ=", &"A".repeat(201)] {
            assert!(!is_code(garbage), "{garbage}");
        }
    }
}
