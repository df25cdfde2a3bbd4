//! Queue message bodies (workers-infra.md §3), shared by the API (producer) and the workers
//! (consumers). The AI engine binds to these bodies, so the field names are a contract
//! (decisions.md §1): camelCase on the attempt-stream FIFO, snake_case everywhere else — except
//! the elements of `raw_steps`, which are `{expression, isFinal}` in every message.
//!
//! Consumers are lenient (unknown fields are ignored) so the AI engine can add fields without
//! breaking us; no PII goes into any body (ids, LaTeX and statements only).

use innova_domain::ids::{AttemptId, GuideId, QuestionId, StudentId, SubmissionId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::queue::{QueueMessage, QueueName};

/// One step as the student wrote it (the rule engine's own type: one definition).
pub use innova_domain::RawStep;

/// `attempt-stream.fifo` (§3.1): one message per ingested attempt, group id = the student id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptStreamMessage {
    pub attempt_id: AttemptId,
    pub trace_id: String,
    pub raw_steps: Vec<RawStep>,
}

/// `llm-classify-queue` (§3.2): an UNCLASSIFIED attempt for the LLM classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LlmClassifyMessage {
    /// The attempt id.
    pub id: AttemptId,
    /// Topic code.
    pub topic: Option<String>,
    pub domain_id: Option<String>,
    /// Bare subdomain code (`SUB`, not `ARITH_SUB`).
    pub subdomain_code: Option<String>,
    pub problem_statement: String,
    pub canonical_solution: String,
    pub raw_steps: Vec<RawStep>,
    pub final_answer: String,
    pub student_id: StudentId,
}

/// `attempt-reprocess-queue` (§3.4), produced by the AI engine's submission grader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttemptReprocessMessage {
    /// Legacy OCR-loop target; the grader always sends null.
    pub attempt_id: Option<AttemptId>,
    /// Transcribed steps, in order.
    pub latex_steps: Vec<String>,
    #[serde(default)]
    pub provider: String,
    /// Transcription confidence, 0..1.
    pub confidence: f64,
    /// May be empty (the AI engine's default).
    #[serde(default)]
    pub trace_id: String,
    /// Its presence selects the guide (v9) path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guide_submission_id: Option<SubmissionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guide_question_id: Option<QuestionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alignment_summary: Option<AlignmentSummary>,
}

/// How the transcription aligned with the answer key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlignmentSummary {
    /// `MAIN`, `ALT_<n>` or `UNALIGNED`.
    pub path: String,
    pub first_error_checkpoint: Option<i64>,
    /// 0..1.
    pub score_0_1: f64,
}

/// `guide-ingest-queue` (§3.5): extract the questions of an uploaded guide PDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GuideIngestMessage {
    pub guide_id: GuideId,
    /// `guides/uploads/<uuid>.pdf` in the guides bucket.
    pub source_pdf_key: String,
    /// The course's grade level, 0 when the course row is missing.
    pub course_grade_level: i32,
    pub trace_id: String,
}

/// `solution-generation-queue` (§3.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SolutionGenerationMessage {
    pub guide_id: GuideId,
    /// Null means "the whole guide" (AI-engine producer); the backend always sets it.
    pub guide_question_id: Option<QuestionId>,
    pub trace_id: String,
}

/// `submission-grade-queue` (§3.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SubmissionGradeMessage {
    pub guide_submission_id: SubmissionId,
    pub guide_question_id: QuestionId,
    /// Current solution version, 0 when there is none.
    pub solution_version: i32,
    /// Object keys in the submissions bucket.
    pub photo_keys: Vec<String>,
    pub trace_id: String,
}

/// `exercise-generate-queue` (§3.8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExerciseGenerateMessage {
    pub subdomain_code: String,
    pub grade_level: i32,
    pub target_error_codes: Vec<String>,
    pub count: i32,
    pub trace_id: String,
}

