//! The users repository, including the read helpers of the authorization layer.

use innova_core::db::users::{self, NewUser};
use innova_core::db::{DbError, now, seed};
use innova_domain::ids::{CourseId, ParentId, StudentId, TeacherId, UserId};
use innova_testkit::seeded_db;

#[tokio::test]
async fn users_are_found_created_and_upserted() {
    let db = seeded_db().await;
    let teacher = seed::demo_user("teacher").unwrap();
    let by_uid = users::user_by_supabase_uid(&db.pool, teacher.supabase_uid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        users::user_by_id(&db.pool, &by_uid.id)
            .await
            .unwrap()
            .as_ref(),
        Some(&by_uid)
    );
    assert_eq!(
        users::user_by_email(&db.pool, teacher.email)
            .await
            .unwrap()
            .as_ref(),
        Some(&by_uid)
    );
    assert_eq!(
        users::user_by_email(&db.pool, "nobody@x").await.unwrap(),
        None
    );
    assert_eq!(by_uid.locale, "es-CL");

    let created = users::insert_user(
        &db.pool,
        &NewUser {
            supabase_uid: Some("uid-new".into()),
            email: "new@innova.demo".into(),
            auth_role: Some("student".into()),
            full_name: Some("Nueva".into()),
            password_hash: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        created.created_at, created.updated_at,
        "one clock, one transaction"
    );
    let dup = users::insert_user(
        &db.pool,
        &NewUser {
            email: "new@innova.demo".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&dup, DbError::Conflict { field, .. } if field == "email"),
        "{dup:?}"
    );

    // Upsert by supabase uid re-sets email and role, keeps the id, bumps updated_at.
    let again = users::upsert_user_by_supabase_uid(
        &db.pool,
        &NewUser {
            supabase_uid: Some("uid-new".into()),
            email: "renamed@innova.demo".into(),
            auth_role: Some("teacher".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(again.id, created.id);
    assert_eq!(
        (again.email.as_str(), again.auth_role.as_deref()),
        ("renamed@innova.demo", Some("teacher"))
    );
    assert!(again.updated_at >= created.updated_at);
    let err = users::upsert_user_by_supabase_uid(&db.pool, &NewUser::default())
        .await
        .unwrap_err();
    assert!(matches!(&err, DbError::Invalid { field, .. } if field == "supabaseUid"));

    let role = users::set_user_role(&db.pool, &created.id, Some("parent"))
        .await
        .unwrap();
    assert_eq!(role.auth_role.as_deref(), Some("parent"));
    let missing = users::set_user_role(&db.pool, &UserId::new("nope"), None)
        .await
        .unwrap_err();
    assert!(matches!(missing, DbError::NotFound { entity: "user", .. }));
}

#[tokio::test]
async fn profiles_resolve_from_user_ids() {
    let db = seeded_db().await;
    let uid = |role| seed::demo_user(role).unwrap().supabase_uid;
    let user_id = |u: Option<users::UserRow>| u.unwrap().id;
    let teacher_user = user_id(
        users::user_by_supabase_uid(&db.pool, uid("teacher"))
            .await
            .unwrap(),
    );
    let student_user = user_id(
        users::user_by_supabase_uid(&db.pool, uid("student"))
            .await
            .unwrap(),
    );
    let parent_user = user_id(
        users::user_by_supabase_uid(&db.pool, uid("parent"))
            .await
            .unwrap(),
    );
    let admin_user = user_id(
        users::user_by_supabase_uid(&db.pool, uid("admin"))
            .await
            .unwrap(),
    );

    let teacher = users::teacher_by_user_id(&db.pool, &teacher_user)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(teacher.id, seed::TEACHER_ID);
    assert_eq!(
        users::teacher_by_id(&db.pool, &TeacherId::new(seed::TEACHER_ID))
            .await
            .unwrap(),
        Some(teacher)
    );
    let student = users::student_by_user_id(&db.pool, &student_user)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (student.id.as_str(), student.display_name.as_str()),
        (seed::STUDENT_IDS[0], "Diego Vega")
    );
    let parent = users::parent_by_user_id(&db.pool, &parent_user)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        users::parent_by_id(&db.pool, &ParentId::new(seed::PARENT_ID))
            .await
            .unwrap(),
        Some(parent)
    );
    assert_eq!(
        users::teacher_by_user_id(&db.pool, &admin_user)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        users::student_by_user_id(&db.pool, &admin_user)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        users::parent_by_user_id(&db.pool, &admin_user)
            .await
            .unwrap(),
        None
    );

    // A soft-deleted student profile grants nothing, but stays readable by id.
    sqlx::query("UPDATE students SET deleted_at = now() WHERE id = $1")
        .bind(seed::STUDENT_IDS[0])
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        users::student_by_user_id(&db.pool, &student_user)
            .await
            .unwrap(),
        None
    );
    assert!(
        users::student_by_id(&db.pool, &StudentId::new(seed::STUDENT_IDS[0]))
            .await
            .unwrap()
            .unwrap()
            .deleted_at
            .is_some()
    );

    // Upserts with known ids.
    let t = users::upsert_teacher(
        &db.pool,
        &TeacherId::new(seed::TEACHER_ID),
        &teacher_user,
        Some("Prof. Nuevo"),
    )
    .await
    .unwrap();
    assert_eq!(t.display_name.as_deref(), Some("Prof. Nuevo"));
    let s = users::upsert_student(&db.pool, &StudentId::new("roster-1"), None, "Nuevo Alumno")
        .await
        .unwrap();
    assert_eq!(s.user_id, None);
    let p = users::upsert_parent(
        &db.pool,
        &ParentId::new(seed::PARENT_ID),
        &parent_user,
        None,
    )
    .await
    .unwrap();
    assert_eq!(p.display_name, None);
}

#[tokio::test]
async fn authorization_helpers_answer_the_scope_questions() {
    let db = seeded_db().await;
    let (teacher, course, parent) = (
        TeacherId::new(seed::TEACHER_ID),
        CourseId::new(seed::COURSE_ID),
        ParentId::new(seed::PARENT_ID),
    );
    let [diego, valentina, ..] = seed::STUDENT_IDS.map(StudentId::new);

    assert!(
        users::is_course_teacher(&db.pool, &teacher, &course)
            .await
            .unwrap()
    );
    assert!(
        !users::is_course_teacher(&db.pool, &teacher, &CourseId::new("other-course"))
            .await
            .unwrap()
    );
    assert_eq!(
        users::course_ids_of_teacher(&db.pool, &teacher)
            .await
            .unwrap(),
        [course.as_str()]
    );
    assert!(
        users::teaches_student(&db.pool, &teacher, &diego)
            .await
            .unwrap()
    );
    assert!(
        users::has_confirmed_link(&db.pool, &parent, &diego)
            .await
            .unwrap()
    );
    assert!(
        !users::has_confirmed_link(&db.pool, &parent, &valentina)
            .await
            .unwrap()
    );

    // An unconfirmed link grants nothing; confirming keeps the confirmation on later upserts.
    let link = users::upsert_parent_link(&db.pool, &parent, &valentina, "MADRE", None)
        .await
        .unwrap();
    assert_eq!(link.confirmed_at, None);
    assert!(
        !users::has_confirmed_link(&db.pool, &parent, &valentina)
            .await
            .unwrap()
    );
    let confirmed_at = now();
    users::upsert_parent_link(&db.pool, &parent, &valentina, "MADRE", Some(confirmed_at))
        .await
        .unwrap();
    let kept = users::upsert_parent_link(&db.pool, &parent, &valentina, "TUTOR", None)
        .await
        .unwrap();
    assert_eq!(
        (kept.relationship.as_str(), kept.confirmed_at),
        ("TUTOR", Some(confirmed_at))
    );
    let visible: Vec<StudentId> = users::confirmed_students_of_parent(&db.pool, &parent)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(visible, [diego.clone(), valentina.clone()]);

    // Leaving the course: enrolled, but not actively; the teacher no longer teaches them.
    sqlx::query("UPDATE enrollments SET status = 'LEFT', left_at = now() WHERE student_id = $1")
        .bind(&valentina)
        .execute(&db.pool)
        .await
        .unwrap();
    assert!(
        users::is_enrolled(&db.pool, &valentina, &course, false)
            .await
            .unwrap()
    );
    assert!(
        !users::is_enrolled(&db.pool, &valentina, &course, true)
            .await
            .unwrap()
    );
    assert!(
        !users::teaches_student(&db.pool, &teacher, &valentina)
            .await
            .unwrap()
    );
    // Joining again reactivates the same enrollment.
    let before = users::enrollments_of_student(&db.pool, &valentina)
        .await
        .unwrap();
    let rejoined = users::enroll(&db.pool, &course, &valentina).await.unwrap();
    assert_eq!(
        (
            rejoined.id.as_str(),
            rejoined.status.as_str(),
            rejoined.left_at
        ),
        (before[0].id.as_str(), "ACTIVE", None)
    );
    assert!(
        users::teaches_student(&db.pool, &teacher, &valentina)
            .await
            .unwrap()
    );

    let assistant = users::add_course_teacher(&db.pool, &course, &teacher, "ASSISTANT")
        .await
        .unwrap();
    assert_eq!(assistant.role, "ASSISTANT");
}
