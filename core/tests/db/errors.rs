//! Constraint violations come back as domain errors naming the field.

use innova_core::db::curriculum::{self, NewTopic};
use innova_core::db::enums::{ErrorSeverity, ErrorSource, ErrorStatus};
use innova_core::db::error_tags::{self, NewErrorTag};
use innova_core::db::{DbError, seed, users};
use innova_domain::ids::{CourseId, StudentId};
use innova_testkit::seeded_db;
use sqlx::Executor;

fn tag(code: &str) -> NewErrorTag {
    NewErrorTag {
        code: code.into(),
        name: "n".into(),
        description: "d".into(),
        domain_id: None,
        subdomain_code: None,
        topic_scope: None,
        severity: ErrorSeverity::Low,
        source: ErrorSource::Curated,
        status: ErrorStatus::Active,
        applicable_grades: vec![],
        evidence_required: vec![],
        diagnostic_hint: None,
        remediation: None,
        references: vec![],
    }
}

#[tokio::test]
async fn a_duplicate_is_a_conflict_naming_the_field() {
    let db = seeded_db().await;
    let err = error_tags::insert(&db.pool, &tag("CORRECT"))
        .await
        .unwrap_err();
    match &err {
        DbError::Conflict { field, message } => {
            assert_eq!(field, "code");
            assert_eq!(message, "code already exists");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(err.is_client_error());

    // A composite unique index names every column.
    let arith = curriculum::domain_by_code(&db.pool, "ARITH")
        .await
        .unwrap()
        .unwrap();
    let unit = curriculum::units_of_curriculum(&db.pool, seed::CURRICULUM_ID)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.code == "ARITH")
        .unwrap();
    let err = curriculum::insert_topic(
        &db.pool,
        &NewTopic {
            unit_id: unit.id,
            domain_id: Some(arith.id),
            code: "SUB".into(),
            name: "again".into(),
            ..NewTopic::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, DbError::Conflict { field, .. } if field == "unitId, code"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_dangling_reference_is_a_missing_reference_naming_the_field() {
    let db = seeded_db().await;
    let err = curriculum::insert_topic(
        &db.pool,
        &NewTopic {
            unit_id: "no-such-unit".into(),
            code: "X".into(),
            name: "x".into(),
            ..NewTopic::default()
        },
    )
    .await
    .unwrap_err();
    match &err {
        DbError::MissingReference { field } => assert_eq!(field, "unitId"),
        other => panic!("expected a missing reference, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "unitId references a row that does not exist"
    );

    let err = users::enroll(
        &db.pool,
        &CourseId::new("no-such-course"),
        &StudentId::new(seed::STUDENT_IDS[0]),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, DbError::MissingReference { field } if field == "courseId"),
        "{err:?}"
    );
}

#[tokio::test]
async fn deleting_a_referenced_row_is_a_conflict() {
    let db = seeded_db().await;
    let err: DbError = db
        .pool
        .execute("DELETE FROM courses WHERE id = 'seed-course-001'")
        .await
        .unwrap_err()
        .into();
    match &err {
        DbError::Conflict { message, .. } => {
            assert!(message.starts_with("still referenced by"), "{message}")
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn other_refusals_are_invalid_or_other() {
    let db = seeded_db().await;
    let err: DbError = db
        .pool
        .execute("INSERT INTO domains (id, code) VALUES ('d', 'X')")
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(&err, DbError::Invalid { field, .. } if field == "name"),
        "{err:?}"
    );

    let err: DbError = db
        .pool
        .execute("UPDATE error_tags SET status = 'NOPE' WHERE code = 'CORRECT'")
        .await
        .unwrap_err()
        .into();
    assert!(matches!(err, DbError::Invalid { .. }), "{err:?}");

    let err: DbError = db
        .pool
        .execute("SELECT * FROM no_such_table")
        .await
        .unwrap_err()
        .into();
    assert!(matches!(err, DbError::Other(_)), "{err:?}");
    assert!(!err.is_client_error());
}
