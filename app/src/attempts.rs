//! Attempts: a student's answer classified by the rule engine, stored with its steps and
//! applied to mastery (BKT) in one transaction, then published to the telemetry stream and —
//! when no rule explains a wrong answer — to the LLM classifier; ad-hoc problems queued for the
//! solver; photos read by OCR; an attempt's detail; disputes of a classification.

use innova_domain::ids::{AttemptId, CourseId, ExerciseId, StudentId};
use std::time::Duration;

use bytes::Bytes;
use innova_core::db::outbox::OutboxEntry;
use innova_core::db::{self, attempts, curriculum, error_tags, mastery};
use innova_core::messages::{AdhocSolveMessage, AttemptStreamMessage, LlmClassifyMessage};
use innova_core::objects::Bucket;
use innova_core::ocr::{OcrError, OcrPage};
use innova_core::queue::QueueName;
use innova_domain::bkt::BktParams;
use innova_domain::grading::{StoredAnswer, stored_answer};
use innova_domain::js::number_to_string;
use innova_domain::rules::{self, AttemptInput, Operand, RawStep};
use innova_domain::vocab::{AttemptStatus, ClassifierSource, InputMode};

pub use innova_core::db::attempts::{AttemptView, StepRow, SubmissionOfAttempt};

use crate::authz::{Operation, Permit, Target, op};
use crate::digest::RequestDigest;
use crate::{App, AppError, AppResult, outbox};

/// A typed attempt (`POST /attempts`), validated by the caller's front (the API).
#[derive(Debug, Clone)]
pub struct DigitalAttempt {
    pub student_id: StudentId,
    /// Picks the rule-engine strategy (decision 17: deterministic lookup by code).
    pub topic_code: String,
    pub exercise_id: Option<ExerciseId>,
    pub course_id: Option<CourseId>,
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

