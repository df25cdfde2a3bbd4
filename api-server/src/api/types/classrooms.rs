//! `/classrooms`: courses — creating one, a teacher's and a student's, one course, invitations
//! by code (with an expiry and an optional use limit, decision 19), joining, archiving.

use innova_domain::ids::CourseId;
use std::time::Duration;

use innova_app::classrooms as app;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::iso;
use crate::validate::{Problems, Valid, Validate};

/// Longest course name accepted.
pub const MAX_NAME: usize = 200;
/// Longest description accepted (it is not stored: the schema has no column for it).
pub const MAX_DESCRIPTION: usize = 2_000;
/// Longest section letter accepted.
pub const MAX_LETTER: usize = 5;
/// Longest subject code or invitation code accepted.
const MAX_CODE: usize = 100;
/// Longest an invitation can be valid, in days.
pub const MAX_INVITE_DAYS: i64 = 365;
/// Most uses an invitation can admit.
pub const MAX_INVITE_USES: i64 = 10_000;

// ---- the course ---------------------------------------------------------------------------------

/// A course, as stored.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Course {
    pub id: CourseId,
    pub school_id: String,
    pub subject_id: String,
    /// `4° básico A · Matemáticas` when the teacher gave no name.
    pub name: String,
    /// 1–12 (1°–8° básico, I–IV medio).
    pub grade_level: i32,
    /// The section letter, as given.
    pub letter: Option<String>,
    pub academic_year: i32,
    /// The course's id in an external system (LMS, SIS).
    pub external_id: Option<String>,
    /// ISO-8601 UTC.
    pub created_at: String,
    /// ISO-8601 UTC; `null` while the course is active.
    pub archived_at: Option<String>,
}

impl From<app::CourseRow> for Course {
    fn from(c: app::CourseRow) -> Self {
        Course {
            id: c.id,
            school_id: c.school_id,
            subject_id: c.subject_id,
            name: c.name,
            grade_level: c.grade_level,
            letter: c.letter,
            academic_year: c.academic_year,
            external_id: c.external_id,
            created_at: iso(c.created_at),
            archived_at: c.archived_at.map(iso),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ClassroomPath {
    /// The course id.
    pub id: CourseId,
}

// ---- POST /classrooms -------------------------------------------------------------------------

/// A new course; every field is optional.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateClassroom {
    /// The course's name; when absent or blank it is derived from the grade, the letter and the
    /// subject (`III medio B · Matemáticas`).
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub name: Option<String>,
    /// Accepted for the reference's clients; not stored (the schema has no column for it).
    #[serde(default)]
    #[schemars(length(max = 2000))]
    pub description: Option<String>,
    /// School grade, 1–12 (default 4).
    #[serde(default)]
    #[schemars(range(min = 1, max = 12))]
    pub grade_level: Option<i64>,
    /// Section letter (`A`, `B`…), 1–5 characters.
    #[serde(default)]
    #[schemars(length(min = 1, max = 5))]
    pub letter: Option<String>,
    /// The subject's code (default `MATH`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub subject_code: Option<String>,
}

impl Validate for CreateClassroom {
    fn validate(&self, p: &mut Problems) {
        if let Some(name) = &self.name {
            p.chars_between("name", name, 0, MAX_NAME);
        }
        if let Some(description) = &self.description {
            p.chars_between("description", description, 0, MAX_DESCRIPTION);
        }
        p.in_range("gradeLevel", self.grade_level, 1, 12);
        if let Some(letter) = &self.letter {
            p.not_blank("letter", letter);
            p.chars_between("letter", letter, 0, MAX_LETTER);
        }
        if let Some(code) = &self.subject_code {
            p.not_blank("subjectCode", code);
            p.chars_between("subjectCode", code, 0, MAX_CODE);
        }
    }
}

impl From<Valid<CreateClassroom>> for app::NewClassroom {
    /// After [`Validate`]: the grade is 1–12.
    fn from(body: Valid<CreateClassroom>) -> Self {
        let body = body.into_inner();
        app::NewClassroom {
            name: body.name,
            grade_level: body.grade_level.map(|g| g.clamp(1, 12) as i32),
            letter: body.letter,
            subject_code: body.subject_code,
        }
    }
}

// ---- GET /classrooms/mine, /classrooms/student/mine ------------------------------------------

/// Courses per page when `limit` is absent (and at most).
pub const MAX_COURSES: u32 = 100;

/// `?limit=&page=` of a course list.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CoursesQuery {
    /// Courses per page, 1–100 (default 100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// 1-based page of `limit` courses (default 1).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100000))]
    pub page: Option<u32>,
}

impl Validate for CoursesQuery {
    fn validate(&self, p: &mut Problems) {
        p.in_range(
            "limit",
            self.limit.map(i64::from),
            1,
            i64::from(MAX_COURSES),
        );
        p.in_range("page", self.page.map(i64::from), 1, 100_000);
    }
}

impl CoursesQuery {
    /// The page, with the defaults applied.
    pub fn window(&self) -> app::Window {
        let limit = i64::from(self.limit.unwrap_or(MAX_COURSES));
        let page = i64::from(self.page.unwrap_or(1).max(1));
        app::Window {
            limit,
            offset: (page - 1) * limit,
        }
    }
}

// ---- POST /classrooms/{id}/invite -------------------------------------------------------------

/// The terms of an invitation; the body may be empty or absent (a 7-day, unlimited invitation).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateInvite {
    /// Days the code admits joins, 1–365 (default 7).
    #[serde(default)]
    #[schemars(range(min = 1, max = 365))]
    pub expires_in_days: Option<i64>,
    /// Joins the code admits, 1–10000 (default: unlimited). A student already in the course who
    /// joins again uses nothing up.
    #[serde(default)]
    #[schemars(range(min = 1, max = 10000))]
    pub max_uses: Option<i64>,
}

