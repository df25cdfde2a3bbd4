//! Powers and roots: POW_POWER, POW_ROOT (domain.md §1.5). Correctness ≈1e-9.

use super::common::{approx, explains, int_lit};
use super::pattern;
use super::tags::*;
use super::{AttemptInput, Classification};
use crate::js;

fn triple(c: [&str; 3]) -> (f64, f64, f64) {
    let [base, m, n] = c.map(int_lit);
    (base, m, n)
}

/// POW_POWER — PowerLawsStrategy. Step patterns (ECMAScript), tried in order; a pattern that
/// matches with a value that does not explain the answer lets the next rule run:
/// 1. product, same base: `(\d+)\s*\^\s*(\d+)\s*[•×x*]\s*\1\s*\^\s*(\d+)` (back-reference, no
///    `X`); the search backtracks, so `12^3 • 2^2` matches `2^3 • 2^2` from the 2nd character;
/// 2. power of a power: `\(\s*(\d+)\s*\^\s*(\d+)\s*\)\s*\^\s*(\d+)`;
/// 3. quotient, same base: `(\d+)\s*\^\s*(\d+)\s*[:÷]\s*\1\s*\^\s*(\d+)`;
/// 4. zero exponent: `(\d+)\s*\^\s*0(?!\d)` (look-ahead: `5^05` is not a zero exponent).
pub(super) fn power_laws(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if approx(s, e) {
        return Classification::CORRECT;
    }
    let step = input.first_step();
    if let Some((base, m, n)) = pattern::same_base_powers(step, "•×x*").map(triple)
        && explains(s, js::pow(base, m * n), e)
    {
        return Classification::error(POW_POWER_PRODUCT_MULTIPLIES_EXPONENTS_G8, 0.9);
    }
    if let Some((base, m, n)) = pattern::power_of_power(step).map(triple)
        && explains(s, js::pow(base, m + n), e)
    {
        return Classification::error(POW_POWER_OF_POWER_ADDS_EXPONENTS_G8, 0.9);
    }
    if let Some((base, m, n)) = pattern::same_base_powers(step, ":÷").map(triple)
        && explains(s, js::pow(base, m / n), e)
    {
        return Classification::error(POW_POWER_QUOTIENT_DIVIDES_EXPONENTS_G8, 0.88);
    }
    if approx(s, 0.0) && approx(e, 1.0) && pattern::has_zero_exponent(step) {
        return Classification::error(POW_POWER_ZERO_EXPONENT_EQUALS_ZERO_G8, 0.92);
    }
    Classification::UNCLASSIFIED
}

/// POW_ROOT — RootLawsStrategy (`√` is U+221A). Step patterns `√\s*\(\s*(\d+)\s*\+\s*(\d+)\s*\)`,
/// then `√\s*(\d+)` (digits directly after the radical; it does not see `√(…)`).
pub(super) fn root_laws(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if approx(s, e) {
        return Classification::CORRECT;
    }
    let step = input.first_step();
    if let Some((p, q)) = pattern::root_of_sum(step)
        && explains(s, int_lit(p).sqrt() + int_lit(q).sqrt(), e)
    {
        return Classification::error(POW_ROOT_OF_SUM_DISTRIBUTES_G9, 0.9);
    }
    if let Some(radicand) = pattern::square_root(step)
        && explains(s, int_lit(radicand) / 2.0, e)
    {
        return Classification::error(POW_ROOT_SQUARE_ROOT_HALVES_RADICAND_G8, 0.88);
    }
    Classification::UNCLASSIFIED
}
