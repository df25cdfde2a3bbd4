//! Attempts: a student's answer classified by the rule engine, stored with its steps and
//! applied to mastery (BKT) in one transaction, then published to the telemetry stream and —
//! when no rule explains a wrong answer — to the LLM classifier; ad-hoc problems queued for the
//! solver; photos read by OCR; an attempt's detail; disputes of a classification.

use std::time::Duration;

use bytes::Bytes;
use innova_core::db::{self, attempts, curriculum, error_tags, mastery};
use innova_core::messages::{AdhocSolveMessage, AttemptStreamMessage, LlmClassifyMessage};
use innova_core::objects::Bucket;
use innova_core::ocr::{OcrError, OcrPage};
use innova_core::queue::QueueName;
use innova_domain::bkt::BktParams;
use innova_domain::js::number_to_string;
use innova_domain::rules::{self, AttemptInput, Operand, RawStep};
use innova_domain::vocab::{AttemptStatus, ClassifierSource, InputMode};

pub use innova_core::db::attempts::{AttemptView, StepRow, SubmissionOfAttempt};

use crate::{App, AppError, AppResult};

/// A typed attempt (`POST /attempts`), validated by the caller's front (the API).
#[derive(Debug, Clone)]
pub struct DigitalAttempt {
    pub student_id: String,
    /// Picks the rule-engine strategy (decision 17: deterministic lookup by code).
    pub topic_code: String,
    pub exercise_id: Option<String>,
    pub course_id: Option<String>,
    pub raw_steps: Vec<RawStep>,
    pub expected_answer: f64,
    pub student_answer: f64,
    pub minuend: Operand,
    pub subtrahend: Operand,
}

impl DigitalAttempt {
    fn input(&self) -> AttemptInput {
        AttemptInput {
            raw_steps: self.raw_steps.clone(),
            expected_answer: self.expected_answer,
            student_answer: self.student_answer,
            minuend: self.minuend,
            subtrahend: self.subtrahend,
        }
    }

    /// The statement the LLM sees when the exercise has no prompt: `"<minuend> - <subtrahend> = ?"`
    /// with JavaScript number formatting and empty strings for missing operands.
    fn fallback_statement(&self) -> String {
        let show = |o: Operand| match o {
            Operand::Value(v) => number_to_string(v),
            Operand::Absent | Operand::Null => String::new(),
        };
        format!("{} - {} = ?", show(self.minuend), show(self.subtrahend))
    }
}

/// The verdict on an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub attempt_id: String,
    pub is_correct: bool,
    /// `CORRECT`, `UNCLASSIFIED` or a procedural-error code.
    pub error_tag_code: String,
    pub classifier_source: ClassifierSource,
    pub confidence: f64,
    /// True when this request repeated one already stored (same student and trace id): the
    /// stored verdict is returned and nothing is written or applied again.
    pub replayed: bool,
}

/// Records a typed attempt under the request's `trace_id`.
///
/// Everything that can fail runs before the commit: classification, the writes (attempt,
/// steps, mastery) and the reads the messages need. After it only publishing remains; a
/// failed publish is logged and leaves an UNCLASSIFIED attempt PENDING (source LLM), which is
/// what a re-enqueue looks for.
///
/// Retries are safe: a second request of the same student with the same trace id (a client
/// repeating a request whose answer it lost) waits for the first, finds its attempt and
/// answers with it, so BKT is applied once (the key is claimed in the attempt's transaction:
/// one statement more per attempt). The same trace id with a different attempt is a conflict.
pub async fn record(app: &App, attempt: DigitalAttempt, trace_id: &str) -> AppResult<Recorded> {
    let topic =
        curriculum::topic_by_code(&app.db, &attempt.topic_code, attempt.course_id.as_deref())
            .await?;
    let key = topic
        .as_ref()
        .map(|t| rules::strategy_key(t.domain_code.as_deref(), t.subdomain_code.as_deref()));
    let verdict = rules::classify(key.as_deref(), &attempt.input());
    let unclassified = verdict.is_unclassified();
    let (source, status) = if unclassified {
        (ClassifierSource::Llm, AttemptStatus::Pending)
    } else {
        (ClassifierSource::Rule, AttemptStatus::Classified)
    };

    let attempt_id = db::new_id();
    let mut tx = db::begin(&app.db).await?;
    if let Some(stored) =
        attempts::claim_trace(&mut tx, &attempt.student_id, trace_id, &attempt_id).await?
    {
        drop(tx);
        let stored = find(app, &stored).await?;
        return replay(app, &attempt, stored, trace_id).await;
    }

    let error_tag_id = error_tags::id_by_code(&mut *tx, verdict.error_type).await?;
    attempts::insert(
        &mut *tx,
        &attempts::NewAttempt {
            id: &attempt_id,
            student_id: &attempt.student_id,
            exercise_id: attempt.exercise_id.as_deref(),
            course_id: attempt.course_id.as_deref(),
            is_correct: verdict.is_correct,
            error_tag_id: error_tag_id.as_deref(),
            classifier_source: source,
            confidence: Some(verdict.confidence),
            input_mode: InputMode::Digital,
            status,
            trace_id,
        },
    )
    .await?;
    let steps: Vec<attempts::NewStep> = attempt
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
            &attempt.student_id,
            &t.id,
            &params,
            verdict.is_correct,
        )
        .await?;
    }
    let llm_message = if unclassified {
        Some(llm_message(&mut tx, &attempt, &attempt_id, topic.as_ref()).await?)
    } else {
        None
    };
    tx.commit().await.map_err(db::DbError::from)?;

    publish(app, &attempt, &attempt_id, trace_id, llm_message.as_ref()).await;
    Ok(Recorded {
        attempt_id,
        is_correct: verdict.is_correct,
        error_tag_code: verdict.error_type.to_string(),
        classifier_source: source,
        confidence: verdict.confidence,
        replayed: false,
    })
}

