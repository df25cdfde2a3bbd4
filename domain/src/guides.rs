//! Guide lifecycle (domain.md §5.1) and the canonical-solution schema (ADR-118, §5.2).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Status of a guide (`guides.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GuideStatus {
    Uploaded,
    Extracting,
    ExtractionFailed,
    GeneratingSolutions,
    GenerationFailed,
    Review,
    Published,
    Archived,
}

use GuideStatus::*;

impl GuideStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [GuideStatus; 8] = [
        Uploaded,
        Extracting,
        ExtractionFailed,
        GeneratingSolutions,
        GenerationFailed,
        Review,
        Published,
        Archived,
    ];

    /// The stored value, e.g. `"GENERATING_SOLUTIONS"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Uploaded => "UPLOADED",
            Extracting => "EXTRACTING",
            ExtractionFailed => "EXTRACTION_FAILED",
            GeneratingSolutions => "GENERATING_SOLUTIONS",
            GenerationFailed => "GENERATION_FAILED",
            Review => "REVIEW",
            Published => "PUBLISHED",
            Archived => "ARCHIVED",
        }
    }

    /// The statuses this one may move to (never itself; ARCHIVED is terminal).
    pub fn allowed_targets(self) -> &'static [GuideStatus] {
        match self {
            Uploaded => &[Extracting, Archived],
            Extracting => &[GeneratingSolutions, ExtractionFailed, Archived],
            ExtractionFailed => &[Extracting, Archived],
            GeneratingSolutions => &[Review, GenerationFailed, Archived],
            GenerationFailed => &[Extracting, GeneratingSolutions, Archived],
            Review => &[Published, GeneratingSolutions, Archived],
            Published => &[Archived],
            Archived => &[],
        }
    }

    /// Whether `self → to` is in the transition table.
    pub fn can_transition_to(self, to: GuideStatus) -> bool {
        self.allowed_targets().contains(&to)
    }

    /// ARCHIVED: nothing leaves it.
    pub fn is_terminal(self) -> bool {
        self.allowed_targets().is_empty()
    }
}

impl fmt::Display for GuideStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a guide status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown guide status `{0}`")]
pub struct UnknownGuideStatus(pub String);

impl TryFrom<String> for GuideStatus {
    type Error = UnknownGuideStatus;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for GuideStatus {
    type Err = UnknownGuideStatus;

    /// Exact, case-sensitive stored values.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        GuideStatus::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| UnknownGuideStatus(s.to_owned()))
    }
}

/// A transition outside the table (decision 4: HTTP 409 with this message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Invalid guide transition {from} → {to}")]
pub struct IllegalTransition {
    /// The guide's current status.
    pub from: GuideStatus,
    /// The requested status.
    pub to: GuideStatus,
}

/// `assertTransition`: the new status, or the illegal pair.
pub fn transition(from: GuideStatus, to: GuideStatus) -> Result<GuideStatus, IllegalTransition> {
    if from.can_transition_to(to) {
        Ok(to)
    } else {
        Err(IllegalTransition { from, to })
    }
}

/// Statuses from which a teacher may start (or retry) extraction.
pub const INGESTABLE_STATUSES: [GuideStatus; 3] = [Uploaded, ExtractionFailed, GenerationFailed];

/// Whether `POST /guides/:id/ingest` starts extraction from `status`.
pub fn can_start_ingest(status: GuideStatus) -> bool {
    INGESTABLE_STATUSES.contains(&status)
}

/// What `POST /guides/:id/ingest` does for a guide in a given status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestAction {
    /// Move to EXTRACTING, clear `failureReason`, enqueue the ingest message (202).
    Start,
    /// Already EXTRACTING or GENERATING_SOLUTIONS: no-op returning the current status.
    AlreadyRunning,
    /// 400 `Guide in status <S> cannot be ingested`.
    Rejected,
}

/// The ingest decision for `status`.
pub fn ingest_action(status: GuideStatus) -> IngestAction {
    match status {
        s if can_start_ingest(s) => IngestAction::Start,
        Extracting | GeneratingSolutions => IngestAction::AlreadyRunning,
        _ => IngestAction::Rejected,
    }
}

/// Why a guide in REVIEW cannot be published yet (HTTP 400 with this message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PublishBlocked {
    #[error("All questions must be APPROVED or EXCLUDED before publishing ({0} pending)")]
    Pending(usize),
    #[error("A guide needs at least one APPROVED question to publish")]
    NoneApproved,
}

