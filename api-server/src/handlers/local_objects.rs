//! The local object store's signed URLs, served by the API itself (unpublished routes: they are
//! not part of the contract, and only exist for buckets without an S3 name).
//!
//! `GET`/`PUT /local-objects/{bucket}/{key}?expires=…&signature=…[&contentType=…]`: 403 when the
//! signature is missing, wrong or expired, or when a PUT does not send the signed content type
//! (as S3 would); 404 when the bucket is served by S3, unknown, or the object is absent.

use bytes::Bytes;
use dropshot::{Body, Path, RequestContext, UntypedBody};
use http::{Response, StatusCode};
use innova_core::objects::{Bucket, LocalStore, ObjectError, ObjectStore};

use crate::api::types::local_objects::{LocalObjectPath, LocalObjectQuery};
use crate::context::ApiContext;
use crate::error::ApiError;
use crate::query::QueryParams;

fn not_found() -> ApiError {
    ApiError::not_found("Object not found")
}

/// The local store of `bucket` after checking the signature for `method`.
fn authorize<'a>(
    ctx: &'a ApiContext,
    method: &str,
    path: &LocalObjectPath,
    query: &LocalObjectQuery,
) -> Result<(&'a LocalStore, Bucket), ApiError> {
    let bucket = Bucket::from_slug(&path.bucket).ok_or_else(not_found)?;
    let store = ctx
        .services
        .objects
        .local_for(bucket)
        .ok_or_else(not_found)?;
    let (Some(expires), Some(signature)) = (query.expires, query.signature.as_deref()) else {
        return Err(ApiError::forbidden("A signed URL is required"));
    };
    store
        .verify(
            method,
            bucket,
            &path.key(),
            expires,
            signature,
            query.content_type.as_deref(),
        )
        .map_err(|e| match e {
            ObjectError::Forbidden(message) => ApiError::forbidden(message),
            ObjectError::InvalidKey { .. } => not_found(),
            other => ApiError::internal(other),
        })?;
    Ok((store, bucket))
}

pub async fn get(
    rqctx: RequestContext<ApiContext>,
    path: Path<LocalObjectPath>,
    query: QueryParams<LocalObjectQuery>,
) -> Result<Response<Body>, ApiError> {
    let (path, query) = (path.into_inner(), query.parse()?);
    let (store, bucket) = authorize(rqctx.context(), "GET", &path, &query)?;
    let key = path.key();
    let bytes = store.get(bucket, &key).await.map_err(|e| match e {
        ObjectError::NotFound { .. } => not_found(),
        other => ApiError::internal(other),
    })?;
    Response::builder()
        .status(StatusCode::OK)
        .header(
            http::header::CONTENT_TYPE,
            LocalStore::content_type_for(&key),
        )
        .header(http::header::CACHE_CONTROL, "private, max-age=60")
        .body(Body::from(bytes))
        .map_err(ApiError::internal)
}

pub async fn put(
    rqctx: RequestContext<ApiContext>,
    path: Path<LocalObjectPath>,
    query: QueryParams<LocalObjectQuery>,
    body: UntypedBody,
) -> Result<Response<Body>, ApiError> {
    let (path, query) = (path.into_inner(), query.parse()?);
    let (store, bucket) = authorize(rqctx.context(), "PUT", &path, &query)?;
    let sent_type = rqctx
        .request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if let Some(signed) = query.content_type.as_deref()
        && sent_type != Some(signed)
    {
        return Err(ApiError::forbidden(format!(
            "Content-Type must be `{signed}`, as signed in the URL"
        )));
    }
    let bytes = Bytes::copy_from_slice(body.as_bytes());
    store
        .put(bucket, &path.key(), bytes, sent_type)
        .await
        .map_err(ApiError::internal)?;
    Response::builder()
        .status(StatusCode::OK)
        .body(Body::empty())
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use innova_core::config::Config;
    use innova_core::objects::{Bucket, LocalStore, ObjectStore};

    const TTL: Duration = Duration::from_secs(60);

    /// The server with embedded adapters (the guides bucket on "S3"), and a store signing with
    /// the same data directory.
    async fn server() -> (crate::server::RunningApi, LocalStore, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "innova-local-objects-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let config = Config::from_vars([
            ("DATABASE_URL", "postgres://unused@127.0.0.1:9/unused"),
            ("INNOVA_DATA_DIR", dir.to_str().unwrap()),
            ("PUBLIC_API_URL", base.as_str()),
            ("S3_GUIDES_BUCKET", "innova-guides"),
        ])
        .unwrap();
        let api = crate::server::serve(config, listener).await.unwrap();
        (
            api,
            LocalStore::new(&dir, url::Url::parse(&base).unwrap()),
            dir,
        )
    }

    #[tokio::test]
    async fn signed_urls_upload_and_download_through_the_api() {
        let (api, store, dir) = server().await;
        let http = reqwest::Client::new();
        let key = "guide-scans/g1/s1/page 1.jpg";

        let put = store
            .presign_put(Bucket::Submissions, key, Some("image/jpeg"), TTL)
            .await
            .unwrap();
        let wrong_type = http
            .put(&put)
            .header("content-type", "image/png")
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong_type.status(), 403);
        let ok = http
            .put(&put)
            .header("content-type", "image/jpeg")
            .body("photo")
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap());
        assert!(store.exists(Bucket::Submissions, key).await.unwrap());

        let get = store
            .presign_get(Bucket::Submissions, key, TTL)
            .await
            .unwrap();
        let response = http.get(&get).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "image/jpeg");
        assert_eq!(response.text().await.unwrap(), "photo");

        // A PUT URL does not download, a tampered or unsigned URL is refused.
        assert_eq!(
            http.get(put.replace("contentType=image%2Fjpeg", ""))
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        let tampered = get.replace("page%201.jpg", "page%202.jpg");
        assert_eq!(http.get(&tampered).send().await.unwrap().status(), 403);
        let unsigned = get.split('?').next().unwrap().to_string();
        let response = http.get(&unsigned).send().await.unwrap();
        assert_eq!(response.status(), 403);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["statusCode"], 403);

        // Signed but absent; a bucket served by S3; an unknown bucket.
        let absent = store
            .presign_get(Bucket::Submissions, "submissions/none.jpg", TTL)
            .await
            .unwrap();
        assert_eq!(http.get(&absent).send().await.unwrap().status(), 404);
        let on_s3 = store
            .presign_get(Bucket::Guides, "guides/uploads/a.pdf", TTL)
            .await
            .unwrap();
        assert_eq!(http.get(&on_s3).send().await.unwrap().status(), 404);
        let unknown = get.replace("/local-objects/submissions/", "/local-objects/other/");
        assert_eq!(http.get(&unknown).send().await.unwrap().status(), 404);

        api.shutdown().await.unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }
}
