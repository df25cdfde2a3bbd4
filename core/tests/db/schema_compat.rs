//! The migrated schema is exactly the reference schema (core/src/db/expected_schema.txt, written
//! from data-model.md): tables, columns, types, nullability, defaults, keys, indexes, foreign
//! keys, enums and row-level security.

use innova_core::db::{migrate, schema};
use innova_testkit::{admin_connection, empty_db, fresh_db};
use sqlx::Executor;

#[tokio::test]
async fn migrated_schema_matches_the_reference() {
    let db = fresh_db().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let diff = schema::check(&mut conn).await.unwrap();
    assert!(
        diff.is_empty(),
        "the migrated schema drifted from the reference:\n{diff}"
    );

    // The comparison is only as good as the reader: the catalogue really holds everything.
    let actual = schema::read_catalog(&mut conn).await.unwrap();
    let count = |kind| actual.items.keys().filter(|k| k.kind == kind).count();
    assert_eq!(count(schema::Kind::Table), 38);
    assert_eq!(count(schema::Kind::Enum), 7);
    assert_eq!(
        count(schema::Kind::Policy),
        0,
        "no policies without an auth schema"
    );
}

#[tokio::test]
async fn drift_is_reported_readably() {
    let db = fresh_db().await;
    db.pool
        .execute(
            "ALTER TABLE users ALTER COLUMN locale SET DEFAULT 'en';
             ALTER TABLE attempts DROP COLUMN llm_job_id;
             CREATE INDEX attempts_status_idx ON attempts (status);
             ALTER TYPE \"ErrorStatus\" ADD VALUE 'RETIRED';",
        )
        .await
        .unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let diff = schema::check(&mut conn).await.unwrap();
    assert_eq!(
        diff.differences,
        [
            "enum ErrorStatus differs: expected `enum ErrorStatus: ACTIVE, DRAFT, DEPRECATED`, \
             found `enum ErrorStatus: ACTIVE, DRAFT, DEPRECATED, RETIRED`",
            "missing column attempts.llm_job_id",
            "column users.locale differs: expected `column locale text not null default \
             'es-CL'::text`, found `column locale text not null default 'en'::text`",
            "unexpected index attempts_status_idx",
        ]
    );
    let text = diff.unified_diff();
    assert!(text.contains("-  column llm_job_id text"), "{text}");
    assert!(
        text.contains("+  index attempts_status_idx (status)"),
        "{text}"
    );
}

/// On Supabase (an `auth` schema exists) the migration also creates the helper functions and
/// the 23 policies, and they can actually be evaluated by a client role.
#[tokio::test]
async fn with_an_auth_schema_the_rls_policies_exist_and_evaluate() {
    let db = empty_db().await;
    db.pool
        .execute(
            "CREATE SCHEMA auth;
             CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS
             $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;",
        )
        .await
        .unwrap();
    migrate::run(&db.pool).await.unwrap();
    let mut conn = db.pool.acquire().await.unwrap();
    let diff = schema::check(&mut conn).await.unwrap();
    assert!(diff.is_empty(), "{diff}");
    let policies: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_policies")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(policies, 23);

    // A non-owner role, as PostgREST would use (roles are cluster-wide: create it once).
    let mut admin = admin_connection().await;
    admin
        .execute(
            "DO $$ BEGIN CREATE ROLE innova_rls_probe NOLOGIN;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
        )
        .await
        .unwrap();
    conn.execute(
        "GRANT USAGE ON SCHEMA public, auth TO innova_rls_probe;
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO innova_rls_probe;
         INSERT INTO users (id, supabase_uid, email, updated_at) VALUES
           ('u-t', '00000000-0000-0000-0000-000000000001', 't@x', now()),
           ('u-s1', '00000000-0000-0000-0000-000000000011', 's1@x', now()),
           ('u-s2', '00000000-0000-0000-0000-000000000012', 's2@x', now());
         INSERT INTO teachers (id, user_id) VALUES ('t1', 'u-t');
         INSERT INTO students (id, user_id, display_name) VALUES ('s1', 'u-s1', 'S1'), ('s2', 'u-s2', 'S2');
         INSERT INTO organizations (id, name) VALUES ('o', 'O');
         INSERT INTO schools (id, organization_id, name) VALUES ('sc', 'o', 'Sc');
         INSERT INTO subjects (id, code, name) VALUES ('m', 'MATH', 'M');
         INSERT INTO courses (id, school_id, subject_id, name, grade_level, academic_year)
           VALUES ('c1', 'sc', 'm', 'C1', 7, 2026), ('c2', 'sc', 'm', 'C2', 7, 2026);
         INSERT INTO course_teachers (course_id, teacher_id) VALUES ('c1', 't1');
         INSERT INTO enrollments (id, course_id, student_id) VALUES ('e1', 'c1', 's1'), ('e2', 'c2', 's2');",
    )
    .await
    .unwrap();

    // (role claim, sub) → visible students, courses, teachers
    let cases = [
        ("teacher", "00000000-0000-0000-0000-000000000001", 1, 1, 1),
        ("student", "00000000-0000-0000-0000-000000000011", 1, 1, 1),
        ("student", "00000000-0000-0000-0000-000000000012", 1, 1, 0),
    ];
    for (role, sub, students, courses, teachers) in cases {
        let mut tx = db.pool.begin().await.unwrap();
        let claims = format!(r#"{{"app_metadata":{{"role":"{role}"}}}}"#);
        sqlx::query("SELECT set_config('request.jwt.claims', $1, true), set_config('request.jwt.claim.sub', $2, true)")
            .bind(&claims)
            .bind(sub)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.execute("SET LOCAL ROLE innova_rls_probe").await.unwrap();
        let mut seen = Vec::new();
        for table in ["students", "courses", "teachers", "users"] {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(&mut *tx)
                .await
                .unwrap_or_else(|e| panic!("{role} {sub} reading {table}: {e}"));
            seen.push(n);
        }
        assert_eq!(seen, [students, courses, teachers, 1], "{role} {sub}");
        tx.rollback().await.unwrap();
    }
}
