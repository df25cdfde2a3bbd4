//! The local object store: files under `<data_dir>/objects/<bucket>/<key>`, and signed URLs that
//! the API serves itself (`GET`/`PUT /local-objects/<bucket>/<key>`).
//!
//! A URL carries `expires` (Unix seconds) and `signature`, the hex HMAC-SHA256 of
//! `METHOD \n bucket \n key \n expires \n content-type` under a 256-bit secret generated once in
//! `<data_dir>/local-objects.key` (mode 0600). A PUT URL made with a content type also carries
//! it as `contentType`, and the upload must send exactly that `Content-Type`, as with S3.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::Url;

use super::{Bucket, ObjectError, ObjectStore, check_ttl, validate_key};

type HmacSha256 = Hmac<Sha256>;

/// The file holding the signing secret, under the data directory.
pub const SECRET_FILE: &str = "local-objects.key";

/// Objects on the local disk.
pub struct LocalStore {
    root: PathBuf,
    secret_file: PathBuf,
    base_url: Url,
    /// Loaded (or created) on first use, so building the store touches no file.
    secret: OnceLock<Vec<u8>>,
    // --- OCR / archive
    on_stored: OnceLock<StoredHook>,
}

// --- OCR / archive
/// Told of every object the store has just stored (bucket, key): how the local composition root
/// delivers S3-style `ObjectCreated` notifications (the OCR uploads bucket → the OCR worker). It
/// runs on the writer's task, so it must only hand the event over (e.g. to a channel).
pub type StoredHook = Box<dyn Fn(Bucket, &str) + Send + Sync>;

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore")
            .field("root", &self.root)
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl LocalStore {
    /// A store under `data_dir` whose URLs start with `base_url` (the API's public URL). The
    /// directories and the signing secret are created when first needed.
    pub fn new(data_dir: &Path, base_url: Url) -> Self {
        LocalStore {
            root: data_dir.join("objects"),
            secret_file: data_dir.join(SECRET_FILE),
            base_url,
            secret: OnceLock::new(),
            on_stored: OnceLock::new(),
        }
    }

    // --- OCR / archive
    /// Sets the hook told of each stored object; false (and ignored) if one is already set.
    pub fn on_stored(&self, hook: StoredHook) -> bool {
        self.on_stored.set(hook).is_ok()
    }

    fn secret(&self) -> Result<&[u8], ObjectError> {
        if let Some(secret) = self.secret.get() {
            return Ok(secret);
        }
        if let Some(dir) = self.secret_file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let secret = load_or_create_secret(&self.secret_file)?;
        Ok(self.secret.get_or_init(|| secret))
    }

    /// Where `bucket/key` lives on disk.
    pub fn path(&self, bucket: Bucket, key: &str) -> Result<PathBuf, ObjectError> {
        validate_key(key)?;
        Ok(self.root.join(bucket.slug()).join(key))
    }

    /// Checks a signed request: 403-worthy [`ObjectError::Forbidden`] when expired or when the
    /// signature does not cover exactly this method, bucket, key, expiry and content type.
    pub fn verify(
        &self,
        method: &str,
        bucket: Bucket,
        key: &str,
        expires: i64,
        signature: &str,
        content_type: Option<&str>,
    ) -> Result<(), ObjectError> {
        validate_key(key)?;
        if chrono::Utc::now().timestamp() > expires {
            return Err(ObjectError::Forbidden("the signed URL has expired"));
        }
        let signature =
            hex::decode(signature).map_err(|_| ObjectError::Forbidden("invalid signature"))?;
        self.mac(method, bucket, key, expires, content_type)?
            .verify_slice(&signature)
            .map_err(|_| ObjectError::Forbidden("invalid signature"))
    }

    /// The content type to serve `key` with, from its extension.
    pub fn content_type_for(key: &str) -> &'static str {
        let ext = key
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "jpg" | "jpeg" => "image/jpeg",
            "png" => "image/png",
            "webp" => "image/webp",
            "heic" => "image/heic",
            "pdf" => "application/pdf",
            "json" => "application/json",
            "txt" => "text/plain; charset=utf-8",
            _ => "application/octet-stream",
        }
    }

    fn mac(
        &self,
        method: &str,
        bucket: Bucket,
        key: &str,
        expires: i64,
        content_type: Option<&str>,
    ) -> Result<HmacSha256, ObjectError> {
        let mut mac =
            HmacSha256::new_from_slice(self.secret()?).expect("HMAC takes any key length");
        let message = format!(
            "{}\n{}\n{}\n{}\n{}",
            method.to_ascii_uppercase(),
            bucket.slug(),
            key,
            expires,
            content_type.unwrap_or("")
        );
        mac.update(message.as_bytes());
        Ok(mac)
    }

    fn sign(
        &self,
        method: &str,
        bucket: Bucket,
        key: &str,
        content_type: Option<&str>,
        ttl: Duration,
    ) -> Result<String, ObjectError> {
        validate_key(key)?;
        check_ttl(ttl)?;
        let expires = chrono::Utc::now().timestamp() + ttl.as_secs() as i64;
        let signature = hex::encode(
            self.mac(method, bucket, key, expires, content_type)?
                .finalize()
                .into_bytes(),
        );
        let mut url = self.base_url.clone();
        url.set_query(None);
        url.set_fragment(None);
        url.path_segments_mut()
            .map_err(|_| ObjectError::Storage("the public API URL cannot have a path".into()))?
            .pop_if_empty()
            .push("local-objects")
            .push(bucket.slug())
            .extend(key.split('/'));
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("expires", &expires.to_string());
            query.append_pair("signature", &signature);
            if let Some(ct) = content_type {
                query.append_pair("contentType", ct);
            }
        }
        Ok(url.to_string())
    }
}

