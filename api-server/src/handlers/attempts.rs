//! `/attempts`: a student's answer is classified by the rule engine, stored with its steps and
//! applied to mastery (BKT) in one transaction, then published to the telemetry stream and —
//! when no rule explains a wrong answer — to the LLM classifier.

use std::time::Duration;

use dropshot::{MultipartBody, Path, RequestContext};
use innova_core::db::{self, attempts, curriculum, error_tags, mastery};
use innova_core::messages::{AdhocSolveMessage, AttemptStreamMessage, LlmClassifyMessage, RawStep};
use innova_core::objects::Bucket;
use innova_core::ocr::OcrExercise;
use innova_core::queue::QueueName;
use innova_domain::bkt::BktParams;
use innova_domain::js::number_to_string;
use innova_domain::rules::{self, AttemptInput, Operand};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::auth::{self, Target};
use crate::body::JsonBody;
use crate::context::ApiContext;
use crate::envelope::{self, ApiCreated, ApiOk};
use crate::error::ApiError;

// ---- POST /attempts ---------------------------------------------------------------------------

/// One step of the student's work.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StepInput {
    /// The step as typed (e.g. `53 - 26 = 33`).
    pub expression: String,
    /// Whether this step is the final answer.
    pub is_final: bool,
}

/// A digital attempt.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateAttempt {
    /// The student answering: the caller's own student profile.
    pub student_id: String,
    /// Code of the topic practised (e.g. `SUB`); picks the rule-engine strategy.
    pub topic_code: String,
    #[serde(default)]
    pub exercise_id: Option<String>,
    #[serde(default)]
    pub course_id: Option<String>,
    /// The student's work, in order (may be empty).
    pub raw_steps: Vec<StepInput>,
    pub expected_answer: f64,
    pub student_answer: f64,
    /// Operand 1 for the strategies that need it (minuend, first addend or factor, dividend).
    #[serde(default, deserialize_with = "present")]
    pub minuend: Option<Option<f64>>,
    /// Operand 2 (subtrahend, second addend or factor, divisor).
    #[serde(default, deserialize_with = "present")]
    pub subtrahend: Option<Option<f64>>,
}

/// Keeps an explicit `null` apart from an absent field: the rule engine treats them differently
/// (as the reference did).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

fn operand(field: Option<Option<f64>>) -> Operand {
    match field {
        None => Operand::Absent,
        Some(None) => Operand::Null,
        Some(Some(v)) => Operand::Value(v),
    }
}

impl CreateAttempt {
    fn validate(&self) -> Result<(), ApiError> {
        let mut problems = Vec::new();
        for (field, value) in [
            ("studentId", &self.student_id),
            ("topicCode", &self.topic_code),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("{field} should not be empty"));
            }
        }
        for (field, value) in [
            ("exerciseId", &self.exercise_id),
            ("courseId", &self.course_id),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                problems.push(format!("{field} should not be empty"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(problems))
        }
    }

    fn input(&self) -> AttemptInput {
        AttemptInput {
            raw_steps: self
                .raw_steps
                .iter()
                .map(|s| rules::RawStep {
                    expression: s.expression.clone(),
                    is_final: s.is_final,
                })
                .collect(),
            expected_answer: self.expected_answer,
            student_answer: self.student_answer,
            minuend: operand(self.minuend),
            subtrahend: operand(self.subtrahend),
        }
    }

    fn raw_steps(&self) -> Vec<RawStep> {
        self.raw_steps
            .iter()
            .map(|s| RawStep {
                expression: s.expression.clone(),
                is_final: s.is_final,
            })
            .collect()
    }

    /// The statement the LLM sees when the exercise has no prompt: `"<minuend> - <subtrahend> = ?"`
    /// with JavaScript number formatting and empty strings for missing operands.
    fn fallback_statement(&self) -> String {
        let show = |o: Option<Option<f64>>| o.flatten().map(number_to_string).unwrap_or_default();
        format!("{} - {} = ?", show(self.minuend), show(self.subtrahend))
    }
}

