//! Bayesian Knowledge Tracing (domain.md §2.1) and the 7-day mastery trend (decision 18).

/// BKT parameters of a topic (`topics.bkt_p_*` columns).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BktParams {
    /// Prior P(known) before any attempt (`bktPL0`).
    pub p_l0: f64,
    /// P(learning) after each attempt (`bktPTransit`).
    pub p_transit: f64,
    /// P(wrong answer although known) (`bktPSlip`).
    pub p_slip: f64,
    /// P(right answer although not known) (`bktPGuess`).
    pub p_guess: f64,
}

impl BktParams {
    /// Schema defaults (also used when the topic is not found): 0.3 / 0.1 / 0.1 / 0.2.
    pub const DEFAULT: BktParams = BktParams {
        p_l0: 0.3,
        p_transit: 0.1,
        p_slip: 0.1,
        p_guess: 0.2,
    };
}

impl Default for BktParams {
    fn default() -> Self {
        BktParams::DEFAULT
    }
}

/// The prior for an attempt: the stored `pKnown` of (student, topic), else the topic's `pL0`.
pub fn prior(stored_p_known: Option<f64>, params: &BktParams) -> f64 {
    stored_p_known.unwrap_or(params.p_l0)
}

/// One BKT step: posterior given the observation, then the learning transition, clamped to
/// [0, 1]. The operations are those of the reference in the same order, so the result is
/// bit-identical (defaults: first correct → 0.6926829268292684, first incorrect →
/// 0.14576271186440679). UNCLASSIFIED attempts are incorrect observations.
pub fn update(p_known: f64, params: &BktParams, is_correct: bool) -> f64 {
    let (p_s, p_g, p_t) = (params.p_slip, params.p_guess, params.p_transit);
    let prior = p_known;
    let post = if is_correct {
        ((1.0 - p_s) * prior) / ((1.0 - p_s) * prior + p_g * (1.0 - prior))
    } else {
        (p_s * prior) / (p_s * prior + (1.0 - p_g) * (1.0 - prior))
    };
    // `Math.min(1, Math.max(0, …))`: NaN (degenerate parameters) propagates as in JavaScript.
    crate::js::min(1.0, crate::js::max(0.0, post + (1.0 - post) * p_t))
}

/// `update` applied to [`prior`]: what `applyAttempt` stores.
pub fn apply_attempt(stored_p_known: Option<f64>, params: &BktParams, is_correct: bool) -> f64 {
    update(prior(stored_p_known, params), params, is_correct)
}

/// Length of the trend window: 7 × 86 400 000 ms.
pub const TREND_WINDOW_MS: i64 = 7 * 86_400_000;

/// A recorded `pKnown` value (e.g. after each BKT update) at a time in epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MasteryPoint {
    pub at_ms: i64,
    pub p_known: f64,
}

