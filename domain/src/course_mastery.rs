//! What a teacher sees of a course (domain.md §2.4–2.5): each student's mastery per taxonomy
//! subdomain, their error frequencies, and the student × domain heatmap. Pure functions over
//! the rows the API loads.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

/// pKnown shown for a subdomain with attempts but no correct/total ratio and no mastery rows.
pub const DEFAULT_P_KNOWN: f64 = 0.3;
/// Attempts per student the course view considers (most recent first).
pub const COURSE_VIEW_ATTEMPTS: usize = 50;
/// Attempts per student listed in the course view.
pub const COURSE_VIEW_LISTED_ATTEMPTS: usize = 20;
/// Attempts per student the heatmap considers.
pub const HEATMAP_ATTEMPTS: usize = 100;

/// A subdomain of the taxonomy with its domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Subdomain<'a> {
    pub id: &'a str,
    pub code: &'a str,
    pub name: &'a str,
    pub domain_id: &'a str,
    pub domain_code: &'a str,
    pub domain_name: &'a str,
}

/// What places an attempt in a subdomain, and its outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptFact<'a> {
    pub is_correct: bool,
    /// The attempt's error tag: code, name, and the tag's domain id and subdomain code.
    pub tag_code: Option<&'a str>,
    pub tag_name: Option<&'a str>,
    pub tag_domain_id: Option<&'a str>,
    pub tag_subdomain_code: Option<&'a str>,
    /// The subdomain of the exercise's topic.
    pub exercise_subdomain_id: Option<&'a str>,
}

/// A mastery row: its topic's subdomain and pKnown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MasteryFact<'a> {
    pub subdomain_id: Option<&'a str>,
    pub p_known: f64,
}

/// A student's mastery of one subdomain.
#[derive(Debug, Clone, PartialEq)]
pub struct SubdomainMastery {
    /// Index into the subdomain slice.
    pub subdomain: usize,
    /// Mean pKnown of the mastery rows in the subdomain; else correct/total of its attempts;
    /// else [`DEFAULT_P_KNOWN`].
    pub p_known: f64,
    /// Attempts placed in the subdomain.
    pub attempts_count: usize,
}

/// An error tag's share of a student's tagged wrong answers.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorFrequency {
    pub error_tag_code: String,
    /// `None` when the tag has no name (decision 7).
    pub error_tag_name: Option<String>,
    pub count: usize,
    /// count / all tagged wrong answers, in [0, 1].
    pub percentage: f64,
}

/// Places each attempt: the subdomain named by its error tag (domain id + subdomain code) when
/// it exists, else the subdomain of its exercise's topic (when it exists), else nowhere.
fn place(
    attempt: &AttemptFact,
    by_id: &HashMap<&str, usize>,
    by_codes: &HashMap<(&str, &str), usize>,
) -> Option<usize> {
    if let (Some(domain), Some(code)) = (attempt.tag_domain_id, attempt.tag_subdomain_code)
        && let Some(&i) = by_codes.get(&(domain, code))
    {
        return Some(i);
    }
    attempt
        .exercise_subdomain_id
        .and_then(|id| by_id.get(id).copied())
}

