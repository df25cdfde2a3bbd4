//! Judging a graded photo answer (attempt-reprocess, workers-infra.md §2.5): the AI engine's
//! grader decides *whether* the answer is right (its alignment score); the rule engine, where it
//! can read the question, names *which* procedural error a wrong answer shows.
//!
//! The rule engine needs numbers: the operands of the statement (`53 - 26`, `12 + 7`,
//! `6 \times 4`, `20 \div 5`, optionally followed by `= ?`), the expected answer (the current
//! solution's final answer) and the student's final answer (the last transcribed step). When any
//! of them is not a plain number, or the rules find no error, the answer goes to the LLM
//! classifier, as in the reference.

use crate::rules::{self, AttemptInput, Operand, RawStep, tags};
use crate::vocab::{AttemptStatus, ClassifierSource};

/// The alignment score at which an answer counts as right (`score_0_1 ≥ 0.999`).
pub const CORRECT_SCORE: f64 = 0.999;

/// What a graded answer becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub is_correct: bool,
    /// `CORRECT`, a procedural-error code, or `None` (the LLM classifier decides).
    pub error_tag_code: Option<&'static str>,
    pub classifier_source: ClassifierSource,
    pub status: AttemptStatus,
    pub confidence: f64,
}

impl Judgement {
    /// Whether the LLM classifier must be asked.
    pub fn needs_llm(&self) -> bool {
        self.status == AttemptStatus::Pending
    }
}

/// What the grader and the question say about one answer.
#[derive(Debug, Clone)]
pub struct GradedAnswer<'a> {
    /// `alignment_summary.score_0_1` (0 without a summary).
    pub score: f64,
    /// The transcription confidence.
    pub confidence: f64,
    /// `<domain code>_<subdomain code>` of the question's topic, if it has one.
    pub strategy_key: Option<&'a str>,
    pub statement_latex: &'a str,
    /// The current solution's final answer.
    pub expected_answer: Option<&'a str>,
    /// The transcribed steps, in order.
    pub steps: &'a [String],
}

/// Judges one answer: right → `CORRECT` (source RULE, classified); wrong with a rule naming
/// the error → that tag (RULE, the rule's confidence); otherwise wrong and PENDING for the LLM
/// (source LLM, no tag, the transcription confidence) — the reference's outcome.
pub fn judge(answer: &GradedAnswer<'_>) -> Judgement {
    let is_correct = answer.score >= CORRECT_SCORE;
    if is_correct {
        return Judgement {
            is_correct,
            error_tag_code: Some(tags::CORRECT),
            classifier_source: ClassifierSource::Rule,
            status: AttemptStatus::Classified,
            confidence: answer.confidence,
        };
    }
    if let Some(tag) = rule_tag(answer) {
        return Judgement {
            is_correct,
            error_tag_code: Some(tag.0),
            classifier_source: ClassifierSource::Rule,
            status: AttemptStatus::Classified,
            confidence: tag.1,
        };
    }
    Judgement {
        is_correct,
        error_tag_code: None,
        classifier_source: ClassifierSource::Llm,
        status: AttemptStatus::Pending,
        confidence: answer.confidence,
    }
}

/// The rule engine's error tag for a wrong answer, when it can read the numbers and names an
/// error (not CORRECT: the grader already said the answer is wrong; not UNCLASSIFIED).
fn rule_tag(answer: &GradedAnswer<'_>) -> Option<(&'static str, f64)> {
    let key = answer.strategy_key?;
    let (a, b) = operands(answer.statement_latex)?;
    let expected = number(answer.expected_answer?)?;
    let student = number(answer.steps.last()?)?;
    let input = AttemptInput {
        raw_steps: raw_steps(answer.steps),
        expected_answer: expected,
        student_answer: student,
        minuend: Operand::Value(a),
        subtrahend: Operand::Value(b),
    };
    let verdict = rules::classify(Some(key), &input);
    (!verdict.is_correct && !verdict.is_unclassified())
        .then_some((verdict.error_type, verdict.confidence))
}

/// Transcribed steps as rule-engine steps: `isFinal` only on the last.
pub fn raw_steps(steps: &[String]) -> Vec<RawStep> {
    let last = steps.len().saturating_sub(1);
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| RawStep {
            expression: s.clone(),
            is_final: i == last,
        })
        .collect()
}

/// The two operands of a one-operation statement (`53 - 26`, `$12 + 7 = ?$`, `6 \times 4`,
/// `20 \div 5`, `20 : 5`), or `None`.
pub fn operands(statement: &str) -> Option<(f64, f64)> {
    let cleaned = statement.replace('$', "");
    let lhs = cleaned.split('=').next()?.trim();
    for op in [
        "\\times", "\\div", "\\cdot", "+", "-", "×", "÷", ":", "*", "/",
    ] {
        if let Some((a, b)) = lhs.split_once(op) {
            return Some((number(a)?, number(b)?));
        }
    }
    None
}

