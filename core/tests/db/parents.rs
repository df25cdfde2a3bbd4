//! What a parent reads: confirmed children only, the child's curriculum with their estimates,
//! the published guides of the child's courses with progress, the child's open alerts.

use innova_core::db::parents::{self, AlertType, GuideStatus, Severity};
use innova_core::db::seed::{COURSE_ID, PARENT_ID, STUDENT_IDS, TEACHER_ID};
use innova_domain::ids::{ParentId, StudentId};
use innova_testkit::seeded_db;

/// Two published guides of the demo course (one with 2 approved questions, one graded for
/// student 1; one question not approved), a draft guide, and a published guide of a course
/// student 1 is not in.
pub const GUIDES_SQL: &str = "
    INSERT INTO courses (id, school_id, subject_id, name, grade_level, academic_year)
        VALUES ('t-elsewhere', 'seed-school-001', 'seed-subject-001', 'Otro', 8, 2026);
    INSERT INTO guides (id, course_id, created_by_teacher_id, title, status, source_pdf_key,
                        trace_id, updated_at, published_at, due_at) VALUES
        ('t-guide-old', 'seed-course-001', 'seed-teacher-001', 'Restas I', 'PUBLISHED', 'k1', 't1',
         CURRENT_TIMESTAMP, CURRENT_TIMESTAMP - interval '2 days', NULL),
        ('t-guide-new', 'seed-course-001', 'seed-teacher-001', 'Restas II', 'PUBLISHED', 'k2', 't2',
         CURRENT_TIMESTAMP, CURRENT_TIMESTAMP - interval '1 day', '2026-06-01 12:00:00'),
        ('t-guide-draft', 'seed-course-001', 'seed-teacher-001', 'Borrador', 'REVIEW', 'k3', 't3',
         CURRENT_TIMESTAMP, NULL, NULL),
        ('t-guide-elsewhere', 't-elsewhere', 'seed-teacher-001', 'Ajena', 'PUBLISHED', 'k4', 't4',
         CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, NULL);
    INSERT INTO guide_questions (id, guide_id, sequence, statement_latex, status, updated_at) VALUES
        ('t-q1', 't-guide-new', 1, '53 - 26', 'APPROVED', CURRENT_TIMESTAMP),
        ('t-q2', 't-guide-new', 2, '72 - 48', 'APPROVED', CURRENT_TIMESTAMP),
        ('t-q3', 't-guide-new', 3, '81 - 35', 'EXCLUDED', CURRENT_TIMESTAMP);
    INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, attempt_number,
                                   status, trace_id, updated_at) VALUES
        ('t-s1', 't-guide-new', 't-q1', 'seed-student-001', 1, 'FAILED', 'ts1', CURRENT_TIMESTAMP),
        ('t-s2', 't-guide-new', 't-q1', 'seed-student-001', 2, 'GRADED', 'ts2', CURRENT_TIMESTAMP),
        ('t-s3', 't-guide-new', 't-q2', 'seed-student-002', 1, 'GRADED', 'ts3', CURRENT_TIMESTAMP);";

