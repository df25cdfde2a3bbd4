//! The 7 PostgreSQL enum types. Their type names are Prisma's PascalCase identifiers, which are
//! case-sensitive in SQL: the `type_name` therefore carries the double quotes, so that sqlx's
//! `$1::regtype` lookup finds `"ErrorSource"` rather than the non-existent `errorsource`.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! pg_enum {
    ($(#[$meta:meta])* $name:ident = $pg:literal { $($variant:ident = $label:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Serialize, Deserialize, JsonSchema, sqlx::Type,
        )]
        #[sqlx(type_name = $pg)]
        pub enum $name {
            $(
                #[serde(rename = $label)]
                #[sqlx(rename = $label)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in the type's declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The database label.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($label => Ok($name::$variant),)+
                    _ => Err(format!(
                        "expected one of {}, got {s:?}",
                        [$($label),+].join(", ")
                    )),
                }
            }
        }
    };
}

pg_enum! {
    /// Where an error tag comes from.
    ErrorSource = "\"ErrorSource\"" {
        Curated = "CURATED",
        LlmGenerated = "LLM_GENERATED",
        FieldReported = "FIELD_REPORTED",
    }
}

pg_enum! {
    /// Lifecycle of an error tag; only ACTIVE tags are used by classifiers.
    ErrorStatus = "\"ErrorStatus\"" {
        Active = "ACTIVE",
        Draft = "DRAFT",
        Deprecated = "DEPRECATED",
    }
}

pg_enum! {
    ErrorSeverity = "\"ErrorSeverity\"" {
        Low = "LOW",
        Med = "MED",
        High = "HIGH",
        Critical = "CRITICAL",
    }
}

/// Guide pipeline state: the domain's type (with its state machine), one definition. Its
/// column is the `"GuideStatus"` enum: read it as `status::text`, write `$1::"GuideStatus"`.
pub use innova_domain::guides::GuideStatus;

pg_enum! {
    GuideQuestionStatus = "\"GuideQuestionStatus\"" {
        Extracted = "EXTRACTED",
        NeedsReview = "NEEDS_REVIEW",
        Approved = "APPROVED",
        Excluded = "EXCLUDED",
    }
}

pg_enum! {
    SolutionSource = "\"SolutionSource\"" {
        PdfProvided = "PDF_PROVIDED",
        LlmGenerated = "LLM_GENERATED",
        TeacherEdited = "TEACHER_EDITED",
    }
}

pg_enum! {
    SubmissionStatus = "\"SubmissionStatus\"" {
        Uploaded = "UPLOADED",
        Transcribing = "TRANSCRIBING",
        Grading = "GRADING",
        Graded = "GRADED",
        Failed = "FAILED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for s in ErrorStatus::ALL {
            assert_eq!(s.as_str().parse::<ErrorStatus>().unwrap(), *s);
        }
        assert!(
            "SEVERE"
                .parse::<ErrorSeverity>()
                .unwrap_err()
                .contains("LOW, MED, HIGH, CRITICAL")
        );
        assert_eq!(
            serde_json::to_string(&ErrorSource::LlmGenerated).unwrap(),
            "\"LLM_GENERATED\""
        );
    }
}
