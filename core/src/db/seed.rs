//! The demo data of data-model.md §5 (`innova seed`): idempotent, in one transaction.
//!
//! The static catalogue (organisation, course, curriculum, taxonomy, exercises, curated error
//! tags) is `seed/catalog.sql`; the demo identities are [`DEMO_USERS`], which other code (token
//! printing, tests) uses too.

use innova_domain::ids::{CourseId, ParentId, StudentId, TeacherId};
use sqlx::{Executor, PgPool};

use super::users::{self, NewUser};
use super::{DbResult, now};

/// The SQL part of the seed (embedded: the binary is self-contained).
pub const CATALOG_SQL: &str = include_str!("seed/catalog.sql");

pub const ORGANIZATION_ID: &str = "seed-org-001";
pub const SCHOOL_ID: &str = "seed-school-001";
pub const SUBJECT_ID: &str = "seed-subject-001";
pub const COURSE_ID: &str = "seed-course-001";
pub const CURRICULUM_ID: &str = "seed-curriculum-001";
pub const TEACHER_ID: &str = "seed-teacher-001";
pub const PARENT_ID: &str = "seed-parent-001";
pub const STUDENT_IDS: [&str; 5] = [
    "seed-student-001",
    "seed-student-002",
    "seed-student-003",
    "seed-student-004",
    "seed-student-005",
];
/// `users.password_hash` of the demo users: a placeholder, never a usable hash.
pub const DEMO_PASSWORD_HASH: &str = "demo_hash_not_for_prod";

/// One demo identity (data-model.md §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoUser {
    pub email: &'static str,
    /// `admin`, `teacher`, `student` or `parent`: `users.auth_role` and the identity provider's
    /// `app_metadata.role`.
    pub role: &'static str,
    /// `users.supabase_uid`, the token's `sub`.
    pub supabase_uid: &'static str,
    pub display_name: &'static str,
    /// The id of the role's profile row (`teachers`/`students`/`parents`); admins have none.
    pub profile_id: Option<&'static str>,
}

/// The 8 demo users, with fixed identity-provider ids and profile ids. `users.id` itself is
/// random (the upsert key is `supabase_uid`).
pub const DEMO_USERS: [DemoUser; 8] = [
    DemoUser {
        email: "admin@innova.demo",
        role: "admin",
        supabase_uid: "00000000-0000-0000-0000-000000000099",
        display_name: "Admin Demo",
        profile_id: None,
    },
    DemoUser {
        email: "teacher@innova.demo",
        role: "teacher",
        supabase_uid: "00000000-0000-0000-0000-000000000001",
        display_name: "Prof. Demo",
        profile_id: Some(TEACHER_ID),
    },
    DemoUser {
        email: "student1@innova.demo",
        role: "student",
        supabase_uid: "00000000-0000-0000-0000-000000000011",
        display_name: "Diego Vega",
        profile_id: Some(STUDENT_IDS[0]),
    },
    DemoUser {
        email: "student2@innova.demo",
        role: "student",
        supabase_uid: "00000000-0000-0000-0000-000000000012",
        display_name: "Valentina Reyes",
        profile_id: Some(STUDENT_IDS[1]),
    },
    DemoUser {
        email: "student3@innova.demo",
        role: "student",
        supabase_uid: "00000000-0000-0000-0000-000000000013",
        display_name: "Matías Torres",
        profile_id: Some(STUDENT_IDS[2]),
    },
    DemoUser {
        email: "student4@innova.demo",
        role: "student",
        supabase_uid: "00000000-0000-0000-0000-000000000014",
        display_name: "Camila Soto",
        profile_id: Some(STUDENT_IDS[3]),
    },
    DemoUser {
        email: "student5@innova.demo",
        role: "student",
        supabase_uid: "00000000-0000-0000-0000-000000000015",
        display_name: "Benjamín Muñoz",
        profile_id: Some(STUDENT_IDS[4]),
    },
    DemoUser {
        email: "parent@innova.demo",
        role: "parent",
        supabase_uid: "00000000-0000-0000-0000-000000000021",
        display_name: "Apoderado Demo",
        profile_id: Some(PARENT_ID),
    },
];

/// The demo user with this role (the first one, for students).
pub fn demo_user(role: &str) -> Option<&'static DemoUser> {
    DEMO_USERS.iter().find(|u| u.role == role)
}