/// The answer an exercise stores in its content: `expectedAnswer` (a number, the bank's items),
/// else `correct_answer_latex` or `final_answer` (text: generated and guide exercises).
#[derive(Debug, Clone, PartialEq)]
pub enum StoredAnswer {
    /// The exercise stores no answer: the client's `expectedAnswer` serves.
    None,
    /// A number (`expectedAnswer`, or a text that is a plain number).
    Number(f64),
    /// A text that is not a plain number (`\frac{11}{12}`, `x = 2`).
    Text(String),
}

/// The answer `content` stores ([`StoredAnswer`]).
pub fn stored_answer(content: &serde_json::Value) -> StoredAnswer {
    if let Some(n) = content
        .get("expectedAnswer")
        .and_then(serde_json::Value::as_f64)
    {
        return StoredAnswer::Number(n);
    }
    let text = ["correct_answer_latex", "final_answer"]
        .iter()
        .find_map(|k| content.get(*k).and_then(serde_json::Value::as_str))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match text {
        None => StoredAnswer::None,
        Some(t) => number(t).map_or_else(|| StoredAnswer::Text(t.to_owned()), StoredAnswer::Number),
    }
}

/// A plain number as written (`7`, ` 26 `, `3,5`, `-4`, `$12$`), or `None`.
pub fn number(text: &str) -> Option<f64> {
    let t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '$')
        .collect();
    let t = t.replace(',', ".");
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_answer_is_read_from_the_content() {
        use serde_json::json;
        assert_eq!(
            stored_answer(&json!({"prompt": "53 - 26 = ?", "expectedAnswer": 27})),
            StoredAnswer::Number(27.0)
        );
        assert_eq!(stored_answer(&json!({"prompt": "x"})), StoredAnswer::None);
        assert_eq!(
            stored_answer(&json!({"final_answer": " 35 "})),
            StoredAnswer::Number(35.0)
        );
        assert_eq!(
            stored_answer(&json!({"final_answer": ""})),
            StoredAnswer::None
        );
        assert_eq!(
            stored_answer(&json!({"correct_answer_latex": "\\frac{11}{12}", "final_answer": "7"})),
            StoredAnswer::Text("\\frac{11}{12}".into())
        );
        assert_eq!(
            stored_answer(&json!({"expectedAnswer": "27", "final_answer": "27"})),
            StoredAnswer::Number(27.0),
            "a string expectedAnswer is no number; the text fields still count"
        );
    }

    fn answer<'a>(score: f64, steps: &'a [String]) -> GradedAnswer<'a> {
        GradedAnswer {
            score,
            confidence: 0.9,
            strategy_key: Some("ARITH_SUB"),
            statement_latex: "53 - 26",
            expected_answer: Some("27"),
            steps,
        }
    }

    #[test]
    fn a_right_answer_is_correct_by_rule() {
        let steps = vec!["53 - 26 = 27".to_string(), "27".to_string()];
        let j = judge(&answer(1.0, &steps));
        assert_eq!(j.error_tag_code, Some("CORRECT"));
        assert_eq!(
            (j.is_correct, j.status, j.confidence),
            (true, AttemptStatus::Classified, 0.9)
        );
    }

    #[test]
    fn a_wrong_subtraction_is_named_by_the_rules() {
        // 53 - 26 answered 33: the smaller digit taken from the larger (no borrowing).
        let steps = vec!["33".to_string()];
        let j = judge(&answer(0.0, &steps));
        assert!(!j.is_correct);
        assert_eq!(j.classifier_source, ClassifierSource::Rule);
        assert!(
            j.error_tag_code
                .is_some_and(|c| c != "CORRECT" && c != "UNCLASSIFIED"),
            "{j:?}"
        );
    }

    #[test]
    fn what_the_rules_cannot_read_goes_to_the_llm() {
        let steps = vec!["\\frac{1}{2}".to_string()];
        let j = judge(&answer(0.2, &steps));
        assert_eq!(j.error_tag_code, None);
        assert!(j.needs_llm());
        let mut no_topic = answer(0.2, &steps);
        no_topic.strategy_key = None;
        assert!(judge(&no_topic).needs_llm());
    }

    #[test]
    fn a_score_just_below_the_bar_is_wrong() {
        let steps = vec!["27".to_string()];
        assert!(!judge(&answer(0.998, &steps)).is_correct);
        assert!(judge(&answer(0.999, &steps)).is_correct);
    }

    #[test]
    fn statements_and_numbers() {
        assert_eq!(operands("$53 - 26 = ?$"), Some((53.0, 26.0)));
        assert_eq!(operands("6 \\times 4"), Some((6.0, 4.0)));
        assert_eq!(operands("Resuelve: x + 2"), None);
        assert_eq!(number(" 3,5 "), Some(3.5));
        assert_eq!(number("x = 4"), None);
        let steps = raw_steps(&["a".into(), "b".into()]);
        assert_eq!((steps[0].is_final, steps[1].is_final), (false, true));
    }
}
