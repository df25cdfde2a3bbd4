//! The stored vocabularies: `attempts.status`, `attempts.classifier_source`,
//! `attempts.input_mode`, `exercises.source`/`status`, `assignments.reason`/`kind` and
//! `assignment_targets.status` are TEXT columns (data-model.md §1, §2.3), but each takes a closed
//! set of values. Here they are enums, so the API contract lists the values and nothing misspells one.
//!
//! Each enum lists every value the reference wrote or documented, so any row it left reads back.

/// A stored text that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
    /// The values there are.
    pub expected: &'static [&'static str],
}

/// One closed vocabulary: the enum, its stored labels (`as_str`, `FromStr`, serde and the JSON
/// schema all use them), and, with `pg = "\"TypeName\""`, its PostgreSQL enum type (the `sqlx`
/// feature derives the `sqlx::Type`; without it the value is stored as `text`). The one macro
/// of the project's vocabularies.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident ($kind:literal) $(pg = $pg:literal)? { $($(#[$vmeta:meta])* $variant:ident = $label:literal),+ $(,)? }) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
        )]
        $(#[$meta])*
        // sqlx names each variant in SCREAMING_SNAKE_CASE: the labels of the PostgreSQL types
        // are exactly that (checked by `pg_labels_are_the_variants_in_screaming_snake_case`).
        $(#[cfg_attr(
            feature = "sqlx",
            derive(sqlx::Type),
            sqlx(type_name = $pg, rename_all = "SCREAMING_SNAKE_CASE")
        )])?
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $label)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::vocab::UnknownValue;

            /// Exact, case-sensitive stored values.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($label => Ok($name::$variant),)+
                    _ => Err($crate::vocab::UnknownValue { kind: $kind, value: s.to_owned(), expected: &[$($label),+] }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::vocab::UnknownValue;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}

text_enum! {
    /// Where an attempt is in its classification (`attempts.status`).
    AttemptStatus ("attempt status") {
        // Waiting for a classifier (LLM, OCR, solver).
        Pending = "PENDING",
        Classified = "CLASSIFIED",
        // Transcribed by OCR, not yet classified.
        OcrDone = "OCR_DONE",
        // Graded through a guide submission.
        Graded = "GRADED",
        PendingOcr = "PENDING_OCR",
        LowConfidenceReview = "LOW_CONFIDENCE_REVIEW",
        // The AI engine's ad-hoc solver gave up on it (written by the engine only).
        Failed = "FAILED",
    }
}

text_enum! {
    /// Who classified an attempt (`attempts.classifier_source`).
    ClassifierSource ("classifier source") {
        // The deterministic rule engine.
        Rule = "RULE",
        // The LLM classifier (also: waiting for it).
        Llm = "LLM",
        OcrPassthrough = "OCR_PASSTHROUGH",
    }
}

text_enum! {
    /// How an attempt was entered (`attempts.input_mode`).
    InputMode ("input mode") {
        // Typed in the app.
        Digital = "DIGITAL",
        PhotoOcr = "PHOTO_OCR",
        // A photo of a guide question (submission pipeline).
        PhotoGuide = "PHOTO_GUIDE",
        // A free problem sent to the ad-hoc solver.
        ScanAdhoc = "SCAN_ADHOC",
    }
}

// ---- exercises and assignments (data-model.md §1, soft enums) ----------------------------------

text_enum! {
    /// Where an exercise comes from (`exercises.source`).
    ExerciseSource ("exercise source") {
        // The seed and the platform's own bank.
        System = "SYSTEM",
        // Written by a teacher (`POST /items`).
        TeacherAuthored = "TEACHER_AUTHORED",
        // Made by the AI engine's generator (`POST /items/generate`).
        LlmGenerated = "LLM_GENERATED",
        // Materialised from a published guide question.
        GuideExtracted = "GUIDE_EXTRACTED",
    }
}

text_enum! {
    /// Whether an exercise is offered (`exercises.status`): lists and recommenders use ACTIVE only.
    ExerciseStatus ("exercise status") {
        Draft = "DRAFT",
        Active = "ACTIVE",
        Deprecated = "DEPRECATED",
    }
}

text_enum! {
    /// Why an assignment exists (`assignments.reason`).
    AssignmentReason ("assignment reason") {
        // Chosen by the teacher.
        TeacherManual = "TEACHER_MANUAL",
        // Picked by the Fisher-information recommender.
        PracticeRecommender = "PRACTICE_RECOMMENDER",
    }
}

text_enum! {
    /// What an assignment holds (`assignments.kind`).
    AssignmentKind ("assignment kind") {
        Exercises = "EXERCISES",
        // Created when a guide is published.
        Guide = "GUIDE",
    }
}

text_enum! {
    /// A target student's progress on an assignment (`assignment_targets.status`).
    AssignmentTargetStatus ("assignment target status") {
        Pending = "PENDING",
        InProgress = "IN_PROGRESS",
        Done = "DONE",
    }
}

