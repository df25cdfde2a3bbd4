//! Fractions: FRACT_ADDSUB (exact), FRACT_MUL / FRACT_DIV (≈1e-9) (domain.md §1.5).
//!
//! The answers are plain numbers, not fraction strings; the fractions come from the first step.

use super::common::{approx, explains, int_lit};
use super::pattern;
use super::tags::*;
use super::{AttemptInput, Classification};
use crate::js;

/// FRACT_ADDSUB — FractionSameDenomStrategy.
///
/// FRACT_ADDSUB_INVERTED_FRACTION_G5 is not evaluated: the reference matches `String(E)`
/// against `^(-?\d+)/(\d+)$`, and a number never prints with a `/`, so it cannot fire.
pub(super) fn same_denominator(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if s == e {
        return Classification::CORRECT;
    }
    let step = input.first_step();
    // `(\d+)\/(\d+)\s*[+-]\s*(\d+)\/(\d+)`
    if let Some(c) = pattern::fraction_plus_minus_fraction(step) {
        let [n1, d1, n2, d2] = c.map(int_lit);
        // The numerator sum is used even for subtraction; `2·d1 !== d1` means d1 ≠ 0.
        if d1 == d2 && s == n1 + n2 && 2.0 * d1 != d1 {
            return Classification::error(FRACT_ADDSUB_SUM_NUMERATOR_AND_DENOMINATOR_G5, 0.9);
        }
    }
    if e != 0.0 && s != 0.0 {
        let r = s / e;
        if r.is_finite() && r.fract() == 0.0 && r > 1.0 {
            return Classification::error(FRACT_ADDSUB_IMPROPER_NOT_REDUCED_G5, 0.82);
        }
    }
    // `^(-?\d+)\s+(\d+)\/(\d+)$` on the trimmed step
    if let Some(c) = pattern::mixed_number(js::trim(step)) {
        let [w, n, k] = c.map(int_lit);
        if (s - w * k - n).abs() <= 1.0 {
            return Classification::error(FRACT_ADDSUB_WHOLE_NUMBER_LOST_G5, 0.88);
        }
    }
    if (s - e).abs() <= 1.0 {
        return Classification::error(ARITH_TRANSV_FACT_ERROR, 0.65);
    }
    Classification::UNCLASSIFIED
}

/// a/b OP c/d from the first step with `(-?\d+)\s*/\s*(\d+)\s*[OPS]\s*(-?\d+)\s*/\s*(\d+)`;
/// `None` when it does not parse or b or d is 0.
fn operands(ops: &str, step: &str) -> Option<[f64; 4]> {
    let v = pattern::fraction_op_fraction(step, ops)?.map(int_lit);
    (v[1] != 0.0 && v[3] != 0.0).then_some(v)
}

/// FRACT_MUL — FractionMultiplicationStrategy (operators `•×xX*`).
pub(super) fn multiplication(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if approx(s, e) {
        return Classification::CORRECT;
    }
    if let Some([a, b, c, d]) = operands("•×xX*", input.first_step())
        && b * c != 0.0
        && explains(s, a * d / (b * c), e)
    {
        return Classification::error(FRACT_MUL_CROSS_MULTIPLIES_G6, 0.9);
    }
    Classification::UNCLASSIFIED
}

/// FRACT_DIV — FractionDivisionStrategy (operators `:÷`).
pub(super) fn division(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if approx(s, e) {
        return Classification::CORRECT;
    }
    if let Some([a, b, c, d]) = operands(":÷", input.first_step()) {
        if b * d != 0.0 && explains(s, a * c / (b * d), e) {
            return Classification::error(FRACT_DIV_NO_RECIPROCAL_G7, 0.9);
        }
        if a * d != 0.0 && explains(s, b * c / (a * d), e) {
            return Classification::error(FRACT_DIV_INVERTS_FIRST_FRACTION_G7, 0.88);
        }
    }
    Classification::UNCLASSIFIED
}
