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

/// The admin browse: keyset pages in code order, each filter, the counts, the status change.
#[tokio::test]
async fn admin_browse_pages_filters_counts_and_status_change() {
    let db = seeded_db().await;
    let all: Vec<String> = sqlx::query_scalar("SELECT code FROM error_tags ORDER BY code")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert!(all.len() > 10);
    let none = error_tags::TagFilter::default();
    let codes = |rows: Vec<error_tags::AdminTagRow>| -> Vec<String> {
        rows.into_iter().map(|r| r.code).collect()
    };

    // Keyset pages, strictly after the cursor; a cursor that is no code yields nothing.
    let first = error_tags::browse(&db.pool, &none, None, 5).await.unwrap();
    assert_eq!(codes(first), all[..5]);
    let second = error_tags::browse(&db.pool, &none, Some(&all[4]), 5)
        .await
        .unwrap();
    assert_eq!(codes(second), all[5..10]);
    let last = error_tags::browse(&db.pool, &none, Some(&all[all.len() - 1]), 5)
        .await
        .unwrap();
    assert!(last.is_empty());
    let unknown = error_tags::browse(&db.pool, &none, Some("AAA_NOT_A_CODE"), 5)
        .await
        .unwrap();
    assert!(unknown.is_empty());
    assert_eq!(
        error_tags::count_filtered(&db.pool, &none).await.unwrap(),
        all.len() as i64
    );

    // The admin view carries the domain.
    let sub = error_tags::admin_by_code(&db.pool, "ARITH_SUB_BORROW_FROM_ZERO_G3")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.domain_code.as_deref(), Some("ARITH"));
    assert!(sub.domain_name.is_some());
    let correct = error_tags::admin_by_code(&db.pool, "CORRECT")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((correct.domain_code, correct.domain_name), (None, None));

    // Filters, each against the same question asked in SQL.
    let expect = |sql: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(sql)
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    let arith = error_tags::TagFilter {
        domain_code: Some("ARITH".into()),
        ..Default::default()
    };
    let arith_codes = expect(
        "SELECT t.code FROM error_tags t JOIN domains d ON d.id = t.domain_id
         WHERE d.code = 'ARITH' ORDER BY t.code",
    )
    .await;
    assert!(!arith_codes.is_empty() && arith_codes.len() < all.len());
    assert_eq!(
        codes(
            error_tags::browse(&db.pool, &arith, None, 100)
                .await
                .unwrap()
        ),
        arith_codes
    );
    assert_eq!(
        error_tags::count_filtered(&db.pool, &arith).await.unwrap(),
        arith_codes.len() as i64
    );
    let borrow = error_tags::TagFilter {
        q: Some("bOrRoW".into()),
        ..Default::default()
    };
    let borrow_codes = expect(
        "SELECT code FROM error_tags
         WHERE code ILIKE '%borrow%' OR name ILIKE '%borrow%' OR description ILIKE '%borrow%'
         ORDER BY code",
    )
    .await;
    assert!(!borrow_codes.is_empty());
    assert_eq!(
        codes(
            error_tags::browse(&db.pool, &borrow, None, 100)
                .await
                .unwrap()
        ),
        borrow_codes
    );
    // `%` and `_` are plain characters, not patterns.
    let percent = error_tags::TagFilter {
        q: Some("%".into()),
        ..Default::default()
    };
    assert_eq!(
        error_tags::count_filtered(&db.pool, &percent)
            .await
            .unwrap(),
        0
    );
    let nowhere = error_tags::TagFilter {
        domain_code: Some("NOPE".into()),
        ..Default::default()
    };
    assert_eq!(
        error_tags::count_filtered(&db.pool, &nowhere)
            .await
            .unwrap(),
        0
    );

    // Domains: every one, by code, counting tags of any status.
    let domains = error_tags::count_by_domain(&db.pool).await.unwrap();
    assert!(domains.windows(2).all(|w| w[0].code < w[1].code));
    let with_domain: i64 =
        sqlx::query_scalar("SELECT count(*) FROM error_tags WHERE domain_id IS NOT NULL")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(domains.iter().map(|d| d.count).sum::<i64>(), with_domain);
    assert_eq!(
        domains.iter().find(|d| d.code == "ARITH").unwrap().count,
        arith_codes.len() as i64
    );

    // The status change: unknown code → None; same status → nothing written; a change is seen
    // by the status filter and the counts.
    assert_eq!(
        error_tags::set_status_admin(&db.pool, "NOPE", ErrorStatus::Draft)
            .await
            .unwrap(),
        None
    );
    let code = "ARITH_SUB_BORROW_FROM_ZERO_G3";
    let before = error_tags::by_code(&db.pool, code).await.unwrap().unwrap();
    let same = error_tags::set_status_admin(&db.pool, code, before.status)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(same, sub);
    assert_eq!(
        error_tags::by_code(&db.pool, code)
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        before.updated_at
    );
    let drafts_before = error_tags::count_by_status(&db.pool).await.unwrap()[1].1;
    let drafted = error_tags::set_status_admin(&db.pool, code, ErrorStatus::Draft)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (drafted.status, drafted.domain_code.as_deref()),
        (ErrorStatus::Draft, Some("ARITH"))
    );
    assert_eq!(
        error_tags::count_by_status(&db.pool).await.unwrap()[1],
        (ErrorStatus::Draft, drafts_before + 1)
    );
    let drafts = error_tags::TagFilter {
        status: Some(ErrorStatus::Draft),
        ..Default::default()
    };
    assert!(
        codes(
            error_tags::browse(&db.pool, &drafts, None, 100)
                .await
                .unwrap()
        )
        .contains(&code.to_owned())
    );
    let deprecated = error_tags::TagFilter {
        status: Some(ErrorStatus::Deprecated),
        source: Some(ErrorSource::Curated),
        ..Default::default()
    };
    assert!(
        !codes(
            error_tags::browse(&db.pool, &deprecated, None, 100)
                .await
                .unwrap()
        )
        .contains(&code.to_owned())
    );
}
