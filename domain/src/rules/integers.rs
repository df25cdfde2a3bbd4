//! Signed integers: INT_ADD, INT_SUB, INT_MUL (domain.md §1.5). Exact correctness.

use super::common::{Op, int_lit};
use super::pattern;
use super::tags::*;
use super::{AttemptInput, Classification};
use crate::js;

/// Operands from the first step with `\(?\s*(-?\d+)\s*\)?\s*[OPS]\s*\(?\s*(-?\d+)\s*\)?`
/// (optional parentheses around signed integers, e.g. `5 - (-3)`, `(-4) × 6`), else from both
/// fields.
fn operands(ops: &str, input: &AttemptInput) -> Option<(Op, Op)> {
    if let Some((a, b)) = pattern::paren_int_op_int(input.first_step(), ops) {
        return Some((Op::num(int_lit(a)), Op::num(int_lit(b))));
    }
    Op::pair_from_fields(input.minuend, input.subtrahend)
}

/// INT_ADD — IntAdditionStrategy.
pub(super) fn addition(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if s == e {
        return Classification::CORRECT;
    }
    let Some((a, b)) = operands("+", input) else {
        return Classification::UNCLASSIFIED;
    };
    // `a !== 0 && b !== 0`: a JSON null operand is `!== 0`.
    let same_sign = !a.strict_eq(0.0) && !b.strict_eq(0.0) && (a.v < 0.0) == (b.v < 0.0);
    if same_sign {
        let wrong = js::sign(a.v) * (a.v.abs() - b.v.abs()).abs();
        if s == wrong && wrong != e {
            return Classification::error(INT_ADD_SAME_SIGN_SUBTRACTS_G7, 0.9);
        }
    }
    // Zero counts as non-negative.
    let diff_sign = (a.v < 0.0) != (b.v < 0.0);
    if diff_sign {
        let magnitudes = a.v.abs() + b.v.abs();
        if (s == magnitudes || s == -magnitudes) && s.abs() != e.abs() {
            return Classification::error(INT_ADD_DIFF_SIGN_ADDS_MAGNITUDES_G7, 0.88);
        }
        if s == -e && e != 0.0 {
            return Classification::error(INT_ADD_KEEPS_WRONG_SIGN_G7, 0.82);
        }
    }
    Classification::UNCLASSIFIED
}

/// INT_SUB — IntSubtractionStrategy.
pub(super) fn subtraction(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if s == e {
        return Classification::CORRECT;
    }
    let Some((a, b)) = operands("-", input) else {
        return Classification::UNCLASSIFIED;
    };
    if b.v < 0.0 {
        let wrong = a.v - b.v.abs();
        if s == wrong && wrong != e {
            return Classification::error(INT_SUB_DOUBLE_NEGATIVE_NOT_APPLIED_G7, 0.9);
        }
    }
    if b.v > 0.0 {
        let wrong = a.v + b.v;
        if s == wrong && wrong != e {
            return Classification::error(INT_SUB_AS_ADD_SIGN_ERROR_G7, 0.85);
        }
    }
    Classification::UNCLASSIFIED
}

/// INT_MUL — IntMultiplicationStrategy (sign rules).
pub(super) fn multiplication(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if s == e {
        return Classification::CORRECT;
    }
    let Some((a, b)) = operands("•×xX*", input) else {
        return Classification::UNCLASSIFIED;
    };
    let p = (a.v * b.v).abs();
    if a.v < 0.0 && b.v < 0.0 && s == -p && e > 0.0 {
        return Classification::error(INT_SIGN_NEG_TIMES_NEG_IS_NEG_G7, 0.9);
    }
    if (a.v < 0.0) != (b.v < 0.0) && s == p && e < 0.0 {
        return Classification::error(INT_SIGN_NEG_TIMES_POS_IS_POS_G7, 0.9);
    }
    Classification::UNCLASSIFIED
}