// ---- the PostgreSQL enum types -----------------------------------------------------------------
// Their type names are Prisma's PascalCase identifiers, case-sensitive in SQL: the type name
// carries the double quotes, so that sqlx's `$1::regtype` lookup finds `"ErrorSource"` rather
// than the non-existent `errorsource`. (`GuideStatus`, the seventh, is `guides::GuideStatus`.)

text_enum! {
    /// Where an error tag comes from.
    ErrorSource ("error source") pg = "\"ErrorSource\"" {
        Curated = "CURATED",
        LlmGenerated = "LLM_GENERATED",
        FieldReported = "FIELD_REPORTED",
    }
}

text_enum! {
    /// Lifecycle of an error tag; only ACTIVE tags are used by classifiers.
    ErrorStatus ("error-tag status") pg = "\"ErrorStatus\"" {
        Active = "ACTIVE",
        Draft = "DRAFT",
        Deprecated = "DEPRECATED",
    }
}

text_enum! {
    ErrorSeverity ("error severity") pg = "\"ErrorSeverity\"" {
        Low = "LOW",
        Med = "MED",
        High = "HIGH",
        Critical = "CRITICAL",
    }
}

text_enum! {
    GuideQuestionStatus ("guide question status") pg = "\"GuideQuestionStatus\"" {
        Extracted = "EXTRACTED",
        NeedsReview = "NEEDS_REVIEW",
        Approved = "APPROVED",
        Excluded = "EXCLUDED",
    }
}

text_enum! {
    SolutionSource ("solution source") pg = "\"SolutionSource\"" {
        PdfProvided = "PDF_PROVIDED",
        LlmGenerated = "LLM_GENERATED",
        TeacherEdited = "TEACHER_EDITED",
    }
}

text_enum! {
    SubmissionStatus ("submission status") pg = "\"SubmissionStatus\"" {
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
    fn pg_labels_are_the_variants_in_screaming_snake_case() {
        fn screaming(name: &str) -> String {
            let mut out = String::new();
            for (i, c) in name.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_uppercase());
            }
            out
        }
        let labels: Vec<(String, &str)> = ErrorSource::ALL
            .iter()
            .map(|v| (format!("{v:?}"), v.as_str()))
            .chain(
                ErrorStatus::ALL
                    .iter()
                    .map(|v| (format!("{v:?}"), v.as_str())),
            )
            .chain(
                ErrorSeverity::ALL
                    .iter()
                    .map(|v| (format!("{v:?}"), v.as_str())),
            )
            .chain(
                GuideQuestionStatus::ALL
                    .iter()
                    .map(|v| (format!("{v:?}"), v.as_str())),
            )
            .chain(
                SolutionSource::ALL
                    .iter()
                    .map(|v| (format!("{v:?}"), v.as_str())),
            )
            .chain(
                SubmissionStatus::ALL
                    .iter()
                    .map(|v| (format!("{v:?}"), v.as_str())),
            )
            .collect();
        for (variant, label) in labels {
            assert_eq!(screaming(&variant), label, "{variant}");
        }
        let e = "SEVERE".parse::<ErrorSeverity>().unwrap_err();
        assert_eq!(e.expected, ["LOW", "MED", "HIGH", "CRITICAL"]);
    }

    #[test]
    fn stored_values_round_trip_and_others_are_refused() {
        for s in AttemptStatus::ALL {
            assert_eq!(s.as_str().parse::<AttemptStatus>(), Ok(*s));
        }
        for s in ClassifierSource::ALL {
            assert_eq!(ClassifierSource::try_from(s.as_str().to_owned()), Ok(*s));
        }
        assert_eq!(InputMode::ALL.len(), 4);
        let e = "pending".parse::<AttemptStatus>().unwrap_err();
        assert_eq!(e.to_string(), "`pending` is not a valid attempt status");
        assert_eq!(
            serde_json::to_string(&InputMode::ScanAdhoc).unwrap(),
            "\"SCAN_ADHOC\""
        );
    }

    #[test]
    fn exercise_and_assignment_vocabularies_are_the_stored_labels() {
        assert_eq!(
            "TEACHER_AUTHORED".parse::<ExerciseSource>(),
            Ok(ExerciseSource::TeacherAuthored)
        );
        assert_eq!(ExerciseSource::ALL.len(), 4);
        assert_eq!(ExerciseStatus::Active.as_str(), "ACTIVE");
        assert_eq!(
            AssignmentReason::try_from("PRACTICE_RECOMMENDER".to_owned()),
            Ok(AssignmentReason::PracticeRecommender)
        );
        assert_eq!(AssignmentKind::Guide.to_string(), "GUIDE");
        assert_eq!(
            serde_json::to_string(&AssignmentTargetStatus::InProgress).unwrap(),
            "\"IN_PROGRESS\""
        );
        assert!("manual".parse::<AssignmentReason>().is_err());
    }
}
