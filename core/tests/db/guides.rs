//! Guides, teacher side: the guide row (insert, lock, status, metadata, list), questions
//! (classification, review status, exercise link), answer-key versions, publishing's
//! assignment, and the teacher's reads of submissions (latest tries, effective tags, override).

use innova_core::db::guides::{
    self, Classification, GuideFilter, GuidePatch, GuideQuestionStatus, GuideStatus, NewGuide,
    NewSolution, QuestionPatch, SolutionSource,
};
use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_core::db::{self, DbError};
use innova_domain::ids::{CourseId, ExerciseId, GuideId, QuestionId, SubmissionId, TeacherId};
use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
use innova_testkit::seeded_db;
use serde_json::json;
use std::sync::LazyLock;

const TAG: &str = "ARITH_SUB_BORROW_OMITTED_TENS_G3";
const OTHER_TAG: &str = "ARITH_SUB_BORROW_FROM_ZERO_G3";

static COURSE: LazyLock<CourseId> = LazyLock::new(|| COURSE_ID.into());
static TEACHER: LazyLock<TeacherId> = LazyLock::new(|| TEACHER_ID.into());

fn new_guide<'a>(title: &'a str) -> NewGuide<'a> {
    NewGuide {
        course_id: &COURSE,
        created_by_teacher_id: &TEACHER,
        title,
        description: Some("Restas"),
        source_pdf_key: "guides/uploads/k.pdf",
        due_at: None,
        trace_id: "trace-create",
    }
}

