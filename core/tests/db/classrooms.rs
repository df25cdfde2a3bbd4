//! Courses and invitations: creating a course in the teacher's school, a teacher's and a
//! student's lists, archiving once, invitation codes with an expiry, the locked read of a join.

use innova_core::db::classrooms::{self, NewCourse, NewInvite};
use innova_core::db::seed::{COURSE_ID, SCHOOL_ID, STUDENT_IDS, SUBJECT_ID, TEACHER_ID};
use innova_core::db::{self, DbError, users};
use innova_domain::ids::{CourseId, StudentId, TeacherId};
use innova_testkit::seeded_db;

fn course(name: &str) -> NewCourse<'_> {
    NewCourse {
        school_id: SCHOOL_ID,
        subject_id: SUBJECT_ID,
        name,
        grade_level: 11,
        letter: Some("B"),
        academic_year: 2026,
    }
}

#[tokio::test]
async fn a_course_is_created_listed_for_its_teacher_and_archived_once() {
    let db = seeded_db().await;
    let pool = &db.pool;
    let teacher = TeacherId::new(TEACHER_ID);
    let math = classrooms::subject_by_code(pool, "MATH")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (math.id.as_str(), math.name.as_str()),
        (SUBJECT_ID, "Matemáticas")
    );
    assert_eq!(
        classrooms::subject_by_code(pool, "PHYS").await.unwrap(),
        None
    );

    // The demo teacher's school is the demo course's.
    assert_eq!(
        classrooms::school_for_teacher(pool, &teacher)
            .await
            .unwrap()
            .as_deref(),
        Some(SCHOOL_ID)
    );
    let created = classrooms::insert_course(pool, &course("III medio B · Matemáticas"))
        .await
        .unwrap();
    assert_eq!(created.letter.as_deref(), Some("B"));
    assert_eq!(created.archived_at, None);
    users::add_course_teacher(pool, &created.id, &teacher, "LEAD")
        .await
        .unwrap();

    let mine = classrooms::courses_of_teacher(pool, &teacher, 10, 0)
        .await
        .unwrap();
    let ids: Vec<&str> = mine.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [COURSE_ID, created.id.as_str()], "in the order added");
    let second_page = classrooms::courses_of_teacher(pool, &teacher, 1, 1)
        .await
        .unwrap();
    assert_eq!(second_page, std::slice::from_ref(&created));

    let archived = classrooms::archive_course(pool, &created.id)
        .await
        .unwrap()
        .unwrap();
    assert!(archived.archived_at.is_some());
    assert_eq!(
        classrooms::archive_course(pool, &created.id).await.unwrap(),
        None,
        "twice: nothing written"
    );
    assert_eq!(
        classrooms::archive_course(pool, &CourseId::new("no-such-course"))
            .await
            .unwrap(),
        None
    );
    let stored = classrooms::course_by_id(pool, &created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.archived_at, archived.archived_at);
    let mine = classrooms::courses_of_teacher(pool, &teacher, 10, 0)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1, "archived courses leave the teacher's list");
}

#[tokio::test]
async fn a_teacher_without_courses_gets_the_oldest_school_and_none_without_schools() {
    let db = seeded_db().await;
    let pool = &db.pool;
    sqlx::raw_sql(
        "INSERT INTO schools (id, organization_id, name, created_at)
             VALUES ('t-newer-school', 'seed-org-001', 'Newer', CURRENT_TIMESTAMP + interval '1 day');",
    )
    .execute(pool)
    .await
    .unwrap();
    assert_eq!(
        classrooms::school_for_teacher(pool, &TeacherId::new("no-courses-teacher"))
            .await
            .unwrap()
            .as_deref(),
        Some(SCHOOL_ID)
    );
    let empty = innova_testkit::fresh_db().await;
    assert_eq!(
        classrooms::school_for_teacher(&empty.pool, &TeacherId::new(TEACHER_ID))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_students_courses_are_those_of_active_enrollments_archived_included() {
    let db = seeded_db().await;
    let pool = &db.pool;
    let student = StudentId::new(STUDENT_IDS[0]);
    let other = classrooms::insert_course(pool, &course("otro"))
        .await
        .unwrap();
    let left = classrooms::insert_course(pool, &course("dejado"))
        .await
        .unwrap();
    users::enroll(pool, &other.id, &student).await.unwrap();
    users::enroll(pool, &left.id, &student).await.unwrap();
    sqlx::query("UPDATE enrollments SET status = 'LEFT' WHERE course_id = $1")
        .bind(&left.id)
        .execute(pool)
        .await
        .unwrap();
    classrooms::archive_course(pool, &other.id).await.unwrap();
    let theirs = classrooms::courses_of_student(pool, &student, 10, 0)
        .await
        .unwrap();
    let ids: Vec<&str> = theirs.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [COURSE_ID, other.id.as_str()]);
    assert!(theirs[1].archived_at.is_some());
}

#[tokio::test]
async fn invitations_expire_after_their_ttl_and_count_uses_under_a_lock() {
    let db = seeded_db().await;
    let pool = &db.pool;
    let invite = classrooms::insert_invite(
        pool,
        &NewInvite {
            course_id: &CourseId::new(COURSE_ID),
            created_by: TEACHER_ID,
            ttl_seconds: Some(3 * 86_400),
            max_uses: Some(2),
        },
    )
    .await
    .unwrap();
    assert_eq!(invite.code.len(), 25);
    assert_eq!((invite.max_uses, invite.use_count), (Some(2), 0));
    let ttl = invite.expires_at.unwrap() - invite.created_at;
    assert_eq!(ttl, chrono::Duration::days(3));

    let mut tx = db::begin(pool).await.unwrap();
    let locked = classrooms::lock_invite_by_code(&mut tx, &invite.code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(locked.invite, invite);
    assert!(!locked.course_archived);
    assert!(locked.now >= invite.created_at && locked.now < invite.expires_at.unwrap());
    assert_eq!(
        classrooms::count_use(&mut *tx, &invite.id).await.unwrap(),
        1
    );
    tx.commit().await.unwrap();

    let mut conn = pool.acquire().await.unwrap();
    let again = classrooms::lock_invite_by_code(&mut conn, &invite.code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.invite.use_count, 1);
    assert_eq!(
        classrooms::lock_invite_by_code(&mut conn, "no-such-code")
            .await
            .unwrap(),
        None
    );

    // An unlimited invitation that never expires (the reference's kind) reads back as such.
    let open = classrooms::insert_invite(
        pool,
        &NewInvite {
            course_id: &CourseId::new(COURSE_ID),
            created_by: TEACHER_ID,
            ttl_seconds: None,
            max_uses: None,
        },
    )
    .await
    .unwrap();
    assert_eq!((open.expires_at, open.max_uses), (None, None));
    assert_ne!(open.code, invite.code);

    let unknown = classrooms::insert_invite(
        pool,
        &NewInvite {
            course_id: &CourseId::new("no-such-course"),
            created_by: TEACHER_ID,
            ttl_seconds: None,
            max_uses: None,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(unknown, DbError::MissingReference { ref field } if field == "courseId"),
        "{unknown:?}"
    );
}
