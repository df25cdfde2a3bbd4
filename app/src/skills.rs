//! Skills: the curriculum's topics (a "skill" is a topic) — creating, listing, changing and
//! deleting them — the error taxonomy tree, the search of the ACTIVE error catalogue, and a
//! topic's real prerequisites (decision 6).

use innova_domain::ids::TopicId;
use std::collections::HashMap;

use innova_core::db::curriculum::{self as repo, DomainRow, NewTopic, SubdomainRow};
use innova_core::db::error_tags::{self, TagFilter};
use innova_core::db::{self, DbError, enums::ErrorStatus};

pub use innova_core::db::curriculum::{TopicChanges, TopicRow};
pub use innova_core::db::error_tags::AdminTagRow as ErrorTagRow;

use crate::authz::{Permit, op};
use crate::{App, AppError, AppResult};

/// A topic to create (`POST /skills`), validated by the API.
#[derive(Debug, Clone, Default)]
pub struct NewSkill {
    /// The topic's code.
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    /// The unit; when absent, the first unit in teaching order.
    pub unit_id: Option<String>,
    /// The taxonomy subdomain (its domain comes with it).
    pub subdomain_id: Option<String>,
}

/// The 409 of a code already used in the unit.
fn duplicate(code: &str, unit_id: &str) -> AppError {
    AppError::Conflict(format!(
        "key: a topic with the code {code} already exists in unit {unit_id}"
    ))
}

/// Maps the unique-constraint conflict of `(unit_id, code)` to [`duplicate`].
fn or_duplicate(e: DbError, code: &str, unit_id: &str) -> AppError {
    match e {
        DbError::Conflict { .. } => duplicate(code, unit_id),
        other => other.into(),
    }
}

/// Creates a topic with the schema's BKT priors. An unknown unit or subdomain is
/// [`AppError::Unprocessable`] naming `unitId` / `subdomainId`; a database without units
/// [`AppError::NotFound`]; a code already used in the unit [`AppError::Conflict`].
pub async fn create(
    app: &App,
    permit: &Permit<op::SkillsCreate>,
    new: NewSkill,
) -> AppResult<TopicRow> {
    let result = create_uncached(app, permit, new).await;
    // The catalogue of this process reflects the change at once (others within its TTL).
    app.catalog.invalidate();
    result
}

async fn create_uncached(
    app: &App,
    _: &Permit<op::SkillsCreate>,
    new: NewSkill,
) -> AppResult<TopicRow> {
    let unit = match &new.unit_id {
        Some(id) => repo::unit_by_id(&app.db, id)
            .await?
            .ok_or_else(|| AppError::Unprocessable(format!("unitId: unit {id} does not exist")))?,
        None => repo::first_unit(&app.db).await?.ok_or_else(|| {
            AppError::NotFound("No unit found — run seed first to create curriculum".into())
        })?,
    };
    let subdomain = match &new.subdomain_id {
        Some(id) => Some(repo::subdomain_by_id(&app.db, id).await?.ok_or_else(|| {
            AppError::Unprocessable(format!("subdomainId: subdomain {id} does not exist"))
        })?),
        None => None,
    };
    repo::insert_topic(
        &app.db,
        &NewTopic {
            unit_id: unit.id.clone(),
            domain_id: subdomain.as_ref().map(|s| s.domain_id.clone()),
            subdomain_id: subdomain.map(|s| s.id),
            code: new.key.clone(),
            name: new.name,
            description: new.description,
        },
    )
    .await
    .map_err(|e| or_duplicate(e, &new.key, &unit.id))
}

