//! Deterministic rule engine: classifies a wrong answer into a misconception tag (domain.md §1).
//!
//! Each of the 19 strategies is a pure function of the attempt body: the two numeric answers,
//! the optional operands and the text of the first step. Rules run in the listed order and the
//! first that fires wins. Arithmetic is f64 with exact equality, like the TypeScript original,
//! so results match it bit for bit. The step patterns (ECMAScript regular expressions in the
//! reference, some with a back-reference or a look-ahead) are matched by the
//! hand-written, equivalent matchers of `pattern`; the JavaScript number functions they feed
//! (`String(x)`, `parseInt`, `Math.pow`) come from [`crate::js`].
//!
//! The attempts handler calls [`classify`] with the key from [`strategy_key`].

mod algebra;
mod arith;
mod common;
mod decimals;
mod fractions;
mod integers;
pub mod jsonl;
mod pattern;
mod powers;
mod ratio;
pub mod tags;

use serde::Serialize;

/// One step of the student's work as sent in `rawSteps`, and as every queue message carries
/// it (`{expression, isFinal}`).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub struct RawStep {
    /// The step as typed (LaTeX-ish text such as `53 - 26`).
    pub expression: String,
    /// Whether the step is the final answer (`isFinal`).
    pub is_final: bool,
}

/// An optional numeric operand of the attempt body (`minuend` / `subtrahend`).
///
/// JSON `null` is kept apart from an absent field because the reference treats them
/// differently: ARITH_MUL, ARITH_DIV and INT_* take the operands from the fields when both are
/// *not undefined*, so a `null` counts as present and then behaves like JavaScript `null`
/// (0 in arithmetic and ordering, never `===` to a number). ARITH_SUB/ARITH_ADD use `?? 0`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Operand {
    /// The field is missing from the body.
    #[default]
    Absent,
    /// The field is present with the value `null`.
    Null,
    /// The field is a number.
    Value(f64),
}

impl From<Option<f64>> for Operand {
    /// `None` maps to [`Operand::Absent`]; use [`Operand::Null`] explicitly for a JSON `null`.
    fn from(value: Option<f64>) -> Self {
        value.map_or(Operand::Absent, Operand::Value)
    }
}

impl Operand {
    /// The number, if the field is a number.
    pub fn value(self) -> Option<f64> {
        match self {
            Operand::Value(v) => Some(v),
            _ => None,
        }
    }
}

/// What a strategy reads from a `POST /attempts` body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttemptInput {
    /// `rawSteps`; only the first expression (and whether the list is empty) is read.
    pub raw_steps: Vec<RawStep>,
    /// `expectedAnswer` (E).
    pub expected_answer: f64,
    /// `studentAnswer` (S).
    pub student_answer: f64,
    /// `minuend`: operand 1 (minuend, 1st addend, 1st factor, dividend, integer a).
    pub minuend: Operand,
    /// `subtrahend`: operand 2 (subtrahend, 2nd addend, 2nd factor, divisor, integer b).
    pub subtrahend: Operand,
}

impl AttemptInput {
    /// `rawSteps[0].expression`, or `""` when there are no steps.
    pub fn first_step(&self) -> &str {
        self.raw_steps.first().map_or("", |s| s.expression.as_str())
    }
}

/// The engine's verdict (`RuleClassificationResult` without the never-exposed evidence).
/// Serialises as `{"isCorrect", "errorType", "confidence"}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Classification {
    /// Whether the answer is right.
    pub is_correct: bool,
    /// `CORRECT`, `UNCLASSIFIED` or one of [`tags::ERROR_TAGS`].
    pub error_type: &'static str,
    /// Rule confidence in [0, 1]: 1 for CORRECT, 0 for UNCLASSIFIED.
    pub confidence: f64,
}

impl Classification {
    /// A right answer.
    pub const CORRECT: Classification = Classification {
        is_correct: true,
        error_type: tags::CORRECT,
        confidence: 1.0,
    };
    /// A wrong answer no rule explains (goes to the LLM classifier).
    pub const UNCLASSIFIED: Classification = Classification {
        is_correct: false,
        error_type: tags::UNCLASSIFIED,
        confidence: 0.0,
    };