/// The question checks of publish: every question APPROVED or EXCLUDED, at least one
/// APPROVED. Returns the number of APPROVED questions.
pub fn check_publishable<'a>(
    question_statuses: impl IntoIterator<Item = &'a str>,
) -> Result<usize, PublishBlocked> {
    let (mut approved, mut pending) = (0, 0);
    for s in question_statuses {
        match s {
            "APPROVED" => approved += 1,
            "EXCLUDED" => {}
            _ => pending += 1,
        }
    }
    if pending > 0 {
        Err(PublishBlocked::Pending(pending))
    } else if approved == 0 {
        Err(PublishBlocked::NoneApproved)
    } else {
        Ok(approved)
    }
}

// ---------------------------------------------------------------------------------------------
// Canonical solution (ADR-118)

/// The parsed answer key (`guide_solutions.steps_json`). Unknown keys are dropped; serialising
/// gives the stored form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanonicalSolution {
    pub final_answer: String,
    #[serde(serialize_with = "js_number")]
    pub points: f64,
    pub steps: Vec<SolutionStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_paths: Option<Vec<AltPath>>,
}

/// One step of a solution path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolutionStep {
    pub idx: u64,
    pub latex: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation_es: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Whether the grader checks the student's work at this step.
    pub checkpoint: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_error_tags: Option<Vec<String>>,
}

/// An alternative solution path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AltPath {
    pub label: String,
    pub steps: Vec<SolutionStep>,
}

fn js_number<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    crate::js::json_number(*x).serialize(s)
}

impl CanonicalSolution {
    /// `hasCheckpoint`: some main step, or some step of an alternative path, is a checkpoint.
    pub fn has_checkpoint(&self) -> bool {
        self.steps.iter().any(|s| s.checkpoint)
            || self
                .alt_paths
                .iter()
                .flatten()
                .flat_map(|p| &p.steps)
                .any(|s| s.checkpoint)
    }
}

/// Schema violations, `path: message` each (400 `Invalid canonical solution: <this>`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("; "))]
pub struct SolutionIssues(pub Vec<String>);

/// Why a teacher-edited solution is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SolutionError {
    #[error("Invalid canonical solution: {0}")]
    Invalid(SolutionIssues),
    #[error("Solution must contain at least one checkpoint step")]
    NoCheckpoint,
}

/// Validates and parses `stepsJson` like the reference's zod schema: all issues are reported,
/// unknown keys are stripped, optional fields may be absent but not `null`.
pub fn parse_canonical_solution(value: &Value) -> Result<CanonicalSolution, SolutionIssues> {
    let mut issues = Vec::new();
    let parsed = solution(value, &mut issues);
    match parsed {
        Some(s) if issues.is_empty() => Ok(s),
        _ => Err(SolutionIssues(issues)),
    }
}

/// [`parse_canonical_solution`] plus the checkpoint requirement of `PATCH …/solution`.
pub fn validate_teacher_solution(value: &Value) -> Result<CanonicalSolution, SolutionError> {
    let s = parse_canonical_solution(value).map_err(SolutionError::Invalid)?;
    if s.has_checkpoint() {
        Ok(s)
    } else {
        Err(SolutionError::NoCheckpoint)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn at(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn object<'v>(
    v: &'v Value,
    path: &str,
    issues: &mut Vec<String>,
) -> Option<&'v Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        other => {
            let p = if path.is_empty() { "(root)" } else { path };
            issues.push(format!(
                "{p}: Expected object, received {}",
                type_name(other)
            ));
            None
        }
    }
}

fn required<'v>(
    m: &'v Map<String, Value>,
    key: &str,
    path: &str,
    issues: &mut Vec<String>,
) -> Option<&'v Value> {
    let v = m.get(key);
    if v.is_none() {
        issues.push(format!("{}: Required", at(path, key)));
    }
    v
}

fn string(v: &Value, path: &str, min_len: usize, issues: &mut Vec<String>) -> Option<String> {
    match v {
        // zod counts UTF-16 code units; for "at least 1" that is "non-empty" either way.
        Value::String(s) if s.encode_utf16().count() >= min_len => Some(s.clone()),
        Value::String(_) => {
            issues.push(format!(
                "{path}: String must contain at least {min_len} character(s)"
            ));
            None
        }
        other => {
            issues.push(format!(
                "{path}: Expected string, received {}",
                type_name(other)
            ));
            None
        }
    }
}

