//! Import of the error-tag catalogue (JSON Lines, data-model.md §6.1) — `innova import-catalog`.
//!
//! Every line is validated on its own; a bad line is rejected with its line number and the
//! reason, never silently skipped, and the good lines are imported. Blank lines and lines
//! starting with `//` are comments. Valid lines are upserted by code in batches
//! ([`error_tags::upsert_batch`]), all in one transaction.
//!
//! Difference from the reference importer (which never touched an existing row): an existing
//! code gets the line's content, so a corrected catalogue can be re-imported; its source and
//! status are kept, except that `--activate` promotes DRAFT tags to ACTIVE (§6.2).

use innova_domain::vocab::UnknownValue;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};
use sqlx::PgPool;

use super::enums::{ErrorSeverity, ErrorSource, ErrorStatus};
use super::error_tags::{self, NewErrorTag};
use super::{DbError, DbResult};

/// Rows per upsert statement.
const BATCH_SIZE: usize = 1000;

/// A rejected line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 1-based line number in the file.
    pub line: usize,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Lines in the file, comments and blank lines included.
    pub lines: usize,
    /// Blank and `//` comment lines.
    pub skipped: usize,
    pub inserted: u64,
    /// Existing codes whose content or status changed.
    pub updated: u64,
    /// Existing codes that were already identical.
    pub unchanged: u64,
    pub rejected: Vec<Rejection>,
    /// Tags per status in the whole catalogue after the import.
    pub by_status: Vec<(ErrorStatus, i64)>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} lines: {} inserted, {} updated, {} unchanged, {} rejected, {} blank/comment",
            self.lines,
            self.inserted,
            self.updated,
            self.unchanged,
            self.rejected.len(),
            self.skipped
        )?;
        for r in &self.rejected {
            writeln!(f, "  rejected line {}: {}", r.line, r.reason)?;
        }
        let statuses: Vec<String> = self
            .by_status
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        write!(f, "catalogue now: {}", statuses.join(", "))
    }
}

/// Reads and imports a catalogue file. A file that cannot be read (or is not UTF-8) is an error;
/// so is an empty `domains` table (the seed has not run).
pub async fn import_file(pool: &PgPool, path: &Path, activate: bool) -> DbResult<ImportReport> {
    let text = std::fs::read_to_string(path).map_err(|source| DbError::Io {
        path: path.to_owned(),
        source,
    })?;
    import_str(pool, &text, activate).await
}

/// Imports catalogue text (JSON Lines).
pub async fn import_str(pool: &PgPool, text: &str, activate: bool) -> DbResult<ImportReport> {
    let domains: HashMap<String, String> = sqlx::query_as("SELECT code, id FROM domains")
        .fetch_all(pool)
        .await?
        .into_iter()
        .collect();
    if domains.is_empty() {
        return Err(DbError::Precondition(
            "there are no domains: run `innova seed` before importing the catalogue".into(),
        ));
    }

    let parsed = parse(text, &domains);
    let mut report = ImportReport {
        lines: parsed.lines,
        skipped: parsed.skipped,
        rejected: parsed.rejected,
        ..ImportReport::default()
    };

    let mut tx = pool.begin().await?;
    for batch in parsed.tags.chunks(BATCH_SIZE) {
        let counts = error_tags::upsert_batch(&mut tx, batch, activate).await?;
        report.inserted += counts.inserted;
        report.updated += counts.updated;
        report.unchanged += counts.unchanged;
    }
    report.by_status = error_tags::count_by_status(&mut *tx).await?;
    tx.commit().await?;
    Ok(report)
}

/// The result of validating a whole file.
#[derive(Debug, Default)]
pub struct Parsed {
    pub lines: usize,
    pub skipped: usize,
    pub tags: Vec<NewErrorTag>,
    pub rejected: Vec<Rejection>,
}

/// Validates every line against the §6.1 rules; `domains` maps domain codes to ids.
pub fn parse(text: &str, domains: &HashMap<String, String>) -> Parsed {
    let mut parsed = Parsed::default();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        parsed.lines += 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with("//") {
            parsed.skipped += 1;
            continue;
        }
        match parse_line(line, domains) {
            Ok(tag) => {
                if let Some(first) = first_seen.get(&tag.code) {
                    parsed.rejected.push(Rejection {
                        line: line_no,
                        reason: format!("duplicate code {} (first on line {first})", tag.code),
                    });
                } else {
                    first_seen.insert(tag.code.clone(), line_no);
                    parsed.tags.push(tag);
                }
            }
            Err(reason) => parsed.rejected.push(Rejection {
                line: line_no,
                reason,
            }),
        }
    }
    parsed
}

