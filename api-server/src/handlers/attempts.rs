//! `/attempts`: a student's answer classified, stored and applied to mastery
//! ([`innova_app::attempts`]); ad-hoc problems queued for the solver; photos read by OCR; an
//! attempt's classification, detail and disputes.

use dropshot::{MultipartBody, Path, RequestContext};
use innova_app::attempts;
use innova_app::authz::op;

use crate::api::types::attempts::{
    AttemptAccepted, AttemptClassification, AttemptCreated, AttemptDetail, AttemptPath,
    AttemptReported, CreateAttempt, MAX_IMAGE_BYTES, OcrResult, PhotoForm, ReportAttempt,
    SolveAdhoc,
};
use crate::auth;
use crate::body::{ImageUpload, JsonBody};
use crate::context::ApiContext;
use crate::envelope::{self, ApiCreated, ApiOk};
use crate::error::ApiError;

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateAttempt>,
) -> ApiCreated<AttemptCreated> {
    let permit = auth::admit::<op::AttemptsCreate>(&rqctx).await?;
    let body = body.parse()?;
    let trace_id = envelope::trace_id(&rqctx);
    let recorded = attempts::record(rqctx.context(), &permit, body.into(), &trace_id).await?;
    envelope::created(&rqctx, recorded.into())
}

pub async fn solve_adhoc(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<SolveAdhoc>,
) -> ApiCreated<AttemptAccepted> {
    let permit = auth::admit::<op::AttemptsSolveAdhoc>(&rqctx).await?;
    let body = body.parse()?;
    let trace_id = envelope::trace_id(&rqctx);
    let attempt_id =
        attempts::solve_adhoc(rqctx.context(), &permit, body.into(), &trace_id).await?;
    envelope::created(&rqctx, AttemptAccepted { attempt_id })
}

pub async fn ocr_extract(
    rqctx: RequestContext<ApiContext>,
    body: ImageUpload<PhotoForm>,
) -> ApiCreated<OcrResult> {
    let permit = auth::admit::<op::AttemptsOcrExtract>(&rqctx).await?;
    let (image, mime) = read_image(body.into_multipart()?).await?;
    let page = attempts::read_photo(rqctx.context(), &permit, image, &mime).await?;
    let exercises = page.exercises;
    envelope::created(&rqctx, OcrResult { exercises })
}

pub async fn status(
    rqctx: RequestContext<ApiContext>,
    path: Path<AttemptPath>,
) -> ApiOk<AttemptClassification> {
    let permit = auth::admit::<op::AttemptsStatus>(&rqctx).await?;
    let attempt = attempts::status(rqctx.context(), &permit, &path.into_inner().id).await?;
    envelope::ok(&rqctx, AttemptClassification::from(&attempt))
}

pub async fn detail(
    rqctx: RequestContext<ApiContext>,
    path: Path<AttemptPath>,
) -> ApiOk<AttemptDetail> {
    let permit = auth::admit::<op::AttemptsDetail>(&rqctx).await?;
    let id = path.into_inner().id;
    let (attempt, detail) = attempts::detail(rqctx.context(), &permit, &id).await?;
    envelope::ok(&rqctx, AttemptDetail::new(&attempt, detail))
}

pub async fn report(
    rqctx: RequestContext<ApiContext>,
    path: Path<AttemptPath>,
    body: JsonBody<ReportAttempt>,
) -> ApiCreated<AttemptReported> {
    let permit = auth::admit::<op::AttemptsReport>(&rqctx).await?;
    let body = body.parse()?;
    let id = path.into_inner().id;
    let (tag, comment) = (&body.error_tag_code, body.comment.as_deref());
    let reported = attempts::report(rqctx.context(), &permit, &id, tag, comment).await?;
    envelope::created(&rqctx, AttemptReported::new(reported))
}

/// The `image` file of a multipart body, with its content type. Other text fields are ignored;
/// another file field, no file, or a file that is not an image is a 400.
async fn read_image(mut body: MultipartBody) -> Result<(bytes::Bytes, String), ApiError> {
    let multipart_error = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            ApiError::payload_too_large(format!("image must be at most {MAX_IMAGE_BYTES} bytes"))
        }
        other => {
            let text = other.to_string();
            if text.contains("exceeded maximum size") {
                ApiError::payload_too_large(format!(
                    "image must be at most {MAX_IMAGE_BYTES} bytes"
                ))
            } else {
                ApiError::validation(vec![format!("invalid multipart body: {text}")])
            }
        }
    };
    let mut image = None;
    while let Some(field) = body.content.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.file_name().is_some();
        if name == "image" {
            let mime = field
                .content_type()
                .map(|m| m.essence_str().to_string())
                .unwrap_or_default();
            let bytes = field.bytes().await.map_err(multipart_error)?;
            image = Some((bytes, mime));
        } else if is_file {
            return Err(ApiError::validation(vec![format!(
                "unexpected file field {name}: send the photo as `image`"
            )]));
        }
    }
    let (bytes, mime) = image.ok_or_else(|| {
        ApiError::validation(vec![
            "image is required (a multipart file field named `image`)".into(),
        ])
    })?;
    if bytes.is_empty() {
        return Err(ApiError::validation(vec!["image must not be empty".into()]));
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ApiError::payload_too_large(format!(
            "image must be at most {MAX_IMAGE_BYTES} bytes"
        )));
    }
    let mime = match sniff_image(&bytes) {
        Some(sniffed) => sniffed.to_string(),
        None if mime.starts_with("image/") => mime,
        None => {
            return Err(ApiError::validation(vec![
                "image must be an image file (JPEG, PNG, WebP, HEIC or GIF)".into(),
            ]));
        }
    };
    Ok((bytes, mime))
}

/// The image type announced by a file's first bytes (clients often send no or a wrong type).
fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("image/webp"),
        [
            _,
            _,
            _,
            _,
            b'f',
            b't',
            b'y',
            b'p',
            b'h',
            b'e',
            b'i',
            b'c',
            ..,
        ] => Some("image/heic"),
        _ => None,
    }
}
