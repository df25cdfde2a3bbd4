//! `/skills`: the curriculum's topics (a skill is a topic) — create, list, one, change, delete,
//! prerequisites — the error taxonomy tree, and the search of the ACTIVE error catalogue.

use innova_app::skills as app;
use innova_domain::ids::TopicId;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use super::common::iso;
use crate::validate::{Problems, Valid, Validate};

/// Longest topic code accepted.
pub const MAX_KEY: usize = 100;
/// Longest topic name accepted.
pub const MAX_NAME: usize = 200;
/// Longest topic description accepted.
pub const MAX_DESCRIPTION: usize = 2_000;
/// Longest id accepted in a body.
const MAX_ID: usize = 200;

// ---- the topic ----------------------------------------------------------------------------------

/// A topic, as stored (the reference's raw `Topic`).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Topic {
    pub id: TopicId,
    pub unit_id: String,
    pub subdomain_id: Option<String>,
    pub domain_id: Option<String>,
    /// Unique within its unit.
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    /// BKT prior P(known) (default 0.3).
    #[serde(rename = "bktPL0")]
    pub bkt_p_l0: f64,
    /// BKT P(transit) (default 0.1).
    #[serde(rename = "bktPTransit")]
    pub bkt_p_transit: f64,
    /// BKT P(slip) (default 0.1).
    #[serde(rename = "bktPSlip")]
    pub bkt_p_slip: f64,
    /// BKT P(guess) (default 0.2).
    #[serde(rename = "bktPGuess")]
    pub bkt_p_guess: f64,
    /// ISO-8601 UTC; `null` until calibrated.
    pub bkt_calibrated_at: Option<String>,
}

impl From<app::TopicRow> for Topic {
    fn from(t: app::TopicRow) -> Self {
        Topic {
            id: t.id,
            unit_id: t.unit_id,
            subdomain_id: t.subdomain_id,
            domain_id: t.domain_id,
            code: t.code,
            name: t.name,
            description: t.description,
            bkt_p_l0: t.bkt_p_l0,
            bkt_p_transit: t.bkt_p_transit,
            bkt_p_slip: t.bkt_p_slip,
            bkt_p_guess: t.bkt_p_guess,
            bkt_calibrated_at: t.bkt_calibrated_at.map(iso),
        }
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SkillPath {
    /// The topic id.
    pub id: TopicId,
}

fn check_text(p: &mut Problems, field: &str, value: &str, max: usize) {
    p.not_blank(field, value);
    p.chars_between(field, value, 0, max);
}

// ---- POST /skills -----------------------------------------------------------------------------

/// A new topic (BKT priors: the schema's defaults).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateSkill {
    /// The topic's code, unique within its unit: letters, digits and `_ . : -`.
    #[schemars(length(min = 1, max = 100))]
    #[schemars(regex(pattern = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"))]
    pub key: String,
    #[schemars(length(min = 1, max = 200))]
    pub name: String,
    #[serde(default)]
    #[schemars(length(max = 2000))]
    pub description: Option<String>,
    /// The unit the topic belongs to (default: the first unit in teaching order).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub unit_id: Option<String>,
    /// The taxonomy subdomain the topic practises (its domain comes with it).
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub subdomain_id: Option<String>,
}

impl Validate for CreateSkill {
    fn validate(&self, p: &mut Problems) {
        check_text(p, "key", &self.key, MAX_KEY);
        p.code("key", &self.key);
        check_text(p, "name", &self.name, MAX_NAME);
        if let Some(d) = &self.description {
            p.chars_between("description", d, 0, MAX_DESCRIPTION);
        }
        if let Some(id) = &self.unit_id {
            check_text(p, "unitId", id, MAX_ID);
        }
        if let Some(id) = &self.subdomain_id {
            check_text(p, "subdomainId", id, MAX_ID);
        }
    }
}

impl From<Valid<CreateSkill>> for app::NewSkill {
    fn from(b: Valid<CreateSkill>) -> Self {
        let b = b.into_inner();
        app::NewSkill {
            key: b.key,
            name: b.name,
            description: b.description,
            unit_id: b.unit_id,
            subdomain_id: b.subdomain_id,
        }
    }
}

// ---- GET /skills ------------------------------------------------------------------------------

/// Topics per page when `limit` is absent (and at most).
pub const MAX_SKILLS: u32 = 1_000;

/// `?limit=&page=` of the topic list.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SkillsQuery {
    /// Topics per page, 1–1000 (default 1000).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
    /// 1-based page of `limit` topics (default 1).
    #[serde(default)]
    #[schemars(range(min = 1, max = 100000))]
    pub page: Option<u32>,
}

impl Validate for SkillsQuery {
    fn validate(&self, p: &mut Problems) {
        p.in_range("limit", self.limit.map(i64::from), 1, i64::from(MAX_SKILLS));
        p.in_range("page", self.page.map(i64::from), 1, 100_000);
    }
}

impl SkillsQuery {
    /// `(limit, offset)` with the defaults applied.
    pub fn window(&self) -> (i64, i64) {
        let limit = i64::from(self.limit.unwrap_or(MAX_SKILLS));
        let page = i64::from(self.page.unwrap_or(1).max(1));
        (limit, (page - 1) * limit)
    }
}

// ---- PATCH /skills/{id} -----------------------------------------------------------------------

/// A field that may be present with `null` (clear it) or absent (leave it).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Changes to a topic; absent fields (and `null` `key`/`name`) stay as they are.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateSkill {
    /// A new code, unique within the topic's unit: letters, digits and `_ . : -`.
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    #[schemars(regex(pattern = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"))]
    pub key: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// A new description; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>", length(max = 2000))]
    pub description: Option<Option<String>>,
}

