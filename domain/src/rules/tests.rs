//! Worked examples for every rule of every strategy, each with the nearest input that must not
//! fire it, plus registry-level checks.

use std::collections::BTreeSet;

use super::tags::*;
use super::*;

const A: Operand = Operand::Absent;
const NULL: Operand = Operand::Null;
const fn v(x: f64) -> Operand {
    Operand::Value(x)
}

/// One worked example: strategy key, first step ("" = no steps), E, S, minuend, subtrahend,
/// expected tag and confidence, and what it shows.
struct Case {
    key: &'static str,
    step: &'static str,
    e: f64,
    s: f64,
    m: Operand,
    t: Operand,
    want: &'static str,
    conf: f64,
    why: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn case(
    key: &'static str,
    step: &'static str,
    e: f64,
    s: f64,
    m: Operand,
    t: Operand,
    want: &'static str,
    conf: f64,
    why: &'static str,
) -> Case {
    Case {
        key,
        step,
        e,
        s,
        m,
        t,
        want,
        conf,
        why,
    }
}

fn input(step: &str, e: f64, s: f64, m: Operand, t: Operand) -> AttemptInput {
    let raw_steps = if step.is_empty() {
        Vec::new()
    } else {
        vec![RawStep {
            expression: step.to_owned(),
            is_final: true,
        }]
    };
    AttemptInput {
        raw_steps,
        expected_answer: e,
        student_answer: s,
        minuend: m,
        subtrahend: t,
    }
}

const UNCL: &str = UNCLASSIFIED;

#[rustfmt::skip]
const CASES: &[Case] = &[
    // ---- ARITH_SUB (operands from the fields, `?? 0`)
    case("ARITH_SUB", "", 27.0, 27.0, v(53.0), v(26.0), CORRECT, 1.0, "right answer"),
    case("ARITH_SUB", "", -27.0, 27.0, v(26.0), v(53.0), ARITH_SUB_MINUEND_SUBTRAHEND_SWAPPED_G3, 0.95, "26−53 answered 53−26"),
    case("ARITH_SUB", "", -27.0, 28.0, v(26.0), v(53.0), UNCL, 0.0, "T > M but S ≠ T−M"),
    case("ARITH_SUB", "", 27.0, 33.0, v(53.0), v(26.0), ARITH_SUB_BORROW_OMITTED_TENS_G3, 0.93, "53−26 → 33 (smaller from larger)"),
    case("ARITH_SUB", "", 264.0, 344.0, v(527.0), v(263.0), UNCL, 0.0, "S = noBorrow but units need no borrow (uT ≤ uM): falls through"),
    case("ARITH_SUB", "", 863.0, 1143.0, v(1205.0), v(342.0), ARITH_SUB_BORROW_OMITTED_HUNDREDS_G3, 0.91, "1205−342: hundreds borrow omitted"),
    case("ARITH_SUB", "", 863.0, 1144.0, v(1205.0), v(342.0), UNCL, 0.0, "same columns but S ≠ noBorrow"),
    case("ARITH_SUB", "", 73.0, 83.0, v(100.0), v(27.0), ARITH_SUB_BORROW_FROM_ZERO_G3, 0.87, "any wrong answer to 100−27"),
    case("ARITH_SUB", "", 73.0, 1.0, v(100.0), v(27.0), ARITH_SUB_BORROW_FROM_ZERO_G3, 0.87, "independent of S"),
    case("ARITH_SUB", "", 80.0, 90.0, v(100.0), v(20.0), UNCL, 0.0, "100−20: units need no borrow; no steps"),
    case("ARITH_SUB", "100 - 20", 80.0, 90.0, v(100.0), v(20.0), ARITH_SUB_BORROW_PROPAGATION_STOP_G3, 0.82, "M has two zeros and there are steps"),
    case("ARITH_SUB", "105 - 20", 85.0, 95.0, v(105.0), v(20.0), UNCL, 0.0, "only one zero in M"),
    case("ARITH_SUB", "", 27.0, 72.0, v(53.0), v(26.0), ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.88, "27 ↔ 72"),
    case("ARITH_SUB", "", 27.0, 71.0, v(53.0), v(26.0), UNCL, 0.0, "different digits"),
    case("ARITH_SUB", "", 27.0, 270.0, v(53.0), v(26.0), ARITH_TRANSV_PLACE_VALUE_ERROR, 0.85, "S = 10·E"),
    case("ARITH_SUB", "", 27.0, 2.0, v(53.0), v(26.0), ARITH_TRANSV_PLACE_VALUE_ERROR, 0.85, "S = floor(E/10)"),
    case("ARITH_SUB", "", 270.0, 27.0, A, A, ARITH_TRANSV_PLACE_VALUE_ERROR, 0.85, "10·S = E"),
    case("ARITH_SUB", "", 27.0, 271.0, v(53.0), v(26.0), UNCL, 0.0, "not a power-of-ten shift"),
    case("ARITH_SUB", "", 27.0, 29.0, v(53.0), v(26.0), ARITH_TRANSV_FACT_ERROR, 0.65, "off by 2"),
    case("ARITH_SUB", "", 27.0, 30.0, v(53.0), v(26.0), UNCL, 0.0, "off by 3"),
    case("ARITH_SUB", "", 5.0, 9.0, A, A, UNCL, 0.0, "operands default to 0"),
    // ---- ARITH_ADD
    case("ARITH_ADD", "", 85.0, 85.0, v(47.0), v(38.0), CORRECT, 1.0, "right answer"),
    case("ARITH_ADD", "", 85.0, 75.0, v(47.0), v(38.0), ARITH_ADD_CARRY_OMITTED_G3, 0.93, "47+38 → 75"),
    case("ARITH_ADD", "", 113.0, 13.0, v(52.0), v(61.0), UNCL, 0.0, "S = noCarry but the units do not carry"),
    case("ARITH_ADD", "", 85.0, 65.0, v(47.0), v(38.0), ARITH_ADD_CARRY_WRONG_COLUMN_G3, 0.87, "|S − noCarry| = 10"),
    case("ARITH_ADD", "", 85.0, 175.0, v(47.0), v(38.0), ARITH_ADD_CARRY_WRONG_COLUMN_G3, 0.87, "|S − noCarry| = 100"),
    case("ARITH_ADD", "", 113.0, 23.0, v(52.0), v(61.0), UNCL, 0.0, "|S − noCarry| = 10 without a units carry"),
    case("ARITH_ADD", "", 85.0, 58.0, v(47.0), v(38.0), ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.88, "85 ↔ 58"),
    case("ARITH_ADD", "", 85.0, 57.0, v(47.0), v(38.0), UNCL, 0.0, "different digits"),
    case("ARITH_ADD", "", 85.0, 86.0, v(47.0), v(38.0), ARITH_TRANSV_FACT_ERROR, 0.65, "off by 1"),
    case("ARITH_ADD", "", 85.0, 88.0, v(47.0), v(38.0), UNCL, 0.0, "off by 3"),
    // ---- ARITH_MUL (operands from the step, else both fields)
    case("ARITH_MUL", "0 × 7", 0.0, 7.0, A, A, ARITH_MUL_ZERO_TIMES_N_EQUALS_N_G3, 0.9, "0×7 → 7"),
    case("ARITH_MUL", "0 × 7", 0.0, 8.0, A, A, UNCL, 0.0, "0×7 → 8"),
    case("ARITH_MUL", "6 × 7", 42.0, 13.0, A, A, ARITH_MUL_ADD_INSTEAD_G3, 0.92, "6×7 → 6+7"),
    case("ARITH_MUL", "", 42.0, 13.0, v(6.0), v(7.0), ARITH_MUL_ADD_INSTEAD_G3, 0.92, "operands from the fields"),
    case("ARITH_MUL", "", 42.0, 13.0, v(6.0), A, UNCL, 0.0, "one field only: no operands"),
    case("ARITH_MUL", "2 * 2", 5.0, 4.0, A, A, ARITH_TRANSV_FACT_ERROR, 0.6, "a+b = a·b: not ADD_INSTEAD"),
    case("ARITH_MUL", "34 × 100", 3400.0, 34.0, A, A, ARITH_MUL_BY_POWER_OF_TEN_NO_ZEROS_G4, 0.9, "34×100 → 34"),
    case("ARITH_MUL", "10x7", 70.0, 7.0, A, A, ARITH_MUL_BY_POWER_OF_TEN_NO_ZEROS_G4, 0.9, "power of ten first"),
    case("ARITH_MUL", "34 × 100", 3400.0, 340.0, A, A, ARITH_TRANSV_PLACE_VALUE_ERROR, 0.82, "zeros partly dropped"),
    case("ARITH_MUL", "7 × 8", 56.0, 63.0, A, A, ARITH_MUL_TABLE_RECALL_ERROR_G3, 0.8, "off by one factor (7)"),
    case("ARITH_MUL", "7 X 8", 56.0, 64.0, A, A, ARITH_MUL_TABLE_RECALL_ERROR_G3, 0.8, "off by the other factor (8)"),
    case("ARITH_MUL", "7 × 8", 56.0, 60.0, A, A, UNCL, 0.0, "off by 4"),
    case("ARITH_MUL", "23 × 14", 322.0, 115.0, A, A, ARITH_MUL_PARTIAL_NOT_SHIFTED_G5, 0.85, "23·4 + 23·1"),
    case("ARITH_MUL", "23 × 4", 92.0, 115.0, A, A, UNCL, 0.0, "single-digit multiplier"),
    case("ARITH_MUL", "23 • 14", 322.0, 212.0, A, A, ARITH_MUL_ONLY_CORRESPONDING_DIGITS_G5, 0.78, "2·1·100 + 3·4"),
    case("ARITH_MUL", "23 * 14", 322.0, 213.0, A, A, UNCL, 0.0, "not the corresponding-digit product"),
    case("ARITH_MUL", "6 × 7", 42.0, 24.0, A, A, ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.85, "42 ↔ 24"),
    case("ARITH_MUL", "6 × 7", 42.0, 420.0, A, A, ARITH_TRANSV_PLACE_VALUE_ERROR, 0.82, "S = 10·E"),
    case("ARITH_MUL", "6 × 7", 42.0, 421.0, A, A, UNCL, 0.0, "no shift"),
    case("ARITH_MUL", "6 × 7", 42.0, 43.0, A, A, ARITH_TRANSV_FACT_ERROR, 0.6, "off by 1"),
    case("ARITH_MUL", "", 0.0, 7.0, v(0.0), v(7.0), ARITH_MUL_ZERO_TIMES_N_EQUALS_N_G3, 0.9, "0 from the field"),
    case("ARITH_MUL", "", 0.0, 7.0, NULL, v(7.0), ARITH_MUL_ADD_INSTEAD_G3, 0.92, "null is present but !== 0"),
    // ---- ARITH_DIV
    case("ARITH_DIV", "3 : 12", 0.25, 4.0, A, A, ARITH_DIV_DIVISOR_DIVIDEND_SWAPPED_G4, 0.86, "3:12 answered 12:3"),
    case("ARITH_DIV", "3 : 12", 0.25, 5.0, A, A, UNCL, 0.0, "not floor(d/D)"),
    case("ARITH_DIV", "315 ÷ 3", 105.0, 15.0, A, A, ARITH_DIV_QUOTIENT_ZERO_SKIPPED_G5, 0.85, "105 → 15"),
    case("ARITH_DIV", "3015 / 3", 1005.0, 15.0, A, A, ARITH_DIV_QUOTIENT_ZERO_SKIPPED_G5, 0.85, "1005 → 15"),
    case("ARITH_DIV", "315 : 3", 105.0, 16.0, A, A, UNCL, 0.0, "zeros removed give 15, not 16"),
    case("ARITH_DIV", "84 : 4", 21.0, 22.0, A, A, ARITH_DIV_PARTIAL_QUOTIENT_TOO_LARGE_G5, 0.78, "S = E + 1"),
    case("ARITH_DIV", "", 21.0, 22.0, NULL, v(4.0), ARITH_DIV_PARTIAL_QUOTIENT_TOO_LARGE_G5, 0.78, "null operand counts as present"),
    case("ARITH_DIV", "", 21.0, 22.0, A, v(4.0), UNCL, 0.0, "absent operand: answer-only rules"),
    case("ARITH_DIV", "84 : 4", 21.0, 23.0, A, A, UNCL, 0.0, "S = E + 2"),
    case("ARITH_DIV", "84 : 4", 21.0, 20.0, A, A, ARITH_DIV_REMAINDER_GE_DIVISOR_G4, 0.75, "S = E − 1"),
    case("ARITH_DIV", "84 : 4", 21.0, 12.0, A, A, ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.85, "21 ↔ 12"),
    case("ARITH_DIV", "", 21.0, 12.0, A, A, ARITH_TRANSV_DIGIT_TRANSPOSITION, 0.85, "answer-only without operands"),
    case("ARITH_DIV", "84 : 4", 21.0, 210.0, A, A, ARITH_TRANSV_PLACE_VALUE_ERROR, 0.8, "S = 10·E"),
    case("ARITH_DIV", "", 21.0, 211.0, A, A, UNCL, 0.0, "no shift"),
    case("ARITH_DIV", "", 21.0, 23.0, A, A, UNCL, 0.0, "no fact-error rule in division"),
    // ---- INT_ADD
    case("INT_ADD", "(-5) + (-3)", -8.0, -2.0, A, A, INT_ADD_SAME_SIGN_SUBTRACTS_G7, 0.9, "−5 + −3 → −2"),
    case("INT_ADD", "", -8.0, -2.0, v(-5.0), v(-3.0), INT_ADD_SAME_SIGN_SUBTRACTS_G7, 0.9, "operands from the fields"),
    case("INT_ADD", "(-5) + (-3)", -8.0, 2.0, A, A, UNCL, 0.0, "magnitudes subtracted but sign dropped"),
    case("INT_ADD", "-5 + 3", -2.0, -8.0, A, A, INT_ADD_DIFF_SIGN_ADDS_MAGNITUDES_G7, 0.88, "−5 + 3 → −8"),
    case("INT_ADD", "-5 + 3", -2.0, 8.0, A, A, INT_ADD_DIFF_SIGN_ADDS_MAGNITUDES_G7, 0.88, "−5 + 3 → 8"),
    case("INT_ADD", "-5 + 3", -2.0, 2.0, A, A, INT_ADD_KEEPS_WRONG_SIGN_G7, 0.82, "−5 + 3 → 2"),
    case("INT_ADD", "-5 + 3", -2.0, 3.0, A, A, UNCL, 0.0, "none of the sign errors"),
    case("INT_ADD", "", -2.0, 2.0, A, A, UNCL, 0.0, "no operands"),
    case("INT_ADD", "", 3.0, 0.0, NULL, v(3.0), INT_ADD_SAME_SIGN_SUBTRACTS_G7, 0.9, "null !== 0 and sign(null) = 0"),
    // ---- INT_SUB
    case("INT_SUB", "5 - (-3)", 8.0, 2.0, A, A, INT_SUB_DOUBLE_NEGATIVE_NOT_APPLIED_G7, 0.9, "5 − (−3) → 2"),
    case("INT_SUB", "5 - (-3)", 8.0, -2.0, A, A, UNCL, 0.0, "not a − |b|"),
    case("INT_SUB", "5 - 3", 2.0, 8.0, A, A, INT_SUB_AS_ADD_SIGN_ERROR_G7, 0.85, "5 − 3 → 8"),
    case("INT_SUB", "5-3", 2.0, 7.0, A, A, UNCL, 0.0, "not a + b"),
    // ---- INT_MUL
    case("INT_MUL", "(-4) × (-6)", 24.0, -24.0, A, A, INT_SIGN_NEG_TIMES_NEG_IS_NEG_G7, 0.9, "(−4)(−6) → −24"),
    case("INT_MUL", "(-4) × (-6)", 24.0, -25.0, A, A, UNCL, 0.0, "not −|ab|"),
    case("INT_MUL", "(-4) × 6", -24.0, 24.0, A, A, INT_SIGN_NEG_TIMES_POS_IS_POS_G7, 0.9, "(−4)·6 → 24"),
    case("INT_MUL", "4 × 6", 24.0, -24.0, A, A, UNCL, 0.0, "both positive"),
    // ---- FRACT_ADDSUB (exact)
    case("FRACT_ADDSUB", "2/5 + 1/5", 0.6, 0.6, A, A, CORRECT, 1.0, "right answer"),
    case("FRACT_ADDSUB", "2/5 + 1/5", 0.6, 3.0, A, A, FRACT_ADDSUB_SUM_NUMERATOR_AND_DENOMINATOR_G5, 0.9, "numerators added (3/10)"),
    case("FRACT_ADDSUB", "3/7 - 1/7", 2.0 / 7.0, 4.0, A, A, FRACT_ADDSUB_SUM_NUMERATOR_AND_DENOMINATOR_G5, 0.9, "numerator sum even when subtracting"),
    case("FRACT_ADDSUB", "2/5 + 1/7", 2.0 / 5.0 + 1.0 / 7.0, 3.0, A, A, UNCL, 0.0, "different denominators"),
    case("FRACT_ADDSUB", "", 0.5, 1.5, A, A, FRACT_ADDSUB_IMPROPER_NOT_REDUCED_G5, 0.82, "S/E = 3"),
    case("FRACT_ADDSUB", "", 0.5, 2.6, A, A, UNCL, 0.0, "S/E = 5.2"),
    case("FRACT_ADDSUB", "2 3/4", 2.75, 10.0, A, A, FRACT_ADDSUB_WHOLE_NUMBER_LOST_G5, 0.88, "mixed number, |S − 11| ≤ 1"),
    case("FRACT_ADDSUB", " 2 3/4\n", 2.75, 12.0, A, A, FRACT_ADDSUB_WHOLE_NUMBER_LOST_G5, 0.88, "trimmed first"),
    case("FRACT_ADDSUB", "2 3/4 = ?", 2.75, 10.0, A, A, UNCL, 0.0, "step is not exactly a mixed number"),
    case("FRACT_ADDSUB", "", 0.75, 1.25, A, A, ARITH_TRANSV_FACT_ERROR, 0.65, "within 1"),
    case("FRACT_ADDSUB", "", 0.75, 1.8, A, A, UNCL, 0.0, "more than 1 away"),
    // ---- FRACT_MUL / FRACT_DIV (≈)
    case("FRACT_MUL", "2/3 × 4/5", 8.0 / 15.0, 10.0 / 12.0, A, A, FRACT_MUL_CROSS_MULTIPLIES_G6, 0.9, "a·d/(b·c)"),
    case("FRACT_MUL", "2/3 × 4/5", 8.0 / 15.0, 0.8, A, A, UNCL, 0.0, "another value"),
    case("FRACT_MUL", "2/3 × 4/5", 8.0 / 15.0, 8.0 / 15.0 + 1e-12, A, A, CORRECT, 1.0, "correct within 1e-9"),
    case("FRACT_MUL", "2/3 × 0/5", 0.0, 0.5, A, A, UNCL, 0.0, "b·c = 0"),
    case("FRACT_MUL", "2/0 × 4/5", 1.0, 10.0 / 12.0, A, A, UNCL, 0.0, "zero denominator: no operands"),
    case("FRACT_DIV", "2/3 : 4/5", 10.0 / 12.0, 8.0 / 15.0, A, A, FRACT_DIV_NO_RECIPROCAL_G7, 0.9, "a·c/(b·d)"),
    case("FRACT_DIV", "2/3 ÷ 4/5", 10.0 / 12.0, 1.2, A, A, FRACT_DIV_INVERTS_FIRST_FRACTION_G7, 0.88, "b·c/(a·d)"),
    case("FRACT_DIV", "2/3 ÷ 4/5", 10.0 / 12.0, 1.3, A, A, UNCL, 0.0, "another value"),
    // ---- DEC_* (≈)
    case("DEC_ADD", "2,5 + 1,25", 3.75, 1.5, A, A, DEC_ADD_RIGHT_ALIGNED_LIKE_INTEGERS_G5, 0.9, "(25 + 125)/100"),
    case("DEC_ADD", "2.50 + 1.25", 3.75, 1.5, A, A, UNCL, 0.0, "same number of decimals"),
    case("DEC_SUB", "5,4 - 1,25", 4.15, -0.71, A, A, DEC_SUB_MISALIGNED_POINTS_G5, 0.9, "(54 − 125)/100"),
    case("DEC_SUB", "5,4 - 1,25", 4.15, 0.71, A, A, UNCL, 0.0, "sign differs"),
    case("DEC_MUL", "2,5 × 1,2", 3.0, 30.0, A, A, DEC_MUL_POINT_PLACEMENT_ERROR_G6, 0.9, "off by 10"),
    case("DEC_MUL", "2,5 × 1,2", 3.0, 31.0, A, A, UNCL, 0.0, "not a power of ten"),
    case("DEC_MUL", "", 3.0, 30.0, A, A, UNCL, 0.0, "needs operands"),
    case("DEC_MUL", "3,5 × 100", 350.0, 0.035, A, A, DEC_MUL_BY_POWER_TEN_POINT_WRONG_DIRECTION_G6, 0.88, "×100 moved the point left"),
    case("DEC_MUL", "3,5 × 1", 3.5, 35.0, A, A, DEC_MUL_POINT_PLACEMENT_ERROR_G6, 0.9, "1 is not a power of ten here"),
    case("DEC_DIV", "7,5 : 0,25", 30.0, 0.3, A, A, DEC_DIV_DIVISOR_DECIMAL_NOT_SHIFTED_G6, 0.9, "E/10^2"),
    case("DEC_DIV", "7,5 : 25", 0.3, 0.003, A, A, DEC_DIV_POINT_IGNORED_G6, 0.85, "divisor without decimals"),
    case("DEC_DIV", "7,5 : 25", 0.3, 0.004, A, A, UNCL, 0.0, "not a power of ten"),
    case("DEC_DIV", "0 : 5", 0.0, 0.1, A, A, UNCL, 0.0, "E ≈ 0"),
    // ---- RATIO_* (≈)
    case("RATIO_PERCENT", "20% de 50", 10.0, 2.5, A, A, RATIO_PERCENT_DIVIDE_BY_PERCENT_G7, 0.88, "50/20"),
    case("RATIO_PERCENT", "20 % DEL 50", 10.0, 2.5, A, A, RATIO_PERCENT_DIVIDE_BY_PERCENT_G7, 0.88, "case-insensitive"),
    case("RATIO_PERCENT", "25% of 80", 20.0, 3.2, A, A, RATIO_PERCENT_DIVIDE_BY_PERCENT_G7, 0.88, "english connector"),
    case("RATIO_PERCENT", "12,5%de la 40", 5.0, 3.2, A, A, RATIO_PERCENT_DIVIDE_BY_PERCENT_G7, 0.88, "comma literal, 'de la'"),
    case("RATIO_PERCENT", "20% de 50", 10.0, 2.6, A, A, UNCL, 0.0, "another value"),
    case("RATIO_PERCENT", "20% de 50", 10.0, 100.0, A, A, RATIO_PERCENT_DECIMAL_SHIFT_ERROR_G7, 0.85, "S/E = 10"),
    case("RATIO_PERCENT", "", 10.0, 1.0, A, A, RATIO_PERCENT_DECIMAL_SHIFT_ERROR_G7, 0.85, "answer-only"),
    case("RATIO_PERCENT", "", 10.0, 50.0, A, A, UNCL, 0.0, "S/E = 5"),
    case("RATIO_PERCENT", "0% de 50", 0.0, 5.0, A, A, UNCL, 0.0, "p = 0 and E ≈ 0"),
    case("RATIO_PROPORTION", "2:4 = 6:x", 12.0, 8.0, A, A, RATIO_PROPORTION_ADDITIVE_STRATEGY_G7, 0.88, "6 + (4 − 2)"),
    case("RATIO_PROPORTION", "2/4 = 6/x", 12.0, 3.0, A, A, RATIO_PROPORTION_CROSS_PRODUCT_ERROR_G7, 0.85, "2·6/4"),
    case("RATIO_PROPORTION", "2:4 = 6:?", 12.0, 4.0, A, A, UNCL, 0.0, "another value"),
    case("RATIO_PROPORTION", "x:4 = 6:12", 2.0, 8.0, A, A, UNCL, 0.0, "unknown not in 4th place"),
    // ---- ALGEBRA_EQ_LINEAR (≈)
    case("ALGEBRA_EQ_LINEAR", "2x + 3 = 11", 4.0, 7.0, A, A, ALGEBRA_EQ_LINEAR_SIGN_FLIP_TRANSPOSE_G8, 0.9, "(11 + 3)/2"),
    case("ALGEBRA_EQ_LINEAR", "2x + 3 = 11", 4.0, 2.5, A, A, ALGEBRA_EQ_LINEAR_DIVIDES_ONE_TERM_G8, 0.85, "11/2 − 3"),
    case("ALGEBRA_EQ_LINEAR", "2x + 3 = 11", 4.0, 2.6, A, A, UNCL, 0.0, "another value"),
    case("ALGEBRA_EQ_LINEAR", "3y - 4 = 5", 3.0, 1.0 / 3.0, A, A, ALGEBRA_EQ_LINEAR_SIGN_FLIP_TRANSPOSE_G8, 0.9, "(5 − 4)/3"),
    case("ALGEBRA_EQ_LINEAR", "0x + 3 = 11", 4.0, 7.0, A, A, UNCL, 0.0, "a = 0: not an equation"),
    // ---- POW_POWER (≈)
    case("POW_POWER", "2^3 • 2^2", 32.0, 64.0, A, A, POW_POWER_PRODUCT_MULTIPLIES_EXPONENTS_G8, 0.9, "2^(3·2)"),
    case("POW_POWER", "12^3 • 2^2", 6912.0, 64.0, A, A, POW_POWER_PRODUCT_MULTIPLIES_EXPONENTS_G8, 0.9, "back-reference backtracks to base 2"),
    case("POW_POWER", "2^3 • 3^2", 72.0, 64.0, A, A, UNCL, 0.0, "different bases"),
    case("POW_POWER", "2^3 X 2^2", 32.0, 64.0, A, A, UNCL, 0.0, "capital X is not a product sign here"),
    case("POW_POWER", "(2^3)^2", 64.0, 32.0, A, A, POW_POWER_OF_POWER_ADDS_EXPONENTS_G8, 0.9, "2^(3+2)"),
    case("POW_POWER", "(2^3)^2", 64.0, 33.0, A, A, UNCL, 0.0, "another value"),
    case("POW_POWER", "2^6 : 2^2", 16.0, 8.0, A, A, POW_POWER_QUOTIENT_DIVIDES_EXPONENTS_G8, 0.88, "2^(6/2)"),
    case("POW_POWER", "2^6 : 3^2", 16.0, 8.0, A, A, UNCL, 0.0, "different bases"),
    case("POW_POWER", "5^0", 1.0, 0.0, A, A, POW_POWER_ZERO_EXPONENT_EQUALS_ZERO_G8, 0.92, "5^0 → 0"),
    case("POW_POWER", "2^3 • 2^2 y 5^0", 1.0, 0.0, A, A, POW_POWER_ZERO_EXPONENT_EQUALS_ZERO_G8, 0.92, "a matching pattern whose value fails continues"),
    case("POW_POWER", "5^05", 1.0, 0.0, A, A, UNCL, 0.0, "look-ahead: exponent 05 is not 0"),
    case("POW_POWER", "5^0", 1.0, 5.0, A, A, UNCL, 0.0, "answer is not 0"),
    case("POW_POWER", "2^3 • 2^2", 32.0, 32.0 + 1e-10, A, A, CORRECT, 1.0, "correct within 1e-9"),
    // ---- POW_ROOT (≈)
    case("POW_ROOT", "√(9 + 16)", 5.0, 7.0, A, A, POW_ROOT_OF_SUM_DISTRIBUTES_G9, 0.9, "√9 + √16"),
    case("POW_ROOT", "√(9+16)", 5.0, 12.5, A, A, UNCL, 0.0, "rule 2 does not see √(…)"),
    case("POW_ROOT", "√16", 4.0, 8.0, A, A, POW_ROOT_SQUARE_ROOT_HALVES_RADICAND_G8, 0.88, "16/2"),
    case("POW_ROOT", "√(16)", 4.0, 8.0, A, A, UNCL, 0.0, "parenthesised radicand"),
    // ---- unknown keys (decision 16)
    case("GEOM_TRI", "", 3.0, 3.0, A, A, CORRECT, 1.0, "correct before routing"),
    case("GEOM_TRI", "", 3.0, 4.0, A, A, UNCL, 0.0, "unknown key"),
    case("UNKNOWN", "", 3.0, 4.0, A, A, UNCL, 0.0, "topic without subdomain"),
    case("arith_sub", "", 27.0, 33.0, v(53.0), v(26.0), UNCL, 0.0, "keys are case-sensitive"),
];

#[test]
fn worked_examples() {
    for c in CASES {
        let got = classify(Some(c.key), &input(c.step, c.e, c.s, c.m, c.t));
        let want = Classification {
            is_correct: c.want == CORRECT,
            error_type: c.want,
            confidence: c.conf,
        };
        assert_eq!(
            got, want,
            "{} {:?} E={} S={}: {}",
            c.key, c.step, c.e, c.s, c.why
        );
        if let Some(strategy) = strategy_for(c.key) {
            assert!(
                c.want == CORRECT || c.want == UNCL || strategy.error_tags().contains(&c.want),
                "{} is not declared by {}",
                c.want,
                c.key
            );
            // The strategy alone (without the pre-routing check) agrees.
            assert_eq!(strategy.classify(&input(c.step, c.e, c.s, c.m, c.t)), want);
        }
    }
}

#[test]
fn every_reachable_tag_is_produced_by_a_worked_example() {
    let produced: BTreeSet<&str> = CASES.iter().map(|c| c.want).collect();
    let missing: Vec<&str> = ERROR_TAGS
        .iter()
        .copied()
        .filter(|t| !produced.contains(t) && !UNREACHABLE_TAGS.contains(t))
        .collect();
    assert!(missing.is_empty(), "no example produces {missing:?}");
    assert!(produced.contains(CORRECT) && produced.contains(UNCLASSIFIED));
    for tag in &produced {
        assert!(ALL_CODES.contains(tag), "{tag} is not in ALL_CODES");
    }
    // Every strategy has at least one worked example producing each of its tags.
    for strategy in Strategy::ALL {
        for tag in strategy.error_tags() {
            let covered = UNREACHABLE_TAGS.contains(tag)
                || CASES
                    .iter()
                    .any(|c| c.key == strategy.key() && c.want == *tag);
            assert!(
                covered,
                "{} never produces {tag} in the examples",
                strategy.key()
            );
        }
    }
}

#[test]
fn tag_lists_are_consistent() {
    let unique: BTreeSet<&str> = ERROR_TAGS.iter().copied().collect();
    assert_eq!(unique.len(), 52);
    let declared: BTreeSet<&str> = Strategy::ALL
        .iter()
        .flat_map(|s| s.error_tags().iter().copied())
        .collect();
    assert_eq!(declared, unique);
    let all: BTreeSet<&str> = ALL_CODES.iter().copied().collect();
    assert_eq!(all.len(), 54);
    assert!(all.contains(CORRECT) && all.contains(UNCLASSIFIED));
}

#[test]
fn registry_keys_round_trip() {
    assert_eq!(REGISTRY_KEYS.len(), 19);
    for (i, key) in REGISTRY_KEYS.iter().enumerate() {
        let s = strategy_for(key).unwrap();
        assert_eq!(s, Strategy::ALL[i]);
        assert_eq!(s.key(), *key);
    }
    assert_eq!(strategy_for("UNKNOWN"), None);
    assert_eq!(Strategy::ArithSub.correctness(), Correctness::Exact);
    assert_eq!(Strategy::PowRoot.correctness(), Correctness::Approx);
}

#[test]
fn strategy_key_follows_the_topic() {
    assert_eq!(strategy_key(Some("ARITH"), Some("SUB")), "ARITH_SUB");
    assert_eq!(strategy_key(None, Some("SUB")), "_SUB");
    assert_eq!(strategy_key(Some("ARITH"), None), "UNKNOWN");
    assert_eq!(strategy_key(None, None), "UNKNOWN");
}

#[test]
fn correct_is_decided_before_routing() {
    let right = input("", 3.0, 3.0, A, A);
    assert_eq!(classify(None, &right), Classification::CORRECT);
    assert_eq!(classify(Some("UNKNOWN"), &right), Classification::CORRECT);
    let wrong = input("", 3.0, 4.0, A, A);
    let c = classify(None, &wrong);
    assert_eq!(c, Classification::UNCLASSIFIED);
    assert!(c.is_unclassified() && !c.is_correct);
}

#[test]
fn exact_strategies_use_exact_equality() {
    // 0.1 + 0.2 !== 0.3 in f64: not correct for an exact strategy, correct for an ≈ one.
    let i = input("", 0.3, 0.1 + 0.2, A, A);
    assert!(!classify(Some("ARITH_ADD"), &i).is_correct);
    assert!(classify(Some("DEC_ADD"), &i).is_correct);
}

#[test]
fn classification_serialises_like_the_api() {
    let json = serde_json::to_string(&Classification::CORRECT).unwrap();
    assert_eq!(
        json,
        r#"{"isCorrect":true,"errorType":"CORRECT","confidence":1.0}"#
    );
}

mod properties {
    use super::{ALL_CODES, CORRECT, Classification, Operand, REGISTRY_KEYS, classify, input};
    use proptest::prelude::*;