    /// Whether the attempt must go to the LLM queue (source `LLM`, status `PENDING`).
    pub fn is_unclassified(&self) -> bool {
        self.error_type == tags::UNCLASSIFIED
    }

    pub(crate) const fn error(tag: &'static str, confidence: f64) -> Classification {
        Classification {
            is_correct: false,
            error_type: tag,
            confidence,
        }
    }
}

/// How a strategy decides that an answer is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correctness {
    /// `studentAnswer === expectedAnswer`.
    Exact,
    /// `|studentAnswer − expectedAnswer| < 1e-9`.
    Approx,
}

/// The 19 registered strategies, in `registeredSubdomains()` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    ArithSub,
    ArithAdd,
    ArithMul,
    ArithDiv,
    IntAdd,
    IntSub,
    IntMul,
    FractAddSub,
    FractMul,
    FractDiv,
    DecAdd,
    DecSub,
    DecMul,
    DecDiv,
    RatioPercent,
    RatioProportion,
    AlgebraEqLinear,
    PowPower,
    PowRoot,
}

/// The registry keys, in registration order (domain.md §1.3).
pub const REGISTRY_KEYS: [&str; 19] = [
    "ARITH_SUB",
    "ARITH_ADD",
    "ARITH_MUL",
    "ARITH_DIV",
    "INT_ADD",
    "INT_SUB",
    "INT_MUL",
    "FRACT_ADDSUB",
    "FRACT_MUL",
    "FRACT_DIV",
    "DEC_ADD",
    "DEC_SUB",
    "DEC_MUL",
    "DEC_DIV",
    "RATIO_PERCENT",
    "RATIO_PROPORTION",
    "ALGEBRA_EQ_LINEAR",
    "POW_POWER",
    "POW_ROOT",
];

impl Strategy {
    /// All strategies, in registration order (parallel to [`REGISTRY_KEYS`]).
    pub const ALL: [Strategy; 19] = [
        Strategy::ArithSub,
        Strategy::ArithAdd,
        Strategy::ArithMul,
        Strategy::ArithDiv,
        Strategy::IntAdd,
        Strategy::IntSub,
        Strategy::IntMul,
        Strategy::FractAddSub,
        Strategy::FractMul,
        Strategy::FractDiv,
        Strategy::DecAdd,
        Strategy::DecSub,
        Strategy::DecMul,
        Strategy::DecDiv,
        Strategy::RatioPercent,
        Strategy::RatioProportion,
        Strategy::AlgebraEqLinear,
        Strategy::PowPower,
        Strategy::PowRoot,
    ];