#[async_trait]
impl ObjectStore for LocalStore {
    async fn presign_get(
        &self,
        bucket: Bucket,
        key: &str,
        ttl: Duration,
    ) -> Result<String, ObjectError> {
        self.sign("GET", bucket, key, None, ttl)
    }

    async fn presign_put(
        &self,
        bucket: Bucket,
        key: &str,
        content_type: Option<&str>,
        ttl: Duration,
    ) -> Result<String, ObjectError> {
        self.sign("PUT", bucket, key, content_type, ttl)
    }

    async fn exists(&self, bucket: Bucket, key: &str) -> Result<bool, ObjectError> {
        let Ok(path) = self.path(bucket, key) else {
            return Ok(false);
        };
        match tokio::fs::metadata(path).await {
            Ok(m) => Ok(m.is_file()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn get(&self, bucket: Bucket, key: &str) -> Result<Bytes, ObjectError> {
        let path = self.path(bucket, key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Bytes::from(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ObjectError::NotFound {
                bucket,
                key: key.to_string(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    async fn put(
        &self,
        bucket: Bucket,
        key: &str,
        bytes: Bytes,
        _content_type: Option<&str>,
    ) -> Result<(), ObjectError> {
        let path = self.path(bucket, key)?;
        let dir = path.parent().expect("an object path has a parent");
        tokio::fs::create_dir_all(dir).await?;
        // Write aside, then rename: a reader never sees half an object.
        let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, &bytes).await?;
        if let Err(e) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e.into());
        }
        // --- OCR / archive
        if let Some(hook) = self.on_stored.get() {
            hook(bucket, key);
        }
        Ok(())
    }

    fn local_for(&self, _bucket: Bucket) -> Option<&LocalStore> {
        Some(self)
    }
}

/// Reads the secret, or creates it atomically (a hard link fails if another process won).
fn load_or_create_secret(path: &Path) -> Result<Vec<u8>, ObjectError> {
    if let Some(secret) = read_secret(path)? {
        return Ok(secret);
    }
    // 2 × 122 random bits from the OS generator (uuid v4 uses getrandom).
    let mut secret = Vec::with_capacity(32);
    secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    write_private(&tmp, hex::encode(&secret).as_bytes())?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(secret),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_secret(path)?
            .ok_or_else(|| ObjectError::Storage(format!("{} is empty", path.display()))),
        Err(e) => Err(e.into()),
    }
}

fn read_secret(path: &Path) -> Result<Option<Vec<u8>>, ObjectError> {
    match std::fs::read_to_string(path) {
        Ok(s) => hex::decode(s.trim())
            .ok()
            .filter(|k| k.len() >= 16)
            .map(Some)
            .ok_or_else(|| ObjectError::Storage(format!("{} is not a hex secret", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents)
}
