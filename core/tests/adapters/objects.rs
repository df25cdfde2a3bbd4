//! The object-store port: `S3Store` against moto, `LocalStore` on a temporary directory.

use std::time::Duration;

use bytes::Bytes;
use innova_core::config::Buckets;
use innova_core::objects::{Bucket, LocalStore, ObjectError, ObjectStore, S3Store};

use crate::{aws, create_bucket};

const TTL: Duration = Duration::from_secs(600);

#[tokio::test]
async fn s3_presigned_urls_work_and_sign_the_content_type() {
    let aws = aws();
    let bucket = create_bucket(&aws.s3().await).await;
    let store = S3Store::new(
        aws.clone(),
        Buckets {
            submissions: Some(bucket.clone()),
            ..Default::default()
        },
    );
    let key = "submissions/s1/photo.jpg";

    let put = store
        .presign_put(Bucket::Submissions, key, Some("image/jpeg"), TTL)
        .await
        .unwrap();
    let endpoint = crate::aws_endpoint();
    assert!(
        put.starts_with(&format!("{endpoint}/{bucket}/{key}?")),
        "path-style: {put}"
    );
    assert!(put.contains("X-Amz-Expires=600"), "{put}");
    assert!(
        put.contains("content-type"),
        "the content type is a signed header: {put}"
    );
    assert!(
        !put.to_ascii_lowercase().contains("checksum"),
        "no checksum parameters: {put}"
    );

    let http = reqwest::Client::new();
    let response = http
        .put(&put)
        .header("content-type", "image/jpeg")
        .body("photo")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert!(store.exists(Bucket::Submissions, key).await.unwrap());
    assert!(
        !store
            .exists(Bucket::Submissions, "submissions/s1/missing.jpg")
            .await
            .unwrap()
    );

    let get = store
        .presign_get(Bucket::Submissions, key, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(
        http.get(&get).send().await.unwrap().text().await.unwrap(),
        "photo"
    );
    assert_eq!(
        store.get(Bucket::Submissions, key).await.unwrap(),
        Bytes::from_static(b"photo")
    );

    store
        .put(
            Bucket::Submissions,
            "submissions/s1/b.jpg",
            Bytes::from_static(b"b"),
            Some("image/jpeg"),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .get(Bucket::Submissions, "submissions/s1/b.jpg")
            .await
            .unwrap(),
        Bytes::from_static(b"b")
    );
    let missing = store
        .get(Bucket::Submissions, "submissions/none.jpg")
        .await
        .unwrap_err();
    assert!(matches!(missing, ObjectError::NotFound { .. }), "{missing}");

    let unnamed = store
        .presign_get(Bucket::Guides, "guides/uploads/x.pdf", TTL)
        .await
        .unwrap_err();
    assert!(matches!(
        unnamed,
        ObjectError::NotConfigured {
            var: "S3_GUIDES_BUCKET",
            ..
        }
    ));
    assert!(
        !store
            .exists(Bucket::Guides, "guides/uploads/x.pdf")
            .await
            .unwrap()
    );
    assert!(matches!(
        store
            .presign_get(Bucket::Submissions, "../etc/passwd", TTL)
            .await,
        Err(ObjectError::InvalidKey { .. })
    ));
    assert!(matches!(
        store
            .presign_get(Bucket::Submissions, key, Duration::ZERO)
            .await,
        Err(ObjectError::InvalidTtl(_))
    ));
}

fn temp_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(crate::unique("innova-objects"))
}

/// The parts of a local signed URL.
struct Signed {
    path: String,
    expires: i64,
    signature: String,
    content_type: Option<String>,
}

fn parse(url: &str) -> Signed {
    let url = url::Url::parse(url).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    Signed {
        path: url.path().to_string(),
        expires: query["expires"].parse().unwrap(),
        signature: query["signature"].clone(),
        content_type: query.get("contentType").cloned(),
    }
}