    /// The registry key (`subdomainCode` of the strategy), e.g. `"ARITH_SUB"`.
    pub fn key(self) -> &'static str {
        REGISTRY_KEYS[self as usize]
    }

    /// The strategy registered under `key` (exact, case-sensitive), if any.
    pub fn from_key(key: &str) -> Option<Strategy> {
        use Strategy::*;
        // A `match` rather than a scan of `REGISTRY_KEYS`: it runs on every attempt.
        Some(match key {
            "ARITH_SUB" => ArithSub,
            "ARITH_ADD" => ArithAdd,
            "ARITH_MUL" => ArithMul,
            "ARITH_DIV" => ArithDiv,
            "INT_ADD" => IntAdd,
            "INT_SUB" => IntSub,
            "INT_MUL" => IntMul,
            "FRACT_ADDSUB" => FractAddSub,
            "FRACT_MUL" => FractMul,
            "FRACT_DIV" => FractDiv,
            "DEC_ADD" => DecAdd,
            "DEC_SUB" => DecSub,
            "DEC_MUL" => DecMul,
            "DEC_DIV" => DecDiv,
            "RATIO_PERCENT" => RatioPercent,
            "RATIO_PROPORTION" => RatioProportion,
            "ALGEBRA_EQ_LINEAR" => AlgebraEqLinear,
            "POW_POWER" => PowPower,
            "POW_ROOT" => PowRoot,
            _ => return None,
        })
    }

    /// How this strategy tests correctness.
    pub fn correctness(self) -> Correctness {
        use Strategy::*;
        match self {
            ArithSub | ArithAdd | ArithMul | ArithDiv | IntAdd | IntSub | IntMul | FractAddSub => {
                Correctness::Exact
            }
            _ => Correctness::Approx,
        }
    }

    /// The error tags this strategy can return besides CORRECT / UNCLASSIFIED, in rule order.
    pub fn error_tags(self) -> &'static [&'static str] {
        use Strategy::*;
        use tags::*;
        match self {
            ArithSub => &[
                ARITH_SUB_MINUEND_SUBTRAHEND_SWAPPED_G3,
                ARITH_SUB_BORROW_OMITTED_TENS_G3,
                ARITH_SUB_BORROW_OMITTED_HUNDREDS_G3,
                ARITH_SUB_BORROW_FROM_ZERO_G3,
                ARITH_SUB_BORROW_PROPAGATION_STOP_G3,
                ARITH_TRANSV_DIGIT_TRANSPOSITION,
                ARITH_TRANSV_PLACE_VALUE_ERROR,
                ARITH_TRANSV_FACT_ERROR,
            ],
            ArithAdd => &[
                ARITH_ADD_CARRY_OMITTED_G3,
                ARITH_ADD_CARRY_WRONG_COLUMN_G3,
                ARITH_TRANSV_DIGIT_TRANSPOSITION,
                ARITH_TRANSV_FACT_ERROR,
            ],
            ArithMul => &[
                ARITH_MUL_ZERO_TIMES_N_EQUALS_N_G3,
                ARITH_MUL_ADD_INSTEAD_G3,
                ARITH_MUL_BY_POWER_OF_TEN_NO_ZEROS_G4,
                ARITH_MUL_TABLE_RECALL_ERROR_G3,
                ARITH_MUL_PARTIAL_NOT_SHIFTED_G5,
                ARITH_MUL_ONLY_CORRESPONDING_DIGITS_G5,
                ARITH_TRANSV_DIGIT_TRANSPOSITION,
                ARITH_TRANSV_PLACE_VALUE_ERROR,
                ARITH_TRANSV_FACT_ERROR,
            ],
            ArithDiv => &[
                ARITH_DIV_DIVISOR_DIVIDEND_SWAPPED_G4,
                ARITH_DIV_QUOTIENT_ZERO_SKIPPED_G5,
                ARITH_DIV_PARTIAL_QUOTIENT_TOO_LARGE_G5,
                ARITH_DIV_REMAINDER_GE_DIVISOR_G4,
                ARITH_TRANSV_DIGIT_TRANSPOSITION,
                ARITH_TRANSV_PLACE_VALUE_ERROR,
            ],
            IntAdd => &[
                INT_ADD_SAME_SIGN_SUBTRACTS_G7,
                INT_ADD_DIFF_SIGN_ADDS_MAGNITUDES_G7,
                INT_ADD_KEEPS_WRONG_SIGN_G7,
            ],
            IntSub => &[
                INT_SUB_DOUBLE_NEGATIVE_NOT_APPLIED_G7,
                INT_SUB_AS_ADD_SIGN_ERROR_G7,
            ],
            IntMul => &[
                INT_SIGN_NEG_TIMES_NEG_IS_NEG_G7,
                INT_SIGN_NEG_TIMES_POS_IS_POS_G7,
            ],
            FractAddSub => &[
                FRACT_ADDSUB_SUM_NUMERATOR_AND_DENOMINATOR_G5,
                FRACT_ADDSUB_IMPROPER_NOT_REDUCED_G5,
                FRACT_ADDSUB_INVERTED_FRACTION_G5,
                FRACT_ADDSUB_WHOLE_NUMBER_LOST_G5,
                ARITH_TRANSV_FACT_ERROR,
            ],
            FractMul => &[FRACT_MUL_CROSS_MULTIPLIES_G6],
            FractDiv => &[
                FRACT_DIV_NO_RECIPROCAL_G7,
                FRACT_DIV_INVERTS_FIRST_FRACTION_G7,
            ],
            DecAdd => &[DEC_ADD_RIGHT_ALIGNED_LIKE_INTEGERS_G5],
            DecSub => &[DEC_SUB_MISALIGNED_POINTS_G5],
            DecMul => &[
                DEC_MUL_BY_POWER_TEN_POINT_WRONG_DIRECTION_G6,
                DEC_MUL_POINT_PLACEMENT_ERROR_G6,
            ],
            DecDiv => &[
                DEC_DIV_DIVISOR_DECIMAL_NOT_SHIFTED_G6,
                DEC_DIV_POINT_IGNORED_G6,
            ],
            RatioPercent => &[
                RATIO_PERCENT_DIVIDE_BY_PERCENT_G7,
                RATIO_PERCENT_DECIMAL_SHIFT_ERROR_G7,
            ],
            RatioProportion => &[
                RATIO_PROPORTION_ADDITIVE_STRATEGY_G7,
                RATIO_PROPORTION_CROSS_PRODUCT_ERROR_G7,
            ],
            AlgebraEqLinear => &[
                ALGEBRA_EQ_LINEAR_SIGN_FLIP_TRANSPOSE_G8,
                ALGEBRA_EQ_LINEAR_DIVIDES_ONE_TERM_G8,
            ],
            PowPower => &[
                POW_POWER_PRODUCT_MULTIPLIES_EXPONENTS_G8,
                POW_POWER_OF_POWER_ADDS_EXPONENTS_G8,
                POW_POWER_QUOTIENT_DIVIDES_EXPONENTS_G8,
                POW_POWER_ZERO_EXPONENT_EQUALS_ZERO_G8,
            ],
            PowRoot => &[
                POW_ROOT_OF_SUM_DISTRIBUTES_G9,
                POW_ROOT_SQUARE_ROOT_HALVES_RADICAND_G8,
            ],
        }
    }

    /// Runs this strategy exactly as the reference does, including its own correctness test.
    pub fn classify(self, input: &AttemptInput) -> Classification {
        use Strategy::*;
        match self {
            ArithSub => arith::subtraction(input),
            ArithAdd => arith::addition(input),
            ArithMul => arith::multiplication(input),
            ArithDiv => arith::division(input),
            IntAdd => integers::addition(input),
            IntSub => integers::subtraction(input),
            IntMul => integers::multiplication(input),
            FractAddSub => fractions::same_denominator(input),
            FractMul => fractions::multiplication(input),
            FractDiv => fractions::division(input),
            DecAdd => decimals::addition(input),
            DecSub => decimals::subtraction(input),
            DecMul => decimals::multiplication(input),
            DecDiv => decimals::division(input),
            RatioPercent => ratio::percent(input),
            RatioProportion => ratio::proportion(input),
            AlgebraEqLinear => algebra::linear_equation(input),
            PowPower => powers::power_laws(input),
            PowRoot => powers::root_laws(input),
        }
    }
}

