//! The catalogue in memory: topics (with their BKT parameters, domain and subdomain codes),
//! error-tag ids, the taxonomy's subdomains, and the curriculum scope of the courses asked about — read on almost every
//! attempt and changed a few times a year. One snapshot per process, loaded on first use (never
//! at start-up: a Lambda cold start does not pay for it), reloaded when older than [`TTL`], and
//! dropped at once by the use cases of this process that change it ([`Catalog::invalidate`]:
//! skill create/edit/delete, error-tag status). Another process's change (the catalogue import,
//! another Lambda instance's admin edit) is seen within [`TTL`].
//!
//! Lookups answer exactly as the queries they replace: [`Catalog::topic_by_code`] picks what
//! `curriculum::topic_by_code` picks (candidates kept in the database's teaching order, so its
//! collation decides as there), [`Catalog::error_tag_id`] what `error_tags::id_by_code` finds.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use innova_core::db::curriculum::{self, CatalogTopic, TopicWithCodes};
use innova_core::db::mastery::{self, SubdomainWithDomain};
use innova_core::db::{PgPool, error_tags};
use innova_domain::ids::CourseId;

use crate::AppResult;

/// How stale a snapshot may be (the staleness window of another process's change).
pub const TTL: Duration = Duration::from_secs(60);

/// Courses whose scope is kept at most (the map is emptied when full; a miss is one query).
const MAX_COURSES: usize = 10_000;

/// One load of the catalogue.
#[derive(Debug)]
struct Snapshot {
    loaded_at: Instant,
    /// Topics by code, each list in teaching order.
    topics: HashMap<String, Vec<CatalogTopic>>,
    error_tags: HashMap<String, String>,
    /// Every subdomain with its domain (domain code, subdomain code order).
    subdomains: Arc<Vec<SubdomainWithDomain>>,
    /// `(subject, country)` of courses seen (`None`: no such course).
    courses: RwLock<HashMap<CourseId, Option<(String, String)>>>,
}

/// The process's catalogue cache (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    current: Arc<RwLock<Option<Arc<Snapshot>>>>,
}

impl Catalog {
    /// Drops the snapshot: the next lookup reloads (call after changing topics or tags).
    pub fn invalidate(&self) {
        if let Ok(mut current) = self.current.write() {
            *current = None;
        }
    }

    async fn snapshot(&self, db: &PgPool) -> AppResult<Arc<Snapshot>> {
        let fresh = self
            .current
            .read()
            .ok()
            .and_then(|c| c.clone())
            .filter(|s| s.loaded_at.elapsed() < TTL);
        if let Some(snapshot) = fresh {
            return Ok(snapshot);
        }
        let loaded_at = Instant::now();
        let mut topics: HashMap<String, Vec<CatalogTopic>> = HashMap::new();
        for t in curriculum::topic_catalog(db).await? {
            topics
                .entry(t.topic.topic.code.clone())
                .or_default()
                .push(t);
        }
        let error_tags = error_tags::codes_and_ids(db).await?.into_iter().collect();
        let subdomains = Arc::new(mastery::subdomains_with_domains(db).await?);
        let snapshot = Arc::new(Snapshot {
            loaded_at,
            topics,
            error_tags,
            subdomains,
            courses: RwLock::default(),
        });
        if let Ok(mut current) = self.current.write() {
            *current = Some(snapshot.clone());
        }
        Ok(snapshot)
    }

    /// The topic a code names, preferring the course's curriculum (see
    /// `curriculum::topic_by_code`, decision 17).
    pub async fn topic_by_code(
        &self,
        db: &PgPool,
        code: &str,
        course_id: Option<&CourseId>,
    ) -> AppResult<Option<TopicWithCodes>> {
        let snapshot = self.snapshot(db).await?;
        let Some(candidates) = snapshot.topics.get(code) else {
            return Ok(None);
        };
        let scope = match course_id {
            Some(course) => course_scope(&snapshot, db, course).await?,
            None => None,
        };
        let preferred = scope.as_ref().and_then(|(subject, country)| {
            candidates
                .iter()
                .find(|t| &t.subject_id == subject && &t.country == country)
        });
        Ok(preferred.or(candidates.first()).map(|t| t.topic.clone()))
    }

    /// Every subdomain with its domain, in domain code then subdomain code order.
    pub async fn subdomains(&self, db: &PgPool) -> AppResult<Arc<Vec<SubdomainWithDomain>>> {
        Ok(self.snapshot(db).await?.subdomains.clone())
    }

    /// The id of the error tag with this code (any status).
    pub async fn error_tag_id(&self, db: &PgPool, code: &str) -> AppResult<Option<String>> {
        Ok(self.snapshot(db).await?.error_tags.get(code).cloned())
    }
}

async fn course_scope(
    snapshot: &Snapshot,
    db: &PgPool,
    course: &CourseId,
) -> AppResult<Option<(String, String)>> {
    if let Some(known) = snapshot
        .courses
        .read()
        .ok()
        .and_then(|c| c.get(course).cloned())
    {
        return Ok(known);
    }
    let scope = curriculum::course_scope(db, course).await?;
    if let Ok(mut courses) = snapshot.courses.write() {
        if courses.len() >= MAX_COURSES {
            courses.clear();
        }
        courses.insert(course.clone(), scope.clone());
    }
    Ok(scope)
}
