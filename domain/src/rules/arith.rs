//! Whole-number arithmetic: ARITH_SUB, ARITH_ADD, ARITH_MUL, ARITH_DIV (domain.md §1.5).

use super::common::{Op, int_lit, is_transposition, or_zero};
use super::pattern;
use super::tags::*;
use super::{AttemptInput, Classification};
use crate::js;

/// Column-wise |digit difference| without borrowing, e.g. 53−26 → |3−6|, |5−2| → 33.
/// Negative operands never enter the loop (result 0), as in the reference.
fn no_borrow(minuend: f64, subtrahend: f64) -> f64 {
    let (mut m, mut t, mut place, mut result) = (minuend, subtrahend, 1.0, 0.0);
    while m > 0.0 || t > 0.0 {
        result += (m % 10.0 - t % 10.0).abs() * place;
        place *= 10.0;
        m = (m / 10.0).floor();
        t = (t / 10.0).floor();
    }
    result
}

/// Column-wise digit sums modulo 10 (carries dropped), e.g. 47+38 → 75.
fn no_carry(a: f64, b: f64) -> f64 {
    let (mut x, mut y, mut place, mut result) = (a, b, 1.0, 0.0);
    while x > 0.0 || y > 0.0 {
        result += (x % 10.0 + y % 10.0) % 10.0 * place;
        place *= 10.0;
        x = (x / 10.0).floor();
        y = (y / 10.0).floor();
    }
    result
}

/// ARITH_SUB — SubtractionBorrowStrategy.
pub(super) fn subtraction(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if s == e {
        return Classification::CORRECT;
    }
    let m = or_zero(input.minuend);
    let t = or_zero(input.subtrahend);
    let nb = no_borrow(m, t);
    let units_m = m % 10.0;
    let units_t = t % 10.0;
    let tens_m = (m / 10.0).floor() % 10.0;
    let hundreds_m = (m / 100.0).floor() % 10.0;
    let hundreds_t = (t / 100.0).floor() % 10.0;

    if t > m && s == t - m {
        return Classification::error(ARITH_SUB_MINUEND_SUBTRAHEND_SWAPPED_G3, 0.95);
    }
    if s == nb && nb != e && units_t > units_m && tens_m > 0.0 {
        return Classification::error(ARITH_SUB_BORROW_OMITTED_TENS_G3, 0.93);
    }
    if hundreds_t > hundreds_m && tens_m == 0.0 && s == nb {
        return Classification::error(ARITH_SUB_BORROW_OMITTED_HUNDREDS_G3, 0.91);
    }
    // Independent of the answer: any wrong answer to e.g. 100−27 lands here.
    if tens_m == 0.0 && hundreds_m > 0.0 && units_t > units_m {
        return Classification::error(ARITH_SUB_BORROW_FROM_ZERO_G3, 0.87);
    }
    if !input.raw_steps.is_empty() && js::number_to_string(m).matches('0').count() >= 2 {
        return Classification::error(ARITH_SUB_BORROW_PROPAGATION_STOP_G3, 0.82);
    }
    if is_transposition(s, e) {
        return Classification::error(ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.88);
    }
    if s == 10.0 * e || 10.0 * s == e || s == (e / 10.0).floor() {
        return Classification::error(ARITH_TRANSV_PLACE_VALUE_ERROR, 0.85);
    }
    if (s - e).abs() <= 2.0 {
        return Classification::error(ARITH_TRANSV_FACT_ERROR, 0.65);
    }
    Classification::UNCLASSIFIED
}

/// ARITH_ADD — AdditionCarryStrategy (addends in `minuend` / `subtrahend`).
pub(super) fn addition(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if s == e {
        return Classification::CORRECT;
    }
    let a = or_zero(input.minuend);
    let b = or_zero(input.subtrahend);
    let nc = no_carry(a, b);
    let units_sum = a % 10.0 + b % 10.0;

    if s == nc && nc != e && units_sum >= 10.0 {
        return Classification::error(ARITH_ADD_CARRY_OMITTED_G3, 0.93);
    }
    let off = (s - nc).abs();
    if (off == 10.0 || off == 100.0) && units_sum >= 10.0 {
        return Classification::error(ARITH_ADD_CARRY_WRONG_COLUMN_G3, 0.87);
    }
    if is_transposition(s, e) {
        return Classification::error(ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.88);
    }
    if (s - e).abs() <= 2.0 {
        return Classification::error(ARITH_TRANSV_FACT_ERROR, 0.65);
    }
    Classification::UNCLASSIFIED
}

/// Operators of the ARITH_MUL step pattern `(-?\d+)\s*[•×xX*]\s*(-?\d+)`.
const MUL_OPS: &str = "•×xX*";
/// Operators of the ARITH_DIV step pattern `(-?\d+)\s*[:÷/]\s*(-?\d+)`.
const DIV_OPS: &str = ":÷/";

/// Operands from the first step, else from both fields (step text wins over fields).
fn operands(ops: &str, input: &AttemptInput) -> Option<(Op, Op)> {
    if let Some((a, b)) = pattern::int_op_int(input.first_step(), ops) {
        return Some((Op::num(int_lit(a)), Op::num(int_lit(b))));
    }
    Op::pair_from_fields(input.minuend, input.subtrahend)
}

/// `n ≥ 10` and `String(n)` is `1` followed only by zeros.
fn is_pow10(n: Op) -> bool {
    if n.v < 10.0 {
        return false;
    }
    if n.v < js::MAX_SAFE_INTEGER {
        // Without formatting: exactly 10^k (an exact double for these k).
        return (1..=15).any(|k| n.v == 10f64.powi(k));
    }
    let s = js::number_to_string(n.v);
    s.len() >= 2 && s.starts_with('1') && s[1..].bytes().all(|c| c == b'0')
}