/// A repeated request: the stored attempt's verdict, and its messages published again (both
/// consumers are idempotent per attempt), so a retry also repairs a publish the first request
/// could not make.
async fn replay(
    app: &App,
    attempt: &DigitalAttempt,
    stored: AttemptView,
    trace_id: &str,
) -> AppResult<Recorded> {
    let same = stored.exercise_id == attempt.exercise_id && stored.course_id == attempt.course_id;
    let stored_steps = attempts::steps(&app.db, &stored.id).await?;
    let same_steps = stored_steps.len() == attempt.raw_steps.len()
        && stored_steps
            .iter()
            .zip(&attempt.raw_steps)
            .all(|(s, r)| s.content_latex == r.expression);
    if !(same && same_steps) {
        return Err(AppError::Conflict(format!(
            "x-trace-id {trace_id} was already used for attempt {} with other content: send a \
             new attempt with a new trace id",
            stored.id
        )));
    }
    let waiting = stored.status == AttemptStatus::Pending;
    let llm = if waiting && stored.classifier_source == ClassifierSource::Llm {
        let mut conn = app.db.acquire().await.map_err(db::DbError::from)?;
        let topic = curriculum::topic_by_code(
            &mut *conn,
            &attempt.topic_code,
            attempt.course_id.as_deref(),
        )
        .await?;
        Some(llm_message(&mut conn, attempt, &stored.id, topic.as_ref()).await?)
    } else {
        None
    };
    publish(app, attempt, &stored.id, trace_id, llm.as_ref()).await;
    Ok(Recorded {
        error_tag_code: stored.error_tag_code.clone().unwrap_or_default(),
        attempt_id: stored.id,
        is_correct: stored.is_correct,
        classifier_source: stored.classifier_source,
        confidence: stored.confidence.unwrap_or_default(),
        replayed: true,
    })
}

/// The LLM classifier's message for an UNCLASSIFIED attempt.
async fn llm_message(
    conn: &mut db::PgConnection,
    attempt: &DigitalAttempt,
    attempt_id: &str,
    topic: Option<&curriculum::TopicWithCodes>,
) -> AppResult<LlmClassifyMessage> {
    let prompt = match attempt.exercise_id.as_deref() {
        Some(exercise_id) => attempts::exercise_prompt(&mut *conn, exercise_id).await?,
        None => None,
    };
    Ok(LlmClassifyMessage {
        id: attempt_id.to_owned(),
        topic: Some(attempt.topic_code.clone()),
        domain_id: topic.and_then(|t| t.topic.domain_id.clone()),
        subdomain_code: topic.and_then(|t| t.subdomain_code.clone()),
        problem_statement: prompt.unwrap_or_else(|| attempt.fallback_statement()),
        canonical_solution: number_to_string(attempt.expected_answer),
        raw_steps: attempt.raw_steps.clone(),
        final_answer: number_to_string(attempt.student_answer),
        student_id: attempt.student_id.clone(),
    })
}

/// Publishes a stored attempt. Telemetry is fire-and-forget (decision 22); the LLM message is
/// logged when it fails: the attempt stays PENDING with source LLM, to be queued again.
async fn publish(
    app: &App,
    attempt: &DigitalAttempt,
    attempt_id: &str,
    trace_id: &str,
    llm: Option<&LlmClassifyMessage>,
) {
    let stream = AttemptStreamMessage {
        attempt_id: attempt_id.to_owned(),
        trace_id: trace_id.to_owned(),
        raw_steps: attempt.raw_steps.clone(),
    };
    let queue = &app.services.queue;
    if let Err(e) = queue
        .publish_message(&stream, Some(attempt.student_id.clone()))
        .await
    {
        tracing::warn!(error = %e, attempt_id, "telemetry publish failed");
    }
    if let Some(message) = llm
        && let Err(e) = queue.publish_message(message, None).await
    {
        tracing::error!(error = %e, attempt_id, "llm-classify publish failed: the attempt stays PENDING");
    }
}

/// A problem the student photographed or typed freely (`POST /attempts/solve-adhoc`).
#[derive(Debug, Clone)]
pub struct AdhocProblem {
    pub student_id: String,
    pub problem_latex: String,
    pub student_steps: Vec<String>,
    pub student_final_answer: String,
    pub course_id: Option<String>,
    pub grade_level: i32,
}

