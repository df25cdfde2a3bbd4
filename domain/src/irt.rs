//! The three IRT item pickers (2PL model, maximum Fisher information).
//!
//! They differ on purpose, as in the reference (domain.md §9.5):
//! * [`recommend_for_weakest_topic`] — `GET /mastery/recommend/:courseId/:studentId` (§2.6):
//!   θ = logit(clamp(pKnown, 0.01, 0.99)), weakest topic first, recent correct answers excluded;
//! * [`pick_practice_item`] — `GET /practice/recommend-next` (§3.1): θ = logit(clamp(pKnown,
//!   0.05, 0.95)) with pKnown 0.3 when the topic has no mastery row;
//! * [`rank_for_assignment`] — `POST /assignments/recommend` (§4): θ = pKnown itself, behind a
//!   prerequisite gate, top N by information.
//!
//! Ties always keep the earlier candidate (strict `>`; stable sorts). The functions return
//! indices into the caller's slices so handlers can map back to their own rows.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::js;

/// An ACTIVE exercise with its 2PL parameters (schema defaults a = 1, b = 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate<'a> {
    pub id: &'a str,
    pub topic_id: &'a str,
    /// Discrimination `irtA`.
    pub irt_a: f64,
    /// Difficulty `irtB`.
    pub irt_b: f64,
}

/// A `StudentTopicMastery` row of the student.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MasteryRow<'a> {
    pub topic_id: &'a str,
    pub p_known: f64,
}

/// P(correct) = 1 / (1 + e^(−a(θ − b))) (fdlibm `exp`, as V8).
pub fn p_correct(irt_a: f64, irt_b: f64, theta: f64) -> f64 {
    1.0 / (1.0 + js::exp(-irt_a * (theta - irt_b)))
}

/// Fisher information of a 2PL item at θ: a²·P·(1 − P).
pub fn fisher_information(irt_a: f64, irt_b: f64, theta: f64) -> f64 {
    let p = p_correct(irt_a, irt_b, theta);
    irt_a * irt_a * p * (1.0 - p)
}

/// ln(p / (1 − p)) (fdlibm `log`, as V8).
pub fn logit(p: f64) -> f64 {
    js::ln(p / (1.0 - p))
}

fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    js::min(hi, js::max(lo, x))
}

/// The chosen item of a single-pick picker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    /// Index into the candidate slice.
    pub candidate: usize,
    /// θ the item was scored at (`studentTheta`).
    pub theta: f64,
    /// Its Fisher information (−1 in the degenerate case where every information is NaN).
    pub information: f64,
}

/// Maximum-information candidate among `indices`: starts at the first one with information −1
/// and replaces only on a strictly greater value, so ties keep the earlier candidate.
fn most_informative(
    candidates: &[Candidate],
    indices: impl IntoIterator<Item = usize>,
    theta_of: impl Fn(&Candidate) -> f64,
) -> Option<Pick> {
    let mut best: Option<Pick> = None;
    for i in indices {
        let c = &candidates[i];
        let theta = theta_of(c);
        let info = fisher_information(c.irt_a, c.irt_b, theta);
        let current = best.get_or_insert(Pick {
            candidate: i,
            theta,
            information: -1.0,
        });
        if info > current.information {
            *current = Pick {
                candidate: i,
                theta,
                information: info,
            };
        }
    }
    best
}

// ---------------------------------------------------------------------------------------------
// §2.6 mastery recommend

/// At most this many candidates per topic (the reference's `take: 50`, in the caller's order).
pub const MASTERY_CANDIDATES_PER_TOPIC: usize = 50;
/// Exercises answered correctly in this course within this window are excluded (7 days).
pub const RECENT_CORRECT_WINDOW_MS: i64 = 7 * 86_400_000;

/// θ of the mastery recommender: logit(clamp(pKnown, 0.01, 0.99)).
pub fn mastery_theta(p_known: f64) -> f64 {
    logit(clamp(p_known, 0.01, 0.99))
}

/// An attempt of the student, as loaded for the exclusion set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecentAttempt<'a> {
    pub exercise_id: Option<&'a str>,
    pub course_id: Option<&'a str>,
    pub is_correct: bool,
    pub created_at_ms: i64,
}

/// Exercise ids the student answered correctly in `course_id` with `createdAt ≥ now − 7 days`.
pub fn recently_solved<'a>(
    attempts: &[RecentAttempt<'a>],
    course_id: &str,
    now_ms: i64,
) -> Vec<&'a str> {
    let since = now_ms.saturating_sub(RECENT_CORRECT_WINDOW_MS);
    attempts
        .iter()
        .filter(|a| a.is_correct && a.course_id == Some(course_id) && a.created_at_ms >= since)
        .filter_map(|a| a.exercise_id)
        .collect()
}

