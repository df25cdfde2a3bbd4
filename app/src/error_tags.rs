//! The admin error catalogue: a keyset-paginated, filtered browse with the catalogue's counts
//! (`GET /admin/error-tags`) and a tag's status change (`PATCH /admin/error-tags/:code/status`).

use innova_core::db::DbError;
use innova_core::db::enums::ErrorStatus;
use innova_core::db::error_tags;

pub use innova_core::db::error_tags::{AdminTagRow, DomainTagCount, TagFilter};

use crate::authz::{Permit, op};
use crate::{App, AppError, AppResult};

/// Largest page of the browse.
pub const MAX_LIMIT: i64 = 100;
/// Page size when none is asked for.
pub const DEFAULT_LIMIT: i64 = 50;

/// One page of the catalogue, with the counts the admin page shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct CataloguePage {
    pub items: Vec<AdminTagRow>,
    /// The last item's code when more filtered rows follow, else `None`.
    pub next_cursor: Option<String>,
    /// Tags the filter matches (all pages).
    pub total: i64,
    /// Tags per status over the whole catalogue (unfiltered), in the enum's order.
    pub status_counts: Vec<(ErrorStatus, i64)>,
    /// Every domain by code with its number of tags (unfiltered).
    pub domains: Vec<DomainTagCount>,
}

/// A page of `limit` (clamped to 1..=[`MAX_LIMIT`]) filtered tags by code, strictly after the
/// code `cursor`. Four statements in one read-only REPEATABLE READ transaction, so the page
/// and the counts describe the same catalogue.
pub async fn browse(
    app: &App,
    _: &Permit<op::AdminErrorTagsList>,
    filter: &TagFilter,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<CataloguePage> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let mut tx = innova_core::db::begin_snapshot(&app.db).await?;
    let mut items = error_tags::browse(&mut *tx, filter, cursor, limit + 1).await?;
    let total = error_tags::count_filtered(&mut *tx, filter).await?;
    let status_counts = error_tags::count_by_status(&mut *tx).await?;
    let domains = error_tags::count_by_domain(&mut *tx).await?;
    tx.commit().await.map_err(DbError::from)?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = more.then(|| items.last().map(|t| t.code.clone())).flatten();
    Ok(CataloguePage {
        items,
        next_cursor,
        total,
        status_counts,
        domains,
    })
}

/// Sets a tag's status (no transition rules: any status to any); [`AppError::NotFound`]
/// `Error tag <code> not found` for an unknown code, with nothing written.
pub async fn set_status(
    app: &App,
    permit: &Permit<op::AdminErrorTagsSetStatus>,
    code: &str,
    status: ErrorStatus,
) -> AppResult<AdminTagRow> {
    let result = set_status_uncached(app, permit, code, status).await;
    // The catalogue of this process reflects the change at once (others within its TTL).
    app.catalog.invalidate();
    result
}

async fn set_status_uncached(
    app: &App,
    _: &Permit<op::AdminErrorTagsSetStatus>,
    code: &str,
    status: ErrorStatus,
) -> AppResult<AdminTagRow> {
    error_tags::set_status_admin(&app.db, code, status)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Error tag {code} not found")))
}
