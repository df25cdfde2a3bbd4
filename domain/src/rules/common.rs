//! Helpers shared by the strategies (domain.md §1.4), and for tests the reference's ECMAScript
//! patterns compiled with general regex engines.

use super::Operand;
use crate::js;

/// `|a − b| < 1e-9` (absolute tolerance of the newer strategies).
pub(super) fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// The guard of every newer rule: the answer matches the wrong value (≈), and the wrong value
/// is not (≈) the right answer.
pub(super) fn explains(s: f64, wrong: f64, e: f64) -> bool {
    approx(s, wrong) && !approx(wrong, e)
}

/// An operand as the TypeScript sees it after the "both present" check: a number, or `null`
/// which is 0 in arithmetic and ordering but never `===` to a number.
#[derive(Debug, Clone, Copy)]
pub(super) struct Op {
    /// The value used in arithmetic and `<`/`>` (0 for `null`).
    pub v: f64,
    pub is_null: bool,
}

impl Op {
    pub fn num(v: f64) -> Op {
        Op { v, is_null: false }
    }

    /// `this === x`.
    pub fn strict_eq(self, x: f64) -> bool {
        !self.is_null && self.v == x
    }

    /// Operand pair from the fields when both are not `undefined` (ARITH_MUL, ARITH_DIV, INT_*).
    pub fn pair_from_fields(a: Operand, b: Operand) -> Option<(Op, Op)> {
        fn op(o: Operand) -> Option<Op> {
            match o {
                Operand::Absent => None,
                Operand::Null => Some(Op {
                    v: 0.0,
                    is_null: true,
                }),
                Operand::Value(v) => Some(Op::num(v)),
            }
        }
        Some((op(a)?, op(b)?))
    }
}

/// `operand ?? 0`.
pub(super) fn or_zero(o: Operand) -> f64 {
    o.value().unwrap_or(0.0)
}

/// Digit counts of `String(|n|)` (a multiset: equal counts ⇔ equal sorted digit lists); `None`
/// when the string has a non-digit (`.` or an exponent), which makes the reference's
/// element-wise comparison false (NaN never equals anything).
fn digit_counts(n: f64) -> Option<[u8; 10]> {
    let mut counts = [0u8; 10];
    let n = n.abs();
    if n.fract() == 0.0 && n < js::MAX_SAFE_INTEGER {
        // The common case without formatting: the integer's own digits (see `number_to_string`).
        let mut m = n as u64;
        loop {
            counts[(m % 10) as usize] += 1;
            m /= 10;
            if m == 0 {
                return Some(counts);
            }
        }
    }
    for b in js::number_to_string(n).bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        counts[usize::from(b - b'0')] += 1;
    }
    Some(counts)
}

/// isTransposition(a, b): same multiset of digits (sign ignored, integers only).
pub(super) fn is_transposition(a: f64, b: f64) -> bool {
    match (digit_counts(a), digit_counts(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// powerOfTenExponent(r): the first k in −4, −3, −2, −1, 1, 2, 3, 4 with `approx(r, 10^k)`.
pub(super) fn power_of_ten_exponent(r: f64) -> Option<i32> {
    POWERS_OF_TEN
        .iter()
        .find(|(_, p)| approx(r, *p))
        .map(|(k, _)| *k)
}

/// `Math.pow(10, k)` for the exponents of powerOfTenExponent, as V8 computes them (10^-4 is
/// 9.999999999999999e-5 there, not the literal 1e-4; checked in the tests).
const POWERS_OF_TEN: [(i32, f64); 8] = [
    (-4, 9.999_999_999_999_999e-5),
    (-3, 1e-3),
    (-2, 1e-2),
    (-1, 1e-1),
    (1, 1e1),
    (2, 1e2),
    (3, 1e3),
    (4, 1e4),
];

/// `Math.pow(10, n)` for a non-negative integer count of decimals.
pub(super) fn pow10(n: usize) -> f64 {
    js::pow(10.0, n as f64)
}

/// A captured integer literal (`-?\d+`) as the TypeScript parses it (`Number`/`parseInt` agree
/// on such text; both round to the nearest double and overflow to Infinity).
pub(super) fn int_lit(s: &str) -> f64 {
    s.parse().expect("captured integer literal")
}

/// The reference's ECMAScript patterns compiled with general engines, as test oracles for
/// the hand-written matchers in `pattern`.
#[cfg(test)]
pub(super) mod js_patterns {
    use crate::js;

    /// Translates an ECMAScript pattern into `regex` syntax with the same meaning: `\d` is ASCII
    /// only in JavaScript (Unicode in `regex`) and `\s` is the ECMAScript whitespace set.
    pub(in crate::rules) fn translate(js_pattern: &str) -> String {
        js_pattern
            .replace(r"\d", "[0-9]")
            .replace(r"\s", js::WHITESPACE_CLASS)
    }

    /// Compiles an ECMAScript pattern without back-references or look-around. `regex` returns the
    /// leftmost match and, among matches starting there, the one a backtracking engine would
    /// find (leftmost-first), so captures equal JavaScript's.
    pub(in crate::rules) fn js_regex(js_pattern: &str) -> regex::Regex {
        regex::Regex::new(&translate(js_pattern)).expect("static pattern compiles")
    }

    /// Compiles an ECMAScript pattern that needs back-references or look-ahead (backtracking VM).
    pub(in crate::rules) fn js_fancy_regex(js_pattern: &str) -> fancy_regex::Regex {
        fancy_regex::Regex::new(&translate(js_pattern)).expect("static pattern compiles")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposition_compares_digit_multisets() {
        assert!(is_transposition(72.0, 27.0));
        assert!(is_transposition(-27.0, 27.0));
        assert!(is_transposition(1.0e20, 1.0e20));
        assert!(!is_transposition(27.0, 270.0));
        assert!(!is_transposition(2.7, 7.2), "non-integers never transpose");
        assert!(!is_transposition(27.0, 28.0));
    }

    #[test]
    fn powers_of_ten_are_math_pow_values() {
        for (k, p) in POWERS_OF_TEN {
            assert_eq!(p, js::pow(10.0, f64::from(k)), "10^{k}");
        }
    }

    #[test]
    fn power_of_ten_exponent_checks_the_listed_exponents_only() {
        assert_eq!(power_of_ten_exponent(10.0), Some(1));
        assert_eq!(power_of_ten_exponent(0.1), Some(-1));
        assert_eq!(power_of_ten_exponent(1e-4 + 1e-10), Some(-4));
        assert_eq!(power_of_ten_exponent(1.0), None);
        assert_eq!(power_of_ten_exponent(1e5), None);
    }

    #[test]
    fn patterns_use_ascii_digits_and_ecmascript_whitespace() {
        use super::js_patterns::js_regex;
        let re = js_regex(r"^(\d+)\s(\d+)$");
        assert!(re.is_match("1\u{FEFF}2"));
        assert!(!re.is_match("1\u{85}2"));
        assert!(
            !re.is_match("١ 2"),
            "Arabic-Indic digit is not \\d in JavaScript"
        );
    }
}