/// A page of all topics, by unit.
pub async fn list(
    app: &App,
    _: &Permit<op::SkillsList>,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<TopicRow>> {
    Ok(repo::list_topics(&app.db, limit, offset).await?)
}

/// A topic; `None` for an unknown id.
pub async fn get(
    app: &App,
    _: &Permit<op::SkillsGet>,
    id: &TopicId,
) -> AppResult<Option<TopicRow>> {
    Ok(repo::topic_by_id(&app.db, id).await?.map(|t| t.topic))
}

fn topic_not_found(id: &str) -> AppError {
    AppError::NotFound(format!("Topic {id} not found"))
}

/// Changes a topic's code, name or description. An unknown id is [`AppError::NotFound`]; a
/// code already used in the topic's unit [`AppError::Conflict`].
pub async fn update(
    app: &App,
    permit: &Permit<op::SkillsUpdate>,
    id: &TopicId,
    changes: TopicChanges,
) -> AppResult<TopicRow> {
    let result = update_uncached(app, permit, id, changes).await;
    // The catalogue of this process reflects the change at once (others within its TTL).
    app.catalog.invalidate();
    result
}

async fn update_uncached(
    app: &App,
    _: &Permit<op::SkillsUpdate>,
    id: &TopicId,
    changes: TopicChanges,
) -> AppResult<TopicRow> {
    match repo::update_topic(&app.db, id, &changes).await {
        Ok(Some(topic)) => Ok(topic),
        Ok(None) => Err(topic_not_found(id)),
        Err(e @ DbError::Conflict { .. }) => {
            // Only a new code can collide; the topic exists (the update found it).
            let unit = repo::topic_by_id(&app.db, id)
                .await?
                .map(|t| t.topic.unit_id);
            match (changes.code.as_deref(), unit) {
                (Some(code), Some(unit)) => Err(duplicate(code, &unit)),
                _ => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether a delete removed a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Removed,
    /// There was no such topic: nothing to do (deleting twice is not an error).
    Absent,
}

/// Deletes a topic with its own prerequisite links, in one transaction. A topic that exercises,
/// students' estimates or other topics' prerequisites still reference is [`AppError::Conflict`]
/// saying which, and nothing is deleted.
pub async fn delete(
    app: &App,
    permit: &Permit<op::SkillsDelete>,
    id: &TopicId,
) -> AppResult<Deleted> {
    let result = delete_uncached(app, permit, id).await;
    // The catalogue of this process reflects the change at once (others within its TTL).
    app.catalog.invalidate();
    result
}

async fn delete_uncached(
    app: &App,
    _: &Permit<op::SkillsDelete>,
    id: &TopicId,
) -> AppResult<Deleted> {
    let mut tx = db::begin(&app.db).await?;
    let Some(topic) = repo::topic_by_id(&mut *tx, id).await? else {
        return Ok(Deleted::Absent);
    };
    let refs = repo::topic_references(&mut *tx, id).await?;
    if !refs.is_empty() {
        return Err(AppError::Conflict(referenced(&topic.topic.code, id, &refs)));
    }
    let removed = match repo::delete_topic(&mut tx, id).await {
        Ok(removed) => removed,
        // A reference made meanwhile (the foreign keys are RESTRICT).
        Err(DbError::Conflict { message, .. }) => {
            return Err(AppError::Conflict(format!(
                "Topic {id} cannot be deleted: {message}"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await.map_err(DbError::from)?;
    Ok(if removed {
        Deleted::Removed
    } else {
        Deleted::Absent
    })
}

/// `Topic SUB (<id>) is still referenced by 8 exercises, 2 students' mastery estimates, the
/// prerequisites of topic T-SUB-BORROW: remove those first`.
fn referenced(code: &str, id: &str, refs: &repo::TopicReferences) -> String {
    let mut parts = Vec::new();
    let plural = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if refs.exercises > 0 {
        parts.push(plural(refs.exercises, "exercise", "exercises"));
    }
    if refs.mastery_rows > 0 {
        parts.push(plural(
            refs.mastery_rows,
            "student's mastery estimate",
            "students' mastery estimates",
        ));
    }
    if !refs.dependents.is_empty() {
        parts.push(format!(
            "the prerequisites of {} {}",
            if refs.dependents.len() == 1 {
                "topic"
            } else {
                "topics"
            },
            refs.dependents.join(", ")
        ));
    }
    format!(
        "Topic {code} ({id}) is still referenced by {}: remove those first",
        parts.join(", ")
    )
}

/// The codes of a topic's prerequisites (decision 6: the real list, ordered). An unknown topic
/// is [`AppError::NotFound`].
pub async fn prerequisites(
    app: &App,
    _: &Permit<op::SkillsPrerequisites>,
    id: &TopicId,
) -> AppResult<Vec<String>> {
    if repo::topic_by_id(&app.db, id).await?.is_none() {
        return Err(topic_not_found(id));
    }
    Ok(repo::prerequisite_codes(&app.db, id).await?)
}

/// A domain of the error taxonomy with its subdomains, both by code.
#[derive(Debug, Clone, PartialEq)]
pub struct TaxonomyDomain {
    pub domain: DomainRow,
    pub subdomains: Vec<SubdomainRow>,
}

/// The taxonomy tree: every domain by code, each with its subdomains by code (two reads).
pub async fn taxonomy(app: &App, _: &Permit<op::SkillsTaxonomy>) -> AppResult<Vec<TaxonomyDomain>> {
    let domains = repo::list_domains(&app.db).await?;
    let mut by_domain: HashMap<String, Vec<SubdomainRow>> = HashMap::new();
    for s in repo::list_subdomains(&app.db).await? {
        by_domain.entry(s.domain_id.clone()).or_default().push(s);
    }
    Ok(domains
        .into_iter()
        .map(|domain| TaxonomyDomain {
            subdomains: by_domain.remove(&domain.id).unwrap_or_default(),
            domain,
        })
        .collect())
}

/// A search of the ACTIVE error catalogue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagSearch {
    /// Case-insensitive substring of the code, the name or the description; blank: none.
    pub q: Option<String>,
    /// Exact domain code.
    pub domain_code: Option<String>,
    pub limit: i64,
}

/// ACTIVE error tags matching the search, by code, at most `limit`.
pub async fn search_error_tags(
    app: &App,
    _: &Permit<op::SkillsErrorTags>,
    search: &TagSearch,
) -> AppResult<Vec<ErrorTagRow>> {
    let filter = TagFilter {
        status: Some(ErrorStatus::Active),
        domain_code: search.domain_code.clone(),
        source: None,
        q: search
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned),
    };
    Ok(error_tags::browse(&app.db, &filter, None, search.limit).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_referenced_topic_says_what_holds_it() {
        let refs = repo::TopicReferences {
            exercises: 8,
            mastery_rows: 1,
            dependents: vec!["T-SUB-BORROW".into()],
        };
        assert_eq!(
            referenced("SUB", "t1", &refs),
            "Topic SUB (t1) is still referenced by 8 exercises, 1 student's mastery estimate, \
             the prerequisites of topic T-SUB-BORROW: remove those first"
        );
        let refs = repo::TopicReferences {
            exercises: 1,
            mastery_rows: 0,
            dependents: vec!["A".into(), "B".into()],
        };
        assert_eq!(
            referenced("X", "t2", &refs),
            "Topic X (t2) is still referenced by 1 exercise, the prerequisites of topics A, B: \
             remove those first"
        );
    }
}
