//! The scheduled pruning of what grows with traffic and is needed only for a while: the retry
//! keys of `POST /attempts` and `/attempts/solve-adhoc` ([`RETRY_KEY_DAYS`]), and the mastery
//! history points older than the 7-day trend window needs ([`HISTORY_DAYS`]). Run by the hourly
//! cycle, in batches of [`BATCH`] rows, at most [`MAX_BATCHES`] per table per run.

use chrono::{Duration, NaiveDateTime};
use innova_core::db::maintenance;

use crate::{App, AppResult};

/// How long a retried request still answers its stored result: far beyond any client's retry
/// (they retry within seconds or minutes), short enough that the keys stay a week of traffic.
pub const RETRY_KEY_DAYS: i64 = 7;
/// The trend window (decision 18): points older than this are kept only as the last one before
/// the window.
pub const HISTORY_DAYS: i64 = 7;
/// Rows per DELETE.
pub const BATCH: i64 = 5_000;
/// DELETEs per table per run (a run removes at most `BATCH × MAX_BATCHES` rows of each).
pub const MAX_BATCHES: usize = 200;

/// What one run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub attempt_requests: u64,
    pub mastery_history: u64,
}

/// Prunes both tables as of `now`.
pub async fn prune(app: &App, now: NaiveDateTime) -> AppResult<Pruned> {
    let keys_before = now - Duration::days(RETRY_KEY_DAYS);
    let history_before = now - Duration::days(HISTORY_DAYS);
    let mut pruned = Pruned::default();
    for _ in 0..MAX_BATCHES {
        let n = maintenance::prune_attempt_requests(&app.db, keys_before, BATCH).await?;
        pruned.attempt_requests += n;
        if n < BATCH as u64 {
            break;
        }
    }
    for _ in 0..MAX_BATCHES {
        let n = maintenance::prune_mastery_history(&app.db, history_before, BATCH).await?;
        pruned.mastery_history += n;
        if n < BATCH as u64 {
            break;
        }
    }
    Ok(pruned)
}