/// Validates one line; the error lists every problem found, separated by `; `.
pub fn parse_line(line: &str, domains: &HashMap<String, String>) -> Result<NewErrorTag, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(obj) = value else {
        return Err("expected a JSON object".into());
    };
    let mut errors: Vec<String> = Vec::new();
    let mut f = Fields {
        obj: &obj,
        errors: &mut errors,
    };

    let code = f.required_string("code");
    if let Some(code) = &code
        && !is_valid_code(code)
    {
        f.errors.push(format!(
            "code: {code:?} is not DOMAIN_SUBDOMAIN_NAME (upper-case segments separated by \
             underscores, at least three)"
        ));
    }
    let name = f.required_string("name");
    let description = f.required_string("description");
    let domain_code = f.required_string("domain_code");
    let domain_id = domain_code.as_ref().and_then(|d| match domains.get(d) {
        Some(id) => Some(id.clone()),
        None => {
            f.errors.push(format!("domain_code: unknown domain {d:?}"));
            None
        }
    });
    let subdomain_code = f.required_string("subdomain_code");
    let severity = f.required_enum::<ErrorSeverity>("severity");
    let source = f
        .optional_enum::<ErrorSource>("source")
        .unwrap_or(ErrorSource::LlmGenerated);
    let status = f
        .optional_enum::<ErrorStatus>("status")
        .unwrap_or(ErrorStatus::Draft);
    let applicable_grades = f.grades("applicable_grades");
    let evidence_required = f.strings("evidence_required");
    let references = f.strings("references");
    let diagnostic_hint = f.optional_string("diagnostic_hint");
    let remediation = f.optional_string("remediation");
    let topic_scope = f.optional_string("topic_scope");

    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    // Every required field is Some when there were no errors.
    Ok(NewErrorTag {
        code: code.unwrap_or_default(),
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        domain_id,
        subdomain_code,
        topic_scope,
        severity: severity.unwrap_or(ErrorSeverity::Med),
        source,
        status,
        applicable_grades,
        evidence_required,
        diagnostic_hint,
        remediation,
        references,
    })
}

