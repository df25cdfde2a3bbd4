//! ALGEBRA_EQ_LINEAR — LinearEquationStrategy (domain.md §1.5). Correctness ≈1e-9.

use super::common::{approx, explains, int_lit};
use super::pattern;
use super::tags::*;
use super::{AttemptInput, Classification};
use crate::js;

/// `(a, b, c)` of `a·x + b = c` (e.g. `2x + 3 = 11`, `-x - 4 = 6`) from the first step with
/// `(-?\d*)\s*[a-zA-Z]\s*([+-]\s*\d+)\s*=\s*(-?\d+)`; `None` if it does not parse or a is 0.
fn equation(step: &str) -> Option<(f64, f64, f64)> {
    let [coefficient, b_text, c_text] = pattern::linear_equation(step)?;
    let a = match coefficient {
        "" => 1.0,
        "-" => -1.0,
        coefficient => int_lit(coefficient),
    };
    let b_text: String = b_text.chars().filter(|c| !js::is_whitespace(*c)).collect();
    let b = js::parse_int(&b_text);
    let c = int_lit(c_text);
    (a != 0.0).then_some((a, b, c))
}

/// ALGEBRA_EQ_LINEAR — LinearEquationStrategy.
pub(super) fn linear_equation(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if approx(s, e) {
        return Classification::CORRECT;
    }
    if let Some((a, b, c)) = equation(input.first_step()) {
        // Moved b across without flipping its sign.
        if explains(s, (c + b) / a, e) {
            return Classification::error(ALGEBRA_EQ_LINEAR_SIGN_FLIP_TRANSPOSE_G8, 0.9);
        }
        // Divided only c by a, then subtracted b.
        if a.abs() != 1.0 && explains(s, c / a - b, e) {
            return Classification::error(ALGEBRA_EQ_LINEAR_DIVIDES_ONE_TERM_G8, 0.85);
        }
    }
    Classification::UNCLASSIFIED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equation_coefficients() {
        assert_eq!(equation("2x + 3 = 11"), Some((2.0, 3.0, 11.0)));
        assert_eq!(equation("x+3=5"), Some((1.0, 3.0, 5.0)));
        assert_eq!(equation("-x - 4 = -6"), Some((-1.0, -4.0, -6.0)));
        assert_eq!(equation("0x + 1 = 2"), None);
        assert_eq!(equation("2x = 4"), None);
    }
}
