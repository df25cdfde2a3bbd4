//! The PostgreSQL enum types, defined with the other vocabularies in
//! [`innova_domain::vocab`] (one macro for every closed set of stored values; this crate turns
//! on their `sqlx` feature).

pub use innova_domain::guides::GuideStatus;
pub use innova_domain::vocab::{
    ErrorSeverity, ErrorSource, ErrorStatus, GuideQuestionStatus, SolutionSource, SubmissionStatus,
};
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for s in ErrorStatus::ALL {
            assert_eq!(s.as_str().parse::<ErrorStatus>().unwrap(), *s);
        }
        assert_eq!(
            "SEVERE".parse::<ErrorSeverity>().unwrap_err().expected,
            ["LOW", "MED", "HIGH", "CRITICAL"]
        );
        assert_eq!(
            serde_json::to_string(&ErrorSource::LlmGenerated).unwrap(),
            "\"LLM_GENERATED\""
        );
    }
}