/// The recommendation of [`recommend_for_weakest_topic`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MasteryPick {
    /// Index into the mastery rows (the topic the item was chosen for).
    pub row: usize,
    /// The item, θ (`studentTheta`) and information.
    pub pick: Pick,
}

/// `recommendNextExercise`: rows by pKnown ascending (stable, NaN last as in Postgres); for
/// each, its topic's candidates minus `excluded`, first [`MASTERY_CANDIDATES_PER_TOPIC`] in
/// slice order; the first topic with candidates yields the most informative item at
/// [`mastery_theta`]. `None` (HTTP 404) when no row has candidates, including no rows.
pub fn recommend_for_weakest_topic(
    rows: &[MasteryRow],
    candidates: &[Candidate],
    excluded: &[&str],
) -> Option<MasteryPick> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&x, &y| nan_last(rows[x].p_known, rows[y].p_known));
    order.into_iter().find_map(|r| {
        let row = &rows[r];
        let theta = mastery_theta(row.p_known);
        let eligible = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.topic_id == row.topic_id && !excluded.contains(&c.id))
            .map(|(i, _)| i)
            .take(MASTERY_CANDIDATES_PER_TOPIC);
        most_informative(candidates, eligible, |_| theta).map(|pick| MasteryPick { row: r, pick })
    })
}

/// Ascending order with NaN after every number.
fn nan_last(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b)
        .unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
}

/// `reasoning` of the mastery recommender:
/// `Tema: <topic> · p=<pKnown 2dp> · θ=<θ 2dp> · Fisher=<I 3dp>` (pKnown unclamped, JS `toFixed`).
pub fn mastery_reasoning(topic_name: &str, p_known: f64, theta: f64, information: f64) -> String {
    format!(
        "Tema: {topic_name} · p={} · θ={} · Fisher={}",
        js::to_fixed(p_known, 2),
        js::to_fixed(theta, 2),
        js::to_fixed(information, 3)
    )
}

// ---------------------------------------------------------------------------------------------
// §3.1 practice recommend-next

/// pKnown assumed for a topic without a mastery row.
pub const PRACTICE_DEFAULT_P_KNOWN: f64 = 0.3;

/// θ of the practice recommender: logit(clamp(pKnown or 0.3, 0.05, 0.95)).
pub fn practice_theta(p_known: Option<f64>) -> f64 {
    logit(clamp(
        p_known.unwrap_or(PRACTICE_DEFAULT_P_KNOWN),
        0.05,
        0.95,
    ))
}

/// `recommend-next`: over all candidates (the caller's ≤ 500 ACTIVE exercises, in order), the
/// first with maximal information, each at the θ of its own topic. `None` only for no
/// candidates (HTTP 404). No exclusions, no course scoping.
pub fn pick_practice_item(candidates: &[Candidate], mastery: &[MasteryRow]) -> Option<Pick> {
    // Later rows win on a duplicate topic, like building a JavaScript Map.
    let by_topic: HashMap<&str, f64> = mastery.iter().map(|r| (r.topic_id, r.p_known)).collect();
    most_informative(candidates, 0..candidates.len(), |c| {
        practice_theta(by_topic.get(c.topic_id).copied())
    })
}

/// `reasoning` of the practice recommender: `θ = <θ 2dp>, b = <b 2dp> → I(θ) = <I 3dp> (Fisher máx)`.
pub fn practice_reasoning(theta: f64, irt_b: f64, information: f64) -> String {
    format!(
        "θ = {}, b = {} → I(θ) = {} (Fisher máx)",
        js::to_fixed(theta, 2),
        js::to_fixed(irt_b, 2),
        js::to_fixed(information, 3)
    )
}

// ---------------------------------------------------------------------------------------------
// §4 assignment recommend

/// Every prerequisite topic must have pKnown ≥ this (missing counts as 0).
pub const PREREQUISITE_THRESHOLD: f64 = 0.6;
/// Default number of items of `recommendForStudent`.
pub const DEFAULT_TOP_N: usize = 5;

/// A mastery row with its topic's prerequisite topic ids.
#[derive(Debug, Clone, PartialEq)]
pub struct GatedMasteryRow<'a> {
    pub topic_id: &'a str,
    pub p_known: f64,
    pub prerequisite_topic_ids: Vec<&'a str>,
}