/// A student's mastery per subdomain (domain.md §2.4): only subdomains with attempts or mastery
/// rows, ordered by domain name (locale-aware, [`locale_compare`]) then subdomain code.
pub fn subdomain_mastery(
    subdomains: &[Subdomain],
    attempts: &[AttemptFact],
    mastery: &[MasteryFact],
) -> Vec<SubdomainMastery> {
    let by_id: HashMap<&str, usize> = subdomains
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i))
        .collect();
    let by_codes: HashMap<(&str, &str), usize> = subdomains
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.domain_id, s.code), i))
        .collect();

    let mut stats: HashMap<usize, (usize, usize)> = HashMap::new();
    for attempt in attempts {
        if let Some(i) = place(attempt, &by_id, &by_codes) {
            let entry = stats.entry(i).or_default();
            entry.0 += 1;
            if attempt.is_correct {
                entry.1 += 1;
            }
        }
    }
    let mut known: HashMap<usize, Vec<f64>> = HashMap::new();
    for row in mastery {
        if let Some(&i) = row.subdomain_id.and_then(|id| by_id.get(id)) {
            known.entry(i).or_default().push(row.p_known);
        }
    }

    let mut live: Vec<usize> = stats
        .keys()
        .chain(known.keys())
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    live.sort_by(|&a, &b| {
        locale_compare(subdomains[a].domain_name, subdomains[b].domain_name)
            .then_with(|| subdomains[a].code.cmp(subdomains[b].code))
            .then_with(|| a.cmp(&b))
    });
    live.into_iter()
        .map(|i| {
            let (total, correct) = stats.get(&i).copied().unwrap_or((0, 0));
            let p_known = match known.get(&i) {
                Some(values) if !values.is_empty() => {
                    values.iter().sum::<f64>() / values.len() as f64
                }
                _ if total > 0 => correct as f64 / total as f64,
                _ => DEFAULT_P_KNOWN,
            };
            SubdomainMastery {
                subdomain: i,
                p_known,
                attempts_count: total,
            }
        })
        .collect()
}

/// How often each error tag explains the student's wrong answers (domain.md §2.4): wrong
/// attempts with a tag, counted per code (name as first seen), most frequent first (ties keep
/// first-appearance order).
pub fn error_frequency(attempts: &[AttemptFact]) -> Vec<ErrorFrequency> {
    let mut order: Vec<ErrorFrequency> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut total = 0usize;
    for a in attempts.iter().filter(|a| !a.is_correct) {
        let Some(code) = a.tag_code else { continue };
        total += 1;
        match index.get(code) {
            Some(&i) => order[i].count += 1,
            None => {
                index.insert(code, order.len());
                order.push(ErrorFrequency {
                    error_tag_code: code.to_string(),
                    error_tag_name: a.tag_name.filter(|n| !n.is_empty()).map(str::to_string),
                    count: 1,
                    percentage: 0.0,
                });
            }
        }
    }
    for f in &mut order {
        f.percentage = f.count as f64 / total as f64;
    }
    // Stable: equal counts keep their first-appearance order.
    order.sort_by_key(|f| std::cmp::Reverse(f.count));
    order
}

/// One heatmap column: a domain (the reference calls them units).
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapUnit {
    pub domain_id: String,
    pub code: String,
    pub name: String,
    /// 1..n in domain-code order.
    pub sequence: usize,
}

/// A student's row of the heatmap.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapRow {
    /// Per domain (only those with at least one of the student's subdomains): mean pKnown and
    /// the number of subdomains averaged.
    pub units: Vec<(String, f64, usize)>,
    /// The student's subdomains among the course's live ones, in the course's order.
    pub topics: Vec<SubdomainMastery>,
}

/// The student × domain heatmap (domain.md §2.5) from each student's [`subdomain_mastery`].
pub fn heatmap(
    subdomains: &[Subdomain],
    students: &[Vec<SubdomainMastery>],
) -> (Vec<HeatmapUnit>, Vec<HeatmapRow>) {
    // The course's live subdomains, in first-seen order.
    let mut course_live: Vec<usize> = Vec::new();
    let mut seen = HashSet::new();
    for row in students {
        for m in row {
            if seen.insert(m.subdomain) {
                course_live.push(m.subdomain);
            }
        }
    }
    let mut domains: Vec<(&str, &str, &str)> = Vec::new();
    let mut seen_domains = HashSet::new();
    for &i in &course_live {
        let s = &subdomains[i];
        if seen_domains.insert(s.domain_id) {
            domains.push((s.domain_id, s.domain_code, s.domain_name));
        }
    }
    domains.sort_by(|a, b| a.1.cmp(b.1).then_with(|| a.0.cmp(b.0)));
    let units: Vec<HeatmapUnit> = domains
        .iter()
        .enumerate()
        .map(|(n, (id, code, name))| HeatmapUnit {
            domain_id: id.to_string(),
            code: code.to_string(),
            name: name.to_string(),
            sequence: n + 1,
        })
        .collect();

    let rows = students
        .iter()
        .map(|row| {
            let by_sub: HashMap<usize, &SubdomainMastery> =
                row.iter().map(|m| (m.subdomain, m)).collect();
            let topics: Vec<SubdomainMastery> = course_live
                .iter()
                .filter_map(|i| by_sub.get(i).map(|m| (*m).clone()))
                .collect();
            let units = units
                .iter()
                .filter_map(|u| {
                    let values: Vec<f64> = topics
                        .iter()
                        .filter(|m| subdomains[m.subdomain].domain_id == u.domain_id)
                        .map(|m| m.p_known)
                        .collect();
                    (!values.is_empty()).then(|| {
                        (
                            u.domain_id.clone(),
                            values.iter().sum::<f64>() / values.len() as f64,
                            values.len(),
                        )
                    })
                })
                .collect();
            HeatmapRow { units, topics }
        })
        .collect();
    (units, rows)
}