/// ARITH_MUL — MultiplicationStrategy.
pub(super) fn multiplication(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if s == e {
        return Classification::CORRECT;
    }
    if let Some((a, b)) = operands(MUL_OPS, input) {
        if a.strict_eq(0.0) || b.strict_eq(0.0) {
            let other = if a.strict_eq(0.0) { b } else { a };
            if other.strict_eq(s) && s != 0.0 {
                return Classification::error(ARITH_MUL_ZERO_TIMES_N_EQUALS_N_G3, 0.9);
            }
        }
        if s == a.v + b.v && a.v + b.v != a.v * b.v {
            return Classification::error(ARITH_MUL_ADD_INSTEAD_G3, 0.92);
        }
        let a_pow10 = is_pow10(a);
        if a_pow10 || is_pow10(b) {
            let n = if a_pow10 { b } else { a };
            if n.strict_eq(s) {
                return Classification::error(ARITH_MUL_BY_POWER_OF_TEN_NO_ZEROS_G4, 0.9);
            }
        }
        if 0.0 < a.v && a.v < 10.0 && 0.0 < b.v && b.v < 10.0 {
            let diff = (s - e).abs();
            if a.strict_eq(diff) || b.strict_eq(diff) {
                return Classification::error(ARITH_MUL_TABLE_RECALL_ERROR_G3, 0.8);
            }
        }
        if b.v >= 10.0 {
            let no_shift = a.v * (b.v % 10.0) + a.v * ((b.v / 10.0).floor() % 10.0);
            if s == no_shift && no_shift != e {
                return Classification::error(ARITH_MUL_PARTIAL_NOT_SHIFTED_G5, 0.85);
            }
        }
        if a.v >= 10.0 && b.v >= 10.0 {
            let tens = |x: f64| (x / 10.0).floor() % 10.0;
            let units = |x: f64| x % 10.0;
            let corresponding = tens(a.v) * tens(b.v) * 100.0 + units(a.v) * units(b.v);
            if s == corresponding && corresponding != e {
                return Classification::error(ARITH_MUL_ONLY_CORRESPONDING_DIGITS_G5, 0.78);
            }
        }
    }
    if is_transposition(s, e) {
        return Classification::error(ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.85);
    }
    if e != 0.0 && (s == 10.0 * e || 10.0 * s == e) {
        return Classification::error(ARITH_TRANSV_PLACE_VALUE_ERROR, 0.82);
    }
    if (s - e).abs() <= 2.0 {
        return Classification::error(ARITH_TRANSV_FACT_ERROR, 0.6);
    }
    Classification::UNCLASSIFIED
}

/// QUOTIENT_ZERO_SKIPPED: `String(E)` has a digit followed by `0` and length ≥ 2; with every
/// `0` removed, its leading integer (`parseInt`) equals S. E.g. 105 → "15", 100 → "1".
fn quotient_zero_skipped(e: f64, s: f64) -> bool {
    let es = js::number_to_string(e);
    if es.len() < 2 || !pattern::has_digit_then_zero(&es) {
        return false;
    }
    let stripped: String = es.chars().filter(|c| *c != '0').collect();
    let parsed = js::parse_int(&stripped);
    !parsed.is_nan() && parsed == s
}

/// ARITH_DIV — DivisionLongStrategy (dividend D, divisor d). No fact-error rule.
pub(super) fn division(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if s == e {
        return Classification::CORRECT;
    }
    if let Some((dividend, divisor)) = operands(DIV_OPS, input) {
        if dividend.v > 0.0 && divisor.v > 0.0 && s == (divisor.v / dividend.v).floor() && s != e {
            return Classification::error(ARITH_DIV_DIVISOR_DIVIDEND_SWAPPED_G4, 0.86);
        }
        if quotient_zero_skipped(e, s) {
            return Classification::error(ARITH_DIV_QUOTIENT_ZERO_SKIPPED_G5, 0.85);
        }
        if s == e + 1.0 {
            return Classification::error(ARITH_DIV_PARTIAL_QUOTIENT_TOO_LARGE_G5, 0.78);
        }
        if s == e - 1.0 {
            return Classification::error(ARITH_DIV_REMAINDER_GE_DIVISOR_G4, 0.75);
        }
    }
    if is_transposition(s, e) {
        return Classification::error(ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.85);
    }
    if e != 0.0 && (s == 10.0 * e || 10.0 * s == e) {
        return Classification::error(ARITH_TRANSV_PLACE_VALUE_ERROR, 0.8);
    }
    Classification::UNCLASSIFIED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_borrow_takes_column_wise_absolute_differences() {
        assert_eq!(no_borrow(53.0, 26.0), 33.0);
        assert_eq!(no_borrow(402.0, 157.0), 355.0);
        assert_eq!(no_borrow(-53.0, 26.0), 89.0, "|-3-6| + |-6-2|·10");
        assert_eq!(
            no_borrow(-5.0, -3.0),
            0.0,
            "negative operands never enter the loop"
        );
    }

    #[test]
    fn no_carry_drops_carries() {
        assert_eq!(no_carry(47.0, 38.0), 75.0);
        assert_eq!(no_carry(95.0, 17.0), 2.0);
    }

    #[test]
    fn quotient_zero_skipped_examples() {
        assert!(quotient_zero_skipped(105.0, 15.0));
        assert!(quotient_zero_skipped(1005.0, 15.0));
        assert!(quotient_zero_skipped(100.0, 1.0));
        assert!(quotient_zero_skipped(10.5, 1.0), "\"1.5\" parses to 1");
        assert!(
            !quotient_zero_skipped(1.05, 15.0),
            "no digit directly before a 0"
        );
        assert!(!quotient_zero_skipped(0.0, 0.0), "length < 2");
    }
}
