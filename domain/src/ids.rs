//! Typed ids: each entity's primary key is its own type, parsed once at the edge (a path, a
//! body, a row) and carried as that type through the use cases and the queries, so passing a
//! guide id where a teacher id belongs does not compile.
//!
//! Every id is stored as TEXT and any text is a possible id (the reference mixed UUIDs, cuids
//! and hand-picked seed ids such as `seed-org-001`): parsing never fails, and an id that names
//! nothing is the lookup's 404. On the wire an id is a plain JSON string (`serde`/`schemars`
//! transparent), in SQL a plain `text` (the `sqlx` feature derives a transparent
//! `sqlx::Type`), so neither the contract nor the queries change.
//!
//! An id reads as `&str` ([`std::ops::Deref`]) for formatting and comparisons; the reverse —
//! text becoming an id — is always explicit ([`StudentId::new`], `From`), so an id of one
//! kind never passes for another.

macro_rules! ids {
    ($($(#[$meta:meta])* $name:ident;)+) => {$(
        $(#[$meta])*
        #[derive(
            Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
        )]
        #[serde(transparent)]
        #[schemars(transparent)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(String);

        impl $name {
            /// The id with this text (every text is a possible id; see the module docs).
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Debug::fmt(&self.0, f)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        /// Any text is a possible id (see the module docs); what it names is the lookup's
        /// business.
        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    )+};
}

ids! {
    /// `users.id`: an account, whatever its role.
    UserId;
    /// `students.id`: a student profile.
    StudentId;
    /// `teachers.id`: a teacher profile.
    TeacherId;
    /// `parents.id`: a parent profile.
    ParentId;
    /// `courses.id`: a course (the API calls it a classroom too).
    CourseId;
    /// `topics.id`: a topic of the curriculum (the API's skills).
    TopicId;
    /// `exercises.id`: an exercise of the bank or of a published guide (the API's items).
    ExerciseId;
    /// `assignments.id`.
    AssignmentId;
    /// `attempts.id`: one answer of a student.
    AttemptId;
    /// `teacher_alerts.id`.
    AlertId;
    /// `guides.id`: a teacher's worksheet.
    GuideId;
    /// `guide_questions.id`: a question of a guide.
    QuestionId;
    /// `guide_solutions.id`: one version of a question's solution.
    SolutionId;
    /// `guide_submissions.id`: a student's answer to a guide question.
    SubmissionId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_text_on_the_wire_and_in_the_schema() {
        let id = GuideId::new("g-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""g-1""#);
        let back: GuideId = serde_json::from_str(r#""g-1""#).unwrap();
        assert_eq!(back, id);
        assert_eq!(&*id, "g-1");
        assert_eq!(format!("{id} {id:?}"), r#"g-1 "g-1""#);
        let schema = schemars::schema_for!(GuideId);
        let string = schemars::schema_for!(String);
        assert_eq!(
            serde_json::to_value(&schema.schema.instance_type).unwrap(),
            serde_json::to_value(&string.schema.instance_type).unwrap()
        );
    }
}
