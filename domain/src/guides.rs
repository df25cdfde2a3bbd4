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

/// How long the AI engine may keep a guide in EXTRACTING or GENERATING_SOLUTIONS before it
/// counts as stuck (its message dead-lettered or its worker crashed): the guide-ingest and
/// solution-generation queues give a message 3 receives of 900 s before the DLQ (45 min), plus
/// 15 minutes for one that waited in the queue.
pub const STUCK_AFTER_SECS: i64 = 3600;

/// Where a stuck guide goes: the failed state of the stage it did not finish.
pub fn stuck_failed_status(status: GuideStatus) -> Option<GuideStatus> {
    match status {
        Extracting => Some(ExtractionFailed),
        GeneratingSolutions => Some(GenerationFailed),
        _ => None,
    }
}

/// The ingest decision for `status`; `stuck`: the guide has sat in it longer than
/// [`STUCK_AFTER_SECS`], so an ingest starts over (as from the failed state it is in in effect)
/// instead of waiting for work that will never come.
pub fn ingest_action(status: GuideStatus, stuck: bool) -> IngestAction {
    match status {
        s if can_start_ingest(s) => IngestAction::Start,
        Extracting | GeneratingSolutions if stuck => IngestAction::Start,
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

/// What a solution that omits them takes. The AI engine's stored solutions may lack
/// `final_answer`, `points` and the steps' `idx` (decision 26: what the API serves, it accepts
/// back): they are filled from the request's `finalAnswer`, the question's points and each
/// step's position. `None`: the field is required.
#[derive(Debug, Clone, Copy, Default)]
pub struct SolutionDefaults<'a> {
    pub final_answer: Option<&'a str>,
    pub points: Option<f64>,
}

/// Validates and parses `stepsJson` like the reference's zod schema: all issues are reported,
/// unknown keys are stripped, optional fields may be absent but not `null`; `final_answer`,
/// `points` and steps' `idx` are required.
pub fn parse_canonical_solution(value: &Value) -> Result<CanonicalSolution, SolutionIssues> {
    parse_canonical_solution_with(value, SolutionDefaults::default())
}

/// [`parse_canonical_solution`], the absent fields taken from `defaults` (and a step's absent
/// `idx` from its position), so the parsed — and stored — form is complete.
pub fn parse_canonical_solution_with(
    value: &Value,
    defaults: SolutionDefaults<'_>,
) -> Result<CanonicalSolution, SolutionIssues> {
    let mut issues = Vec::new();
    let parsed = solution(value, defaults, &mut issues);
    match parsed {
        Some(s) if issues.is_empty() => Ok(s),
        _ => Err(SolutionIssues(issues)),
    }
}

/// [`parse_canonical_solution_with`] plus the checkpoint requirement of a teacher's edit.
pub fn validate_teacher_solution(
    value: &Value,
    defaults: SolutionDefaults<'_>,
) -> Result<CanonicalSolution, SolutionError> {
    let s = parse_canonical_solution_with(value, defaults).map_err(SolutionError::Invalid)?;
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

fn solution(
    v: &Value,
    defaults: SolutionDefaults<'_>,
    issues: &mut Vec<String>,
) -> Option<CanonicalSolution> {
    let m = object(v, "", issues)?;
    let final_answer = match (m.get("final_answer"), defaults.final_answer) {
        (None, Some(default)) => Some(default.to_owned()),
        _ => required(m, "final_answer", "", issues)
            .and_then(|v| string(v, "final_answer", 1, issues)),
    };
    let points = match (m.get("points"), defaults.points) {
        (None, Some(default)) => Some(default),
        _ => points(m, issues),
    };
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

/// `points`, required, a number ≥ 0.
fn points(m: &Map<String, Value>, issues: &mut Vec<String>) -> Option<f64> {
    required(m, "points", "", issues).and_then(|v| match v.as_f64() {
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
        .map(|(i, s)| step(s, &format!("{path}.{i}"), i, issues))
        .collect();
    parsed.into_iter().collect()
}

fn step(v: &Value, path: &str, position: usize, issues: &mut Vec<String>) -> Option<SolutionStep> {
    let m = object(v, path, issues)?;
    let idx_path = at(path, "idx");
    // Absent: the step's position (the AI engine's older solutions carry none).
    let idx = match m.get("idx") {
        None => Some(position as u64),
        Some(v) => step_idx(v, &idx_path, issues),
    };
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

/// A step's `idx`: an integer ≥ 0.
fn step_idx(v: &Value, idx_path: &str, issues: &mut Vec<String>) -> Option<u64> {
    match v.as_f64() {
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
    }
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
        for stuck in [false, true] {
            assert_eq!(ingest_action(Uploaded, stuck), IngestAction::Start);
            assert_eq!(ingest_action(ExtractionFailed, stuck), IngestAction::Start);
            assert_eq!(ingest_action(GenerationFailed, stuck), IngestAction::Start);
            for s in [Review, Published, Archived] {
                assert_eq!(ingest_action(s, stuck), IngestAction::Rejected);
                assert!(!can_start_ingest(s));
            }
        }
        assert_eq!(
            ingest_action(Extracting, false),
            IngestAction::AlreadyRunning
        );
        assert_eq!(
            ingest_action(GeneratingSolutions, false),
            IngestAction::AlreadyRunning
        );
        // Stuck beyond the redrive window: the work will never come, start over.
        for s in [Extracting, GeneratingSolutions] {
            assert_eq!(ingest_action(s, true), IngestAction::Start);
            let failed = stuck_failed_status(s).unwrap();
            assert!(s.can_transition_to(failed) && failed.can_transition_to(Extracting));
        }
        assert_eq!(stuck_failed_status(Review), None);
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
        let s = validate_teacher_solution(&valid(), SolutionDefaults::default()).unwrap();
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
            validate_teacher_solution(&v, SolutionDefaults::default()).unwrap_err(),
            SolutionError::NoCheckpoint
        );
        v["alt_paths"][0]["steps"][0]["checkpoint"] = json!(true);
        assert!(
            validate_teacher_solution(&v, SolutionDefaults::default())
                .unwrap()
                .has_checkpoint()
        );
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

    /// A step as the AI engine's `_steps_json` writes it, each optional key present or not
    /// (older engine versions omitted `idx`, `final_answer` and `points`).
    fn engine_step(
        idx: Option<u64>,
        latex: String,
        explanation: Option<String>,
        checkpoint: bool,
        tags: Option<Vec<String>>,
    ) -> Value {
        let mut m = Map::new();
        if let Some(i) = idx {
            m.insert("idx".into(), json!(i));
        }
        m.insert("latex".into(), json!(latex));
        if let Some(e) = explanation {
            m.insert("explanation_es".into(), json!(e));
        }
        m.insert("checkpoint".into(), json!(checkpoint));
        if let Some(t) = tags {
            m.insert("expected_error_tags".into(), json!(t));
        }
        Value::Object(m)
    }

    fn arb_step() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        (
            proptest::option::of(0u64..20),
            "[a-z0-9+=\\\\{} -]{1,12}",
            proptest::option::of("[a-zA-Z áé]{0,12}"),
            any::<bool>(),
            proptest::option::of(proptest::collection::vec("[A-Z_]{1,8}", 0..3)),
        )
            .prop_map(|(i, l, e, c, t)| engine_step(i, l, e, c, t))
    }

    fn arb_engine_solution() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        (
            proptest::option::of("[0-9a-z\\\\{}/-]{1,8}"),
            proptest::option::of(0u32..5),
            proptest::collection::vec(arb_step(), 1..5),
            proptest::option::of(proptest::collection::vec(
                (
                    "[A-Za-z ]{1,10}",
                    proptest::collection::vec(arb_step(), 1..3),
                ),
                0..3,
            )),
        )
            .prop_map(|(fa, pts, steps, alts)| {
                let mut m = Map::new();
                if let Some(fa) = fa {
                    m.insert("final_answer".into(), json!(fa));
                }
                if let Some(p) = pts {
                    m.insert("points".into(), json!(f64::from(p)));
                }
                m.insert("steps".into(), json!(steps));
                if let Some(alts) = alts {
                    let alts: Vec<Value> = alts
                        .into_iter()
                        .map(|(label, steps)| json!({"label": label, "steps": steps}))
                        .collect();
                    m.insert("alt_paths".into(), json!(alts));
                }
                Value::Object(m)
            })
    }

    proptest::proptest! {
        /// Decision 26: every shape the AI engine stores (and the API serves) is accepted back
        /// unchanged, with `finalAnswer` and the question's points standing in for what it
        /// omits; what is stored then is complete and reads back as itself.
        #[test]
        fn every_engine_solution_shape_is_accepted_back(solution in arb_engine_solution(), points in 0u32..5) {
            let defaults = SolutionDefaults { final_answer: Some("42"), points: Some(f64::from(points)) };
            let parsed = parse_canonical_solution_with(&solution, defaults).unwrap();
            let stored = serde_json::to_value(&parsed).unwrap();
            let again = parse_canonical_solution(&stored).unwrap();
            proptest::prop_assert_eq!(&again, &parsed);
            // Present fields are kept as they were sent.
            if let Some(fa) = solution.get("final_answer") {
                proptest::prop_assert_eq!(json!(parsed.final_answer), fa.clone());
            }
            for (i, step) in solution["steps"].as_array().unwrap().iter().enumerate() {
                let idx = step.get("idx").and_then(Value::as_u64).unwrap_or(i as u64);
                proptest::prop_assert_eq!(parsed.steps[i].idx, idx);
            }
        }
    }

    #[test]
    fn the_engines_stored_shape_parses_with_the_defaults() {
        // `src/solution_gen/service.py` `_steps_json`, as the engine stores it …
        let current = json!({"final_answer": "\\frac{5}{6}", "points": 1.0, "steps": [
            {"idx": 0, "latex": "\\frac{1}{2}+\\frac{1}{3}=\\frac{3}{6}+\\frac{2}{6}",
             "explanation_es": "Se amplifican", "checkpoint": true, "expected_error_tags": ["SUM_NUMERATORS_AND_DENOMINATORS"]},
            {"idx": 1, "latex": "=\\frac{5}{6}", "explanation_es": "Se suman", "checkpoint": true, "expected_error_tags": []}],
            "alt_paths": [{"label": "Usando decimales", "steps": [
                {"idx": 0, "latex": "0.5+0.\\overline{3}", "explanation_es": "", "checkpoint": false, "expected_error_tags": []}]}]});
        assert!(parse_canonical_solution(&current).is_ok());
        // … and as older versions did: no final_answer, points nor idx.
        let older = json!({"steps": [{"latex": "12 - 5 = 7", "checkpoint": true}]});
        assert!(
            parse_canonical_solution(&older).is_err(),
            "strict without defaults"
        );
        let parsed = parse_canonical_solution_with(
            &older,
            SolutionDefaults {
                final_answer: Some("7"),
                points: Some(2.0),
            },
        )
        .unwrap();
        assert_eq!(
            (
                parsed.final_answer.as_str(),
                parsed.points,
                parsed.steps[0].idx
            ),
            ("7", 2.0, 0)
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
