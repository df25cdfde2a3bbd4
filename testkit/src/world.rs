//! Test worlds: who teaches which course, who is enrolled where, which parent is linked to whom —
//! declared once, inserted into a test database, and asked about in plain Rust.
//!
//! ```ignore
//! use innova_testkit::world::{Link, World};
//!
//! let world = World::demo() // what `innova seed` inserted (course A, its teacher, students, parent)
//!     .teacher("teacher-b", "teacher.b@example.com")
//!     .student("student-b", "student.b@example.com")
//!     .parent("parent-b", "parent.b@example.com")
//!     .course("course-b", "8° B")
//!     .taught_by("course-b", "teacher-b")
//!     .enroll("course-b", "student-b") // ACTIVE
//!     .parent_of("parent-b", "seed-student-001", Link::Unconfirmed);
//! world.insert(&db.pool).await; // inserts the additions only; the demo rows are there
//! assert!(world.teaches_student("teacher-b", "student-b"));
//! ```
//!
//! Ids are the profile ids (`teachers.id`, `students.id`, `parents.id`) and `courses.id`. Each
//! person also gets a `users` row: id `u-<profile id>`, `supabase_uid` `sub-<profile id>` (the
//! token's `sub`), the email and the role as `auth_role`. Courses belong to the demo school and
//! subject. The facts methods answer from the declaration alone, never from the database, so a
//! test can compute what the server should answer.

use innova_core::db::seed;
use sqlx::PgPool;

/// A role profile's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Teacher,
    Student,
    Parent,
}

impl Kind {
    /// `users.auth_role`.
    pub fn auth_role(self) -> &'static str {
        match self {
            Kind::Teacher => "teacher",
            Kind::Student => "student",
            Kind::Parent => "parent",
        }
    }
}

/// Whether a parent link is confirmed (`parent_links.confirmed_at` set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Confirmed,
    Unconfirmed,
}

/// A user with a role profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub kind: Kind,
    /// The profile id.
    pub id: String,
    pub email: String,
    /// Already in the database (the demo data): not inserted.
    pub present: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    pub id: String,
    pub name: String,
    pub present: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Teaching {
    pub course: String,
    pub teacher: String,
    pub present: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub course: String,
    pub student: String,
    /// `ACTIVE`, `LEFT`…
    pub status: String,
    pub present: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentLink {
    pub parent: String,
    pub student: String,
    pub link: Link,
    pub present: bool,
}

/// A declared world: people, courses, who teaches and who is enrolled, parent links.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub people: Vec<Person>,
    pub courses: Vec<Course>,
    pub teachings: Vec<Teaching>,
    pub enrollments: Vec<Enrollment>,
    pub links: Vec<ParentLink>,
}

/// The status of an enrollment that counts (grants look at ACTIVE enrollments only).
pub const ACTIVE: &str = "ACTIVE";

impl World {
    /// Nothing: for a fresh database (then courses still need the demo school and subject,
    /// so in practice start from [`World::demo`]).
    pub fn empty() -> Self {
        World::default()
    }

    /// What `innova seed` inserts, marked present: the demo course taught by the demo teacher,
    /// the five demo students ACTIVE in it, and the demo parent's confirmed link to student 1.
    /// (A test of this module checks it against a seeded database.)
    pub fn demo() -> Self {
        let mut world = World::default();
        for user in &seed::DEMO_USERS {
            let kind = match user.role {
                "teacher" => Kind::Teacher,
                "student" => Kind::Student,
                "parent" => Kind::Parent,
                _ => continue,
            };
            let id = user.profile_id.expect("demo profiles have fixed ids");
            world.people.push(Person {
                kind,
                id: id.into(),
                email: user.email.into(),
                present: true,
            });
        }
        world.courses.push(Course {
            id: seed::COURSE_ID.into(),
            name: "demo course".into(),
            present: true,
        });
        world.teachings.push(Teaching {
            course: seed::COURSE_ID.into(),
            teacher: seed::TEACHER_ID.into(),
            present: true,
        });
        for student in seed::STUDENT_IDS {
            world.enrollments.push(Enrollment {
                course: seed::COURSE_ID.into(),
                student: student.into(),
                status: ACTIVE.into(),
                present: true,
            });
        }
        world.links.push(ParentLink {
            parent: seed::PARENT_ID.into(),
            student: seed::STUDENT_IDS[0].into(),
            link: Link::Confirmed,
            present: true,
        });
        world
    }

    // ---- declaring ---------------------------------------------------------------------

    fn person(mut self, kind: Kind, id: &str, email: &str) -> Self {
        self.people.push(Person {
            kind,
            id: id.into(),
            email: email.into(),
            present: false,
        });
        self
    }

    /// A teacher (user + `teachers` row).
    pub fn teacher(self, id: &str, email: &str) -> Self {
        self.person(Kind::Teacher, id, email)
    }