/// One ranked item of [`rank_for_assignment`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankedItem {
    /// Index into the mastery rows (the item's topic).
    pub row: usize,
    /// Index into the candidates.
    pub candidate: usize,
    /// `pCorrect` at θ = pKnown.
    pub p_correct: f64,
    /// `fisherInformation` at θ = pKnown.
    pub fisher_information: f64,
}

/// `recommendForStudent`: for each row in order whose prerequisites all have pKnown ≥ 0.6
/// *among `rows`* (so with a topic filter any topic with prerequisites is skipped), score every
/// candidate of its topic at θ = pKnown (no logit); sort by information descending (stable,
/// NaN last) and keep `top_n`. Empty → HTTP 404 in `createRecommended`.
///
/// θ = pKnown is the reference's quirk (domain.md §4, §9.5), kept bit-for-bit on purpose: a
/// probability in [0, 1] read as an ability puts every student near the middle of the scale, so
/// items with b ≈ pKnown win whatever the mastery. Assignments recommended by the reference and
/// by this system must be the same; do not "fix" it to the logit of the other two pickers.
pub fn rank_for_assignment(
    rows: &[GatedMasteryRow],
    candidates: &[Candidate],
    top_n: usize,
) -> Vec<RankedItem> {
    let prerequisite_met = |topic: &str| {
        let p = rows
            .iter()
            .find(|r| r.topic_id == topic)
            .map_or(0.0, |r| r.p_known);
        p >= PREREQUISITE_THRESHOLD
    };
    let mut ranked: Vec<RankedItem> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        if !row
            .prerequisite_topic_ids
            .iter()
            .all(|t| prerequisite_met(t))
        {
            continue;
        }
        let theta = row.p_known;
        for (i, c) in candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| c.topic_id == row.topic_id)
        {
            ranked.push(RankedItem {
                row: r,
                candidate: i,
                p_correct: p_correct(c.irt_a, c.irt_b, theta),
                fisher_information: fisher_information(c.irt_a, c.irt_b, theta),
            });
        }
    }
    ranked.sort_by(|x, y| nan_last(-x.fisher_information, -y.fisher_information));
    ranked.truncate(top_n);
    ranked
}

// ---------------------------------------------------------------------------------------------
// The exercise bank's difficulty label (`GET /items`, domain.md §8)

/// How hard an item looks from its difficulty `irtB`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    /// `irtB ≤ −0.4`.
    Easy,
    Medium,
    /// `irtB ≥ 0.7`.
    Hard,
}