/// `adhoc-solve-queue` (§3.9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdhocSolveMessage {
    pub attempt_id: AttemptId,
    pub problem_latex: String,
    /// Empty when the request had none.
    pub student_steps: Vec<String>,
    pub student_final_answer: String,
    pub student_id: StudentId,
    /// 7 when the request had none.
    pub grade_level: i32,
    pub trace_id: String,
}

impl QueueMessage for AttemptStreamMessage {
    const QUEUE: QueueName = QueueName::AttemptStream;
}
impl QueueMessage for LlmClassifyMessage {
    const QUEUE: QueueName = QueueName::LlmClassify;
}
impl QueueMessage for AttemptReprocessMessage {
    const QUEUE: QueueName = QueueName::AttemptReprocess;
}
impl QueueMessage for GuideIngestMessage {
    const QUEUE: QueueName = QueueName::GuideIngest;
}
impl QueueMessage for SolutionGenerationMessage {
    const QUEUE: QueueName = QueueName::SolutionGen;
}
impl QueueMessage for SubmissionGradeMessage {
    const QUEUE: QueueName = QueueName::SubmissionGrade;
}
impl QueueMessage for ExerciseGenerateMessage {
    const QUEUE: QueueName = QueueName::ExerciseGenerate;
}
impl QueueMessage for AdhocSolveMessage {
    const QUEUE: QueueName = QueueName::AdhocSolve;
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};

    use super::*;

    /// Parses `wire` into `M`, serialises it back, and checks nothing was renamed or lost.
    fn round_trip<M: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(wire: Value) -> M {
        let message: M = serde_json::from_value(wire.clone()).expect("the spec's body parses");
        assert_eq!(serde_json::to_value(&message).unwrap(), wire);
        message
    }

    #[test]
    fn attempt_stream_is_camel_case() {
        let m: AttemptStreamMessage = round_trip(json!({
            "attemptId": "9b1f0c4e-1111-4a4a-8888-000000000001",
            "traceId": "trace-1",
            "rawSteps": [
                {"expression": "52 - 17", "isFinal": false},
                {"expression": "35", "isFinal": true}
            ]
        }));
        assert_eq!(
            m.raw_steps[1],
            RawStep {
                expression: "35".into(),
                is_final: true
            }
        );
    }

    #[test]
    fn llm_classify_keeps_nulls_and_camel_case_steps() {
        let m: LlmClassifyMessage = round_trip(json!({
            "id": "a1",
            "topic": "ARITH_SUB_BORROW",
            "domain_id": null,
            "subdomain_code": "SUB",
            "problem_statement": "52 - 17 = ?",
            "canonical_solution": "35",
            "raw_steps": [{"expression": "45", "isFinal": true}],
            "final_answer": "45",
            "student_id": "seed-student-001"
        }));
        assert!(m.domain_id.is_none());
    }

    #[test]
    fn attempt_reprocess_guide_path_and_legacy_path() {
        let m: AttemptReprocessMessage = round_trip(json!({
            "attempt_id": null,
            "latex_steps": ["3x = 12", "x = 4"],
            "provider": "claude-haiku",
            "confidence": 0.91,
            "trace_id": "",
            "guide_submission_id": "gs-1",
            "guide_question_id": "gq-1",
            "alignment_summary": {"path": "ALT_2", "first_error_checkpoint": null, "score_0_1": 0.5}
        }));
        assert_eq!(m.alignment_summary.unwrap().path, "ALT_2");
        let legacy: AttemptReprocessMessage = round_trip(json!({
            "attempt_id": "a1",
            "latex_steps": [],
            "provider": "claude-haiku",
            "confidence": 0.2,
            "trace_id": "t"
        }));
        assert!(legacy.guide_submission_id.is_none());
        // The AI engine may omit its defaults.
        let minimal: AttemptReprocessMessage = serde_json::from_value(
            json!({"attempt_id": null, "latex_steps": ["1"], "confidence": 1}),
        )
        .unwrap();
        assert_eq!(
            (minimal.trace_id.as_str(), minimal.provider.as_str()),
            ("", "")
        );
    }

    #[test]
    fn guide_pipeline_bodies() {
        round_trip::<GuideIngestMessage>(json!({
            "guide_id": "g1",
            "source_pdf_key": "guides/uploads/0b6e.pdf",
            "course_grade_level": 5,
            "trace_id": "t1"
        }));
        round_trip::<SolutionGenerationMessage>(json!({
            "guide_id": "g1", "guide_question_id": "q1", "trace_id": "t1"
        }));
        round_trip::<SolutionGenerationMessage>(json!({
            "guide_id": "g1", "guide_question_id": null, "trace_id": "t1"
        }));
        round_trip::<SubmissionGradeMessage>(json!({
            "guide_submission_id": "s1",
            "guide_question_id": "q1",
            "solution_version": 0,
            "photo_keys": ["submissions/s1/a.jpg", "submissions/s1/b.jpg"],
            "trace_id": "t1"
        }));
    }

    #[test]
    fn exercise_generate_and_adhoc_solve() {
        round_trip::<ExerciseGenerateMessage>(json!({
            "subdomain_code": "SUB",
            "grade_level": 4,
            "target_error_codes": ["SUB_BORROW_OMITTED"],
            "count": 3,
            "trace_id": "t1"
        }));
        round_trip::<AdhocSolveMessage>(json!({
            "attempt_id": "a1",
            "problem_latex": "\\frac{1}{2} + \\frac{1}{3}",
            "student_steps": [],
            "student_final_answer": "\\frac{2}{5}",
            "student_id": "st1",
            "grade_level": 7,
            "trace_id": "t1"
        }));
    }

    #[test]
    fn each_message_names_its_queue() {
        assert_eq!(AttemptStreamMessage::QUEUE, QueueName::AttemptStream);
        assert!(AttemptStreamMessage::QUEUE.is_fifo());
        assert_eq!(AdhocSolveMessage::QUEUE, QueueName::AdhocSolve);
    }

    // ---- the AI engine's models (`vruizz22/innova-ai-engine`, `src/*/schemas.py`) -------------

    /// A field of a pydantic model: its name, and the JSON types its (lax) validation takes.
    type Field = (&'static str, &'static [&'static str]);

    /// The engine's models of the bodies it consumes, field by field (required first): no
    /// aliases, `extra` ignored, `str` takes only strings, `int` integral numbers, `float`
    /// numbers, `None` `null`.
    const GUIDE_INGEST: (&[Field], &[Field]) = (
        &[
            ("guide_id", &["string"]),
            ("source_pdf_key", &["string"]),
            ("course_grade_level", &["integer"]),
        ],
        &[("trace_id", &["string"])],
    );
    const SOLUTION_GEN: (&[Field], &[Field]) = (
        &[("guide_id", &["string"])],
        &[
            ("guide_question_id", &["string", "null"]),
            ("trace_id", &["string"]),
        ],
    );
    const GRADE_SUBMISSION: (&[Field], &[Field]) = (
        &[("guide_submission_id", &["string"])],
        &[("trace_id", &["string"])],
    );
    const LLM_ATTEMPT: (&[Field], &[Field]) = (
        &[
            ("id", &["string"]),
            ("problem_statement", &["string"]),
            ("canonical_solution", &["string"]),
            ("raw_steps", &["array"]),
            ("final_answer", &["string"]),
        ],
        &[
            ("topic", &["string", "null"]),
            ("student_id", &["string"]),
            ("domain_id", &["string", "null"]),
            ("subdomain_code", &["string", "null"]),
        ],
    );
    const ADHOC_SOLVE: (&[Field], &[Field]) = (
        &[
            ("attempt_id", &["string"]),
            ("problem_latex", &["string"]),
            ("student_final_answer", &["string"]),
        ],
        &[
            ("student_steps", &["array"]),
            ("student_id", &["string"]),
            ("grade_level", &["integer"]),
            ("trace_id", &["string"]),
        ],
    );
    const GENERATE_EXERCISES: (&[Field], &[Field]) = (
        &[
            ("subdomain_code", &["string"]),
            ("grade_level", &["integer"]),
            ("target_error_codes", &["array"]),
            ("count", &["integer"]),
        ],
        &[("trace_id", &["string"])],
    );

    fn json_type(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Whether `body` validates against the engine's model.
    fn validates(body: &Value, (required, optional): (&[Field], &[Field])) -> Result<(), String> {
        for (name, types) in required {
            let v = body.get(*name).ok_or(format!("{name} is required"))?;
            if !types.contains(&json_type(v)) {
                return Err(format!(
                    "{name} is {}, the engine takes {types:?}",
                    json_type(v)
                ));
            }
        }
        for (name, types) in optional {
            if let Some(v) = body.get(*name)
                && !types.contains(&json_type(v))
            {
                return Err(format!(
                    "{name} is {}, the engine takes {types:?}",
                    json_type(v)
                ));
            }
        }
        Ok(())
    }

    /// What this backend publishes for the AI engine validates against its models (the bodies
    /// as we serialise them), and the engine's own example bodies validate too (so the check
    /// itself reads the models right).
    #[test]
    fn what_we_send_validates_against_the_engines_models() {
        let ours = [
            (
                serde_json::to_value(GuideIngestMessage {
                    guide_id: "g".into(),
                    source_pdf_key: "guides/uploads/g.pdf".into(),
                    course_grade_level: 7,
                    trace_id: "t".into(),
                })
                .unwrap(),
                GUIDE_INGEST,
            ),
            (
                serde_json::to_value(SolutionGenerationMessage {
                    guide_id: "g".into(),
                    guide_question_id: Some("q".into()),
                    trace_id: "t".into(),
                })
                .unwrap(),
                SOLUTION_GEN,
            ),
            (
                serde_json::to_value(SubmissionGradeMessage {
                    guide_submission_id: "s".into(),
                    guide_question_id: "q".into(),
                    solution_version: 2,
                    photo_keys: vec!["k".into()],
                    trace_id: "t".into(),
                })
                .unwrap(),
                GRADE_SUBMISSION,
            ),
            (
                serde_json::to_value(LlmClassifyMessage {
                    id: "a".into(),
                    topic: None,
                    domain_id: Some("d".into()),
                    subdomain_code: Some("ADD".into()),
                    problem_statement: "1+1".into(),
                    canonical_solution: "2".into(),
                    raw_steps: vec![],
                    final_answer: "3".into(),
                    student_id: "s".into(),
                })
                .unwrap(),
                LLM_ATTEMPT,
            ),
            (
                serde_json::to_value(AdhocSolveMessage {
                    attempt_id: "a".into(),
                    problem_latex: "2x+3=7".into(),
                    student_steps: vec!["x=2".into()],
                    student_final_answer: "x=2".into(),
                    student_id: "s".into(),
                    grade_level: 8,
                    trace_id: "t".into(),
                })
                .unwrap(),
                ADHOC_SOLVE,
            ),
            (
                serde_json::to_value(ExerciseGenerateMessage {
                    subdomain_code: "FRACT_ADD".into(),
                    grade_level: 6,
                    target_error_codes: vec!["X".into()],
                    count: 5,
                    trace_id: "t".into(),
                })
                .unwrap(),
                GENERATE_EXERCISES,
            ),
        ];
        for (body, model) in ours {
            validates(&body, model).unwrap_or_else(|e| panic!("{body}: {e}"));
        }
        // The engine's example bodies (its tests and docs), exactly.
        let engine = [
            (
                r#"{"guide_id":"3f0e6c1a-7a51-4a7e-9d0f-2f7e2a9c1b11","source_pdf_key":"guides/uploads/3f0e6c1a-7a51-4a7e-9d0f-2f7e2a9c1b11.pdf","course_grade_level":7,"trace_id":"b1c2d3e4-0000-4000-8000-000000000001"}"#,
                GUIDE_INGEST,
            ),
            (
                r#"{"guide_id":"3f0e6c1a-7a51-4a7e-9d0f-2f7e2a9c1b11","guide_question_id":null,"trace_id":"b1c2d3e4-0000-4000-8000-000000000001"}"#,
                SOLUTION_GEN,
            ),
            (
                r#"{"guide_submission_id":"c0ffee00-1234-4abc-8def-000000000001","guide_question_id":"9a8b7c6d-1111-4222-8333-444455556666","solution_version":2,"photo_keys":["submissions/c0ffee00-1234-4abc-8def-000000000001/0.jpg"],"trace_id":"b1c2d3e4-0000-4000-8000-000000000003"}"#,
                GRADE_SUBMISSION,
            ),
            (
                r#"{"id":"a7e1c2d3-0000-4000-8000-0000000000aa","topic":null,"domain_id":"d0d0d0d0-1111-4222-8333-444455556666","subdomain_code":"ADD","problem_statement":"\\frac{1}{2}+\\frac{1}{3}","canonical_solution":"\\frac{5}{6}","raw_steps":[{"expression":"\\frac{1+1}{2+3}","isFinal":false},{"expression":"\\frac{2}{5}","isFinal":true}],"final_answer":"\\frac{2}{5}","student_id":"5e5e5e5e-0000-4000-8000-000000000001"}"#,
                LLM_ATTEMPT,
            ),
            (
                r#"{"attempt_id":"ad0c0000-0000-4000-8000-000000000001","problem_latex":"2x+3=7","student_steps":["2x=4","x=2"],"student_final_answer":"x=2","student_id":"5e5e5e5e-0000-4000-8000-000000000001","grade_level":8,"trace_id":"b1c2d3e4-0000-4000-8000-000000000004"}"#,
                ADHOC_SOLVE,
            ),
            (
                r#"{"subdomain_code":"FRACT_ADD","grade_level":6,"target_error_codes":["SUM_NUMERATORS_AND_DENOMINATORS"],"count":5,"trace_id":"b1c2d3e4-0000-4000-8000-000000000005"}"#,
                GENERATE_EXERCISES,
            ),
        ];
        for (body, model) in engine {
            let body: Value = serde_json::from_str(body).unwrap();
            validates(&body, model).unwrap_or_else(|e| panic!("{body}: {e}"));
        }
        // And the check catches a body the engine would refuse.
        assert!(
            validates(
                &json!({"guide_id": "g", "source_pdf_key": "k", "course_grade_level": "7"}),
                GUIDE_INGEST
            )
            .is_err()
        );
        assert!(validates(&json!({"guide_submission_id": 5}), GRADE_SUBMISSION).is_err());
    }

    /// The engine's grader's message to `attempt-reprocess-queue`, exactly as it serialises it,
    /// parses as ours with nothing lost.
    #[test]
    fn the_engines_reprocess_message_parses() {
        let wire = r#"{"attempt_id":null,"guide_submission_id":"c0ffee00-1234-4abc-8def-000000000001","guide_question_id":"9a8b7c6d-1111-4222-8333-444455556666","latex_steps":["\\frac{1}{2}+\\frac{1}{3}=\\frac{3}{6}+\\frac{2}{6}","=\\frac{5}{6}"],"provider":"claude-haiku","confidence":0.91,"alignment_summary":{"path":"MAIN","first_error_checkpoint":null,"score_0_1":1.0},"trace_id":"b1c2d3e4-0000-4000-8000-000000000003"}"#;
        let m: AttemptReprocessMessage = serde_json::from_str(wire).unwrap();
        assert_eq!(m.latex_steps.len(), 2);
        assert_eq!(m.alignment_summary.as_ref().unwrap().score_0_1, 1.0);
        let back = serde_json::to_value(&m).unwrap();
        let original: Value = serde_json::from_str(wire).unwrap();
        assert_eq!(back, original, "nothing renamed or lost");
    }
}
