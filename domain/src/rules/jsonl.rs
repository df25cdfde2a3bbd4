//! The JSON-lines form of the engine used by `innova classify` (support staff answering "why was
//! this attempt tagged X").
//!
//! Input line: an object with `"strategy"` (a registry key, or `null` for "topic not found") and
//! the `POST /attempts` fields `rawSteps`, `expectedAnswer`, `studentAnswer`, `minuend`,
//! `subtrahend`; any other field is ignored. Output line: `{"isCorrect", "errorType",
//! "confidence"}` as [`classify`](super::classify) returns it, or `{"error": "<why>"}`.

use serde_json::{Map, Value};

use super::{AttemptInput, Classification, Operand, RawStep, classify};

/// A line the tool can read: the strategy key and the attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifyRequest {
    /// Registry key; `None` when the line says `"strategy": null`.
    pub strategy: Option<String>,
    /// The attempt fields.
    pub input: AttemptInput,
}

/// Parses one input line. The error names the offending field.
///
/// `expectedAnswer` and `studentAnswer` are required numbers; `rawSteps` defaults to `[]` and
/// `isFinal` to `false` (support staff often paste only the expressions); `minuend` and
/// `subtrahend` distinguish absent from `null` like the API (see [`Operand`]).
pub fn parse_line(line: &str) -> Result<ClassifyRequest, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(obj) = value else {
        return Err("expected a JSON object".to_owned());
    };
    let strategy = match obj.get("strategy") {
        None => return Err("missing field `strategy`".to_owned()),
        Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("`strategy` must be a string or null".to_owned()),
    };
    let input = AttemptInput {
        raw_steps: raw_steps(&obj)?,
        expected_answer: required_number(&obj, "expectedAnswer")?,
        student_answer: required_number(&obj, "studentAnswer")?,
        minuend: operand(&obj, "minuend")?,
        subtrahend: operand(&obj, "subtrahend")?,
    };
    Ok(ClassifyRequest { strategy, input })
}

/// Classifies one input line and renders the output line (without the newline).
pub fn classify_line(line: &str) -> String {
    match parse_line(line) {
        Ok(req) => {
            let c: Classification = classify(req.strategy.as_deref(), &req.input);
            // Struct order, independent of serde_json's map ordering feature.
            serde_json::to_string(&c).expect("classification serialises")
        }
        Err(why) => serde_json::json!({ "error": why }).to_string(),
    }
}

fn required_number(obj: &Map<String, Value>, field: &str) -> Result<f64, String> {
    match obj.get(field) {
        None => Err(format!("missing field `{field}`")),
        Some(v) => v
            .as_f64()
            .ok_or_else(|| format!("`{field}` must be a number")),
    }
}

fn operand(obj: &Map<String, Value>, field: &str) -> Result<Operand, String> {
    match obj.get(field) {
        None => Ok(Operand::Absent),
        Some(Value::Null) => Ok(Operand::Null),
        Some(v) => v
            .as_f64()
            .map(Operand::Value)
            .ok_or_else(|| format!("`{field}` must be a number or null")),
    }
}

fn raw_steps(obj: &Map<String, Value>) -> Result<Vec<RawStep>, String> {
    let Some(v) = obj.get("rawSteps") else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = v else {
        return Err("`rawSteps` must be an array".to_owned());
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let expression = item
                .get("expression")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("`rawSteps[{i}].expression` must be a string"))?;
            let is_final = match item.get("isFinal") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(format!("`rawSteps[{i}].isFinal` must be a boolean")),
            };
            Ok(RawStep {
                expression: expression.to_owned(),
                is_final,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_a_line() {
        let out = classify_line(
            r#"{"strategy":"ARITH_SUB","rawSteps":[{"expression":"53 - 26","isFinal":true}],
               "expectedAnswer":27,"studentAnswer":33,"minuend":53,"subtrahend":26,"studentId":"x"}"#,
        );
        assert_eq!(
            out,
            r#"{"isCorrect":false,"errorType":"ARITH_SUB_BORROW_OMITTED_TENS_G3","confidence":0.93}"#
        );
    }

    #[test]
    fn null_operand_is_present() {
        let req = parse_line(
            r#"{"strategy":"ARITH_DIV","expectedAnswer":21,"studentAnswer":22,"minuend":null,"subtrahend":4}"#,
        )
        .unwrap();
        assert_eq!(req.input.minuend, Operand::Null);
        assert_eq!(req.input.subtrahend, Operand::Value(4.0));
        assert!(req.input.raw_steps.is_empty());
    }

    #[test]
    fn reports_why_a_line_cannot_be_read() {
        let cases = [
            ("", "invalid JSON"),
            ("[1]", "expected a JSON object"),
            (
                r#"{"expectedAnswer":1,"studentAnswer":1}"#,
                "missing field `strategy`",
            ),
            (
                r#"{"strategy":1,"expectedAnswer":1,"studentAnswer":1}"#,
                "`strategy` must be",
            ),
            (
                r#"{"strategy":"X","studentAnswer":1}"#,
                "missing field `expectedAnswer`",
            ),
            (
                r#"{"strategy":"X","expectedAnswer":"1","studentAnswer":1}"#,
                "`expectedAnswer` must",
            ),
            (
                r#"{"strategy":"X","expectedAnswer":1,"studentAnswer":1,"minuend":"2"}"#,
                "`minuend`",
            ),
            (
                r#"{"strategy":"X","expectedAnswer":1,"studentAnswer":1,"rawSteps":{}}"#,
                "`rawSteps`",
            ),
            (
                r#"{"strategy":"X","expectedAnswer":1,"studentAnswer":1,"rawSteps":[{"isFinal":true}]}"#,
                "`rawSteps[0].expression`",
            ),
            (
                r#"{"strategy":"X","expectedAnswer":1,"studentAnswer":1,"rawSteps":[{"expression":"1","isFinal":1}]}"#,
                "`rawSteps[0].isFinal`",
            ),
        ];
        for (line, why) in cases {
            let err = parse_line(line).unwrap_err();
            assert!(err.contains(why), "{line:?}: {err}");
            let out: Value = serde_json::from_str(&classify_line(line)).unwrap();
            assert!(out["error"].as_str().unwrap().contains(why));
        }
    }

    #[test]
    fn null_strategy_is_the_fallback() {
        let wrong = classify_line(r#"{"strategy":null,"expectedAnswer":1,"studentAnswer":2}"#);
        assert_eq!(
            wrong,
            r#"{"isCorrect":false,"errorType":"UNCLASSIFIED","confidence":0.0}"#
        );
        let right = classify_line(r#"{"strategy":"NOPE","expectedAnswer":2,"studentAnswer":2}"#);
        assert_eq!(
            right,
            r#"{"isCorrect":true,"errorType":"CORRECT","confidence":1.0}"#
        );
    }
}
