//! Digests of requests, kept with their retry key so a retry (same key, same request) is told
//! apart from another request reusing the key (409).

use sha2::{Digest, Sha256};

/// A SHA-256 over a request's fields, each length-prefixed so no two field lists collide.
pub(crate) struct RequestDigest(Sha256);

impl RequestDigest {
    /// A digest for requests of `kind` (a route's name: requests of two routes never match).
    pub fn new(kind: &str) -> Self {
        RequestDigest(Sha256::new()).text(kind)
    }

    pub fn text(mut self, value: &str) -> Self {
        self.0.update((value.len() as u64).to_be_bytes());
        self.0.update(value.as_bytes());
        self
    }

    pub fn opt(self, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.flag(true).text(v),
            None => self.flag(false),
        }
    }

    pub fn number(mut self, value: f64) -> Self {
        self.0.update(value.to_bits().to_be_bytes());
        self
    }

    pub fn flag(mut self, value: bool) -> Self {
        self.0.update([u8::from(value)]);
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.0.finalize().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_delimited() {
        let ab_c = RequestDigest::new("k").text("ab").text("c").finish();
        let a_bc = RequestDigest::new("k").text("a").text("bc").finish();
        assert_ne!(ab_c, a_bc);
        assert_ne!(
            RequestDigest::new("k").opt(None).finish(),
            RequestDigest::new("k").opt(Some("")).finish()
        );
        assert_ne!(
            RequestDigest::new("a").finish(),
            RequestDigest::new("b").finish()
        );
        assert_eq!(
            RequestDigest::new("k").number(1.5).finish(),
            RequestDigest::new("k").number(1.5).finish()
        );
    }
}