    /// A student (user + `students` row).
    pub fn student(self, id: &str, email: &str) -> Self {
        self.person(Kind::Student, id, email)
    }

    /// A parent (user + `parents` row).
    pub fn parent(self, id: &str, email: &str) -> Self {
        self.person(Kind::Parent, id, email)
    }

    /// A course of the demo school and subject.
    pub fn course(mut self, id: &str, name: &str) -> Self {
        self.courses.push(Course {
            id: id.into(),
            name: name.into(),
            present: false,
        });
        self
    }

    /// `teacher` teaches `course` (a `course_teachers` row, role LEAD).
    pub fn taught_by(mut self, course: &str, teacher: &str) -> Self {
        self.teachings.push(Teaching {
            course: course.into(),
            teacher: teacher.into(),
            present: false,
        });
        self
    }

    /// `student` has an ACTIVE enrollment in `course`.
    pub fn enroll(self, course: &str, student: &str) -> Self {
        self.enroll_as(course, student, ACTIVE)
    }

    /// `student` has an enrollment with this status (`LEFT`…) in `course`.
    pub fn enroll_as(mut self, course: &str, student: &str, status: &str) -> Self {
        self.enrollments.push(Enrollment {
            course: course.into(),
            student: student.into(),
            status: status.into(),
            present: false,
        });
        self
    }

    /// A `parent_links` row from `parent` to `student`.
    pub fn parent_of(mut self, parent: &str, student: &str, link: Link) -> Self {
        self.links.push(ParentLink {
            parent: parent.into(),
            student: student.into(),
            link,
            present: false,
        });
        self
    }

    // ---- inserting ---------------------------------------------------------------------

    /// Inserts everything not already present, in one transaction. Panics on a database
    /// error (a test's world must insert).
    pub async fn insert(&self, pool: &PgPool) {
        self.try_insert(pool)
            .await
            .unwrap_or_else(|e| panic!("inserting the test world: {e}"));
    }

    pub async fn try_insert(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let mut tx = pool.begin().await?;
        for p in self.people.iter().filter(|p| !p.present) {
            sqlx::query(
                "INSERT INTO users (id, supabase_uid, email, auth_role, updated_at)
                 VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)",
            )
            .bind(user_id(&p.id))
            .bind(supabase_uid(&p.id))
            .bind(&p.email)
            .bind(p.kind.auth_role())
            .execute(&mut *tx)
            .await?;
            let sql = match p.kind {
                Kind::Teacher => {
                    "INSERT INTO teachers (id, user_id, display_name) VALUES ($1, $2, $3)"
                }
                Kind::Student => {
                    "INSERT INTO students (id, user_id, display_name) VALUES ($1, $2, $3)"
                }
                Kind::Parent => {
                    "INSERT INTO parents (id, user_id, display_name) VALUES ($1, $2, $3)"
                }
            };
            sqlx::query(sql)
                .bind(&p.id)
                .bind(user_id(&p.id))
                .bind(&p.id)
                .execute(&mut *tx)
                .await?;
        }
        for c in self.courses.iter().filter(|c| !c.present) {
            sqlx::query(
                "INSERT INTO courses (id, school_id, subject_id, name, grade_level, academic_year)
                 VALUES ($1, $2, $3, $4, 8, 2026)",
            )
            .bind(&c.id)
            .bind(seed::SCHOOL_ID)
            .bind(seed::SUBJECT_ID)
            .bind(&c.name)
            .execute(&mut *tx)
            .await?;
        }
        for t in self.teachings.iter().filter(|t| !t.present) {
            sqlx::query(
                "INSERT INTO course_teachers (course_id, teacher_id, role) VALUES ($1, $2, 'LEAD')",
            )
            .bind(&t.course)
            .bind(&t.teacher)
            .execute(&mut *tx)
            .await?;
        }
        for e in self.enrollments.iter().filter(|e| !e.present) {
            sqlx::query(
                "INSERT INTO enrollments (id, course_id, student_id, status, left_at)
                 VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'ACTIVE' THEN NULL ELSE CURRENT_TIMESTAMP END)",
            )
            .bind(format!("e-{}-{}", e.course, e.student))
            .bind(&e.course)
            .bind(&e.student)
            .bind(&e.status)
            .execute(&mut *tx)
            .await?;
        }
        for l in self.links.iter().filter(|l| !l.present) {
            sqlx::query(
                "INSERT INTO parent_links (parent_id, student_id, relationship, confirmed_at)
                 VALUES ($1, $2, 'APODERADO', CASE WHEN $3 THEN CURRENT_TIMESTAMP END)",
            )
            .bind(&l.parent)
            .bind(&l.student)
            .bind(l.link == Link::Confirmed)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    // ---- facts -------------------------------------------------------------------------

    /// The person with this profile id.
    pub fn person_by_id(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

    /// The person with this email.
    pub fn person_by_email(&self, email: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.email == email)
    }

    /// `teacher` teaches `course`.
    pub fn teaches(&self, teacher: &str, course: &str) -> bool {
        self.teachings
            .iter()
            .any(|t| t.teacher == teacher && t.course == course)
    }

    /// `student` has an ACTIVE enrollment in `course`.
    pub fn active_in(&self, student: &str, course: &str) -> bool {
        self.enrollments
            .iter()
            .any(|e| e.student == student && e.course == course && e.status == ACTIVE)
    }

    /// `teacher` teaches a course in which `student` is ACTIVE.
    pub fn teaches_student(&self, teacher: &str, student: &str) -> bool {
        self.teachings
            .iter()
            .any(|t| t.teacher == teacher && self.active_in(student, &t.course))
    }

    /// `parent` has a confirmed link to `student`.
    pub fn confirmed_parent(&self, parent: &str, student: &str) -> bool {
        self.links
            .iter()
            .any(|l| l.parent == parent && l.student == student && l.link == Link::Confirmed)
    }
}