/// Three or more `_`-separated upper-case segments; the first two are a letter followed by
/// letters or digits, the rest starts with a letter and may contain further underscores
/// (`ARITH_SUB_BORROW_OMITTED_TENS_G3`).
pub fn is_valid_code(code: &str) -> bool {
    let mut parts = code.splitn(3, '_');
    let segment = |s: &str| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    let (Some(domain), Some(sub), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let mut rest_chars = rest.chars();
    segment(domain)
        && segment(sub)
        && rest_chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && rest_chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Field access that records every problem instead of stopping at the first. `null` counts as
/// absent for optional fields.
struct Fields<'a> {
    obj: &'a Map<String, Value>,
    errors: &'a mut Vec<String>,
}

impl Fields<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    fn required_string(&mut self, key: &str) -> Option<String> {
        match self.get(key) {
            None => {
                self.errors.push(format!("{key}: required"));
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.errors.push(format!("{key}: must not be empty"));
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.errors
                    .push(format!("{key}: expected a string, got {}", kind(other)));
                None
            }
        }
    }

    fn optional_string(&mut self, key: &str) -> Option<String> {
        match self.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.errors
                    .push(format!("{key}: expected a string, got {}", kind(other)));
                None
            }
        }
    }

    fn required_enum<T: std::str::FromStr<Err = UnknownValue>>(&mut self, key: &str) -> Option<T> {
        if self.get(key).is_none() {
            self.errors.push(format!("{key}: required"));
            return None;
        }
        self.optional_enum(key)
    }

    fn optional_enum<T: std::str::FromStr<Err = UnknownValue>>(&mut self, key: &str) -> Option<T> {
        match self.get(key)? {
            Value::String(s) => match s.parse() {
                Ok(v) => Some(v),
                Err(e) => {
                    let expected = e.expected.join(", ");
                    self.errors
                        .push(format!("{key}: expected one of {expected}, got {s:?}"));
                    None
                }
            },
            other => {
                self.errors
                    .push(format!("{key}: expected a string, got {}", kind(other)));
                None
            }
        }
    }

    fn grades(&mut self, key: &str) -> Vec<i32> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let Value::Array(items) = value else {
            self.errors
                .push(format!("{key}: expected an array of integers 1..12"));
            return Vec::new();
        };
        let mut grades = Vec::with_capacity(items.len());
        for item in items {
            match item.as_i64() {
                Some(g) if (1..=12).contains(&g) => grades.push(g as i32),
                _ => {
                    self.errors
                        .push(format!("{key}: {item} is not an integer 1..12"));
                    return Vec::new();
                }
            }
        }
        grades
    }

    fn strings(&mut self, key: &str) -> Vec<String> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let strings = match value {
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>(),
            _ => None,
        };
        strings.unwrap_or_else(|| {
            self.errors
                .push(format!("{key}: expected an array of strings"));
            Vec::new()
        })
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> HashMap<String, String> {
        [("ARITH".to_string(), "d-arith".to_string())]
            .into_iter()
            .collect()
    }

    #[test]
    fn codes_follow_the_domain_subdomain_name_convention() {
        for ok in [
            "ARITH_SUB_BORROW_OMITTED_TENS_G3",
            "ARITH_TRANSV_DIGIT_TRANSPOSITION",
            "A1_B2_C",
            "POW_ROOT_X_G12M",
        ] {
            assert!(is_valid_code(ok), "{ok}");
        }
        for bad in [
            "CORRECT",
            "ARITH_SUB",
            "arith_sub_x",
            "ARITH__X",
            "1A_B_C",
            "A_B_1C",
            "A_B-C_D",
            "A_B_C D",
        ] {
            assert!(!is_valid_code(bad), "{bad}");
        }
    }

    #[test]
    fn a_valid_line_gets_defaults() {
        let tag = parse_line(
            r#"{"code":"ARITH_ADD_X_G3","name":"n","description":"d","domain_code":"ARITH","subdomain_code":"ADD","severity":"LOW","applicable_grades":[3,4]}"#,
            &domains(),
        )
        .unwrap();
        assert_eq!(tag.domain_id.as_deref(), Some("d-arith"));
        assert_eq!(tag.source, ErrorSource::LlmGenerated);
        assert_eq!(tag.status, ErrorStatus::Draft);
        assert_eq!(tag.applicable_grades, [3, 4]);
        assert!(tag.references.is_empty());
    }

    #[test]
    fn every_problem_of_a_line_is_reported() {
        let err = parse_line(
            r#"{"code":"bad","name":"","domain_code":"NOPE","subdomain_code":"X","severity":"SEVERE","applicable_grades":[13],"references":"x"}"#,
            &domains(),
        )
        .unwrap_err();
        for part in [
            "code: \"bad\" is not",
            "name: must not be empty",
            "description: required",
            "domain_code: unknown domain \"NOPE\"",
            "severity: expected one of LOW, MED, HIGH, CRITICAL",
            "applicable_grades: 13 is not an integer 1..12",
            "references: expected an array of strings",
        ] {
            assert!(err.contains(part), "{part} missing from {err}");
        }
        assert!(
            parse_line("{not json", &domains())
                .unwrap_err()
                .starts_with("invalid JSON")
        );
        assert_eq!(
            parse_line("[1]", &domains()).unwrap_err(),
            "expected a JSON object"
        );
    }

    #[test]
    fn comments_blank_lines_and_duplicates() {
        let line = r#"{"code":"ARITH_ADD_X_G3","name":"n","description":"d","domain_code":"ARITH","subdomain_code":"ADD","severity":"LOW"}"#;
        let text = format!("// header\n\n{line}\n{line}\n");
        let parsed = parse(&text, &domains());
        assert_eq!(parsed.lines, 4);
        assert_eq!(parsed.skipped, 2);
        assert_eq!(parsed.tags.len(), 1);
        assert_eq!(
            parsed.rejected,
            [Rejection {
                line: 4,
                reason: "duplicate code ARITH_ADD_X_G3 (first on line 3)".into()
            }]
        );
    }
}