/// Stores a PENDING ad-hoc attempt and queues it for the solver; returns the attempt id.
///
/// Queuing is required work (decision 22): when it fails the answer is
/// [`AppError::Unavailable`] and the attempt stays PENDING; a retry with the same trace id
/// reuses it instead of storing another.
pub async fn solve_adhoc(app: &App, problem: AdhocProblem, trace_id: &str) -> AppResult<String> {
    let existing = attempts::pending_adhoc_by_trace(&app.db, &problem.student_id, trace_id).await?;
    let attempt_id = match existing {
        Some(id) => id,
        None => {
            let id = db::new_id();
            attempts::insert(
                &app.db,
                &attempts::NewAttempt {
                    id: &id,
                    student_id: &problem.student_id,
                    exercise_id: None,
                    course_id: problem.course_id.as_deref(),
                    is_correct: false,
                    error_tag_id: None,
                    classifier_source: ClassifierSource::Llm,
                    confidence: None,
                    input_mode: InputMode::ScanAdhoc,
                    status: AttemptStatus::Pending,
                    trace_id,
                },
            )
            .await?;
            id
        }
    };
    let message = AdhocSolveMessage {
        attempt_id: attempt_id.clone(),
        problem_latex: problem.problem_latex,
        student_steps: problem.student_steps,
        student_final_answer: problem.student_final_answer,
        student_id: problem.student_id,
        grade_level: problem.grade_level,
        trace_id: trace_id.to_owned(),
    };
    app.services
        .queue
        .publish(QueueName::AdhocSolve, &message, None)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, attempt_id, "adhoc-solve publish failed");
            AppError::Unavailable(format!(
                "The problem could not be queued for solving; attempt {attempt_id} stays PENDING. \
                 Retry the same request with the same x-trace-id header."
            ))
        })?;
    Ok(attempt_id)
}

/// Reads the exercises on a photo with the configured OCR provider.
pub async fn read_photo(app: &App, image: Bytes, mime: &str) -> AppResult<OcrPage> {
    let ocr = app.services.ocr.as_ref().ok_or_else(|| {
        AppError::Unavailable(
            "OCR is not available: no OCR provider is configured (GEMINI_API_KEY)".into(),
        )
    })?;
    ocr.extract(image, mime).await.map_err(|e| match e {
        OcrError::InvalidImage(reason) => AppError::invalid(format!("image: {reason}")),
        OcrError::Unavailable(reason) => AppError::Unavailable(format!(
            "The OCR provider is unavailable, try again later ({reason})"
        )),
        other => {
            tracing::error!(error = %other, "OCR failed");
            AppError::Upstream("The OCR provider failed to read the photo".into())
        }
    })
}

/// An attempt by id; [`AppError::NotFound`] `Attempt <id> not found`.
pub async fn find(app: &App, id: &str) -> AppResult<AttemptView> {
    attempts::view(&app.db, id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// The answer for an attempt the caller may not see: the same as for one that does not exist.
pub fn not_found(id: &str) -> AppError {
    AppError::NotFound(format!("Attempt {id} not found"))
}

/// The photo submission behind an attempt, with short-lived download URLs.
#[derive(Debug, Clone)]
pub struct Submission {
    pub photo_urls: Vec<String>,
    pub transcription_latex: Option<String>,
    pub transcription_json: Option<serde_json::Value>,
    pub transcription_confidence: Option<f64>,
}

/// An attempt's steps and photo submission.
#[derive(Debug, Clone)]
pub struct Detail {
    pub steps: Vec<StepRow>,
    pub submission: Option<Submission>,
}

pub async fn detail(app: &App, attempt: &AttemptView) -> AppResult<Detail> {
    let steps = attempts::steps(&app.db, &attempt.id).await?;
    let submission = match attempts::submission(&app.db, &attempt.id).await? {
        None => None,
        Some(s) => {
            let ttl = Duration::from_secs(app.config.presign.submissions_get);
            let mut photo_urls = Vec::with_capacity(s.photo_keys.len());
            for key in &s.photo_keys {
                let url = app
                    .services
                    .objects
                    .presign_get(Bucket::Submissions, key, ttl)
                    .await
                    .map_err(|e| AppError::internal(format!("presigning {key}: {e}")))?;
                photo_urls.push(url);
            }
            Some(Submission {
                photo_urls,
                transcription_latex: s.transcription_latex,
                transcription_json: s.transcription_json,
                transcription_confidence: s.transcription_confidence,
            })
        }
    };
    Ok(Detail { steps, submission })
}

/// Records a dispute of an attempt's tag: the tag the reporter thinks is right (any status) and
/// an optional comment; the attempt itself is not changed.
pub async fn report(
    app: &App,
    attempt_id: &str,
    error_tag_code: &str,
    comment: Option<&str>,
    reporter_user_id: &str,
) -> AppResult<()> {
    let tag_id = error_tags::id_by_code(&app.db, error_tag_code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Error tag {error_tag_code} not found")))?;
    attempts::insert_error_report(
        &app.db,
        attempt_id,
        &tag_id,
        Some(reporter_user_id),
        comment,
    )
    .await?;
    Ok(())
}
