//! Rate limits of the public `/auth/*` routes (decision 13): per client IP (the address the
//! edge saw, in the request's scope) and per email, each a GCRA quota of N requests
//! per minute with a burst of N (`AUTH_RATE_LIMIT_PER_IP`, `AUTH_RATE_LIMIT_PER_EMAIL`; 0 turns a
//! limit off). Over the limit: 429 with `Retry-After` in seconds.

use std::num::NonZeroU32;

use dropshot::RequestContext;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use innova_core::config::AuthRateLimits;

use crate::error::ApiError;

/// Above this many tracked keys, keys whose limit has fully recovered are forgotten.
const MAX_TRACKED_KEYS: usize = 10_000;

pub struct AuthRateLimiter {
    per_ip: Option<DefaultKeyedRateLimiter<String>>,
    per_email: Option<DefaultKeyedRateLimiter<String>>,
}

impl AuthRateLimiter {
    pub fn new(limits: AuthRateLimits) -> Self {
        let limiter = |n: u32| {
            NonZeroU32::new(n).map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n)))
        };
        AuthRateLimiter {
            per_ip: limiter(limits.per_ip_per_minute),
            per_email: limiter(limits.per_email_per_minute),
        }
    }

    /// Counts one request from `ip` about `email` (normalised); 429 when either is over its
    /// limit.
    pub fn check(&self, ip: &str, email: Option<&str>) -> Result<(), ApiError> {
        if let Some(limiter) = &self.per_ip {
            check(limiter, ip)?;
        }
        if let (Some(limiter), Some(email)) = (&self.per_email, email) {
            check(limiter, email)?;
        }
        Ok(())
    }
}

fn check(limiter: &DefaultKeyedRateLimiter<String>, key: &str) -> Result<(), ApiError> {
    if limiter.len() > MAX_TRACKED_KEYS {
        limiter.retain_recent();
    }
    limiter.check_key(&key.to_owned()).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::too_many_requests(wait.as_secs_f64().ceil().max(1.0) as u64)
    })
}

/// The client IP of a request, as the edge saw it (its [`crate::request::RequestScope`]).
pub fn client_ip<C: crate::request::HasScopes>(rqctx: &RequestContext<C>) -> String {
    crate::request::scope(rqctx)
        .client_ip
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_apply_per_key_and_say_when_to_retry() {
        let limiter = AuthRateLimiter::new(AuthRateLimits {
            per_ip_per_minute: 4,
            per_email_per_minute: 2,
        });
        assert!(limiter.check("1.1.1.1", Some("a@b.co")).is_ok());
        assert!(limiter.check("1.1.1.1", Some("a@b.co")).is_ok());
        let err = limiter.check("1.1.1.1", Some("a@b.co")).unwrap_err();
        assert_eq!(err.status().as_u16(), 429);
        // Another email from the same IP still has IP budget left (1 of 4)…
        assert!(limiter.check("1.1.1.1", Some("c@d.co")).is_ok());
        // …and now the IP is exhausted for everyone.
        assert_eq!(
            limiter
                .check("1.1.1.1", Some("e@f.co"))
                .unwrap_err()
                .status()
                .as_u16(),
            429
        );
        assert!(limiter.check("2.2.2.2", None).is_ok());

        let off = AuthRateLimiter::new(AuthRateLimits {
            per_ip_per_minute: 0,
            per_email_per_minute: 0,
        });
        for _ in 0..100 {
            assert!(off.check("1.1.1.1", Some("a@b.co")).is_ok());
        }
    }
}