/// The registered strategy for a registry key (`RuleEngineFactory.getStrategy` without the
/// fallback: `None` is the UNCLASSIFIED fallback).
pub fn strategy_for(key: &str) -> Option<Strategy> {
    Strategy::from_key(key)
}

/// Registry key of a topic (domain.md §1.3): `"<domain>_<subdomain>"` when the topic has a
/// subdomain (the domain code is `""` when it has no domain, giving e.g. `"_SUB"`), otherwise
/// the literal `"UNKNOWN"` (which no strategy is registered under).
pub fn strategy_key(domain_code: Option<&str>, subdomain_code: Option<&str>) -> String {
    match subdomain_code {
        Some(sub) => format!("{}_{}", domain_code.unwrap_or(""), sub),
        None => "UNKNOWN".to_owned(),
    }
}

/// Classifies an attempt: the entry point of `POST /attempts`.
///
/// `strategy_key` is the topic's registry key ([`strategy_key`]), `None` when the topic was not
/// found. Decision 16: correctness is decided before routing, so `studentAnswer ===
/// expectedAnswer` is CORRECT (confidence 1) whatever the key. Otherwise a registered strategy
/// runs (which still applies its own ≈1e-9 correctness test where it has one); an unknown key
/// gives UNCLASSIFIED, `is_correct = false`, confidence 0.
pub fn classify(strategy_key: Option<&str>, input: &AttemptInput) -> Classification {
    if input.student_answer == input.expected_answer {
        return Classification::CORRECT;
    }
    match strategy_key.and_then(strategy_for) {
        Some(strategy) => strategy.classify(input),
        None => Classification::UNCLASSIFIED,
    }
}

#[cfg(test)]
mod tests;