#[tokio::test]
async fn a_parent_sees_confirmed_children_only() {
    let db = seeded_db().await;
    let pool = &db.pool;
    sqlx::raw_sql(
        "INSERT INTO parent_links (parent_id, student_id, relationship)
             VALUES ('seed-parent-001', 'seed-student-002', 'MADRE');",
    )
    .execute(pool)
    .await
    .unwrap();
    let children = parents::confirmed_children(pool, &ParentId::new(PARENT_ID))
        .await
        .unwrap();
    assert_eq!(children.len(), 1, "the unconfirmed link does not count");
    assert_eq!(
        (
            children[0].student_id.as_str(),
            children[0].display_name.as_str(),
            children[0].relationship.as_str()
        ),
        (STUDENT_IDS[0], "Diego Vega", "PADRE")
    );
    assert!(
        parents::confirmed_children(pool, &ParentId::new("nobody"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_childs_curriculum_comes_with_their_estimates_in_unit_order() {
    let db = seeded_db().await;
    let pool = &db.pool;
    sqlx::query(
        "INSERT INTO student_topic_mastery (student_id, topic_id, p_known, updated_at)
         SELECT $1, id, 0.9, CURRENT_TIMESTAMP FROM topics WHERE id = 'seed-topic-002'",
    )
    .bind(STUDENT_IDS[0])
    .execute(pool)
    .await
    .unwrap();
    let rows = parents::curriculum_estimates(pool, &StudentId::new(STUDENT_IDS[0]))
        .await
        .unwrap();
    assert_eq!(rows.len(), 109, "every topic of the seed curriculum");
    let units: Vec<&str> = rows
        .chunk_by(|a, b| a.unit_id == b.unit_id)
        .map(|g| g[0].unit_code.as_str())
        .collect();
    assert_eq!(units.len(), 19);
    assert_eq!(
        units[..3],
        ["ARITH", "U1-3B-NUMEROS", "INT"],
        "by sequence, then code"
    );
    let carry = rows
        .iter()
        .find(|r| r.topic_id == "seed-topic-002")
        .unwrap();
    assert_eq!((carry.p_known, carry.prior), (Some(0.9), 0.3));
    assert!(
        rows.iter()
            .filter(|r| r.topic_id != "seed-topic-002")
            .all(|r| r.p_known.is_none())
    );
    // A student in no course has no curriculum.
    sqlx::query("UPDATE enrollments SET status = 'LEFT' WHERE student_id = $1")
        .bind(STUDENT_IDS[0])
        .execute(pool)
        .await
        .unwrap();
    assert!(
        parents::curriculum_estimates(pool, &StudentId::new(STUDENT_IDS[0]))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn recent_guides_are_the_published_ones_of_the_childs_courses_with_progress() {
    let db = seeded_db().await;
    let pool = &db.pool;
    sqlx::raw_sql(GUIDES_SQL).execute(pool).await.unwrap();
    let guides = parents::recent_guides(pool, &StudentId::new(STUDENT_IDS[0]), 8)
        .await
        .unwrap();
    let seen: Vec<(&str, GuideStatus, i64, i64)> = guides
        .iter()
        .map(|g| {
            (
                g.id.as_str(),
                g.status,
                g.graded_questions,
                g.total_questions,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("t-guide-new", GuideStatus::Published, 1, 2),
            ("t-guide-old", GuideStatus::Published, 0, 0)
        ]
    );
    assert!(guides[0].due_at.is_some() && guides[1].due_at.is_none());
    assert_eq!(
        parents::recent_guides(pool, &StudentId::new(STUDENT_IDS[0]), 1)
            .await
            .unwrap()
            .len(),
        1
    );
    let other = parents::recent_guides(pool, &StudentId::new(STUDENT_IDS[1]), 8)
        .await
        .unwrap();
    assert_eq!(
        (other[0].graded_questions, other[0].total_questions),
        (1, 2)
    );
}

#[tokio::test]
async fn open_alerts_about_the_child_newest_first() {
    let db = seeded_db().await;
    let pool = &db.pool;
    sqlx::query(
        "INSERT INTO teacher_alerts (id, teacher_id, course_id, student_id, alert_type, severity,
                                     payload, created_at, resolved_at) VALUES
            ('t-a1', $1, $2, $3, 'STUDENT_DROP', 'LOW', '{}', CURRENT_TIMESTAMP - interval '2 hours', NULL),
            ('t-a2', $1, $2, $3, 'AT_RISK_STUDENT', 'HIGH', '{}', CURRENT_TIMESTAMP - interval '1 hour', NULL),
            ('t-a3', $1, $2, $3, 'STUDENT_DROP', 'MED', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
            ('t-a4', $1, $2, 'seed-student-002', 'STUDENT_DROP', 'MED', '{}', CURRENT_TIMESTAMP, NULL)",
    )
    .bind(TEACHER_ID)
    .bind(COURSE_ID)
    .bind(STUDENT_IDS[0])
    .execute(pool)
    .await
    .unwrap();
    let alerts = parents::open_alerts(pool, &StudentId::new(STUDENT_IDS[0]), 5)
        .await
        .unwrap();
    let seen: Vec<(&str, AlertType, Severity)> = alerts
        .iter()
        .map(|a| (a.id.as_str(), a.alert_type, a.severity))
        .collect();
    assert_eq!(
        seen,
        [
            ("t-a2", AlertType::AtRiskStudent, Severity::High),
            ("t-a1", AlertType::StudentDrop, Severity::Low)
        ]
    );
    assert_eq!(
        parents::open_alerts(pool, &StudentId::new(STUDENT_IDS[0]), 1)
            .await
            .unwrap()
            .len(),
        1
    );
}
