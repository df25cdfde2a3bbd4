//! Decimals: DEC_ADD, DEC_SUB, DEC_MUL, DEC_DIV (domain.md §1.5). Correctness ≈1e-9.
//!
//! Literals (LIT) accept the Chilean decimal comma or a point: `-?\d+(?:[.,]\d+)?`; the
//! operands come from the first step with `(LIT)\s*[OPS]\s*(LIT)`.

use super::common::{approx, explains, pow10, power_of_ten_exponent};
use super::pattern;
use super::tags::*;
use super::{AttemptInput, Classification};
use crate::js;

/// A decimal literal as the strategies read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct DecimalLiteral {
    /// Digits after the first separator (0 if none).
    pub decimals: usize,
    /// The literal with its first `,` turned into `.`, parsed as a float.
    pub value: f64,
    /// All non-digits removed and parsed as an integer, negated when the literal starts with `-`.
    pub digits_as_int: f64,
}

impl DecimalLiteral {
    /// Reads text matched by the literal grammar.
    pub fn parse(lit: &str) -> DecimalLiteral {
        let decimals = lit.find(['.', ',']).map_or(0, |i| lit.len() - i - 1);
        let value: f64 = if lit.contains(',') {
            lit.replacen(',', ".", 1).parse()
        } else {
            lit.parse()
        }
        .expect("matched decimal literal");
        let digit_count = lit.bytes().filter(u8::is_ascii_digit).count();
        let magnitude = if digit_count <= 15 {
            // Exact in u64 and then in f64, so equal to `parseInt` without allocating.
            let n = lit
                .bytes()
                .filter(u8::is_ascii_digit)
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            n as f64
        } else {
            let digits: String = lit.chars().filter(char::is_ascii_digit).collect();
            js::parse_int(&digits)
        };
        let digits_as_int = if js::trim(lit).starts_with('-') {
            -magnitude
        } else {
            magnitude
        };
        DecimalLiteral {
            decimals,
            value,
            digits_as_int,
        }
    }
}

fn operands(ops: &str, step: &str) -> Option<(DecimalLiteral, DecimalLiteral)> {
    let (a, b) = pattern::decimal_op_decimal(step, ops)?;
    Some((DecimalLiteral::parse(a), DecimalLiteral::parse(b)))
}

/// Shared by DEC_ADD / DEC_SUB: the literals were right-aligned like integers, i.e. the digit
/// strings combined and the point placed after the longer fraction.
fn misaligned(
    input: &AttemptInput,
    ops: &str,
    combine: fn(f64, f64) -> f64,
    tag: &'static str,
) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if approx(s, e) {
        return Classification::CORRECT;
    }
    if let Some((a, b)) = operands(ops, input.first_step()) {
        let max_dec = a.decimals.max(b.decimals);
        if max_dec > 0 && a.decimals != b.decimals {
            let wrong = combine(a.digits_as_int, b.digits_as_int) / pow10(max_dec);
            if explains(s, wrong, e) {
                return Classification::error(tag, 0.9);
            }
        }
    }
    Classification::UNCLASSIFIED
}

/// DEC_ADD — DecimalAdditionStrategy (operator `+`).
pub(super) fn addition(input: &AttemptInput) -> Classification {
    misaligned(
        input,
        "+",
        |x, y| x + y,
        DEC_ADD_RIGHT_ALIGNED_LIKE_INTEGERS_G5,
    )
}

/// DEC_SUB — DecimalSubtractionStrategy (operator `-`).
pub(super) fn subtraction(input: &AttemptInput) -> Classification {
    misaligned(input, "-", |x, y| x - y, DEC_SUB_MISALIGNED_POINTS_G5)
}

/// `|x|` is a power of ten other than 1 (within the listed exponents).
fn is_power_of_ten(x: f64) -> bool {
    let x = x.abs();
    !approx(x, 1.0) && power_of_ten_exponent(x).is_some()
}

/// DEC_MUL — DecimalMultiplicationStrategy (operators `•×xX*`).
pub(super) fn multiplication(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if approx(s, e) {
        return Classification::CORRECT;
    }
    if let Some((a, b)) = operands("•×xX*", input.first_step())
        && !approx(e, 0.0)
        && !approx(s, 0.0)
        && power_of_ten_exponent(s / e).is_some()
    {
        return if is_power_of_ten(a.value) || is_power_of_ten(b.value) {
            Classification::error(DEC_MUL_BY_POWER_TEN_POINT_WRONG_DIRECTION_G6, 0.88)
        } else {
            Classification::error(DEC_MUL_POINT_PLACEMENT_ERROR_G6, 0.9)
        };
    }
    Classification::UNCLASSIFIED
}

/// DEC_DIV — DecimalDivisionStrategy (operators `:÷/`).
pub(super) fn division(input: &AttemptInput) -> Classification {
    let (e, s) = (input.expected_answer, input.student_answer);
    if approx(s, e) {
        return Classification::CORRECT;
    }
    if let Some((_, divisor)) = operands(":÷/", input.first_step())
        && !approx(e, 0.0)
        && !approx(s, 0.0)
    {
        if divisor.decimals > 0 && approx(s, e / pow10(divisor.decimals)) {
            return Classification::error(DEC_DIV_DIVISOR_DECIMAL_NOT_SHIFTED_G6, 0.9);
        }
        if power_of_ten_exponent(s / e).is_some() {
            return Classification::error(DEC_DIV_POINT_IGNORED_G6, 0.85);
        }
    }
    Classification::UNCLASSIFIED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_accept_comma_or_point() {
        let l = DecimalLiteral::parse("3,25");
        assert_eq!((l.decimals, l.value, l.digits_as_int), (2, 3.25, 325.0));
        let l = DecimalLiteral::parse("-0.5");
        assert_eq!((l.decimals, l.value, l.digits_as_int), (1, -0.5, -5.0));
        let l = DecimalLiteral::parse("12345678901234567890,5");
        assert_eq!((l.decimals, l.digits_as_int), (1, 123456789012345678905.0));
        let l = DecimalLiteral::parse("12");
        assert_eq!((l.decimals, l.value, l.digits_as_int), (0, 12.0, 12.0));
    }
}