/// Row counts after seeding an empty database (data-model.md §5.8 "Seed totals"); tables not
/// listed stay empty.
pub const EXPECTED_COUNTS: &[(&str, i64)] = &[
    ("organizations", 1),
    ("schools", 1),
    ("subjects", 1),
    ("courses", 1),
    ("course_teachers", 1),
    ("enrollments", 5),
    ("curricula", 1),
    ("units", 19),
    ("topics", 109),
    ("topic_prerequisites", 1),
    ("domains", 17),
    ("subdomains", 106),
    ("error_tags", 17),
    ("exercises", 8),
    ("users", 8),
    ("teachers", 1),
    ("students", 5),
    ("parents", 1),
    ("parent_links", 1),
];

/// Loads the demo data. Safe to run again: nothing is duplicated, fixed ids are kept, and
/// seeded rows get their demo values back (error tags excepted: existing tags are left alone).
pub async fn run(pool: &PgPool) -> DbResult<()> {
    let mut tx = pool.begin().await?;
    // Through `Executor::execute` (a boxed `Send` future): awaiting `raw_sql(..).execute(..)`
    // makes this future non-`Send` ("implementation of `Executor` is not general enough").
    (&mut *tx).execute(sqlx::raw_sql(CATALOG_SQL)).await?;

    for demo in &DEMO_USERS {
        let user = users::upsert_user_by_supabase_uid(
            &mut *tx,
            &NewUser {
                supabase_uid: Some(demo.supabase_uid.to_owned()),
                email: demo.email.to_owned(),
                auth_role: Some(demo.role.to_owned()),
                full_name: None,
                password_hash: Some(DEMO_PASSWORD_HASH.to_owned()),
            },
        )
        .await?;
        match (demo.role, demo.profile_id) {
            ("teacher", Some(id)) => {
                users::upsert_teacher(
                    &mut *tx,
                    &TeacherId::new(id),
                    &user.id,
                    Some(demo.display_name),
                )
                .await?;
            }
            ("student", Some(id)) => {
                users::upsert_student(
                    &mut *tx,
                    &StudentId::new(id),
                    Some(&user.id),
                    demo.display_name,
                )
                .await?;
            }
            ("parent", Some(id)) => {
                users::upsert_parent(
                    &mut *tx,
                    &ParentId::new(id),
                    &user.id,
                    Some(demo.display_name),
                )
                .await?;
            }
            _ => {}
        }
    }

    let course = CourseId::new(COURSE_ID);
    users::add_course_teacher(&mut *tx, &course, &TeacherId::new(TEACHER_ID), "LEAD").await?;
    for student in STUDENT_IDS {
        users::enroll(&mut *tx, &course, &StudentId::new(student)).await?;
    }
    // Confirmed: the parent views list only confirmed links.
    let (parent, child) = (ParentId::new(PARENT_ID), StudentId::new(STUDENT_IDS[0]));
    users::upsert_parent_link(&mut *tx, &parent, &child, "PADRE", Some(now())).await?;

    tx.commit().await?;
    Ok(())
}

/// Every table of the schema, for row counts.
pub const TABLES: [&str; 38] = [
    "users",
    "teachers",
    "students",
    "parents",
    "parent_links",
    "organizations",
    "schools",
    "courses",
    "course_teachers",
    "enrollments",
    "classroom_invites",
    "subjects",
    "curricula",
    "units",
    "topics",
    "topic_prerequisites",
    "official_oa_codes",
    "_OfficialOACodeToTopic",
    "domains",
    "subdomains",
    "error_tags",
    "exercises",
    "_ExerciseTargetErrors",
    "assignments",
    "assignment_targets",
    "assignment_exercises",
    "attempts",
    "attempt_steps",
    "attempt_error_reports",
    "student_topic_mastery",
    "teacher_alerts",
    "school_integrations",
    "external_id_maps",
    "guides",
    "guide_questions",
    "guide_solutions",
    "guide_submissions",
    "cost_events",
];

/// Row count of every table, in [`TABLES`] order.
pub async fn row_counts(pool: &PgPool) -> DbResult<Vec<(&'static str, i64)>> {
    let sql = TABLES
        .iter()
        .map(|t| format!("SELECT '{t}'::text, count(*) FROM \"{t}\""))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let rows: Vec<(String, i64)> = sqlx::query_as(&sql).fetch_all(pool).await?;
    Ok(TABLES
        .iter()
        .map(|t| {
            (
                *t,
                rows.iter()
                    .find(|(name, _)| name == t)
                    .map_or(0, |(_, n)| *n),
            )
        })
        .collect())
}