/// The verdict on an attempt.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptCreated {
    pub attempt_id: String,
    pub is_correct: bool,
    /// The rule engine's tag (`CORRECT`, `UNCLASSIFIED` or a procedural-error code).
    pub error_tag_code: String,
    /// `RULE`, or `LLM` when the attempt waits for the LLM classifier.
    pub classifier_source: String,
    pub confidence: f64,
}

pub async fn create(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<CreateAttempt>,
) -> ApiCreated<AttemptCreated> {
    let auth = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    body.validate()?;
    auth.require(Target::student(&body.student_id)).await?;
    let ctx = rqctx.context();
    let trace_id = envelope::trace_id(&rqctx);

    // Decide: the topic picks the strategy (decision 17: deterministic lookup by code).
    let topic =
        curriculum::topic_by_code(&ctx.db, &body.topic_code, body.course_id.as_deref()).await?;
    let key = topic
        .as_ref()
        .map(|t| rules::strategy_key(t.domain_code.as_deref(), t.subdomain_code.as_deref()));
    let verdict = rules::classify(key.as_deref(), &body.input());
    let unclassified = verdict.is_unclassified();
    let (source, status) = if unclassified {
        (attempts::SOURCE_LLM, attempts::STATUS_PENDING)
    } else {
        (attempts::SOURCE_RULE, attempts::STATUS_CLASSIFIED)
    };

    // Store: attempt, steps and mastery together, or nothing.
    let attempt_id = db::new_id();
    let mut tx = db::begin(&ctx.db).await?;
    let error_tag_id = error_tags::id_by_code(&mut *tx, verdict.error_type).await?;
    attempts::insert(
        &mut *tx,
        &attempts::NewAttempt {
            id: &attempt_id,
            student_id: &body.student_id,
            exercise_id: body.exercise_id.as_deref(),
            course_id: body.course_id.as_deref(),
            is_correct: verdict.is_correct,
            error_tag_id: error_tag_id.as_deref(),
            classifier_source: source,
            confidence: Some(verdict.confidence),
            input_mode: attempts::INPUT_DIGITAL,
            status,
            trace_id: &trace_id,
        },
    )
    .await?;
    let steps: Vec<attempts::NewStep> = body
        .raw_steps
        .iter()
        .map(|s| attempts::NewStep {
            content_latex: &s.expression,
            is_correct: s.is_final.then_some(verdict.is_correct),
        })
        .collect();
    attempts::insert_steps(&mut *tx, &attempt_id, &steps).await?;
    if let Some(topic) = &topic {
        let t = &topic.topic;
        let params = BktParams {
            p_l0: t.bkt_p_l0,
            p_transit: t.bkt_p_transit,
            p_slip: t.bkt_p_slip,
            p_guess: t.bkt_p_guess,
        };
        // UNCLASSIFIED counts as a wrong answer (decision 16): the answer is wrong.
        mastery::apply_attempt(
            &mut tx,
            &body.student_id,
            &t.id,
            &params,
            verdict.is_correct,
        )
        .await?;
    }
    tx.commit().await.map_err(db::DbError::from)?;

    // Publish. Telemetry is fire-and-forget (decision 22).
    let stream = AttemptStreamMessage {
        attempt_id: attempt_id.clone(),
        trace_id: trace_id.clone(),
        raw_steps: body.raw_steps(),
    };
    if let Err(e) = ctx
        .services
        .queue
        .publish_message(&stream, Some(body.student_id.clone()))
        .await
    {
        tracing::warn!(error = %e, attempt_id = %attempt_id, traceId = %trace_id, "telemetry publish failed");
    }
    if unclassified {
        let problem_statement = match body.exercise_id.as_deref() {
            Some(exercise_id) => attempts::exercise_prompt(&ctx.db, exercise_id).await?,
            None => None,
        }
        .unwrap_or_else(|| body.fallback_statement());
        let message = LlmClassifyMessage {
            id: attempt_id.clone(),
            topic: Some(body.topic_code.clone()),
            domain_id: topic.as_ref().and_then(|t| t.topic.domain_id.clone()),
            subdomain_code: topic.as_ref().and_then(|t| t.subdomain_code.clone()),
            problem_statement,
            canonical_solution: number_to_string(body.expected_answer),
            raw_steps: body.raw_steps(),
            final_answer: number_to_string(body.student_answer),
            student_id: body.student_id.clone(),
        };
        // The attempt is stored either way; one that could not be queued stays PENDING with
        // source LLM, which is what a re-enqueue sweep looks for.
        if let Err(e) = ctx.services.queue.publish_message(&message, None).await {
            tracing::error!(error = %e, attempt_id = %attempt_id, traceId = %trace_id, "llm-classify publish failed");
        }
    }

    envelope::created(
        &rqctx,
        AttemptCreated {
            attempt_id,
            is_correct: verdict.is_correct,
            error_tag_code: verdict.error_type.to_string(),
            classifier_source: source.to_string(),
            confidence: verdict.confidence,
        },
    )
}

