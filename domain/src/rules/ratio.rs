//! Ratio: RATIO_PERCENT, RATIO_PROPORTION (domain.md §1.5). Correctness ≈1e-9.
//! Numbers use the decimal literal grammar (LIT) of the decimals strategies.

use super::common::{approx, explains, power_of_ten_exponent};
use super::decimals::DecimalLiteral;
use super::pattern;
use super::tags::*;
use super::{AttemptInput, Classification};

/// RATIO_PERCENT — PercentStrategy (`p % de base`), step pattern
/// `/(LIT)\s*%\s*(?:de la|del|de|of)?\s*(LIT)/i`.
pub(super) fn percent(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if approx(s, e) {
        return Classification::CORRECT;
    }
    if let Some((p, base)) = pattern::percent_of(input.first_step()) {
        let p = DecimalLiteral::parse(p).value;
        let base = DecimalLiteral::parse(base).value;
        if p != 0.0 && explains(s, base / p, e) {
            return Classification::error(RATIO_PERCENT_DIVIDE_BY_PERCENT_G7, 0.88);
        }
    }
    // Answer-only: applies whether or not the step parsed.
    if !approx(e, 0.0) && !approx(s, 0.0) && power_of_ten_exponent(s / e).is_some() {
        return Classification::error(RATIO_PERCENT_DECIMAL_SHIFT_ERROR_G7, 0.85);
    }
    Classification::UNCLASSIFIED
}

/// RATIO_PROPORTION — ProportionStrategy (`a:b = c:x`, the unknown being the 4th term), step
/// pattern `(LIT)\s*[:/]\s*(LIT)\s*=\s*(LIT)\s*[:/]\s*[a-zA-Z?]`.
pub(super) fn proportion(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if approx(s, e) {
        return Classification::CORRECT;
    }
    if let Some(terms) = pattern::proportion(input.first_step()) {
        let [a, b, c] = terms.map(|t| DecimalLiteral::parse(t).value);
        if explains(s, c + (b - a), e) {
            return Classification::error(RATIO_PROPORTION_ADDITIVE_STRATEGY_G7, 0.88);
        }
        if b != 0.0 && explains(s, a * c / b, e) {
            return Classification::error(RATIO_PROPORTION_CROSS_PRODUCT_ERROR_G7, 0.85);
        }
    }
    Classification::UNCLASSIFIED
}