fn optional_string(
    m: &Map<String, Value>,
    key: &str,
    path: &str,
    issues: &mut Vec<String>,
) -> Option<String> {
    m.get(key)
        .and_then(|v| string(v, &at(path, key), 0, issues))
}

fn array<'v>(v: &'v Value, path: &str, issues: &mut Vec<String>) -> Option<&'v Vec<Value>> {
    match v {
        Value::Array(a) if !a.is_empty() => Some(a),
        Value::Array(_) => {
            issues.push(format!("{path}: Array must contain at least 1 element(s)"));
            None
        }
        other => {
            issues.push(format!(
                "{path}: Expected array, received {}",
                type_name(other)
            ));
            None
        }
    }
}

fn solution(v: &Value, issues: &mut Vec<String>) -> Option<CanonicalSolution> {
    let m = object(v, "", issues)?;
    let final_answer =
        required(m, "final_answer", "", issues).and_then(|v| string(v, "final_answer", 1, issues));
    let points = required(m, "points", "", issues).and_then(|v| match v.as_f64() {
        Some(p) if p >= 0.0 => Some(p),
        Some(_) => {
            issues.push("points: Number must be greater than or equal to 0".to_owned());
            None
        }
        None => {
            issues.push(format!(
                "points: Expected number, received {}",
                type_name(v)
            ));
            None
        }
    });
    let steps = required(m, "steps", "", issues).and_then(|v| steps(v, "steps", issues));
    let alt_paths = match m.get("alt_paths") {
        None => Some(None),
        Some(v) => match v {
            Value::Array(paths) => {
                let parsed: Vec<Option<AltPath>> = paths
                    .iter()
                    .enumerate()
                    .map(|(i, p)| alt_path(p, &format!("alt_paths.{i}"), issues))
                    .collect();
                parsed.into_iter().collect::<Option<Vec<_>>>().map(Some)
            }
            other => {
                issues.push(format!(
                    "alt_paths: Expected array, received {}",
                    type_name(other)
                ));
                None
            }
        },
    };
    Some(CanonicalSolution {
        final_answer: final_answer?,
        points: points?,
        steps: steps?,
        alt_paths: alt_paths?,
    })
}

fn alt_path(v: &Value, path: &str, issues: &mut Vec<String>) -> Option<AltPath> {
    let m = object(v, path, issues)?;
    let label =
        required(m, "label", path, issues).and_then(|v| string(v, &at(path, "label"), 1, issues));
    let steps =
        required(m, "steps", path, issues).and_then(|v| steps(v, &at(path, "steps"), issues));
    Some(AltPath {
        label: label?,
        steps: steps?,
    })
}

fn steps(v: &Value, path: &str, issues: &mut Vec<String>) -> Option<Vec<SolutionStep>> {
    let items = array(v, path, issues)?;
    let parsed: Vec<Option<SolutionStep>> = items
        .iter()
        .enumerate()
        .map(|(i, s)| step(s, &format!("{path}.{i}"), issues))
        .collect();
    parsed.into_iter().collect()
}

