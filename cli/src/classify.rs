//! `innova classify`: runs the rule engine over JSON Lines, one result line per input line.
//!
//! Each input line is an object with `"strategy"` (a registry key such as `"ARITH_SUB"`, or
//! `null`) and the `POST /attempts` fields (`rawSteps`, `expectedAnswer`, `studentAnswer`,
//! `minuend`, `subtrahend`; others ignored). Each output line is
//! `{"isCorrect": bool, "errorType": string, "confidence": number}`, or `{"error": "<why>"}` for
//! a line that cannot be read; processing goes on after such a line so outputs stay aligned
//! with inputs.

use std::io::{BufRead, Write};

use innova_domain::rules::jsonl::classify_line;

/// Classifies every line of `input` and writes the results to `output`, in order.
pub fn run(mut input: impl BufRead, mut output: impl Write) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let result = match std::str::from_utf8(line) {
            Ok(text) => classify_line(text),
            Err(e) => serde_json::json!({ "error": format!("line is not UTF-8: {e}") }).to_string(),
        };
        writeln!(output, "{result}")?;
    }
    output.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_on(input: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        run(input, &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn one_result_per_line_in_order() {
        let input = concat!(
            r#"{"strategy":"ARITH_SUB","rawSteps":[],"expectedAnswer":27,"studentAnswer":33,"minuend":53,"subtrahend":26}"#,
            "\n",
            "not json\r\n",
            r#"{"strategy":"POW_POWER","rawSteps":[{"expression":"12^3 • 2^2","isFinal":true}],"expectedAnswer":6912,"studentAnswer":64}"#,
            "\n",
            "\n",
            r#"{"strategy":"GEOM_TRI","expectedAnswer":3,"studentAnswer":3,"topicCode":"X"}"#,
        );
        let lines = run_on(input.as_bytes());
        assert_eq!(lines.len(), 5);
        assert_eq!(
            lines[0],
            r#"{"isCorrect":false,"errorType":"ARITH_SUB_BORROW_OMITTED_TENS_G3","confidence":0.93}"#
        );
        assert!(
            lines[1].starts_with(r#"{"error":"invalid JSON"#),
            "{}",
            lines[1]
        );
        assert_eq!(
            lines[2],
            r#"{"isCorrect":false,"errorType":"POW_POWER_PRODUCT_MULTIPLIES_EXPONENTS_G8","confidence":0.9}"#
        );
        assert!(
            lines[3].starts_with(r#"{"error":"#),
            "blank line: {}",
            lines[3]
        );
        assert_eq!(
            lines[4],
            r#"{"isCorrect":true,"errorType":"CORRECT","confidence":1.0}"#
        );
    }

    #[test]
    fn invalid_utf8_is_reported_and_processing_continues() {
        let mut input = b"\xff\xfe\n".to_vec();
        input.extend_from_slice(br#"{"strategy":null,"expectedAnswer":1,"studentAnswer":2}"#);
        let lines = run_on(&input);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("not UTF-8"));
        assert_eq!(
            lines[1],
            r#"{"isCorrect":false,"errorType":"UNCLASSIFIED","confidence":0.0}"#
        );
    }

    #[test]
    fn empty_input_writes_nothing() {
        assert!(run_on(b"").is_empty());
    }
}
