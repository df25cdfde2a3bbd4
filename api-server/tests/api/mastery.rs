//! `/mastery`: a student's topics, the course view and heatmap, the recommender, and who may see
//! what.

use innova_core::db::seed::{COURSE_ID, STUDENT_IDS};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::attempts::{ADMIN, PARENT, STUDENT1, STUDENT2, TEACHER, add_other_teacher};
use crate::support::{TestApp, spawn_seeded};

async fn post_attempt(app: &TestApp, exercise: &str, answer: f64) -> Value {
    let body = json!({"studentId": STUDENT_IDS[0], "topicCode": "SUB", "exerciseId": exercise, "courseId": COURSE_ID,
        "rawSteps": [{"expression": answer.to_string(), "isFinal": true}], "expectedAnswer": 27,
        "studentAnswer": answer, "minuend": 53, "subtrahend": 26});
    let resp = app
        .request_as(STUDENT1, Method::POST, "/attempts")
        .await
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json().await.unwrap()
}

async fn get_as(app: &TestApp, who: &str, path: &str) -> (StatusCode, Value) {
    let resp = app
        .request_as(who, Method::GET, path)
        .await
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_students_mastery_is_for_them_their_teachers_confirmed_parents_and_admins() {
    let app = spawn_seeded().await;
    let other_teacher = add_other_teacher(&app).await;
    post_attempt(&app, "seed-ex-sub-001", 33.0).await;
    let path = format!("/mastery/{}", STUDENT_IDS[0]);
    for who in [STUDENT1, TEACHER, PARENT, ADMIN] {
        let (status, body) = get_as(&app, who, &path).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert_eq!(body["path"], path);
        let rows = body["data"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{who}");
        assert_eq!(rows[0]["studentId"], STUDENT_IDS[0]);
        assert_eq!(rows[0]["topicCode"], "SUB");
        assert_eq!(rows[0]["pKnown"], 0.14576271186440679);
    }
    for who in [STUDENT2, other_teacher] {
        let (status, _) = get_as(&app, who, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    // The demo parent's link to student 2 does not exist.
    let (status, _) = get_as(&app, PARENT, &format!("/mastery/{}", STUDENT_IDS[1])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Through the generated client.
    let rows = app
        .client_for(STUDENT1)
        .await
        .mastery_student()
        .student_id(STUDENT_IDS[0])
        .send()
        .await
        .unwrap();
    assert_eq!(rows.into_inner().data.len(), 1);
}

#[tokio::test]
async fn the_course_view_places_attempts_in_subdomains_and_counts_errors() {
    let app = spawn_seeded().await;
    let other_teacher = add_other_teacher(&app).await;
    post_attempt(&app, "seed-ex-sub-001", 33.0).await; // borrow omitted
    post_attempt(&app, "seed-ex-sub-002", 24.0).await; // correct (72 − 48, the stored answer)

    let view = app
        .client_for(TEACHER)
        .await
        .mastery_course()
        .course_id(COURSE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    let students = view.data;
    assert_eq!(
        students
            .iter()
            .map(|s| s.student_id.as_str())
            .collect::<Vec<_>>(),
        STUDENT_IDS.to_vec(),
        "every active student, in joining order"
    );
    let diego = &students[0];
    assert_eq!(diego.display_name, "Diego Vega");
    assert_eq!(diego.topics.len(), 1);
    let sub = &diego.topics[0];
    assert_eq!((sub.topic_code.as_str(), sub.attempts_count), ("SUB", 2));
    let params = innova_domain::bkt::BktParams::DEFAULT;
    let expected = innova_domain::bkt::update(
        innova_domain::bkt::update(0.3, &params, false),
        &params,
        true,
    );
    assert_eq!(
        sub.p_known, expected,
        "the mastery row wins over the attempts' ratio"
    );
    assert_eq!(diego.attempts.len(), 2);
    assert_eq!(
        diego.attempts[0].exercise_prompt, "72 - 48 = ?",
        "newest first"
    );
    assert_eq!(
        diego.attempts[1].error_tag_code.as_deref(),
        Some("ARITH_SUB_BORROW_OMITTED_TENS_G3")
    );
    assert_eq!(
        diego.attempts[1].error_tag_name.as_deref(),
        Some("Borrow omitido — decenas")
    );
    assert_eq!(diego.error_frequency.len(), 1);
    assert_eq!(diego.error_frequency[0].count, 1);
    assert_eq!(diego.error_frequency[0].percentage, 1.0);
    assert!(students[1].topics.is_empty() && students[1].attempts.is_empty());

    // The classroom alias answers the same.
    let (status, alias) = get_as(&app, TEACHER, &format!("/mastery/classroom/{COURSE_ID}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        alias["data"][0]["topics"],
        json!([{"topicCode": "SUB", "topicName": sub.topic_name, "pKnown": expected, "attemptsCount": 2}])
    );

    // Heatmap: one domain column.
    let heatmap = app
        .client_for(ADMIN)
        .await
        .mastery_course_heatmap()
        .course_id(COURSE_ID)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(heatmap.course_id, COURSE_ID);
    assert_eq!(heatmap.units.len(), 1);
    assert_eq!(
        (heatmap.units[0].code.as_str(), heatmap.units[0].sequence),
        ("ARITH", 1)
    );
    assert_eq!(heatmap.students.len(), 5);
    assert_eq!(heatmap.students[0].units.len(), 1);
    assert_eq!(heatmap.students[0].units[0].p_known, expected);
    assert_eq!(heatmap.students[0].topics[0].topic_code, "SUB");
    assert!(heatmap.students[1].units.is_empty());

    // Teachers of other courses, students and parents are refused.
    for who in [other_teacher, STUDENT1, PARENT] {
        for path in [
            format!("/mastery/course/{COURSE_ID}"),
            format!("/mastery/course/{COURSE_ID}/heatmap"),
            format!("/mastery/classroom/{COURSE_ID}"),
        ] {
            let (status, _) = get_as(&app, who, &path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who} {path}");
        }
    }
    // The other teacher sees their own (empty) course.
    let (status, body) = get_as(&app, other_teacher, "/mastery/course/other-course").await;
    assert_eq!((status, body["data"].clone()), (StatusCode::OK, json!([])));
}

/// Fisher information of a 2PL item, computed here independently of the domain crate.
fn information(a: f64, b: f64, theta: f64) -> f64 {
    let p = 1.0 / (1.0 + (-a * (theta - b)).exp());
    a * a * p * (1.0 - p)
}

#[tokio::test]
async fn the_recommender_picks_the_most_informative_exercise_of_the_weakest_topic() {
    let app = spawn_seeded().await;
    let path = format!("/mastery/recommend/{COURSE_ID}/{}", STUDENT_IDS[0]);
    // No mastery yet.
    let (status, body) = get_as(&app, STUDENT1, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["message"], "No available exercises for this student");

    post_attempt(&app, "seed-ex-sub-001", 33.0).await;
    let p_known: f64 = 0.14576271186440679;
    let theta = (p_known / (1.0 - p_known)).ln();
    let exercises: Vec<(String, f64, f64)> = sqlx::query_as(
        "SELECT id, irt_a, irt_b FROM exercises WHERE status = 'ACTIVE' ORDER BY created_at, id",
    )
    .fetch_all(app.pool())
    .await
    .unwrap();
    let best = exercises
        .iter()
        .max_by(|x, y| information(x.1, x.2, theta).total_cmp(&information(y.1, y.2, theta)))
        .unwrap();

    let rec = app
        .client_for(STUDENT1)
        .await
        .mastery_recommend()
        .course_id(COURSE_ID)
        .student_id(STUDENT_IDS[0])
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(rec.exercise.id, best.0);
    assert_eq!(rec.exercise.topic_code, "SUB");
    assert!((rec.student_theta - theta).abs() < 1e-12);
    assert!(
        rec.reasoning.starts_with(&format!(
            "Tema: {} · p=0.15 · θ=-1.77 · Fisher=",
            rec.exercise.topic_name
        )),
        "{}",
        rec.reasoning
    );

    // Answered correctly in the course: not recommended again this week.
    post_attempt(&app, &best.0, 27.0).await;
    let (status, body) = get_as(&app, STUDENT1, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(body["data"]["exercise"]["id"], best.0.as_str());

    // The teacher of the course may ask; another student, or for a course the student is not
    // in, may not.
    assert_eq!(get_as(&app, TEACHER, &path).await.0, StatusCode::OK);
    assert_eq!(get_as(&app, STUDENT2, &path).await.0, StatusCode::FORBIDDEN);
    add_other_teacher(&app).await;
    let (status, _) = get_as(
        &app,
        STUDENT1,
        &format!("/mastery/recommend/other-course/{}", STUDENT_IDS[0]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(get_as(&app, PARENT, &path).await.0, StatusCode::FORBIDDEN);
}