// ---- POST /attempts/solve-adhoc --------------------------------------------------------------

/// A problem the student photographed or typed freely, solved asynchronously.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SolveAdhoc {
    /// The caller's own student profile.
    pub student_id: String,
    pub problem_latex: String,
    #[serde(default)]
    pub student_steps: Option<Vec<String>>,
    pub student_final_answer: String,
    #[serde(default)]
    pub course_id: Option<String>,
    /// 1–12 (default 7).
    #[serde(default)]
    pub grade_level: Option<i64>,
}

impl SolveAdhoc {
    fn validate(&self) -> Result<(), ApiError> {
        let mut problems = Vec::new();
        for (field, value) in [
            ("studentId", &self.student_id),
            ("problemLatex", &self.problem_latex),
            ("studentFinalAnswer", &self.student_final_answer),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("{field} should not be empty"));
            }
        }
        if self
            .grade_level
            .is_some_and(|grade| !(1..=12).contains(&grade))
        {
            problems.push("gradeLevel must be an integer from 1 to 12".to_string());
        }
        if self
            .course_id
            .as_deref()
            .is_some_and(|v| v.trim().is_empty())
        {
            problems.push("courseId should not be empty".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(problems))
        }
    }
}

/// The attempt to poll (`GET /attempts/{id}/status`).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptAccepted {
    pub attempt_id: String,
}

pub async fn solve_adhoc(
    rqctx: RequestContext<ApiContext>,
    body: JsonBody<SolveAdhoc>,
) -> ApiCreated<AttemptAccepted> {
    let auth = auth::authorize(&rqctx).await?;
    let body = body.parse()?;
    body.validate()?;
    auth.require(Target::student(&body.student_id)).await?;
    let ctx = rqctx.context();
    let trace_id = envelope::trace_id(&rqctx);

    // A retry with the same `x-trace-id` reuses the attempt the first try stored, so a request
    // answered 503 (queue down) can be repeated without creating a second attempt.
    let existing = attempts::pending_adhoc_by_trace(&ctx.db, &body.student_id, &trace_id).await?;
    let attempt_id = match existing {
        Some(id) => id,
        None => {
            let id = db::new_id();
            attempts::insert(
                &ctx.db,
                &attempts::NewAttempt {
                    id: &id,
                    student_id: &body.student_id,
                    exercise_id: None,
                    course_id: body.course_id.as_deref(),
                    is_correct: false,
                    error_tag_id: None,
                    classifier_source: attempts::SOURCE_LLM,
                    confidence: None,
                    input_mode: attempts::INPUT_SCAN_ADHOC,
                    status: attempts::STATUS_PENDING,
                    trace_id: &trace_id,
                },
            )
            .await?;
            id
        }
    };

    let message = AdhocSolveMessage {
        attempt_id: attempt_id.clone(),
        problem_latex: body.problem_latex,
        student_steps: body.student_steps.unwrap_or_default(),
        student_final_answer: body.student_final_answer,
        student_id: body.student_id,
        grade_level: body.grade_level.unwrap_or(7) as i32,
        trace_id: trace_id.clone(),
    };
    // Required work (decision 22): the client must know it was not queued.
    ctx.services.queue.publish(QueueName::AdhocSolve, &message, None).await.map_err(|e| {
        tracing::error!(error = %e, attempt_id = %attempt_id, traceId = %trace_id, "adhoc-solve publish failed");
        ApiError::unavailable(format!(
            "The problem could not be queued for solving; attempt {attempt_id} stays PENDING. \
             Retry the same request with the same x-trace-id header."
        ))
    })?;
    envelope::created(&rqctx, AttemptAccepted { attempt_id })
}