/// `trend7d`: the change of `pKnown` over the last 7 days, `now − 7d < t ≤ now`.
///
/// * current = the latest point at or before `now` (points after `now` are ignored);
/// * baseline = the latest point at or before `now − 7d` (the value the student had when the
///   window opened); if there is none (all history is inside the window), the earliest point
///   in the window;
/// * result = current − baseline; `None` when there is no point at or before `now`.
///
/// So a student with no attempts in the window gets `Some(0.0)`, and one whose history starts
/// inside the window is measured from their first recorded value. The slice need not be sorted;
/// among equal timestamps the later element counts as later.
pub fn trend_7d(history: &[MasteryPoint], now_ms: i64) -> Option<f64> {
    let cutoff = now_ms.saturating_sub(TREND_WINDOW_MS);
    let mut current: Option<MasteryPoint> = None;
    let mut before_window: Option<MasteryPoint> = None;
    let mut first_in_window: Option<MasteryPoint> = None;
    for &p in history.iter().filter(|p| p.at_ms <= now_ms) {
        if current.is_none_or(|c| p.at_ms >= c.at_ms) {
            current = Some(p);
        }
        if p.at_ms <= cutoff {
            if before_window.is_none_or(|b| p.at_ms >= b.at_ms) {
                before_window = Some(p);
            }
        } else if first_in_window.is_none_or(|f| p.at_ms < f.at_ms) {
            first_in_window = Some(p);
        }
    }
    let baseline = before_window.or(first_in_window)?;
    Some(current?.p_known - baseline.p_known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reference_values_with_default_parameters() {
        let p = BktParams::default();
        assert_eq!(apply_attempt(None, &p, true), 0.6926829268292684);
        assert_eq!(apply_attempt(None, &p, false), 0.14576271186440679);
        let mut k = p.p_l0;
        for _ in 0..200 {
            k = update(k, &p, false);
        }
        assert!(
            (k - 0.1142857).abs() < 1e-6,
            "repeated incorrect converges to ≈0.1142857: {k}"
        );
        let mut k = p.p_l0;
        for _ in 0..200 {
            k = update(k, &p, true);
        }
        assert_eq!(k, 1.0);
    }

    #[test]
    fn stored_value_is_the_prior() {
        let p = BktParams::default();
        assert_eq!(prior(Some(0.5), &p), 0.5);
        assert_eq!(prior(None, &p), 0.3);
        assert_eq!(
            apply_attempt(Some(0.6926829268292684), &p, true),
            update(0.6926829268292684, &p, true)
        );
    }

    #[test]
    fn degenerate_parameters_propagate_nan_like_javascript() {
        let p = BktParams {
            p_l0: 0.0,
            p_transit: 0.0,
            p_slip: 0.0,
            p_guess: 0.0,
        };
        assert!(update(0.0, &p, true).is_nan());
    }

    const DAY: i64 = 86_400_000;

    fn pt(day: i64, p_known: f64) -> MasteryPoint {
        MasteryPoint {
            at_ms: day * DAY,
            p_known,
        }
    }

    #[test]
    fn trend_is_change_since_the_window_opened() {
        let now = 30 * DAY;
        let history = [pt(10, 0.3), pt(22, 0.4), pt(23, 0.5), pt(29, 0.7)];
        // Baseline: last value at or before day 23 (inclusive) = 0.5.
        assert!((trend_7d(&history, now).unwrap() - 0.2).abs() < 1e-12);
        // Unsorted input gives the same answer.
        let shuffled = [history[3], history[0], history[2], history[1]];
        assert_eq!(trend_7d(&shuffled, now), trend_7d(&history, now));
    }

    #[test]
    fn trend_without_earlier_history_starts_at_the_first_value() {
        let now = 30 * DAY;
        let history = [pt(25, 0.69), pt(26, 0.8), pt(28, 0.9)];
        assert!((trend_7d(&history, now).unwrap() - 0.21).abs() < 1e-12);
        assert_eq!(trend_7d(&[pt(28, 0.9)], now), Some(0.0));
    }

    #[test]
    fn trend_edges() {
        let now = 30 * DAY;
        assert_eq!(trend_7d(&[], now), None);
        assert_eq!(
            trend_7d(&[pt(31, 0.9)], now),
            None,
            "future points are ignored"
        );
        assert_eq!(
            trend_7d(&[pt(1, 0.4)], now),
            Some(0.0),
            "no attempts in the window"
        );
        assert_eq!(trend_7d(&[pt(1, 0.4), pt(31, 0.9)], now), Some(0.0));
    }

    fn params() -> impl Strategy<Value = BktParams> {
        (0.0..=1.0f64, 0.0..=0.5f64, 0.001..0.45f64, 0.001..0.45f64).prop_map(|(l0, t, s, g)| {
            BktParams {
                p_l0: l0,
                p_transit: t,
                p_slip: s,
                p_guess: g,
            }
        })
    }

    proptest! {
        #[test]
        fn p_known_stays_in_the_unit_interval(
            params in params(), prior in 0.0..=1.0f64,
            answers in proptest::collection::vec(any::<bool>(), 0..50),
        ) {
            let mut k = prior;
            for correct in answers {
                k = update(k, &params, correct);
                prop_assert!((0.0..=1.0).contains(&k), "{k}");
            }
        }

        #[test]
        fn correct_answers_never_decrease_p_known(
            params in params(), prior in 0.0..=1.0f64, n in 1usize..60,
        ) {
            // Holds whenever 1 − pSlip ≥ pGuess (non-degenerate BKT), true for these ranges.
            let mut k = prior;
            for _ in 0..n {
                let next = update(k, &params, true);
                prop_assert!(next >= k, "{k} → {next}");
                k = next;
            }
        }
    }
}
