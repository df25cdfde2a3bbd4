//! The error-tag repository.

use innova_core::db::enums::{ErrorSeverity, ErrorSource, ErrorStatus};
use innova_core::db::error_tags::{self, NewErrorTag};
use innova_core::db::{DbError, curriculum};
use innova_testkit::seeded_db;
use sqlx::Executor;

#[tokio::test]
async fn lookups_and_null_arrays() {
    let db = seeded_db().await;
    let correct = error_tags::by_code(&db.pool, "CORRECT")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        error_tags::by_id(&db.pool, &correct.id)
            .await
            .unwrap()
            .as_ref(),
        Some(&correct)
    );
    assert_eq!(
        error_tags::id_by_code(&db.pool, "CORRECT").await.unwrap(),
        Some(correct.id.clone())
    );
    assert_eq!(
        error_tags::id_by_code(&db.pool, "NOPE").await.unwrap(),
        None
    );
    assert_eq!(
        (correct.severity, correct.status, correct.source),
        (
            ErrorSeverity::Low,
            ErrorStatus::Active,
            ErrorSource::Curated
        )
    );

    // The reference's list columns are nullable: NULL reads as an empty list.
    db.pool
        .execute("UPDATE error_tags SET applicable_grades = NULL, evidence_required = NULL, \"references\" = NULL WHERE code = 'CORRECT'")
        .await
        .unwrap();
    let read = error_tags::by_code(&db.pool, "CORRECT")
        .await
        .unwrap()
        .unwrap();
    assert!(
        read.applicable_grades.is_empty()
            && read.evidence_required.is_empty()
            && read.references.is_empty()
    );

    let arith = curriculum::domain_by_code(&db.pool, "ARITH")
        .await
        .unwrap()
        .unwrap();
    let sub: Vec<String> = error_tags::active_for(&db.pool, &arith.id, Some("SUB"))
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.code)
        .collect();
    assert_eq!(sub.len(), 5);
    assert!(sub.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        error_tags::active_for(&db.pool, &arith.id, None)
            .await
            .unwrap()
            .len(),
        11
    );
}

#[tokio::test]
async fn insert_status_and_deprecation() {
    let db = seeded_db().await;
    let arith = curriculum::domain_by_code(&db.pool, "ARITH")
        .await
        .unwrap()
        .unwrap();
    let tag = error_tags::insert(
        &db.pool,
        &NewErrorTag {
            code: "ARITH_SUB_NEW_G3".into(),
            name: "Nuevo".into(),
            description: "d".into(),
            domain_id: Some(arith.id),
            subdomain_code: Some("SUB".into()),
            topic_scope: None,
            severity: ErrorSeverity::Critical,
            source: ErrorSource::FieldReported,
            status: ErrorStatus::Draft,
            applicable_grades: vec![3],
            evidence_required: vec!["e".into()],
            diagnostic_hint: Some("h".into()),
            remediation: Some("r".into()),
            references: vec!["ref".into()],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (tag.severity, tag.applicable_grades.as_slice()),
        (ErrorSeverity::Critical, &[3][..])
    );

    let active = error_tags::set_status(&db.pool, "ARITH_SUB_NEW_G3", ErrorStatus::Active)
        .await
        .unwrap();
    assert_eq!(active.status, ErrorStatus::Active);
    assert!(active.updated_at >= tag.updated_at);
    let missing = error_tags::set_status(&db.pool, "NOPE", ErrorStatus::Active)
        .await
        .unwrap_err();
    assert!(matches!(
        missing,
        DbError::NotFound {
            entity: "error tag",
            ..
        }
    ));

    let old = error_tags::deprecate(
        &db.pool,
        "ARITH_SUB_BORROW_FROM_ZERO_G3",
        "ARITH_SUB_NEW_G3",
    )
    .await
    .unwrap();
    assert_eq!(
        (old.status, old.deprecated_by_id.as_deref()),
        (ErrorStatus::Deprecated, Some(tag.id.as_str()))
    );
    assert!(matches!(
        error_tags::deprecate(&db.pool, "ARITH_SUB_NEW_G3", "NOPE")
            .await
            .unwrap_err(),
        DbError::NotFound { .. }
    ));
    assert!(matches!(
        error_tags::deprecate(&db.pool, "NOPE", "NOPE")
            .await
            .unwrap_err(),
        DbError::Invalid { .. }
    ));
    let counts = error_tags::count_by_status(&db.pool).await.unwrap();
    assert_eq!(
        counts,
        [
            (ErrorStatus::Active, 17),
            (ErrorStatus::Draft, 0),
            (ErrorStatus::Deprecated, 1)
        ]
    );
}
