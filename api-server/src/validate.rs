//! Field validation: every problem of a request body collected into one 400 whose `message` is
//! the list of them (the reference's format), one message per offending field, named as the
//! client sent it. Each request type states its rules once, in its [`Validate`] impl next to
//! the type in the contract; [`crate::body::JsonBody::parse`] runs them, so no handler builds
//! its own list.

use crate::error::ApiError;

/// The rules of a request type beyond its shape.
pub trait Validate {
    fn validate(&self, problems: &mut Problems);
}

/// The problems found so far.
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    /// Records `message` unless `ok`.
    pub fn check(&mut self, ok: bool, message: impl FnOnce() -> String) {
        if !ok {
            self.0.push(message());
        }
    }

    /// `<field> should not be empty` for an empty or blank string.
    pub fn not_blank(&mut self, field: &str, value: &str) {
        self.check(!value.trim().is_empty(), || {
            format!("{field} should not be empty")
        });
    }

    /// [`Self::not_blank`] for an optional field: absent is fine, blank is not.
    pub fn not_blank_if_present(&mut self, field: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.not_blank(field, value);
        }
    }

    /// `<field> must be longer than or equal to <min> characters`, and the same for `max`.
    pub fn chars_between(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.0.push(format!(
                "{field} must be longer than or equal to {min} characters"
            ));
        } else if n > max {
            self.0.push(format!(
                "{field} must be shorter than or equal to {max} characters"
            ));
        }
    }

    /// `<field> must be an integer from <min> to <max>`.
    pub fn in_range(&mut self, field: &str, value: Option<i64>, min: i64, max: i64) {
        if let Some(v) = value {
            self.check((min..=max).contains(&v), || {
                format!("{field} must be an integer from {min} to {max}")
            });
        }
    }

    /// `<field> must be a code: letters, digits and _ . : - (starting with a letter or digit)`:
    /// keys and codes are printable identifiers, never free text ([`CODE_PATTERN`]).
    /// An empty value is [`Self::not_blank`]'s to report.
    pub fn code(&mut self, field: &str, value: &str) {
        self.check(value.is_empty() || is_code(value), || {
            format!("{field} must be a code: letters, digits and _ . : - (starting with a letter or digit)")
        });
    }

    /// `<field> must be a number from <min> to <max>` (finite).
    pub fn number_between(&mut self, field: &str, value: f64, min: f64, max: f64) {
        self.check(value.is_finite() && (min..=max).contains(&value), || {
            format!("{field} must be a number from {min} to {max}")
        });
    }

    /// `<field> must be an email`.
    pub fn email(&mut self, field: &str, value: &str) {
        self.check(innova_core::identity::is_valid_email(value), || {
            format!("{field} must be an email")
        });
    }

    /// `Ok` when nothing was found, else the 400 listing everything.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

/// The shape of keys and codes (topic keys, error-tag and subdomain codes, invitation codes), as
/// the contract states it on each such field.
pub const CODE_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$";

/// Whether `value` matches [`CODE_PATTERN`].
pub fn is_code(value: &str) -> bool {
    let mut bytes = value.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// Runs `value`'s rules.
pub fn validated<T: Validate>(value: T) -> Result<Valid<T>, ApiError> {
    let mut problems = Problems::default();
    value.validate(&mut problems);
    problems.finish().map(|()| Valid(value))
}

/// A request body or query whose rules held: built only by [`validated`] (so only by the
/// extractors' `parse`), and what the conversions into the use cases' inputs take — a value that
/// was not checked cannot reach a use case, and the use cases re-check nothing.
///
/// ```
/// use innova_api_server::api::types::classrooms::CreateInvite;
/// use innova_api_server::validate::validated;
/// let body = CreateInvite { expires_in_days: Some(3), max_uses: None };
/// let terms = innova_app::classrooms::InviteTerms::from(validated(body).unwrap());
/// assert!(validated(CreateInvite { expires_in_days: Some(0), max_uses: None }).is_err());
/// ```
///
/// An unchecked body does not convert:
///
/// ```compile_fail
/// use innova_api_server::api::types::classrooms::CreateInvite;
/// let body = CreateInvite { expires_in_days: Some(0), max_uses: None };
/// let terms = innova_app::classrooms::InviteTerms::from(body);
/// ```
#[derive(Debug)]
pub struct Valid<T>(T);

impl<T> Valid<T> {
    /// The checked value, to take apart (in a conversion into a use case's input).
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Valid<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_collected_in_order_and_name_their_fields() {
        let mut p = Problems::default();
        p.not_blank("studentId", " ");
        p.not_blank_if_present("courseId", None);
        p.not_blank_if_present("exerciseId", Some(""));
        p.chars_between("password", "short", 8, 1024);
        p.chars_between("comment", &"x".repeat(501), 0, 500);
        p.in_range("gradeLevel", Some(13), 1, 12);
        p.in_range("gradeLevel", None, 1, 12);
        p.email("email", "nope");
        let e = p.finish().unwrap_err();
        assert_eq!(
            e.message(),
            &crate::error::ErrorMessage::Many(vec![
                "studentId should not be empty".into(),
                "exerciseId should not be empty".into(),
                "password must be longer than or equal to 8 characters".into(),
                "comment must be shorter than or equal to 500 characters".into(),
                "gradeLevel must be an integer from 1 to 12".into(),
                "email must be an email".into(),
            ])
        );
        assert!(Problems::default().finish().is_ok());
    }

    #[test]
    fn codes_are_printable_identifiers() {
        for ok in [
            "SUB",
            "T-SUB-BORROW",
            "ARITH_SUB_BORROW_OMITTED_TENS_G3",
            "a.b:c",
            "7",
        ] {
            assert!(is_code(ok), "{ok}");
        }
        for bad in ["-x", " x", "x y", "x\u{7}", "x\u{85}", "é", "x/y", "x\ty"] {
            assert!(!is_code(bad), "{bad:?}");
        }
        // The pattern published in the contract says the same.
        let re = regex::Regex::new(CODE_PATTERN).unwrap();
        for v in ["SUB", "T-SUB", "a.b:c", "", "-x", "x y", "é", "x/y"] {
            assert_eq!(re.is_match(v), is_code(v), "{v:?}");
        }
        let mut p = Problems::default();
        p.number_between("irtA", 0.0, 0.1, 5.0);
        p.number_between("irtB", 1.8e19, -6.0, 6.0);
        p.number_between("irtB", f64::NAN, -6.0, 6.0);
        p.number_between("irtB", 6.0, -6.0, 6.0);
        assert_eq!(
            p.finish().unwrap_err().message(),
            &crate::error::ErrorMessage::Many(vec![
                "irtA must be a number from 0.1 to 5".into(),
                "irtB must be a number from -6 to 6".into(),
                "irtB must be a number from -6 to 6".into(),
            ])
        );
    }
}
