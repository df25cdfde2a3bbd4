//! The guide fixture writes what the routes and the workers read: a published guide with a
//! classified question and its current solution, an excluded one, and a submission.

use innova_core::db::seed::{COURSE_ID, STUDENT_IDS, TEACHER_ID};
use innova_testkit::guides::{GuideFixture, QuestionFixture, SubmissionFixture};
use innova_testkit::seeded_db;

#[tokio::test]
async fn a_published_guide_with_questions_solutions_and_a_submission() {
    let db = seeded_db().await;
    let guide = GuideFixture::new("g-1", COURSE_ID, TEACHER_ID)
        .status("PUBLISHED")
        .question(
            QuestionFixture::approved("q-1", 1, "12 - 5")
                .topic("SUB")
                .answer("7"),
        )
        .question(QuestionFixture::new("q-2", 2, "dibujo").status("EXCLUDED"));
    guide.insert(&db.pool).await;
    SubmissionFixture::new("s-1", &guide, "q-1", STUDENT_IDS[0])
        .insert(&db.pool)
        .await;

    let (status, published): (String, bool) = sqlx::query_as(
        "SELECT status::text, published_at IS NOT NULL FROM guides WHERE id = 'g-1'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((status.as_str(), published), ("PUBLISHED", true));
    let (topic, subdomain): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT topic_id, subdomain_id FROM guide_questions WHERE id = 'q-1'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(topic.is_some() && subdomain.is_some());
    let answer: String = sqlx::query_scalar(
        "SELECT final_answer FROM guide_solutions WHERE guide_question_id = 'q-1' AND is_current",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(answer, "7");
    let photos: Vec<String> =
        sqlx::query_scalar("SELECT photo_keys FROM guide_submissions WHERE id = 's-1'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(photos, ["submissions/s-1/photo-1.jpg"]);
}