/// String order close to JavaScript's `localeCompare` (ICU root collation) for the Latin
/// names of the taxonomy: letters compare without accents and case first (`Álgebra` sorts
/// with `Algebra`, before `Aritmética`), then accents, then case.
pub fn locale_compare(a: &str, b: &str) -> Ordering {
    fn base(s: &str) -> String {
        s.chars()
            .flat_map(char::to_lowercase)
            .map(strip_accent)
            .collect()
    }
    base(a)
        .cmp(&base(b))
        .then_with(|| a.to_lowercase().cmp(&b.to_lowercase()))
        .then_with(|| b.cmp(a))
}

fn strip_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs() -> Vec<Subdomain<'static>> {
        vec![
            Subdomain {
                id: "s-sub",
                code: "SUB",
                name: "Resta",
                domain_id: "d-arith",
                domain_code: "ARITH",
                domain_name: "Aritmética",
            },
            Subdomain {
                id: "s-add",
                code: "ADD",
                name: "Suma",
                domain_id: "d-arith",
                domain_code: "ARITH",
                domain_name: "Aritmética",
            },
            Subdomain {
                id: "s-lin",
                code: "EQ_LINEAR",
                name: "Ecuaciones",
                domain_id: "d-alg",
                domain_code: "ALGEBRA",
                domain_name: "Álgebra",
            },
        ]
    }

    fn attempt(
        correct: bool,
        tag: Option<&'static str>,
        tag_sub: Option<(&'static str, &'static str)>,
        ex_sub: Option<&'static str>,
    ) -> AttemptFact<'static> {
        AttemptFact {
            is_correct: correct,
            tag_code: tag,
            tag_name: tag.map(|_| ""),
            tag_domain_id: tag_sub.map(|t| t.0),
            tag_subdomain_code: tag_sub.map(|t| t.1),
            exercise_subdomain_id: ex_sub,
        }
    }

    #[test]
    fn mastery_rows_win_over_attempt_ratio_and_the_default_applies_last() {
        let subs = subs();
        let attempts = [
            // Placed by its tag even though its exercise is elsewhere.
            attempt(
                false,
                Some("ARITH_SUB_BORROW_OMITTED"),
                Some(("d-arith", "SUB")),
                Some("s-add"),
            ),
            attempt(true, None, None, Some("s-add")),
            attempt(false, None, None, Some("s-add")),
            // A tag naming a subdomain that does not exist falls back to the exercise.
            attempt(false, Some("X"), Some(("d-arith", "NOPE")), None),
        ];
        let mastery = [
            MasteryFact {
                subdomain_id: Some("s-sub"),
                p_known: 0.2,
            },
            MasteryFact {
                subdomain_id: Some("s-sub"),
                p_known: 0.6,
            },
        ];
        let out = subdomain_mastery(&subs, &attempts, &mastery);
        // Álgebra has nothing; Aritmética: ADD then SUB by code.
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].subdomain, out[0].attempts_count), (1, 2));
        assert_eq!(out[0].p_known, 0.5);
        assert_eq!((out[1].subdomain, out[1].attempts_count), (0, 1));
        assert_eq!(out[1].p_known, (0.2 + 0.6) / 2.0);
        let only_mastery = subdomain_mastery(
            &subs,
            &[],
            &[MasteryFact {
                subdomain_id: Some("s-lin"),
                p_known: 0.9,
            }],
        );
        assert_eq!(only_mastery[0].attempts_count, 0);
        assert_eq!(
            subdomain_mastery(
                &subs,
                &[],
                &[MasteryFact {
                    subdomain_id: None,
                    p_known: 0.9
                }]
            ),
            vec![]
        );
    }

    #[test]
    fn domains_sort_by_name_ignoring_accents() {
        let subs = subs();
        let mastery = [
            MasteryFact {
                subdomain_id: Some("s-sub"),
                p_known: 0.5,
            },
            MasteryFact {
                subdomain_id: Some("s-lin"),
                p_known: 0.5,
            },
        ];
        let out = subdomain_mastery(&subs, &[], &mastery);
        // "Álgebra" < "Aritmética" (l < r once the accent is ignored), unlike a byte order.
        assert_eq!(
            out.iter().map(|m| m.subdomain).collect::<Vec<_>>(),
            vec![2, 0]
        );
        assert_eq!(locale_compare("Álgebra", "Aritmética"), Ordering::Less);
        assert_eq!(locale_compare("algebra", "Álgebra"), Ordering::Less);
    }

    #[test]
    fn a_subdomain_with_attempts_but_no_placement_data_defaults() {
        let subs = subs();
        let out = subdomain_mastery(&subs, &[attempt(true, None, None, Some("s-lin"))], &[]);
        assert_eq!(out[0].p_known, 1.0);
        assert_eq!(DEFAULT_P_KNOWN, 0.3);
    }

    #[test]
    fn error_frequency_counts_tagged_wrong_answers_most_frequent_first() {
        let attempts = [
            attempt(false, Some("B"), None, None),
            attempt(false, Some("A"), None, None),
            attempt(false, Some("A"), None, None),
            attempt(true, Some("CORRECT"), None, None),
            attempt(false, None, None, None),
            attempt(false, Some("C"), None, None),
        ];
        let f = error_frequency(&attempts);
        let codes: Vec<&str> = f.iter().map(|e| e.error_tag_code.as_str()).collect();
        assert_eq!(codes, ["A", "B", "C"]);
        assert_eq!(f[0].count, 2);
        assert_eq!(f[0].percentage, 0.5);
        assert_eq!(f[1].percentage, 0.25);
        assert_eq!(f[0].error_tag_name, None, "an empty name is null");
        assert!(error_frequency(&[]).is_empty());
    }

    #[test]
    fn heatmap_averages_per_domain_in_domain_code_order() {
        let subs = subs();
        let a = vec![
            SubdomainMastery {
                subdomain: 0,
                p_known: 0.4,
                attempts_count: 1,
            },
            SubdomainMastery {
                subdomain: 1,
                p_known: 0.8,
                attempts_count: 0,
            },
        ];
        let b = vec![SubdomainMastery {
            subdomain: 2,
            p_known: 0.9,
            attempts_count: 2,
        }];
        let (units, rows) = heatmap(&subs, &[a, b, vec![]]);
        assert_eq!(
            units
                .iter()
                .map(|u| (u.code.as_str(), u.sequence))
                .collect::<Vec<_>>(),
            [("ALGEBRA", 1), ("ARITH", 2)]
        );
        assert_eq!(
            rows[0].units,
            vec![("d-arith".to_string(), (0.4 + 0.8) / 2.0, 2)]
        );
        assert_eq!(rows[1].units, vec![("d-alg".to_string(), 0.9, 1)]);
        assert!(rows[2].units.is_empty() && rows[2].topics.is_empty());
        assert_eq!(rows[0].topics.len(), 2);
    }
}