// ---- POST /attempts/ocr-extract ---------------------------------------------------------------

/// Largest photo accepted by `ocr-extract`.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
/// Largest `ocr-extract` body: the photo plus the multipart framing and a few text fields.
pub const MAX_UPLOAD_BYTES: usize = MAX_IMAGE_BYTES + 64 * 1024;

/// The exercises read on a photo.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OcrResult {
    pub exercises: Vec<OcrExercise>,
}

pub async fn ocr_extract(
    rqctx: RequestContext<ApiContext>,
    body: MultipartBody,
) -> ApiCreated<OcrResult> {
    auth::authorize(&rqctx).await?;
    let (image, mime) = read_image(body).await?;
    let ctx = rqctx.context();
    let ocr = ctx.services.ocr.as_ref().ok_or_else(|| {
        ApiError::unavailable(
            "OCR is not available: no OCR provider is configured (GEMINI_API_KEY)",
        )
    })?;
    let page = ocr.extract(image, &mime).await.map_err(|e| {
        use innova_core::ocr::OcrError;
        match e {
            OcrError::InvalidImage(reason) => ApiError::bad_request(format!("image: {reason}")),
            OcrError::Unavailable(reason) => ApiError::unavailable(format!(
                "The OCR provider is unavailable, try again later ({reason})"
            )),
            other => {
                tracing::error!(error = %other, "OCR failed");
                ApiError::new(
                    dropshot::ErrorStatusCode::BAD_GATEWAY,
                    "The OCR provider failed to read the photo",
                )
            }
        }
    })?;
    envelope::created(
        &rqctx,
        OcrResult {
            exercises: page.exercises,
        },
    )
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

// ---- GET /attempts/{id}/status, /detail, POST /attempts/{id}/report -------------------------

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AttemptPath {
    /// The attempt id.
    pub id: String,
}

/// An attempt's classification.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptStatus {
    pub attempt_id: String,
    /// `PENDING`, `CLASSIFIED`, …
    pub status: String,
    pub is_correct: bool,
    pub error_tag_code: Option<String>,
    /// `null` when the tag has no name.
    pub error_tag_name: Option<String>,
    pub classifier_source: String,
    pub confidence: Option<f64>,
}

impl From<&attempts::AttemptView> for AttemptStatus {
    fn from(a: &attempts::AttemptView) -> Self {
        AttemptStatus {
            attempt_id: a.id.clone(),
            status: a.status.clone(),
            is_correct: a.is_correct,
            error_tag_code: a.error_tag_code.clone(),
            // Decision 7: an empty name is null, on every route.
            error_tag_name: a.error_tag_name.clone().filter(|n| !n.is_empty()),
            classifier_source: a.classifier_source.clone(),
            confidence: a.confidence,
        }
    }
}

/// Loads an attempt the caller may see: 404 `Attempt <id> not found` both when it does not
/// exist and when it belongs to a student the caller may not see (existence must not leak).
async fn visible_attempt(
    rqctx: &RequestContext<ApiContext>,
    id: &str,
) -> Result<(auth::Authorized, attempts::AttemptView), ApiError> {
    let auth = auth::authorize(rqctx).await?;
    let not_found = format!("Attempt {id} not found");
    let attempt = attempts::view(&rqctx.context().db, id)
        .await?
        .ok_or_else(|| ApiError::not_found(not_found.clone()))?;
    auth.require_with(Target::student(&attempt.student_id), &not_found)
        .await?;
    Ok((auth, attempt))
}