/// `users.id` of a person declared in a world.
pub fn user_id(profile_id: &str) -> String {
    format!("u-{profile_id}")
}

/// `users.supabase_uid` (the token's `sub`) of a person declared in a world.
pub fn supabase_uid(profile_id: &str) -> String {
    format!("sub-{profile_id}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    type Rows = BTreeSet<(String, String, String)>;

    /// What the database says: (course, teacher, ""), (course, student, status), (parent,
    /// student, confirmed?) — comparable with a world's declaration.
    async fn facts_in(pool: &PgPool) -> (Rows, Rows, Rows) {
        let teachings: Vec<(String, String)> =
            sqlx::query_as("SELECT course_id, teacher_id FROM course_teachers")
                .fetch_all(pool)
                .await
                .unwrap();
        let enrollments: Vec<(String, String, String)> =
            sqlx::query_as("SELECT course_id, student_id, status FROM enrollments")
                .fetch_all(pool)
                .await
                .unwrap();
        let links: Vec<(String, String, bool)> = sqlx::query_as(
            "SELECT parent_id, student_id, confirmed_at IS NOT NULL FROM parent_links",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        (
            teachings
                .into_iter()
                .map(|(c, t)| (c, t, String::new()))
                .collect(),
            enrollments.into_iter().collect(),
            links
                .into_iter()
                .map(|(p, s, c)| (p, s, c.to_string()))
                .collect(),
        )
    }

    fn declared(world: &World) -> (Rows, Rows, Rows) {
        (
            world
                .teachings
                .iter()
                .map(|t| (t.course.clone(), t.teacher.clone(), String::new()))
                .collect(),
            world
                .enrollments
                .iter()
                .map(|e| (e.course.clone(), e.student.clone(), e.status.clone()))
                .collect(),
            world
                .links
                .iter()
                .map(|l| {
                    let confirmed = l.link == Link::Confirmed;
                    (l.parent.clone(), l.student.clone(), confirmed.to_string())
                })
                .collect(),
        )
    }

    #[tokio::test]
    async fn the_demo_world_is_what_the_seed_inserts_and_additions_insert_as_declared() {
        let db = crate::seeded_db().await;
        assert_eq!(facts_in(&db.pool).await, declared(&World::demo()));

        let world = World::demo()
            .teacher("w-teacher", "w.teacher@example.com")
            .student("w-student", "w.student@example.com")
            .parent("w-parent", "w.parent@example.com")
            .course("w-course", "8° W")
            .taught_by("w-course", "w-teacher")
            .enroll("w-course", "w-student")
            .enroll_as("w-course", seed::STUDENT_IDS[1], "LEFT")
            .parent_of("w-parent", "w-student", Link::Unconfirmed);
        world.insert(&db.pool).await;
        assert_eq!(facts_in(&db.pool).await, declared(&world));
        let (uid, role): (String, String) =
            sqlx::query_as("SELECT supabase_uid, auth_role FROM users WHERE email = $1")
                .bind("w.parent@example.com")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert_eq!((uid.as_str(), role.as_str()), ("sub-w-parent", "parent"));

        // The facts, from the declaration.
        assert!(world.teaches("w-teacher", "w-course"));
        assert!(!world.teaches("w-teacher", seed::COURSE_ID));
        assert!(world.teaches_student("w-teacher", "w-student"));
        assert!(
            !world.teaches_student("w-teacher", seed::STUDENT_IDS[1]),
            "LEFT does not count"
        );
        assert!(world.teaches_student(seed::TEACHER_ID, seed::STUDENT_IDS[1]));
        assert!(world.confirmed_parent(seed::PARENT_ID, seed::STUDENT_IDS[0]));
        assert!(!world.confirmed_parent("w-parent", "w-student"));
        assert_eq!(
            world.person_by_email("w.student@example.com").unwrap().kind,
            Kind::Student
        );
    }
}
