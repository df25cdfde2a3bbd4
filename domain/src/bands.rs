//! Mastery bands: what a parent sees of a child's mastery instead of numbers (reference R71,
//! domain.md §7.5) — per unit, the mean of the child's pKnown over the unit's topics (the topic's
//! prior `bktPL0` where the child has no estimate), told as `high`, `mid` or `low`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A coarse mastery level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "MasteryBand")]
pub enum Band {
    /// Mean ≥ 0.7.
    High,
    /// 0.4 ≤ mean < 0.7.
    Mid,
    /// Mean < 0.4.
    Low,
}

impl Band {
    /// `high` at 0.7 or more, `mid` at 0.4 or more, else `low` (NaN: `low`, as the reference's
    /// comparisons).
    pub fn of(mean: f64) -> Band {
        if mean >= 0.7 {
            Band::High
        } else if mean >= 0.4 {
            Band::Mid
        } else {
            Band::Low
        }
    }
}

/// One topic of a unit: the child's pKnown, when they have an estimate, and the topic's prior.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopicEstimate {
    pub p_known: Option<f64>,
    pub prior: f64,
}

/// The band of a unit from its topics, summed in the order given (the reference summed in
/// topic-code order, left to right, then divided by the count); `None` for a unit without
/// topics (the reference listed only units that have some).
pub fn unit_band(topics: &[TopicEstimate]) -> Option<Band> {
    if topics.is_empty() {
        return None;
    }
    let sum = topics
        .iter()
        .fold(0.0, |acc, t| acc + t.p_known.unwrap_or(t.prior));
    Some(Band::of(sum / topics.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(p_known: Option<f64>, prior: f64) -> TopicEstimate {
        TopicEstimate { p_known, prior }
    }

    #[test]
    fn thresholds_are_inclusive_from_below() {
        assert_eq!(Band::of(0.7), Band::High);
        assert_eq!(Band::of(0.699_999), Band::Mid);
        assert_eq!(Band::of(0.4), Band::Mid);
        assert_eq!(Band::of(0.399_999), Band::Low);
        assert_eq!(Band::of(f64::NAN), Band::Low);
        assert_eq!(Band::of(1.0), Band::High);
    }

    #[test]
    fn a_unit_averages_estimates_and_priors() {
        // No estimates at all: the seed's prior 0.3 everywhere is low.
        assert_eq!(
            unit_band(&[est(None, 0.3), est(None, 0.3)]),
            Some(Band::Low)
        );
        // (0.9 + 0.3) / 2 = 0.6: mid.
        assert_eq!(
            unit_band(&[est(Some(0.9), 0.3), est(None, 0.3)]),
            Some(Band::Mid)
        );
        // (0.95 + 0.8 + 0.3) / 3 ≈ 0.683: still mid; with 0.4 instead of the prior: high.
        assert_eq!(
            unit_band(&[est(Some(0.95), 0.3), est(Some(0.8), 0.3), est(None, 0.3)]),
            Some(Band::Mid)
        );
        assert_eq!(
            unit_band(&[est(Some(0.95), 0.3), est(Some(0.8), 0.3), est(None, 0.4)]),
            Some(Band::High)
        );
        assert_eq!(unit_band(&[]), None);
        // Floating point as the reference: (0.1 + 0.2 + 0.9) / 3 is 0.4000000000000001, mid.
        let at_threshold = [
            est(Some(0.1), 0.3),
            est(Some(0.2), 0.3),
            est(Some(0.9), 0.3),
        ];
        assert_eq!(unit_band(&at_threshold), Some(Band::Mid));
    }
}