#[tokio::test]
async fn a_guide_is_inserted_uploaded_locked_moved_updated_and_archived() {
    let db = seeded_db().await;
    let g = guides::insert(&db.pool, &new_guide("Guía 1"))
        .await
        .unwrap();
    assert_eq!(g.status, GuideStatus::Uploaded);
    assert_eq!(
        (
            g.max_resubmissions,
            g.show_solution_after_grade,
            g.question_count
        ),
        (2, false, 0)
    );
    assert_eq!(g.trace_id, "trace-create");
    assert_eq!(g.created_at, g.updated_at);
    assert_eq!(
        guides::find(&db.pool, &g.id).await.unwrap(),
        Some(g.clone())
    );
    assert_eq!(
        guides::find(&db.pool, &GuideId::new("nope")).await.unwrap(),
        None
    );

    // An unknown course is a missing reference naming the field.
    let mut bad = new_guide("x");
    let nowhere = CourseId::new("no-such-course");
    bad.course_id = &nowhere;
    match guides::insert(&db.pool, &bad).await {
        Err(DbError::MissingReference { field }) => assert_eq!(field, "courseId"),
        other => panic!("{other:?}"),
    }

    let mut tx = db::begin(&db.pool).await.unwrap();
    let locked = guides::lock(&mut tx, &g.id).await.unwrap().unwrap();
    assert_eq!(locked.status, GuideStatus::Uploaded);
    sqlx::query("UPDATE guides SET failure_reason = 'boom' WHERE id = $1")
        .bind(&g.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    let moved = guides::set_status(&mut *tx, &g.id, GuideStatus::Extracting, true)
        .await
        .unwrap();
    assert_eq!(
        (moved.status, moved.failure_reason),
        (GuideStatus::Extracting, None)
    );
    tx.commit().await.unwrap();
    assert_eq!(
        guides::lock(&mut db.pool.acquire().await.unwrap(), &GuideId::new("nope"))
            .await
            .unwrap(),
        None
    );

    let patch = GuidePatch {
        title: Some("Guía 1 (v2)"),
        max_resubmissions: Some(0),
        show_solution_after_grade: Some(true),
        due_at: Some(
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap(),
        ),
        ..GuidePatch::default()
    };
    let updated = guides::update(&db.pool, &g.id, &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.title, "Guía 1 (v2)");
    assert_eq!(updated.description.as_deref(), Some("Restas"), "untouched");
    assert_eq!(
        (updated.max_resubmissions, updated.show_solution_after_grade),
        (0, true)
    );
    assert!(updated.due_at.is_some());
    assert_eq!(
        guides::update(&db.pool, &GuideId::new("nope"), &patch)
            .await
            .unwrap(),
        None
    );

    let archived = guides::archive(&db.pool, &g.id).await.unwrap();
    assert_eq!(archived.status, GuideStatus::Archived);
    assert!(archived.archived_at.is_some());
    assert!(guides::course_grade_level(&db.pool, &COURSE).await.unwrap() > 0);
    assert_eq!(
        guides::course_grade_level(&db.pool, &CourseId::new("nope"))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn the_list_filters_by_course_and_status_counts_and_pages_without_archived_guides() {
    let db = seeded_db().await;
    let a = GuideFixture::new("g-a", COURSE_ID, TEACHER_ID)
        .question(QuestionFixture::approved("q-a1", 1, "1+1").answer("2"))
        .question(QuestionFixture::new("q-a2", 2, "2+2"));
    a.insert(&db.pool).await;
    SubmissionFixture::new("s-a1", &a, "q-a1", STUDENT_IDS[0])
        .insert(&db.pool)
        .await;
    GuideFixture::new("g-b", COURSE_ID, TEACHER_ID)
        .status("UPLOADED")
        .insert(&db.pool)
        .await;
    GuideFixture::new("g-c", COURSE_ID, TEACHER_ID)
        .status("ARCHIVED")
        .insert(&db.pool)
        .await;
    let courses = vec![CourseId::new(COURSE_ID)];
    let mut conn = db.pool.acquire().await.unwrap();
    let filter = |status, limit, offset| GuideFilter {
        course_ids: &courses,
        status,
        limit,
        offset,
    };
    let (rows, total) = guides::list(&mut conn, &filter(None, 20, 0)).await.unwrap();
    assert_eq!(total, 2, "archived guides are never listed");
    let ids: Vec<&str> = rows.iter().map(|r| r.guide.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    let ga = rows.iter().find(|r| r.guide.id == "g-a").unwrap();
    assert_eq!((ga.questions, ga.submissions), (2, 1));

    let (rows, total) = guides::list(&mut conn, &filter(Some(GuideStatus::Review), 20, 0))
        .await
        .unwrap();
    assert_eq!((rows.len(), total), (1, 1));
    assert_eq!(rows[0].guide.id, "g-a");

    let (page2, total) = guides::list(&mut conn, &filter(None, 1, 1)).await.unwrap();
    assert_eq!((page2.len(), total), (1, 2));
    assert_ne!(
        page2[0].guide.id, ids[0],
        "the second page has the second guide"
    );

    let none: Vec<CourseId> = vec![];
    let (rows, total) = guides::list(
        &mut conn,
        &GuideFilter {
            course_ids: &none,
            status: None,
            limit: 20,
            offset: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!((rows.len(), total), (0, 0));
}

#[tokio::test]
async fn questions_are_classified_reviewed_and_linked_to_their_exercise() {
    let db = seeded_db().await;
    let g = GuideFixture::new("g-q", COURSE_ID, TEACHER_ID)
        .question(QuestionFixture::new("q-2", 2, "30 - 18"))
        .question(
            QuestionFixture::new("q-1", 1, "12 - 5")
                .topic("SUB")
                .answer("7"),
        );
    g.insert(&db.pool).await;
    let qs = guides::questions_of(&db.pool, &GuideId::new("g-q"))
        .await
        .unwrap();
    assert_eq!(
        qs.iter()
            .map(|q| q.question.id.as_str())
            .collect::<Vec<_>>(),
        ["q-1", "q-2"],
        "by sequence"
    );
    let q1 = &qs[0];
    let topic = q1.topic().expect("classified");
    assert_eq!(topic.code, "SUB");
    assert!(q1.domain().is_some() && q1.subdomain().is_some());
    assert_eq!(qs[1].topic(), None);
    assert!(
        qs[1].question.figure_keys.is_empty(),
        "NULL arrays read as empty"
    );

    assert!(
        guides::question_in_guide(&db.pool, &GuideId::new("g-q"), &QuestionId::new("q-1"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        guides::question_in_guide(&db.pool, &GuideId::new("other"), &QuestionId::new("q-1"))
            .await
            .unwrap()
            .is_none()
    );

    // A teacher classifies q-2 by subdomain only: the topic stays (none), domain follows.
    let sd: (String, String) =
        sqlx::query_as("SELECT subdomain_id, domain_id FROM topics WHERE code = 'SUB' LIMIT 1")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let patch = QuestionPatch {
        label: Some("2.a"),
        points: Some(2.5),
        status: Some(GuideQuestionStatus::Approved),
        classification: Some(Classification {
            topic_id: None,
            domain_id: Some(sd.1.clone()),
            subdomain_id: Some(sd.0.clone()),
        }),
        ..QuestionPatch::default()
    };
    let q2 = guides::update_question(&db.pool, &QuestionId::new("q-2"), &patch)
        .await
        .unwrap();
    assert_eq!(q2.label.as_deref(), Some("2.a"));
    assert_eq!(q2.points, 2.5);
    assert_eq!(q2.status, GuideQuestionStatus::Approved);
    assert_eq!(q2.topic_id, None);
    assert_eq!((q2.domain_id, q2.subdomain_id), (Some(sd.1), Some(sd.0)));
    assert_eq!(
        (q2.topic_source.as_deref(), q2.topic_confidence),
        (Some("TEACHER"), Some(1.0))
    );
    assert_eq!(q2.statement_latex, "30 - 18", "untouched");

    // Plain edits leave the classification alone.
    let plain = QuestionPatch {
        statement_latex: Some("31 - 18"),
        ..QuestionPatch::default()
    };
    let q1 = guides::update_question(&db.pool, &QuestionId::new("q-1"), &plain)
        .await
        .unwrap();
    assert_eq!(q1.topic_source.as_deref(), Some("AI"));
    assert_eq!(q1.statement_latex, "31 - 18");

    let ex: ExerciseId = sqlx::query_scalar("SELECT id FROM exercises ORDER BY id LIMIT 1")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    guides::set_question_exercise(&db.pool, &QuestionId::new("q-1"), &ex)
        .await
        .unwrap();
    let q1 = guides::question_in_guide(&db.pool, &GuideId::new("g-q"), &QuestionId::new("q-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(q1.exercise_id, Some(ex));
}

#[tokio::test]
async fn a_teacher_version_becomes_the_only_current_one() {
    let db = seeded_db().await;
    GuideFixture::new("g-s", COURSE_ID, TEACHER_ID)
        .question(QuestionFixture::new("q-s", 1, "12 - 5").answer("7"))
        .question(QuestionFixture::new("q-none", 2, "dibujo"))
        .insert(&db.pool)
        .await;
    let ids: Vec<QuestionId> = vec!["q-s".into(), "q-none".into()];
    let current = guides::current_solutions(&db.pool, &ids).await.unwrap();
    assert_eq!(current.len(), 1);
    assert_eq!(
        (current[0].version, current[0].source),
        (1, SolutionSource::LlmGenerated)
    );

    let steps = json!({"final_answer": "7", "points": 1,
                       "steps": [{"idx": 0, "latex": "12-5=7", "checkpoint": true}]});
    let tags = vec![TAG.to_owned()];
    let mut tx = db::begin(&db.pool).await.unwrap();
    assert!(
        guides::lock_question(&mut tx, &GuideId::new("g-s"), &QuestionId::new("q-s"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        guides::lock_question(&mut tx, &GuideId::new("other"), &QuestionId::new("q-s"))
            .await
            .unwrap()
            .is_none()
    );
    let v2 = guides::insert_teacher_version(
        &mut tx,
        &NewSolution {
            question_id: &QuestionId::new("q-s"),
            final_answer: "7",
            steps_json: &steps,
            solution_latex: Some("12-5=7"),
            expected_error_tags: &tags,
            created_by_teacher_id: &TEACHER,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (v2.version, v2.is_current, v2.source),
        (2, true, SolutionSource::TeacherEdited)
    );
    assert_eq!(v2.steps_json, steps);
    assert_eq!(v2.expected_error_tags, tags);
    assert_eq!(v2.created_by_teacher_id.as_deref(), Some(TEACHER_ID));
    let current: Vec<(i32, bool)> = sqlx::query_as(
        "SELECT version, is_current FROM guide_solutions WHERE guide_question_id = 'q-s' ORDER BY version",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(current, [(1, false), (2, true)]);

    // The first version of a question without one is 1.
    let mut conn = db.pool.acquire().await.unwrap();
    let v1 = guides::insert_teacher_version(
        &mut conn,
        &NewSolution {
            question_id: &QuestionId::new("q-none"),
            final_answer: "x",
            steps_json: &steps,
            solution_latex: None,
            expected_error_tags: &[],
            created_by_teacher_id: &TEACHER,
        },
    )
    .await
    .unwrap();
    assert_eq!(v1.version, 1);
}

#[tokio::test]
async fn publishing_reads_the_course_students_and_inserts_a_guide_assignment() {
    let db = seeded_db().await;
    GuideFixture::new("g-p", COURSE_ID, TEACHER_ID)
        .due_at("2026-12-31 23:59:00")
        .insert(&db.pool)
        .await;
    let students = guides::active_students(&db.pool, &COURSE).await.unwrap();
    assert_eq!(students.len(), STUDENT_IDS.len());
    let names: Vec<&str> = students.iter().map(|s| s.display_name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by display name");
    sqlx::query("UPDATE enrollments SET status = 'LEFT' WHERE student_id = $1")
        .bind(STUDENT_IDS[0])
        .execute(&db.pool)
        .await
        .unwrap();
    let active = guides::active_students(&db.pool, &COURSE).await.unwrap();
    assert_eq!(
        active.len(),
        STUDENT_IDS.len() - 1,
        "ACTIVE enrollments only"
    );

    let guide = guides::find(&db.pool, &GuideId::new("g-p"))
        .await
        .unwrap()
        .unwrap();
    let id = guides::insert_assignment(&db.pool, &guide, &TEACHER)
        .await
        .unwrap();
    let row: (String, String, String, String, bool) = sqlx::query_as(
        "SELECT course_id, title, reason, kind, due_at IS NOT NULL FROM assignments WHERE id = $1",
    )
    .bind(&id)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            COURSE_ID.into(),
            guide.title.clone(),
            "TEACHER_MANUAL".into(),
            "GUIDE".into(),
            true
        )
    );
    let published = guides::mark_published(&db.pool, &GuideId::new("g-p"), &id)
        .await
        .unwrap();
    assert_eq!(published.status, GuideStatus::Published);
    assert_eq!(published.assignment_id, Some(id));
    assert!(published.published_at.is_some());
}

#[tokio::test]
async fn the_teacher_reads_latest_tries_with_their_effective_tag_and_overrides_it() {
    let db = seeded_db().await;
    let g = GuideFixture::new("g-r", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .question(
            QuestionFixture::approved("q-r", 1, "12 - 5")
                .topic("SUB")
                .answer("7"),
        );
    g.insert(&db.pool).await;
    SubmissionFixture::new("s-1", &g, "q-r", STUDENT_IDS[0])
        .insert(&db.pool)
        .await;
    SubmissionFixture::new("s-2", &g, "q-r", STUDENT_IDS[0])
        .attempt_number(2)
        .insert(&db.pool)
        .await;
    SubmissionFixture::new("s-3", &g, "q-r", STUDENT_IDS[1])
        .status("GRADED")
        .insert(&db.pool)
        .await;
    // s-3 is graded through an attempt whose tag is TAG.
    sqlx::query(
        "INSERT INTO attempts (id, student_id, input_mode, status, is_correct, error_tag_id, trace_id)
         SELECT 'att-3', $1, 'PHOTO_GUIDE', 'CLASSIFIED', false, e.id, 'tr'
         FROM error_tags e WHERE e.code = $2",
    )
    .bind(STUDENT_IDS[1])
    .bind(TAG)
    .execute(&db.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE guide_submissions SET attempt_id = 'att-3', is_correct = false, score = 0 WHERE id = 's-3'")
        .execute(&db.pool)
        .await
        .unwrap();

    let latest = guides::latest_submissions(&db.pool, &GuideId::new("g-r"))
        .await
        .unwrap();
    let ids: Vec<&str> = latest.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        ["s-2", "s-3"],
        "one per student and question, highest attempt first"
    );
    let s3 = &latest[1];
    assert_eq!(
        (s3.error_tag_code.as_deref(), s3.is_correct),
        (Some(TAG), Some(false))
    );
    assert_eq!(latest[0].photo_keys, ["submissions/s-2/photo-1.jpg"]);

    assert!(
        guides::submission_in_guide(&db.pool, &GuideId::new("other"), &SubmissionId::new("s-3"))
            .await
            .unwrap()
            .is_none()
    );
    let other_tag: String = sqlx::query_scalar("SELECT id FROM error_tags WHERE code = $1")
        .bind(OTHER_TAG)
        .fetch_one(&db.pool)
        .await
        .unwrap();
    guides::set_override(
        &db.pool,
        &SubmissionId::new("s-3"),
        Some((&other_tag, &TEACHER)),
    )
    .await
    .unwrap();
    let s3 = guides::submission_in_guide(&db.pool, &GuideId::new("g-r"), &SubmissionId::new("s-3"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s3.error_tag_code.as_deref(),
        Some(OTHER_TAG),
        "the override wins"
    );
    assert_eq!(s3.override_error_tag_id, Some(other_tag));
    let by: (Option<String>, bool) = sqlx::query_as(
        "SELECT override_by_id, override_at IS NOT NULL FROM guide_submissions WHERE id = 's-3'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(by, (Some(TEACHER_ID.into()), true));

    guides::set_override(&db.pool, &SubmissionId::new("s-3"), None)
        .await
        .unwrap();
    let s3 = guides::submission_in_guide(&db.pool, &GuideId::new("g-r"), &SubmissionId::new("s-3"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s3.error_tag_code.as_deref(),
        Some(TAG),
        "cleared: the attempt's tag again"
    );
    let by: (Option<String>, bool) = sqlx::query_as(
        "SELECT override_by_id, override_at IS NOT NULL FROM guide_submissions WHERE id = 's-3'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(by, (None, false));
}