fn step(v: &Value, path: &str, issues: &mut Vec<String>) -> Option<SolutionStep> {
    let m = object(v, path, issues)?;
    let idx_path = at(path, "idx");
    let idx = required(m, "idx", path, issues).and_then(|v| match v.as_f64() {
        Some(x) if x.fract() != 0.0 => {
            issues.push(format!("{idx_path}: Expected integer, received float"));
            None
        }
        Some(x) if x < 0.0 => {
            issues.push(format!(
                "{idx_path}: Number must be greater than or equal to 0"
            ));
            None
        }
        // Integral and ≥ 0; beyond u64 (never in practice) it is rejected rather than rounded.
        Some(x) => v
            .as_u64()
            .or_else(|| (x <= u64::MAX as f64).then_some(x as u64))
            .or_else(|| {
                issues.push(format!("{idx_path}: Number is too large"));
                None
            }),
        None => {
            issues.push(format!(
                "{idx_path}: Expected number, received {}",
                type_name(v)
            ));
            None
        }
    });
    let latex =
        required(m, "latex", path, issues).and_then(|v| string(v, &at(path, "latex"), 1, issues));
    let explanation_es = optional_string(m, "explanation_es", path, issues);
    let rule = optional_string(m, "rule", path, issues);
    let checkpoint = required(m, "checkpoint", path, issues).and_then(|v| match v {
        Value::Bool(b) => Some(*b),
        other => {
            issues.push(format!(
                "{}: Expected boolean, received {}",
                at(path, "checkpoint"),
                type_name(other)
            ));
            None
        }
    });
    let expected_error_tags = match m.get("expected_error_tags") {
        None => Some(None),
        Some(Value::Array(tags)) => {
            let parsed: Vec<Option<String>> = tags
                .iter()
                .enumerate()
                .map(|(i, t)| string(t, &format!("{path}.expected_error_tags.{i}"), 0, issues))
                .collect();
            parsed.into_iter().collect::<Option<Vec<_>>>().map(Some)
        }
        Some(other) => {
            issues.push(format!(
                "{}: Expected array, received {}",
                at(path, "expected_error_tags"),
                type_name(other)
            ));
            None
        }
    };
    // Optional fields that were present but invalid already produced an issue; the step is
    // only returned when everything parsed.
    let explanation_ok = m.get("explanation_es").is_none() || explanation_es.is_some();
    let rule_ok = m.get("rule").is_none() || rule.is_some();
    if !(explanation_ok && rule_ok) {
        return None;
    }
    Some(SolutionStep {
        idx: idx?,
        latex: latex?,
        explanation_es,
        rule,
        checkpoint: checkpoint?,
        expected_error_tags: expected_error_tags?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const TABLE: [(GuideStatus, &[GuideStatus]); 8] = [
        (Uploaded, &[Extracting, Archived]),
        (
            Extracting,
            &[GeneratingSolutions, ExtractionFailed, Archived],
        ),
        (ExtractionFailed, &[Extracting, Archived]),
        (GeneratingSolutions, &[Review, GenerationFailed, Archived]),
        (
            GenerationFailed,
            &[Extracting, GeneratingSolutions, Archived],
        ),
        (Review, &[Published, GeneratingSolutions, Archived]),
        (Published, &[Archived]),
        (Archived, &[]),
    ];

    #[test]
    fn transition_table_is_exact() {
        for (from, allowed) in TABLE {
            for to in GuideStatus::ALL {
                let got = transition(from, to);
                if allowed.contains(&to) {
                    assert_eq!(got, Ok(to));
                } else {
                    assert_eq!(got, Err(IllegalTransition { from, to }));
                }
            }
        }
    }

    #[test]
    fn illegal_transition_names_both_states() {
        let err = transition(Uploaded, Published).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid guide transition UPLOADED → PUBLISHED"
        );
        assert_eq!(
            transition(Archived, Archived).unwrap_err().to_string(),
            "Invalid guide transition ARCHIVED → ARCHIVED"
        );
    }

    #[test]
    fn statuses_round_trip_as_strings() {
        for s in GuideStatus::ALL {
            assert_eq!(s.as_str().parse::<GuideStatus>(), Ok(s));
            assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(
            "review".parse::<GuideStatus>(),
            Err(UnknownGuideStatus("review".into()))
        );
    }

    #[test]
    fn ingest_decisions() {
        assert_eq!(ingest_action(Uploaded), IngestAction::Start);
        assert_eq!(ingest_action(ExtractionFailed), IngestAction::Start);
        assert_eq!(ingest_action(GenerationFailed), IngestAction::Start);
        assert_eq!(ingest_action(Extracting), IngestAction::AlreadyRunning);
        assert_eq!(
            ingest_action(GeneratingSolutions),
            IngestAction::AlreadyRunning
        );
        for s in [Review, Published, Archived] {
            assert_eq!(ingest_action(s), IngestAction::Rejected);
            assert!(!can_start_ingest(s));
        }
        for s in INGESTABLE_STATUSES {
            assert!(
                s.can_transition_to(Extracting),
                "ingest must be a legal transition"
            );
        }
    }

    #[test]
    fn publish_checks() {
        assert_eq!(check_publishable(["APPROVED", "EXCLUDED"]), Ok(1));
        assert_eq!(
            check_publishable(["APPROVED", "NEEDS_REVIEW", "EXTRACTED"]),
            Err(PublishBlocked::Pending(2))
        );
        assert_eq!(
            check_publishable(["EXCLUDED"]),
            Err(PublishBlocked::NoneApproved)
        );
        assert_eq!(check_publishable([]), Err(PublishBlocked::NoneApproved));
        assert_eq!(
            PublishBlocked::Pending(2).to_string(),
            "All questions must be APPROVED or EXCLUDED before publishing (2 pending)"
        );
    }

    fn status() -> impl Strategy<Value = GuideStatus> {
        proptest::sample::select(GuideStatus::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn accepts_exactly_the_table(from in status(), to in status()) {
            let allowed = TABLE.iter().find(|(f, _)| *f == from).unwrap().1;
            prop_assert_eq!(transition(from, to).is_ok(), allowed.contains(&to));
            prop_assert!(from != to || transition(from, to).is_err(), "no self-transitions");
        }

        #[test]
        fn nothing_leaves_archived(path in proptest::collection::vec(status(), 1..20)) {
            // Walk any sequence of requested statuses, applying only legal moves: once ARCHIVED,
            // every request fails and the guide stays ARCHIVED.
            let mut current = Uploaded;
            for to in path {
                let was_archived = current == Archived;
                match transition(current, to) {
                    Ok(next) => {
                        prop_assert!(!was_archived);
                        current = next;
                    }
                    Err(e) => prop_assert_eq!((e.from, e.to), (current, to)),
                }
            }
            for to in GuideStatus::ALL {
                prop_assert!(transition(Archived, to).is_err());
            }
        }
    }

    fn valid() -> Value {
        json!({
            "final_answer": "x = 4",
            "points": 2,
            "steps": [
                {"idx": 0, "latex": "2x + 3 = 11", "checkpoint": false, "extra": 1},
                {"idx": 1, "latex": "x = 4", "checkpoint": true, "rule": "divide",
                 "explanation_es": "Dividimos", "expected_error_tags": ["ALGEBRA_EQ_LINEAR_SIGN_FLIP_TRANSPOSE_G8"]}
            ],
            "alt_paths": [{"label": "Tanteo", "steps": [{"idx": 0, "latex": "x=4", "checkpoint": false}]}],
            "unknown": true
        })
    }

    #[test]
    fn valid_solution_is_parsed_and_stripped() {
        let s = validate_teacher_solution(&valid()).unwrap();
        assert_eq!(s.steps.len(), 2);
        assert!(s.has_checkpoint());
        let stored = serde_json::to_value(&s).unwrap();
        assert_eq!(stored["points"], json!(2), "integral numbers stay integers");
        assert!(stored.get("unknown").is_none());
        assert!(stored["steps"][0].get("extra").is_none());
        assert!(
            stored["steps"][0].get("rule").is_none(),
            "absent optionals stay absent"
        );
        assert_eq!(stored["steps"][1]["rule"], json!("divide"));
        let back: CanonicalSolution = serde_json::from_value(stored).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn checkpoint_may_be_in_an_alternative_path() {
        let mut v = valid();
        v["steps"][1]["checkpoint"] = json!(false);
        assert_eq!(
            validate_teacher_solution(&v).unwrap_err(),
            SolutionError::NoCheckpoint
        );
        v["alt_paths"][0]["steps"][0]["checkpoint"] = json!(true);
        assert!(validate_teacher_solution(&v).unwrap().has_checkpoint());
        assert_eq!(
            SolutionError::NoCheckpoint.to_string(),
            "Solution must contain at least one checkpoint step"
        );
    }

    #[test]
    fn schema_issues_are_all_reported() {
        let v = json!({
            "final_answer": "",
            "points": -1,
            "steps": [{"idx": 1.5, "latex": "", "checkpoint": "yes", "rule": null}],
            "alt_paths": [{"label": "", "steps": []}]
        });
        let err = parse_canonical_solution(&v).unwrap_err();
        let want = [
            "final_answer: String must contain at least 1 character(s)",
            "points: Number must be greater than or equal to 0",
            "steps.0.idx: Expected integer, received float",
            "steps.0.latex: String must contain at least 1 character(s)",
            "steps.0.rule: Expected string, received null",
            "steps.0.checkpoint: Expected boolean, received string",
            "alt_paths.0.label: String must contain at least 1 character(s)",
            "alt_paths.0.steps: Array must contain at least 1 element(s)",
        ];
        for w in want {
            assert!(err.0.iter().any(|i| i == w), "missing {w:?} in {err}");
        }
        assert!(
            SolutionError::Invalid(err)
                .to_string()
                .starts_with("Invalid canonical solution: ")
        );
    }

    #[test]
    fn required_fields_and_types() {
        let err = parse_canonical_solution(&json!({})).unwrap_err();
        assert_eq!(
            err.0,
            [
                "final_answer: Required",
                "points: Required",
                "steps: Required"
            ]
        );
        let err = parse_canonical_solution(&json!([])).unwrap_err();
        assert_eq!(err.0, ["(root): Expected object, received array"]);
        let err = parse_canonical_solution(
            &json!({"final_answer": "1", "points": 0, "steps": [{"idx": -1, "latex": "a"}]}),
        )
        .unwrap_err();
        assert_eq!(
            err.0,
            [
                "steps.0.idx: Number must be greater than or equal to 0",
                "steps.0.checkpoint: Required"
            ]
        );
        let ok = parse_canonical_solution(
            &json!({"final_answer": "1", "points": 0.5, "steps": [{"idx": 1e0, "latex": "a", "checkpoint": true}]}),
        );
        assert_eq!(ok.unwrap().steps[0].idx, 1);
    }
}

// ---------------------------------------------------------------------------------------------
// --- Guides (teacher): the results matrix's common errors

/// How many tags `commonErrors` lists per question.
pub const COMMON_ERRORS_TOP: usize = 5;

/// One cell of the results matrix, as far as common errors go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TaggedCell<'a> {
    pub question_id: &'a str,
    pub is_correct: Option<bool>,
    /// The effective tag (the teacher's override, else the attempt's): code and name.
    pub tag: Option<(&'a str, &'a str)>,
}

/// A tag and how many cells of one question carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub code: String,
    /// The name first seen for the code.
    pub name: String,
    pub count: usize,
}

/// Per question (in the order given): among its cells that are not correct (`is_correct` other
/// than `Some(true)`) and carry a tag, the count per code, most frequent first (ties keep the
/// order of first appearance), at most [`COMMON_ERRORS_TOP`].
pub fn common_errors<'a>(
    question_ids: &[&str],
    cells: impl IntoIterator<Item = TaggedCell<'a>> + Clone,
) -> Vec<Vec<TagCount>> {
    question_ids
        .iter()
        .map(|q| {
            let mut counts: Vec<TagCount> = Vec::new();
            for cell in cells.clone() {
                let Some((code, name)) = cell.tag else {
                    continue;
                };
                if cell.question_id != *q || cell.is_correct == Some(true) {
                    continue;
                }
                match counts.iter_mut().find(|c| c.code == code) {
                    Some(c) => c.count += 1,
                    None => counts.push(TagCount {
                        code: code.to_owned(),
                        name: name.to_owned(),
                        count: 1,
                    }),
                }
            }
            // A stable sort: equal counts stay in order of first appearance.
            counts.sort_by_key(|c| std::cmp::Reverse(c.count));
            counts.truncate(COMMON_ERRORS_TOP);
            counts
        })
        .collect()
}

#[cfg(test)]
mod common_errors_tests {
    use super::*;

    fn cell<'a>(q: &'a str, correct: Option<bool>, tag: Option<&'a str>) -> TaggedCell<'a> {
        TaggedCell {
            question_id: q,
            is_correct: correct,
            tag: tag.map(|t| (t, t)),
        }
    }

    #[test]
    fn counts_wrong_tagged_cells_per_question_most_frequent_first() {
        let cells = [
            cell("q1", Some(false), Some("A")),
            cell("q1", None, Some("B")),
            cell("q1", Some(false), Some("B")),
            cell("q1", Some(true), Some("A")),
            cell("q1", Some(false), None),
            cell("q2", Some(false), Some("C")),
        ];
        let got = common_errors(&["q1", "q2", "q3"], cells.iter().copied());
        let codes: Vec<Vec<(&str, usize)>> = got
            .iter()
            .map(|q| q.iter().map(|t| (t.code.as_str(), t.count)).collect())
            .collect();
        assert_eq!(
            codes,
            vec![vec![("B", 2), ("A", 1)], vec![("C", 1)], vec![]]
        );
    }

    #[test]
    fn ties_keep_first_appearance_and_only_five_are_listed() {
        let tags = ["F", "E", "D", "C", "B", "A"];
        let cells: Vec<_> = tags
            .iter()
            .map(|t| cell("q", Some(false), Some(t)))
            .collect();
        let got = common_errors(&["q"], cells.iter().copied());
        let codes: Vec<&str> = got[0].iter().map(|t| t.code.as_str()).collect();
        assert_eq!(codes, ["F", "E", "D", "C", "B"]);
    }
}