impl Validate for UpdateSkill {
    fn validate(&self, p: &mut Problems) {
        if let Some(key) = &self.key {
            check_text(p, "key", key, MAX_KEY);
            p.code("key", key);
        }
        if let Some(name) = &self.name {
            check_text(p, "name", name, MAX_NAME);
        }
        if let Some(Some(d)) = &self.description {
            p.chars_between("description", d, 0, MAX_DESCRIPTION);
        }
    }
}

impl From<Valid<UpdateSkill>> for app::TopicChanges {
    fn from(b: Valid<UpdateSkill>) -> Self {
        let b = b.into_inner();
        app::TopicChanges {
            code: b.key,
            name: b.name,
            description: b.description,
        }
    }
}

// ---- GET /skills/{id}/prerequisites -----------------------------------------------------------

/// A topic's prerequisites.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Prerequisites {
    /// The topic id asked about.
    pub skill_id: TopicId,
    /// Codes of the topics that come before it, ordered.
    pub prerequisites: Vec<String>,
}

// ---- GET /skills/taxonomy ---------------------------------------------------------------------

/// A subdomain of the taxonomy.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TaxonomySubdomain {
    pub id: String,
    pub code: String,
    pub name: String,
}

/// A domain of the taxonomy with its subdomains (by code).
#[derive(Debug, Serialize, JsonSchema)]
pub struct TaxonomyDomain {
    pub id: String,
    pub code: String,
    pub name: String,
    pub subdomains: Vec<TaxonomySubdomain>,
}

impl From<app::TaxonomyDomain> for TaxonomyDomain {
    fn from(t: app::TaxonomyDomain) -> Self {
        TaxonomyDomain {
            id: t.domain.id,
            code: t.domain.code,
            name: t.domain.name,
            subdomains: t
                .subdomains
                .into_iter()
                .map(|s| TaxonomySubdomain {
                    id: s.id,
                    code: s.code,
                    name: s.name,
                })
                .collect(),
        }
    }
}

// ---- GET /skills/error-tags -------------------------------------------------------------------

/// Tags returned when `limit` is absent.
pub const DEFAULT_TAG_LIMIT: u32 = 20;
/// Most tags returned.
pub const MAX_TAG_LIMIT: u32 = 50;
/// Longest search text accepted.
const MAX_QUERY: usize = 200;

/// `?q=&domainCode=&limit=`: a search of the ACTIVE error catalogue.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ErrorTagSearchQuery {
    /// Case-insensitive substring of the code, the name or the description (trimmed; blank
    /// searches nothing).
    #[serde(default)]
    #[schemars(length(max = 200))]
    pub q: Option<String>,
    /// Only tags of the domain with this code (e.g. `ARITH`).
    #[serde(default)]
    #[schemars(length(min = 1, max = 100))]
    pub domain_code: Option<String>,
    /// Tags returned, 1–50 (default 20).
    #[serde(default)]
    #[schemars(range(min = 1, max = 50))]
    pub limit: Option<u32>,
}

impl Validate for ErrorTagSearchQuery {
    fn validate(&self, p: &mut Problems) {
        if let Some(q) = &self.q {
            p.chars_between("q", q, 0, MAX_QUERY);
        }
        if let Some(code) = &self.domain_code {
            check_text(p, "domainCode", code, MAX_KEY);
        }
        p.in_range(
            "limit",
            self.limit.map(i64::from),
            1,
            i64::from(MAX_TAG_LIMIT),
        );
    }
}

impl From<Valid<ErrorTagSearchQuery>> for app::TagSearch {
    fn from(q: Valid<ErrorTagSearchQuery>) -> Self {
        let q = q.into_inner();
        app::TagSearch {
            q: q.q,
            domain_code: q.domain_code,
            limit: i64::from(q.limit.unwrap_or(DEFAULT_TAG_LIMIT)),
        }
    }
}

/// An ACTIVE error tag found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorTagHit {
    pub code: String,
    pub name: String,
    pub subdomain_code: Option<String>,
    pub domain_code: Option<String>,
}

impl From<app::ErrorTagRow> for ErrorTagHit {
    fn from(t: app::ErrorTagRow) -> Self {
        ErrorTagHit {
            code: t.code,
            name: t.name,
            subdomain_code: t.subdomain_code,
            domain_code: t.domain_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validated;

    #[test]
    fn a_patch_tells_a_null_description_from_an_absent_one() {
        let parse = |json: &str| serde_json::from_str::<UpdateSkill>(json).unwrap();
        assert_eq!(parse("{}").description, None);
        assert_eq!(parse(r#"{"description": null}"#).description, Some(None));
        assert_eq!(
            parse(r#"{"description": "x"}"#).description,
            Some(Some("x".into()))
        );
        let changes =
            app::TopicChanges::from(validated(parse(r#"{"key": "K", "name": null}"#)).unwrap());
        assert_eq!(
            (changes.code.as_deref(), changes.name, changes.description),
            (Some("K"), None, None)
        );
        assert!(validated(parse(r#"{"key": " "}"#)).is_err());
    }

    #[test]
    fn searches_and_lists_have_defaults_and_bounds() {
        let search = |limit| ErrorTagSearchQuery {
            q: Some("  borrow ".into()),
            domain_code: None,
            limit,
        };
        assert_eq!(
            app::TagSearch::from(validated(search(None)).unwrap()).limit,
            20
        );
        assert!(validated(search(Some(51))).is_err());
        assert!(validated(search(Some(0))).is_err());
        assert!(validated(search(Some(50))).is_ok());
        let list = |limit, page| SkillsQuery { limit, page }.window();
        assert_eq!(list(None, None), (1000, 0));
        assert_eq!(list(Some(5), Some(2)), (5, 5));
    }
}