    fn step() -> impl Strategy<Value = String> {
        proptest::string::string_regex(r"[0-9 \-+x×•*:÷/%^√().,=a-z?]{0,24}").unwrap()
    }

    fn operand() -> impl Strategy<Value = Operand> {
        prop_oneof![
            Just(Operand::Absent),
            Just(Operand::Null),
            (-10_000i32..10_000).prop_map(|x| Operand::Value(f64::from(x))),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(Operand::Value),
        ]
    }

    fn number() -> impl Strategy<Value = f64> {
        prop_oneof![
            (-10_000i32..10_000).prop_map(f64::from),
            (-1e6f64..1e6),
            any::<f64>().prop_filter("finite", |x| x.is_finite()),
        ]
    }

    proptest! {
        #[test]
        fn every_strategy_is_total(
            key in proptest::sample::select(REGISTRY_KEYS.to_vec()),
            step in step(), e in number(), s in number(), m in operand(), t in operand(),
        ) {
            let c = classify(Some(key), &input(&step, e, s, m, t));
            prop_assert!(ALL_CODES.contains(&c.error_type));
            prop_assert!((0.0..=1.0).contains(&c.confidence));
            prop_assert_eq!(c.is_correct, c.error_type == CORRECT);
            if s == e {
                prop_assert_eq!(c, Classification::CORRECT);
            }
        }
    }
}