#[tokio::test]
async fn local_store_signs_urls_for_the_api_and_verifies_them() {
    let dir = temp_dir();
    let store = LocalStore::new(&dir, url::Url::parse("http://localhost:3000").unwrap());
    let key = "guide-scans/g1/s1/page 1.jpg";

    let put = store
        .presign_put(Bucket::Submissions, key, Some("image/jpeg"), TTL)
        .await
        .unwrap();
    assert!(
        put.starts_with(
            "http://localhost:3000/local-objects/submissions/guide-scans/g1/s1/page%201.jpg?"
        ),
        "{put}"
    );
    let p = parse(&put);
    let now = chrono::Utc::now().timestamp();
    assert!((now + 599..=now + 601).contains(&p.expires));
    assert_eq!(p.content_type.as_deref(), Some("image/jpeg"));
    let ct = p.content_type.as_deref();
    store
        .verify("PUT", Bucket::Submissions, key, p.expires, &p.signature, ct)
        .unwrap();

    // Anything that differs from what was signed is refused.
    let forbidden =
        |r: Result<(), ObjectError>| assert!(matches!(r, Err(ObjectError::Forbidden(_))), "{r:?}");
    forbidden(store.verify("GET", Bucket::Submissions, key, p.expires, &p.signature, ct));
    forbidden(store.verify("PUT", Bucket::Guides, key, p.expires, &p.signature, ct));
    forbidden(store.verify(
        "PUT",
        Bucket::Submissions,
        "guide-scans/g1/s2/x.jpg",
        p.expires,
        &p.signature,
        ct,
    ));
    forbidden(store.verify(
        "PUT",
        Bucket::Submissions,
        key,
        p.expires + 1,
        &p.signature,
        ct,
    ));
    forbidden(store.verify(
        "PUT",
        Bucket::Submissions,
        key,
        p.expires,
        &p.signature,
        Some("image/png"),
    ));
    forbidden(store.verify(
        "PUT",
        Bucket::Submissions,
        key,
        p.expires,
        &p.signature,
        None,
    ));
    forbidden(store.verify("PUT", Bucket::Submissions, key, p.expires, "not-hex", ct));
    let expired = store
        .verify("PUT", Bucket::Submissions, key, now - 1, &p.signature, ct)
        .unwrap_err();
    assert!(expired.to_string().contains("expired"), "{expired}");

    // The API's PUT route writes the body; GET serves it.
    assert!(!store.exists(Bucket::Submissions, key).await.unwrap());
    store
        .put(
            Bucket::Submissions,
            key,
            Bytes::from_static(b"scan"),
            Some("image/jpeg"),
        )
        .await
        .unwrap();
    assert!(store.exists(Bucket::Submissions, key).await.unwrap());
    assert_eq!(
        store.get(Bucket::Submissions, key).await.unwrap(),
        Bytes::from_static(b"scan")
    );
    assert_eq!(
        std::fs::read(dir.join("objects/submissions").join(key)).unwrap(),
        b"scan"
    );
    assert_eq!(LocalStore::content_type_for(key), "image/jpeg");

    let get = parse(
        &store
            .presign_get(Bucket::Submissions, key, TTL)
            .await
            .unwrap(),
    );
    assert_eq!(get.content_type, None);
    store
        .verify(
            "GET",
            Bucket::Submissions,
            key,
            get.expires,
            &get.signature,
            None,
        )
        .unwrap();
    assert!(get.path.starts_with("/local-objects/submissions/"));

    // The secret is kept in the data dir: another instance (a restart) accepts the same URLs.
    let again = LocalStore::new(&dir, url::Url::parse("http://localhost:3000").unwrap());
    again
        .verify(
            "GET",
            Bucket::Submissions,
            key,
            get.expires,
            &get.signature,
            None,
        )
        .unwrap();
    let other = LocalStore::new(
        &temp_dir(),
        url::Url::parse("http://localhost:3000").unwrap(),
    );
    forbidden(other.verify(
        "GET",
        Bucket::Submissions,
        key,
        get.expires,
        &get.signature,
        None,
    ));

    let missing = store
        .get(Bucket::Submissions, "submissions/none.jpg")
        .await
        .unwrap_err();
    assert!(matches!(missing, ObjectError::NotFound { .. }));
    for bad in ["../outside.jpg", "/abs.jpg", "a//b.jpg"] {
        assert!(matches!(
            store.presign_get(Bucket::Submissions, bad, TTL).await,
            Err(ObjectError::InvalidKey { .. })
        ));
        assert!(
            store
                .put(Bucket::Submissions, bad, Bytes::new(), None)
                .await
                .is_err()
        );
        assert!(!store.exists(Bucket::Submissions, bad).await.unwrap());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn local_urls_keep_the_public_base_path() {
    let dir = temp_dir();
    let store = LocalStore::new(
        &dir,
        url::Url::parse("https://api.example.com/dev/").unwrap(),
    );
    let url = store
        .presign_get(Bucket::Guides, "guides/uploads/a.pdf", TTL)
        .await
        .unwrap();
    assert!(
        url.starts_with(
            "https://api.example.com/dev/local-objects/guides/guides/uploads/a.pdf?expires="
        ),
        "{url}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
