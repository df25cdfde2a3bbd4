//! Shapes shared by many routes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Largest page a list route returns.
pub const MAX_PAGE_SIZE: u32 = 100;

/// `?page=&pageSize=` of a paginated list (the reference's names): pages count from 1.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PageQuery {
    /// 1-based page number (default 1).
    #[schemars(range(min = 1))]
    pub page: Option<u32>,
    /// Items per page, 1–100 (default 20).
    #[schemars(range(min = 1, max = 100))]
    pub page_size: Option<u32>,
}

impl PageQuery {
    pub const DEFAULT_PAGE_SIZE: u32 = 20;

    /// `(limit, offset)` for SQL, with the defaults and bounds applied.
    pub fn limit_offset(&self) -> (u32, u64) {
        let size = self
            .page_size
            .unwrap_or(Self::DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE);
        let page = self.page.unwrap_or(1).max(1);
        (size, u64::from(page - 1) * u64::from(size))
    }
}

/// One page of a list.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items in the whole list.
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
}

/// A stored timestamp (UTC) as the API shows it: ISO-8601 with milliseconds and `Z`.
pub fn iso(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A plain confirmation.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MessageResponse {
    pub message: String,
}

impl MessageResponse {
    pub fn new(text: &str) -> Self {
        MessageResponse {
            message: text.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_have_defaults_and_bounds() {
        let q = |page, page_size| PageQuery { page, page_size };
        assert_eq!(q(None, None).limit_offset(), (20, 0));
        assert_eq!(q(Some(3), Some(10)).limit_offset(), (10, 20));
        assert_eq!(q(Some(0), Some(1000)).limit_offset(), (100, 0));
    }
}
