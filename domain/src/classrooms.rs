//! Courses ("classrooms") and their invitations: the name a new course gets when the teacher
//! gives none, and whether an invitation code still admits a student (decision 19: codes expire,
//! and may have a use limit).

use std::time::Duration;

/// Grades a course can have (Chilean school years: 1°–8° básico, I–IV medio).
pub const GRADES: std::ops::RangeInclusive<i32> = 1..=12;

/// How long an invitation is valid when the teacher does not say (decision 19).
pub const DEFAULT_INVITE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The label of a grade: `"<g>° básico"` up to 8, `"I medio"` … `"IV medio"` for 9–12, and
/// `"<g − 8>° medio"` beyond (the reference's rule; the API admits 1–12 only).
pub fn grade_label(grade: i32) -> String {
    match grade {
        ..=8 => format!("{grade}° básico"),
        9 => "I medio".into(),
        10 => "II medio".into(),
        11 => "III medio".into(),
        12 => "IV medio".into(),
        _ => format!("{}° medio", grade - 8),
    }
}

/// The name of a new course: the teacher's `name` when it has more than blanks (trimmed),
/// else the derived label `<grade label>[ <LETTER>] · <subject name>` — `4° básico ·
/// Matemática`, `III medio B · Matemática` (reference §2.12, R63).
pub fn course_name(name: Option<&str>, grade: i32, letter: Option<&str>, subject: &str) -> String {
    if let Some(given) = name.map(str::trim).filter(|n| !n.is_empty()) {
        return given.to_owned();
    }
    let mut label = grade_label(grade);
    if let Some(letter) = letter.map(str::trim).filter(|l| !l.is_empty()) {
        label.push(' ');
        label.push_str(&letter.to_uppercase());
    }
    format!("{label} · {subject}")
}

/// What an invitation is, for deciding on a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteState {
    /// Milliseconds since the epoch; `None`: never expires (the reference's invitations).
    pub expires_at_ms: Option<i64>,
    /// `None`: unlimited.
    pub max_uses: Option<i32>,
    pub use_count: i32,
}

/// Why an invitation does not admit a join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteRefusal {
    /// `expiresAt` has passed: `Invitation code has expired`.
    Expired,
    /// `useCount` reached `maxUses`: `Invitation code has reached its usage limit`.
    Exhausted,
}

impl InviteRefusal {
    /// The reference's message.
    pub fn message(self) -> &'static str {
        match self {
            InviteRefusal::Expired => "Invitation code has expired",
            InviteRefusal::Exhausted => "Invitation code has reached its usage limit",
        }
    }
}

impl InviteState {
    /// Whether a join that **consumes a use** may proceed at `now_ms`: not expired (the
    /// reference's `expiresAt < now`), then not used up.
    pub fn admits(&self, now_ms: i64) -> Result<(), InviteRefusal> {
        if self.expired(now_ms) {
            return Err(InviteRefusal::Expired);
        }
        if self.max_uses.is_some_and(|max| self.use_count >= max) {
            return Err(InviteRefusal::Exhausted);
        }
        Ok(())
    }

    /// Whether the invitation has expired at `now_ms` (a join that consumes nothing — a student
    /// already in the course — is still refused with an expired code).
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_at_ms.is_some_and(|at| at < now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_names_follow_the_reference() {
        let math = "Matemática";
        assert_eq!(course_name(None, 4, None, math), "4° básico · Matemática");
        assert_eq!(
            course_name(None, 11, Some("b"), math),
            "III medio B · Matemática"
        );
        assert_eq!(
            course_name(Some("   "), 4, Some("a"), math),
            "4° básico A · Matemática",
            "a blank name is no name"
        );
        assert_eq!(
            course_name(Some("  Taller de álgebra "), 9, Some("A"), math),
            "Taller de álgebra"
        );
        let labels: Vec<String> = [1, 8, 9, 10, 11, 12, 13].map(grade_label).into();
        assert_eq!(
            labels,
            [
                "1° básico",
                "8° básico",
                "I medio",
                "II medio",
                "III medio",
                "IV medio",
                "5° medio"
            ]
        );
        assert_eq!(
            course_name(None, 7, Some("ñ"), "Física"),
            "7° básico Ñ · Física"
        );
    }

    #[test]
    fn invitations_expire_then_run_out() {
        let open = InviteState {
            expires_at_ms: None,
            max_uses: None,
            use_count: 1_000,
        };
        assert_eq!(open.admits(i64::MAX), Ok(()), "never expires, unlimited");
        let limited = InviteState {
            expires_at_ms: Some(1_000),
            max_uses: Some(2),
            use_count: 1,
        };
        assert_eq!(
            limited.admits(1_000),
            Ok(()),
            "valid through its expiry instant"
        );
        assert_eq!(limited.admits(1_001), Err(InviteRefusal::Expired));
        let full = InviteState {
            use_count: 2,
            ..limited
        };
        assert_eq!(full.admits(999), Err(InviteRefusal::Exhausted));
        assert_eq!(
            full.admits(5_000),
            Err(InviteRefusal::Expired),
            "expiry is said first"
        );
        assert!(full.expired(1_001) && !full.expired(1_000) && !open.expired(i64::MAX));
        assert_eq!(
            InviteRefusal::Exhausted.message(),
            "Invitation code has reached its usage limit"
        );
    }
}
