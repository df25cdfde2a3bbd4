//! `innova import-catalog`: a generated 2,600-line catalogue with malformed lines mixed in.

use std::fmt::Write;

use innova_core::db::catalog::{self, Rejection};
use innova_core::db::enums::{ErrorSource, ErrorStatus};
use innova_core::db::{DbError, error_tags};
use innova_testkit::{fresh_db, seeded_db};

const DOMAINS: [&str; 17] = [
    "ARITH", "INT", "FRACT", "DEC", "RATIO", "ALGEBRA", "POW", "FUNC", "GEOM", "GEOM3D", "TRIG",
    "STAT", "DATA", "LOG", "SEQ", "COORD", "TRANSV",
];

fn good_line(i: usize) -> String {
    let domain = DOMAINS[i % DOMAINS.len()];
    let grade = 1 + i % 12;
    let severity = ["LOW", "MED", "HIGH", "CRITICAL"][i % 4];
    serde_json::json!({
        "code": format!("{domain}_GEN_CASE{i}_G{grade}"),
        "name": format!("Error generado {i}"),
        "description": format!("Descripción del error {i}"),
        "domain_code": domain,
        "subdomain_code": "GEN",
        "severity": severity,
        "applicable_grades": [grade],
        "evidence_required": ["paso", "resultado"],
        "references": ["Bases curriculares"],
        "diagnostic_hint": "Revisar el paso",
        "topic_scope": null,
    })
    .to_string()
}

/// 2,600 lines: a header comment, a blank line, 6 malformed lines at known places, and one
/// line that repeats an earlier code; the rest valid. Returns the text, the expected
/// rejections (line numbers) and the number of valid lines.
fn catalogue() -> (String, Vec<usize>, usize) {
    let mut text = String::new();
    let mut bad = Vec::new();
    let mut good = 0;
    for line_no in 1..=2600 {
        let line = match line_no {
            1 => "// generated catalogue".to_string(),
            2 => String::new(),
            100 => "{\"code\": \"ARITH_BROKEN_X\", ".to_string(),
            500 => r#"{"code":"NOPE_GEN_CASE500_G9","name":"n","description":"d","domain_code":"NOPE","subdomain_code":"GEN","severity":"LOW"}"#.to_string(),
            900 => good_line(899).replace("\"LOW\"", "\"SEVERE\"").replace("\"MED\"", "\"SEVERE\"").replace("\"HIGH\"", "\"SEVERE\"").replace("\"CRITICAL\"", "\"SEVERE\""),
            1300 => "[\"not an object\"]".to_string(),
            1700 => good_line(1699).replace("CASE1699", "case1699"),
            2100 => good_line(2099).replace("\"applicable_grades\":[", "\"applicable_grades\":[0,"),
            2500 => good_line(10),
            n => {
                good += 1;
                good_line(n)
            }
        };
        if matches!(line_no, 100 | 500 | 900 | 1300 | 1700 | 2100 | 2500) {
            bad.push(line_no);
        }
        writeln!(text, "{line}").unwrap();
    }
    (text, bad, good)
}