impl Validate for CreateInvite {
    fn validate(&self, p: &mut Problems) {
        p.in_range("expiresInDays", self.expires_in_days, 1, MAX_INVITE_DAYS);
        p.in_range("maxUses", self.max_uses, 1, MAX_INVITE_USES);
    }
}

impl From<Valid<CreateInvite>> for app::InviteTerms {
    /// After [`Validate`]: both numbers are in range.
    fn from(body: Valid<CreateInvite>) -> Self {
        let body = body.into_inner();
        app::InviteTerms {
            valid_for: body
                .expires_in_days
                .map(|d| Duration::from_secs(d.clamp(1, MAX_INVITE_DAYS) as u64 * 24 * 3600)),
            max_uses: body.max_uses.map(|n| n.clamp(1, MAX_INVITE_USES) as i32),
        }
    }
}

/// A new invitation.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteCreated {
    /// The code students type or open (25 characters, `c` then lower-case letters and digits).
    pub code: String,
    /// The link students open: `<PUBLIC_APP_URL>/join?code=<code>`.
    pub url: String,
    /// ISO-8601 UTC: the code admits joins until then.
    pub expires_at: Option<String>,
    /// Joins the code admits; `null`: unlimited.
    pub max_uses: Option<i32>,
}

impl From<app::Invitation> for InviteCreated {
    fn from(i: app::Invitation) -> Self {
        InviteCreated {
            code: i.invite.code,
            url: i.url,
            expires_at: i.invite.expires_at.map(iso),
            max_uses: i.invite.max_uses,
        }
    }
}

// ---- POST /classrooms/join --------------------------------------------------------------------

/// A code to join a course with.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinClassroom {
    /// The invitation's code.
    #[schemars(length(min = 1, max = 100))]
    #[schemars(regex(pattern = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"))]
    pub code: String,
}

impl Validate for JoinClassroom {
    fn validate(&self, p: &mut Problems) {
        p.not_blank("code", &self.code);
        p.chars_between("code", &self.code, 0, MAX_CODE);
        p.code("code", &self.code);
    }
}

// ---- DELETE /classrooms/{id} ------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validated;

    #[test]
    fn course_bodies_are_checked_field_by_field() {
        let body = |grade, letter: Option<&str>, code: Option<&str>| CreateClassroom {
            name: None,
            description: None,
            grade_level: grade,
            letter: letter.map(Into::into),
            subject_code: code.map(Into::into),
        };
        assert!(validated(body(None, None, None)).is_ok());
        assert!(validated(body(Some(12), Some("b"), Some("MATH"))).is_ok());
        let e = validated(body(Some(13), Some(" "), Some(""))).unwrap_err();
        assert_eq!(
            e.message(),
            &crate::error::ErrorMessage::Many(vec![
                "gradeLevel must be an integer from 1 to 12".into(),
                "letter should not be empty".into(),
                "subjectCode should not be empty".into(),
            ])
        );
        assert!(validated(body(Some(0), Some("ABCDEF"), None)).is_err());
    }

    #[test]
    fn invitation_terms_have_defaults_and_bounds() {
        let terms = app::InviteTerms::from(validated(CreateInvite::default()).unwrap());
        assert_eq!(terms, app::InviteTerms::default());
        let terms = app::InviteTerms::from(
            validated(CreateInvite {
                expires_in_days: Some(2),
                max_uses: Some(30),
            })
            .unwrap(),
        );
        assert_eq!(terms.valid_for, Some(Duration::from_secs(2 * 86_400)));
        assert_eq!(terms.max_uses, Some(30));
        for (days, uses) in [(Some(0), None), (Some(366), None), (None, Some(0))] {
            let body = CreateInvite {
                expires_in_days: days,
                max_uses: uses,
            };
            assert!(validated(body).is_err(), "{days:?} {uses:?}");
        }
    }

    #[test]
    fn course_lists_page() {
        let q = |limit, page| CoursesQuery { limit, page }.window();
        assert_eq!(
            q(None, None),
            app::Window {
                limit: 100,
                offset: 0
            }
        );
        assert_eq!(
            q(Some(10), Some(3)),
            app::Window {
                limit: 10,
                offset: 20
            }
        );
    }
}