    /// The request as it was sent, for its retry key.
    fn digest(&self) -> Vec<u8> {
        let operand = |d: RequestDigest, o: Operand| match o {
            Operand::Value(v) => d.text("value").number(v),
            Operand::Absent => d.text("absent"),
            Operand::Null => d.text("null"),
        };
        let mut d = RequestDigest::new("POST /attempts")
            .text(&self.student_id)
            .text(&self.topic_code)
            .opt(self.exercise_id.as_deref())
            .opt(self.course_id.as_deref())
            .number(self.expected_answer)
            .number(self.student_answer);
        d = operand(d, self.minuend);
        d = operand(d, self.subtrahend);
        d = d.number(self.raw_steps.len() as f64);
        for step in &self.raw_steps {
            d = d.text(&step.expression).flag(step.is_final);
        }
        d.finish()
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
    pub attempt_id: AttemptId,
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
/// What the attempt names is checked first (one statement): an exercise must exist and be of the
/// shared bank (a guide's exercise is answered through the guide), a course must have the student
/// ACTIVE in it — otherwise [`AppError::Unprocessable`] naming the field. When the exercise stores
/// its answer, **that** answer decides correctness, not the client's `expectedAnswer` (which only
/// serves exercises without one); a stored answer that is no number cannot grade a typed number
/// and is refused the same way.
///
/// Everything that can fail runs before the commit: classification, the writes (attempt, steps,
/// mastery, and for an UNCLASSIFIED attempt its LLM message in the outbox). After it, the
/// messages are published: telemetry fire-and-forget, the LLM message through the outbox (a
/// failed publish is the relay's).
///
/// Retries are safe: a second request of the same student with the same trace id (a client
/// repeating a request whose answer it lost) waits for the first, finds its attempt and
/// answers with it, so BKT is applied once (the key is claimed in the attempt's transaction:
/// one statement more per attempt). The same trace id with a different request is a conflict.
pub async fn record(
    app: &App,
    permit: &Permit<op::AttemptsCreate>,
    mut attempt: DigitalAttempt,
    trace_id: &str,
) -> AppResult<Recorded> {
    permit
        .require(&app.db, Target::student(&attempt.student_id))
        .await?;
    let digest = attempt.digest();
    // The catalogue is in memory (`crate::catalog`): no statement on the hot path.
    let topic = app
        .catalog
        .topic_by_code(&app.db, &attempt.topic_code, attempt.course_id.as_ref())
        .await?;
    let attempt_id = AttemptId::new(db::new_id());
    let now = db::now();

    // Four round trips: BEGIN, open (key, references, locked mastery row), store, COMMIT.
    let mut tx = db::begin(&app.db).await?;
    let opened = attempts::open(
        &mut tx,
        &attempt.student_id,
        trace_id,
        &attempt_id,
        &digest,
        topic.as_ref().map(|t| &t.topic.id),
        attempt.exercise_id.as_ref(),
        attempt.course_id.as_ref(),
    )
    .await?;
    if !opened.claimed {
        drop(tx);
        let claimed = attempts::claimed_key(&app.db, &attempt.student_id, trace_id)
            .await?
            .ok_or_else(|| AppError::internal("a claimed retry key vanished"))?;
        same_request(&claimed, &digest, trace_id)?;
        let stored = attempts::view(&app.db, &claimed.attempt_id)
            .await?
            .ok_or_else(|| not_found(&claimed.attempt_id))?;
        return Ok(replay(app, &attempt, stored, trace_id).await);
    }
    match check_references(&attempt, &opened.references)? {
        StoredAnswer::None => {}
        StoredAnswer::Number(answer) => attempt.expected_answer = answer,
        StoredAnswer::Text(answer) => {
            return Err(AppError::Unprocessable(format!(
                "exerciseId: exercise {} stores the answer {answer}, which is not a number: typed \
                 attempts are graded on numbers (send it to POST /attempts/solve-adhoc)",
                attempt.exercise_id.as_deref().unwrap_or_default()
            )));
        }
    }
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
    let error_tag_id = app
        .catalog
        .error_tag_id(&app.db, verdict.error_type)
        .await?;
    let steps: Vec<attempts::NewStep> = attempt
        .raw_steps
        .iter()
        .map(|s| attempts::NewStep {
            content_latex: &s.expression,
            is_correct: s.is_final.then_some(verdict.is_correct),
        })
        .collect();
    // UNCLASSIFIED counts as a wrong answer (decision 16): the answer is wrong.
    let params = topic.as_ref().map(|t| BktParams {
        p_l0: t.topic.bkt_p_l0,
        p_transit: t.topic.bkt_p_transit,
        p_slip: t.topic.bkt_p_slip,
        p_guess: t.topic.bkt_p_guess,
    });
    let mastery = topic.as_ref().zip(params.as_ref()).map(|(t, params)| {
        let p_known = innova_domain::bkt::apply_attempt(opened.p_known, params, verdict.is_correct);
        attempts::MasteryWrite {
            topic_id: &t.topic.id,
            p_known,
            existed: opened.p_known.is_some(),
            now,
            window_start: now - chrono::Duration::milliseconds(innova_domain::bkt::TREND_WINDOW_MS),
        }
    });
    let message = if unclassified {
        let prompt = opened
            .references
            .exercise_content
            .as_ref()
            .and_then(|c| c.get("prompt"))
            .and_then(|p| p.as_str())
            .map(str::to_owned);
        let message = llm_message(&attempt, &attempt_id, topic.as_ref(), prompt);
        Some(serde_json::to_string(&message).map_err(AppError::internal)?)
    } else {
        None
    };
    let outbox_queue = QueueName::LlmClassify.suffix();
    let stored = attempts::store(
        &mut tx,
        &attempts::NewAttempt {
            id: &attempt_id,
            student_id: &attempt.student_id,
            exercise_id: attempt.exercise_id.as_ref(),
            course_id: attempt.course_id.as_ref(),
            is_correct: verdict.is_correct,
            error_tag_id: error_tag_id.as_deref(),
            classifier_source: source,
            confidence: Some(verdict.confidence),
            input_mode: InputMode::Digital,
            status,
            trace_id,
        },
        &steps,
        mastery,
        message.as_deref().map(|body| (outbox_queue, body)),
    )
    .await?;
    if let (Some(t), Some(params), None) = (&topic, &params, stored.attempts_count) {
        // The row appeared since `open` (a concurrent first attempt): apply under its lock.
        mastery::apply_attempt(
            &mut tx,
            &attempt.student_id,
            &t.topic.id,
            params,
            verdict.is_correct,
        )
        .await?;
    }
    tx.commit().await.map_err(db::DbError::from)?;
    let work: Vec<OutboxEntry> = stored
        .outbox_id
        .zip(message)
        .map(|(id, body)| OutboxEntry {
            id,
            queue: QueueName::LlmClassify,
            body,
            group_id: None,
        })
        .into_iter()
        .collect();

    publish_stream(app, &attempt, &attempt_id, trace_id).await;
    outbox::publish(app, work).await;
    Ok(Recorded {
        attempt_id,
        is_correct: verdict.is_correct,
        error_tag_code: verdict.error_type.to_string(),
        classifier_source: source,
        confidence: verdict.confidence,
        replayed: false,
    })
}

/// Checks what an attempt names (see [`record`]) and returns the named exercise's stored answer.
fn check_references(
    attempt: &DigitalAttempt,
    refs: &attempts::AttemptReferences,
) -> AppResult<StoredAnswer> {
    let mut problems = Vec::new();
    if let Some(exercise) = &attempt.exercise_id {
        if !refs.exercise_found {
            problems.push(format!("exerciseId: no exercise has the id {exercise}"));
        } else if refs.exercise_from_guide {
            problems.push(format!(
                "exerciseId: exercise {exercise} belongs to a guide; students answer it through \
                 the guide"
            ));
        }
    }
    if let (Some(course), Some(false)) = (&attempt.course_id, refs.enrolled) {
        problems.push(format!(
            "courseId: student {} is not enrolled in course {course}",
            attempt.student_id
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Unprocessable(problems.join("; ")));
    }
    Ok(refs
        .exercise_content
        .as_ref()
        .map_or(StoredAnswer::None, stored_answer))
}

/// The course of an ad-hoc problem, if named, must have the student ACTIVE in it (one statement).
async fn check_enrollment(
    app: &App,
    student_id: &StudentId,
    course_id: Option<&CourseId>,
) -> AppResult<()> {
    let Some(course) = course_id else {
        return Ok(());
    };
    let refs = attempts::references(&app.db, student_id, None, Some(course)).await?;
    if refs.enrolled == Some(false) {
        return Err(AppError::Unprocessable(format!(
            "courseId: student {student_id} is not enrolled in course {course}"
        )));
    }
    Ok(())
}

/// A retry key already claimed: the same request (or one claimed before digests were kept) is
/// a retry; another request reusing the key is a conflict.
fn same_request(claimed: &attempts::ClaimedKey, digest: &[u8], trace_id: &str) -> AppResult<()> {
    match &claimed.body_digest {
        Some(stored) if stored.as_slice() != digest => Err(AppError::Conflict(format!(
            "x-trace-id {trace_id} was already used for attempt {} with other content: send a \
             new request with a new trace id",
            claimed.attempt_id
        ))),
        _ => Ok(()),
    }
}

/// A repeated request: the stored attempt's verdict, and its telemetry published again (its
/// consumer is idempotent per attempt), so a retry also repairs a publish the first request
/// could not make. Its LLM message, if any, is in the outbox or already sent.
async fn replay(
    app: &App,
    attempt: &DigitalAttempt,
    stored: AttemptView,
    trace_id: &str,
) -> Recorded {
    publish_stream(app, attempt, &stored.id, trace_id).await;
    Recorded {
        error_tag_code: stored.error_tag_code.clone().unwrap_or_default(),
        attempt_id: stored.id,
        is_correct: stored.is_correct,
        classifier_source: stored.classifier_source,
        confidence: stored.confidence.unwrap_or_default(),
        replayed: true,
    }
}

/// The LLM classifier's message for an UNCLASSIFIED attempt (`prompt`: the exercise's
/// `content.prompt`, when a string).
fn llm_message(
    attempt: &DigitalAttempt,
    attempt_id: &AttemptId,
    topic: Option<&curriculum::TopicWithCodes>,
    prompt: Option<String>,
) -> LlmClassifyMessage {
    LlmClassifyMessage {
        id: attempt_id.to_owned(),
        topic: Some(attempt.topic_code.clone()),
        domain_id: topic.and_then(|t| t.topic.domain_id.clone()),
        subdomain_code: topic.and_then(|t| t.subdomain_code.clone()),
        problem_statement: prompt.unwrap_or_else(|| attempt.fallback_statement()),
        canonical_solution: number_to_string(attempt.expected_answer),
        raw_steps: attempt.raw_steps.clone(),
        final_answer: number_to_string(attempt.student_answer),
        student_id: attempt.student_id.clone(),
    }
}

/// Publishes a stored attempt's telemetry, fire-and-forget (decision 22: it asks for no work;
/// a failed publish is logged).
async fn publish_stream(
    app: &App,
    attempt: &DigitalAttempt,
    attempt_id: &AttemptId,
    trace_id: &str,
) {
    let stream = AttemptStreamMessage {
        attempt_id: attempt_id.to_owned(),
        trace_id: trace_id.to_owned(),
        raw_steps: attempt.raw_steps.clone(),
    };
    if let Err(e) = app
        .services
        .queue
        .publish_message(&stream, Some(attempt.student_id.to_string()))
        .await
    {
        tracing::warn!(error = %e, %attempt_id, "telemetry publish failed");
    }
}

/// A problem the student photographed or typed freely (`POST /attempts/solve-adhoc`).
#[derive(Debug, Clone)]
pub struct AdhocProblem {
    pub student_id: StudentId,
    pub problem_latex: String,
    pub student_steps: Vec<String>,
    pub student_final_answer: String,
    pub course_id: Option<CourseId>,
    pub grade_level: i32,
}

impl AdhocProblem {
    /// The request as it was sent, for its retry key.
    fn digest(&self) -> Vec<u8> {
        let mut d = RequestDigest::new("POST /attempts/solve-adhoc")
            .text(&self.student_id)
            .text(&self.problem_latex)
            .text(&self.student_final_answer)
            .opt(self.course_id.as_deref())
            .number(f64::from(self.grade_level))
            .number(self.student_steps.len() as f64);
        for step in &self.student_steps {
            d = d.text(step);
        }
        d.finish()
    }
}

/// Stores a PENDING ad-hoc attempt and its solver message (outbox) in one transaction, then
/// publishes the message; returns the attempt id. A course the student is not ACTIVE in is
/// [`AppError::Unprocessable`] naming `courseId`.
///
/// The work is durably queued once committed (decision 22): a failed publish leaves the message
/// to the outbox relay and the request still succeeds. A retry (same student and trace id, same
/// request) waits for the first, finds its attempt and answers it, storing and queueing nothing;
/// the same key with another request is [`AppError::Conflict`].
pub async fn solve_adhoc(
    app: &App,
    permit: &Permit<op::AttemptsSolveAdhoc>,
    problem: AdhocProblem,
    trace_id: &str,
) -> AppResult<AttemptId> {
    permit
        .require(&app.db, Target::student(&problem.student_id))
        .await?;
    check_enrollment(app, &problem.student_id, problem.course_id.as_ref()).await?;
    let digest = problem.digest();
    let attempt_id = AttemptId::new(db::new_id());
    let mut tx = db::begin(&app.db).await?;
    if let Some(claimed) =
        attempts::claim_trace(&mut tx, &problem.student_id, trace_id, &attempt_id, &digest).await?
    {
        drop(tx);
        same_request(&claimed, &digest, trace_id)?;
        return Ok(claimed.attempt_id);
    }
    attempts::insert(
        &mut *tx,
        &attempts::NewAttempt {
            id: &attempt_id,
            student_id: &problem.student_id,
            exercise_id: None,
            course_id: problem.course_id.as_ref(),
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
    let message = AdhocSolveMessage {
        attempt_id: attempt_id.clone(),
        problem_latex: problem.problem_latex,
        student_steps: problem.student_steps,
        student_final_answer: problem.student_final_answer,
        student_id: problem.student_id,
        grade_level: problem.grade_level,
        trace_id: trace_id.to_owned(),
    };
    let entry = outbox::enqueue(&mut tx, &message).await?;
    tx.commit().await.map_err(db::DbError::from)?;
    outbox::publish(app, vec![entry]).await;
    Ok(attempt_id)
}

/// Reads the exercises on a photo with the configured OCR provider.
pub async fn read_photo(
    app: &App,
    _: &Permit<op::AttemptsOcrExtract>,
    image: Bytes,
    mime: &str,
) -> AppResult<OcrPage> {
    ocr_page(app, image, mime).await
}

/// The exercises OCR reads on a photo.
pub(crate) async fn ocr_page(app: &App, image: Bytes, mime: &str) -> AppResult<OcrPage> {
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
/// An attempt the permit's actor may see: [`not_found`] both when it does not exist and when it
/// belongs to a student the caller may not see (existence must not leak).
pub async fn visible<O: Operation>(
    app: &App,
    permit: &Permit<O>,
    id: &AttemptId,
) -> AppResult<AttemptView> {
    let attempt = attempts::view(&app.db, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let denied = not_found(id).to_string();
    permit
        .require_with(&app.db, Target::student(&attempt.student_id), &denied)
        .await?;
    Ok(attempt)
}

/// `GET /attempts/{id}/status`: the attempt, as [`visible`].
pub async fn status(
    app: &App,
    permit: &Permit<op::AttemptsStatus>,
    id: &AttemptId,
) -> AppResult<AttemptView> {
    visible(app, permit, id).await
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

pub async fn detail(
    app: &App,
    permit: &Permit<op::AttemptsDetail>,
    id: &AttemptId,
) -> AppResult<(AttemptView, Detail)> {
    let attempt = visible(app, permit, id).await?;
    let detail = detail_of(app, &attempt).await?;
    Ok((attempt, detail))
}

async fn detail_of(app: &App, attempt: &AttemptView) -> AppResult<Detail> {
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
    permit: &Permit<op::AttemptsReport>,
    id: &AttemptId,
    error_tag_code: &str,
    comment: Option<&str>,
) -> AppResult<AttemptId> {
    let attempt = visible(app, permit, id).await?;
    let attempt_id = &attempt.id;
    let reporter_user_id = &permit.caller()?.user_id;
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
    Ok(attempt.id)
}