#[tokio::test]
async fn imports_the_good_lines_and_reports_each_bad_one() {
    let db = seeded_db().await;
    let (text, bad_lines, good) = catalogue();
    let report = catalog::import_str(&db.pool, &text, false).await.unwrap();

    assert_eq!(report.lines, 2600);
    assert_eq!(report.skipped, 2);
    assert_eq!(report.inserted as usize, good);
    assert_eq!((report.updated, report.unchanged), (0, 0));
    let lines: Vec<usize> = report.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, bad_lines);
    let reason = |line| {
        &report
            .rejected
            .iter()
            .find(|r: &&Rejection| r.line == line)
            .unwrap()
            .reason
    };
    assert!(reason(100).starts_with("invalid JSON"), "{}", reason(100));
    assert_eq!(reason(500), "domain_code: unknown domain \"NOPE\"");
    assert!(reason(900).starts_with("severity: expected one of LOW, MED, HIGH, CRITICAL"));
    assert_eq!(reason(1300), "expected a JSON object");
    assert!(
        reason(1700).starts_with("code: \"TRANSV_GEN_case1699_G8\" is not"),
        "{}",
        reason(1700)
    );
    assert!(reason(2100).starts_with("applicable_grades: 0 is not an integer"));
    assert_eq!(
        reason(2500),
        "duplicate code TRIG_GEN_CASE10_G11 (first on line 10)"
    );
    assert_eq!(
        report.by_status,
        [
            (ErrorStatus::Active, 17),
            (ErrorStatus::Draft, good as i64),
            (ErrorStatus::Deprecated, 0)
        ]
    );

    let tag = error_tags::by_code(&db.pool, "ARITH_GEN_CASE17_G6")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (tag.source, tag.status),
        (ErrorSource::LlmGenerated, ErrorStatus::Draft)
    );
    assert_eq!(tag.applicable_grades, [6]);
    assert_eq!(tag.evidence_required, ["paso", "resultado"]);
    assert_eq!(tag.references, ["Bases curriculares"]);
    assert_eq!(tag.topic_scope, None);
    assert!(
        report
            .to_string()
            .contains("rejected line 500: domain_code: unknown domain")
    );

    // Importing the same file again changes nothing.
    let again = catalog::import_str(&db.pool, &text, false).await.unwrap();
    assert_eq!(
        (again.inserted, again.updated, again.unchanged as usize),
        (0, 0, good)
    );
    assert_eq!(
        error_tags::by_code(&db.pool, "ARITH_GEN_CASE17_G6")
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        tag.updated_at
    );

    // --activate promotes every DRAFT tag of the file.
    let activated = catalog::import_str(&db.pool, &text, true).await.unwrap();
    assert_eq!((activated.inserted, activated.updated as usize), (0, good));
    assert_eq!(
        activated.by_status[0],
        (ErrorStatus::Active, 17 + good as i64)
    );
}

#[tokio::test]
async fn existing_codes_get_new_content_but_keep_source_and_status() {
    let db = seeded_db().await;
    let line = serde_json::json!({
        "code": "ARITH_SUB_BORROW_OMITTED_TENS_G3",
        "name": "Préstamo omitido en decenas",
        "description": "Nueva descripción",
        "domain_code": "ARITH",
        "subdomain_code": "SUB",
        "severity": "HIGH",
        "status": "DRAFT",
        "applicable_grades": [3, 4],
    });
    let new = serde_json::json!({
        "code": "ARITH_SUB_NEW_ONE_G3", "name": "n", "description": "d", "domain_code": "ARITH",
        "subdomain_code": "SUB", "severity": "LOW", "status": "DEPRECATED", "source": "CURATED",
    });
    let report = catalog::import_str(&db.pool, &format!("{line}\n{new}\n"), true)
        .await
        .unwrap();
    assert_eq!(
        (report.inserted, report.updated, report.unchanged),
        (1, 1, 0)
    );

    let tag = error_tags::by_code(&db.pool, "ARITH_SUB_BORROW_OMITTED_TENS_G3")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tag.name, "Préstamo omitido en decenas");
    assert_eq!(tag.applicable_grades, [3, 4]);
    assert_eq!(
        (tag.source, tag.status),
        (ErrorSource::Curated, ErrorStatus::Active)
    );
    assert!(tag.updated_at >= tag.created_at);

    // New rows take the line's source; --activate makes them ACTIVE.
    let created = error_tags::by_code(&db.pool, "ARITH_SUB_NEW_ONE_G3")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (created.source, created.status),
        (ErrorSource::Curated, ErrorStatus::Active)
    );
}

#[tokio::test]
async fn an_unreadable_file_is_an_error() {
    let db = seeded_db().await;
    let path = std::path::Path::new("/nonexistent/catalog.jsonl");
    let err = catalog::import_file(&db.pool, path, false)
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::Io { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("cannot read /nonexistent/catalog.jsonl")
    );
}

#[tokio::test]
async fn importing_before_the_seed_is_refused() {
    let db = fresh_db().await;
    let err = catalog::import_str(&db.pool, &good_line(1), false)
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::Precondition(_)), "{err:?}");
    assert!(err.to_string().contains("innova seed"));
}