impl Difficulty {
    /// `easy` when b ≤ −0.4, `hard` when b ≥ 0.7, else `medium` (NaN: `medium`, as the
    /// reference's comparisons).
    pub fn of(irt_b: f64) -> Difficulty {
        if irt_b <= -0.4 {
            Difficulty::Easy
        } else if irt_b >= 0.7 {
            Difficulty::Hard
        } else {
            Difficulty::Medium
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand<'a>(id: &'a str, topic: &'a str, a: f64, b: f64) -> Candidate<'a> {
        Candidate {
            id,
            topic_id: topic,
            irt_a: a,
            irt_b: b,
        }
    }

    #[test]
    fn fisher_information_peaks_at_theta_equal_b() {
        assert_eq!(p_correct(1.0, 0.0, 0.0), 0.5);
        assert_eq!(fisher_information(1.0, 0.0, 0.0), 0.25);
        assert_eq!(fisher_information(2.0, 1.0, 1.0), 1.0);
        assert!(fisher_information(1.0, 0.0, 2.0) < 0.25);
    }

    #[test]
    fn theta_mappings_and_clamps() {
        assert_eq!(mastery_theta(0.5), 0.0);
        assert_eq!(mastery_theta(0.0), logit(0.01));
        assert_eq!(mastery_theta(1.0), logit(0.99));
        assert_eq!(mastery_theta(0.3), js::ln(0.3 / 0.7));
        assert_eq!(practice_theta(None), logit(0.3));
        assert_eq!(practice_theta(Some(0.01)), logit(0.05));
        assert_eq!(practice_theta(Some(0.99)), logit(0.95));
        assert!((logit(0.99) - 4.59511985013459).abs() < 1e-12);
        // Node 20: Math.log(p / (1 - p)) for this p (the platform libm gives the next double).
        let p = f64::from_bits(0x3fd9_a96c_3300_0000);
        assert_eq!(mastery_theta(p).to_bits(), 0xbfd9_b13d_31a5_3426);
    }

    #[test]
    fn mastery_picks_weakest_topic_with_candidates() {
        let rows = [
            MasteryRow {
                topic_id: "t-strong",
                p_known: 0.9,
            },
            MasteryRow {
                topic_id: "t-weak",
                p_known: 0.2,
            },
            MasteryRow {
                topic_id: "t-empty",
                p_known: 0.1,
            },
        ];
        let cands = [
            cand("e1", "t-strong", 1.0, 2.0),
            cand("e2", "t-weak", 1.0, 2.0),
            cand("e3", "t-weak", 1.0, -1.0),
        ];
        let got = recommend_for_weakest_topic(&rows, &cands, &[]).unwrap();
        assert_eq!(got.row, 1, "t-empty is weakest but has no candidates");
        let theta = mastery_theta(0.2);
        assert_eq!(got.pick.theta, theta);
        assert_eq!(got.pick.candidate, 2, "b = −1 is closer to θ ≈ −1.39");
        assert_eq!(got.pick.information, fisher_information(1.0, -1.0, theta));
    }

    #[test]
    fn mastery_exclusions_and_empty_sets() {
        let rows = [MasteryRow {
            topic_id: "t",
            p_known: 0.5,
        }];
        let cands = [cand("e1", "t", 1.0, 0.0), cand("e2", "t", 1.0, 0.5)];
        let got = recommend_for_weakest_topic(&rows, &cands, &["e1"]).unwrap();
        assert_eq!(got.pick.candidate, 1);
        assert_eq!(
            recommend_for_weakest_topic(&rows, &cands, &["e1", "e2"]),
            None
        );
        assert_eq!(recommend_for_weakest_topic(&[], &cands, &[]), None);
        assert_eq!(recommend_for_weakest_topic(&rows, &[], &[]), None);
    }

    #[test]
    fn mastery_ties_keep_the_first_candidate_and_row() {
        let rows = [
            MasteryRow {
                topic_id: "a",
                p_known: 0.4,
            },
            MasteryRow {
                topic_id: "b",
                p_known: 0.4,
            },
        ];
        let cands = [
            cand("b1", "b", 1.0, 0.0),
            cand("a1", "a", 1.0, 0.0),
            cand("a2", "a", 1.0, 0.0),
        ];
        let got = recommend_for_weakest_topic(&rows, &cands, &[]).unwrap();
        assert_eq!((got.row, got.pick.candidate), (0, 1));
    }

    #[test]
    fn mastery_takes_only_the_first_fifty_candidates() {
        let rows = [MasteryRow {
            topic_id: "t",
            p_known: 0.5,
        }];
        let ids: Vec<String> = (0..60).map(|i| format!("e{i}")).collect();
        let mut cands: Vec<Candidate> = ids.iter().map(|id| cand(id, "t", 1.0, 3.0)).collect();
        cands[55].irt_b = 0.0; // the best item, but beyond the limit
        let got = recommend_for_weakest_topic(&rows, &cands, &[]).unwrap();
        assert_eq!(got.pick.candidate, 0);
        // Excluded items do not count toward the limit.
        let excluded: Vec<&str> = ids[..10].iter().map(String::as_str).collect();
        let got = recommend_for_weakest_topic(&rows, &cands, &excluded).unwrap();
        assert_eq!(got.pick.candidate, 55);
    }

    #[test]
    fn recent_correct_attempts_in_the_course_are_excluded() {
        let now = 100 * 86_400_000;
        let at = |days_ago: i64| now - days_ago * 86_400_000;
        let attempts = [
            RecentAttempt {
                exercise_id: Some("in"),
                course_id: Some("c"),
                is_correct: true,
                created_at_ms: at(7),
            },
            RecentAttempt {
                exercise_id: Some("old"),
                course_id: Some("c"),
                is_correct: true,
                created_at_ms: at(7) - 1,
            },
            RecentAttempt {
                exercise_id: Some("wrong"),
                course_id: Some("c"),
                is_correct: false,
                created_at_ms: at(1),
            },
            RecentAttempt {
                exercise_id: Some("other"),
                course_id: Some("d"),
                is_correct: true,
                created_at_ms: at(1),
            },
            RecentAttempt {
                exercise_id: None,
                course_id: Some("c"),
                is_correct: true,
                created_at_ms: at(1),
            },
        ];
        assert_eq!(recently_solved(&attempts, "c", now), vec!["in"]);
    }

    #[test]
    fn mastery_reasoning_uses_to_fixed() {
        let theta = mastery_theta(0.3);
        let info = fisher_information(1.0, 0.0, theta);
        assert_eq!(
            mastery_reasoning("Resta", 0.3, theta, info),
            "Tema: Resta · p=0.30 · θ=-0.85 · Fisher=0.210"
        );
        assert_eq!(
            mastery_reasoning("T", 0.125, 0.0, 0.0625),
            "Tema: T · p=0.13 · θ=0.00 · Fisher=0.063"
        );
    }

    #[test]
    fn practice_uses_each_topics_theta_and_defaults() {
        let mastery = [MasteryRow {
            topic_id: "known",
            p_known: 0.95,
        }];
        let cands = [
            cand("e1", "unknown", 1.0, 2.0), // θ = logit(0.3) ≈ −0.85: far from b = 2
            cand("e2", "known", 1.0, 2.9),   // θ = logit(0.95) ≈ 2.94: near b
        ];
        let got = pick_practice_item(&cands, &mastery).unwrap();
        assert_eq!(got.candidate, 1);
        assert_eq!(got.theta, logit(0.95));
        assert_eq!(pick_practice_item(&[], &mastery), None);
    }

    #[test]
    fn practice_ties_keep_the_first() {
        let cands = [cand("e1", "t", 1.0, 0.5), cand("e2", "t", 1.0, 0.5)];
        assert_eq!(pick_practice_item(&cands, &[]).unwrap().candidate, 0);
    }

    #[test]
    fn practice_reasoning_format() {
        assert_eq!(
            practice_reasoning(-0.8472978603872037, 0.0, 0.21),
            "θ = -0.85, b = 0.00 → I(θ) = 0.210 (Fisher máx)"
        );
    }

    #[test]
    fn nan_information_keeps_the_first_candidate_at_minus_one() {
        let cands = [
            cand("e1", "t", f64::NAN, 0.0),
            cand("e2", "t", f64::NAN, 0.0),
        ];
        let got = pick_practice_item(&cands, &[]).unwrap();
        assert_eq!((got.candidate, got.information), (0, -1.0));
    }

    #[test]
    fn assignment_uses_raw_p_known_and_the_prerequisite_gate() {
        let rows = [
            GatedMasteryRow {
                topic_id: "base",
                p_known: 0.7,
                prerequisite_topic_ids: vec![],
            },
            GatedMasteryRow {
                topic_id: "next",
                p_known: 0.5,
                prerequisite_topic_ids: vec!["base"],
            },
            GatedMasteryRow {
                topic_id: "blocked",
                p_known: 0.5,
                prerequisite_topic_ids: vec!["next"],
            },
            GatedMasteryRow {
                topic_id: "missing",
                p_known: 0.5,
                prerequisite_topic_ids: vec!["nope"],
            },
        ];
        let cands = [
            cand("b1", "base", 1.0, 0.7),
            cand("n1", "next", 1.0, 3.0),
            cand("n2", "next", 1.0, 0.5),
            cand("x1", "blocked", 1.0, 0.5),
            cand("m1", "missing", 1.0, 0.5),
        ];
        let ranked = rank_for_assignment(&rows, &cands, DEFAULT_TOP_N);
        let ids: Vec<&str> = ranked.iter().map(|r| cands[r.candidate].id).collect();
        // b1 and n2 both have θ = b (info 0.25): tie keeps row order; n1 last.
        assert_eq!(ids, ["b1", "n2", "n1"]);
        assert_eq!(ranked[0].p_correct, 0.5);
        assert_eq!(ranked[0].fisher_information, 0.25);
        assert_eq!(
            ranked[2].fisher_information,
            fisher_information(1.0, 3.0, 0.5)
        );
        assert_eq!(rank_for_assignment(&rows, &cands, 1).len(), 1);
        assert!(rank_for_assignment(&rows, &[], 5).is_empty());
        assert!(rank_for_assignment(&[], &cands, 5).is_empty());
    }

    #[test]
    fn difficulty_bands_are_closed_at_their_bounds() {
        assert_eq!(Difficulty::of(-0.4), Difficulty::Easy);
        assert_eq!(Difficulty::of(-0.39), Difficulty::Medium);
        assert_eq!(Difficulty::of(0.0), Difficulty::Medium);
        assert_eq!(Difficulty::of(0.69), Difficulty::Medium);
        assert_eq!(Difficulty::of(0.7), Difficulty::Hard);
        assert_eq!(Difficulty::of(f64::NAN), Difficulty::Medium);
        assert_eq!(
            serde_json::to_string(&Difficulty::Hard).unwrap(),
            "\"hard\""
        );
    }
}