pub async fn status(
    rqctx: RequestContext<ApiContext>,
    path: Path<AttemptPath>,
) -> ApiOk<AttemptStatus> {
    let (_, attempt) = visible_attempt(&rqctx, &path.into_inner().id).await?;
    envelope::ok(&rqctx, AttemptStatus::from(&attempt))
}

/// One step of an attempt.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    pub step_index: i32,
    pub content_latex: String,
    pub is_correct: Option<bool>,
}

/// The photo submission behind an attempt (guide pipeline).
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmissionView {
    /// Short-lived download URLs of the photos.
    pub photo_urls: Vec<String>,
    pub transcription_latex: Option<String>,
    pub transcription_json: Option<serde_json::Value>,
    pub transcription_confidence: Option<f64>,
}

/// An attempt with its steps and photos.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptDetail {
    #[serde(flatten)]
    pub status: AttemptStatus,
    pub steps: Vec<StepView>,
    pub submission: Option<SubmissionView>,
}

pub async fn detail(
    rqctx: RequestContext<ApiContext>,
    path: Path<AttemptPath>,
) -> ApiOk<AttemptDetail> {
    let (_, attempt) = visible_attempt(&rqctx, &path.into_inner().id).await?;
    let ctx = rqctx.context();
    let steps = attempts::steps(&ctx.db, &attempt.id)
        .await?
        .into_iter()
        .map(|s| StepView {
            step_index: s.step_index,
            content_latex: s.content_latex,
            is_correct: s.is_correct,
        })
        .collect();
    let submission = match attempts::submission(&ctx.db, &attempt.id).await? {
        None => None,
        Some(s) => {
            let ttl = Duration::from_secs(ctx.config.presign.submissions_get);
            let mut photo_urls = Vec::with_capacity(s.photo_keys.len());
            for key in &s.photo_keys {
                let url = ctx
                    .services
                    .objects
                    .presign_get(Bucket::Submissions, key, ttl)
                    .await
                    .map_err(|e| ApiError::internal(format!("presigning {key}: {e}")))?;
                photo_urls.push(url);
            }
            Some(SubmissionView {
                photo_urls,
                transcription_latex: s.transcription_latex,
                transcription_json: s.transcription_json,
                transcription_confidence: s.transcription_confidence,
            })
        }
    };
    envelope::ok(
        &rqctx,
        AttemptDetail {
            status: AttemptStatus::from(&attempt),
            steps,
            submission,
        },
    )
}

/// A disputed classification.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReportAttempt {
    /// The tag the reporter thinks is right (any status).
    pub error_tag_code: String,
    /// At most 500 characters.
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptReported {
    pub attempt_id: String,
    pub reported: bool,
}

pub async fn report(
    rqctx: RequestContext<ApiContext>,
    path: Path<AttemptPath>,
    body: JsonBody<ReportAttempt>,
) -> ApiCreated<AttemptReported> {
    let (auth, attempt) = visible_attempt(&rqctx, &path.into_inner().id).await?;
    let body = body.parse()?;
    let mut problems = Vec::new();
    if body.error_tag_code.trim().is_empty() {
        problems.push("errorTagCode should not be empty".to_string());
    }
    if body
        .comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > 500)
    {
        problems.push("comment must be shorter than or equal to 500 characters".to_string());
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(problems));
    }
    let db = &rqctx.context().db;
    let tag_id = error_tags::id_by_code(db, &body.error_tag_code)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("Error tag {} not found", body.error_tag_code))
        })?;
    attempts::insert_error_report(
        db,
        &attempt.id,
        &tag_id,
        Some(&auth.caller.user_id),
        body.comment.as_deref(),
    )
    .await?;
    envelope::created(
        &rqctx,
        AttemptReported {
            attempt_id: attempt.id,
            reported: true,
        },
    )
}
