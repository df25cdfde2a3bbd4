//! A graded photo answer becomes an attempt (the `attemptReprocessWorker`, workers-infra.md
//! §2.5, decision 20).
//!
//! **Guide path** (`guide_submission_id`): in one transaction the submission is locked; a
//! submission already GRADED with its attempt is left alone (a redelivered message: no second
//! attempt, BKT applied once — the key is the submission row itself, one attempt per
//! submission, and each re-submission is a row of its own with its attempt number); otherwise
//! the answer is judged (`innova_domain::grading`: the grader's score decides right or wrong,
//! the rule engine names the error where it can read the numbers), the PHOTO_GUIDE attempt and
//! its steps are written, BKT applied when the question has a topic, and the submission marked
//! GRADED with score, correctness, transcription and alignment; a wrong answer the rules could
//! not name also gets its LLM-classifier message (§3.2 variant B) in the outbox, published after
//! the commit (a failed publish is the outbox relay's). A student no longer ACTIVE in the
//! guide's course is refused ([`AppError::Unprocessable`]): an attempt names only a course its
//! student is enrolled in.
//!
//! **Legacy OCR path** (`attempt_id`, no submission; what the `ocrWorker` publishes for a
//! photo of an existing attempt): that attempt is regraded in place in one transaction — steps
//! replaced by the transcription, OCR confidence and provider stored, the rule engine run
//! against its exercise when it has one (answer from the last step), or `OCR_DONE` when there
//! is nothing to judge against. BKT is applied only to an attempt that waited for its photo
//! (`PENDING_OCR`): one already judged has counted once. An attempt already regraded from a
//! photo (`ocr_provider` set) is left alone.
//!
//! An id that names nothing is reported and the message done: nothing a retry could mend.

use innova_core::db::{self, attempts, error_tags, grading, mastery};
use innova_core::messages::{AttemptReprocessMessage, LlmClassifyMessage};
use innova_domain::bkt::BktParams;
use innova_domain::grading::{self as judge, GradedAnswer, Judgement};
use innova_domain::ids::{AttemptId, SubmissionId};
use innova_domain::js::number_to_string;
use innova_domain::rules::{self, AttemptInput, Operand};
use innova_domain::vocab::{AttemptStatus, ClassifierSource, InputMode};

use crate::{App, AppError, AppResult, outbox};

/// What one message did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A submission graded into a new attempt.
    Graded {
        attempt_id: AttemptId,
        is_correct: bool,
        error_tag_code: Option<String>,
    },
    /// An existing attempt regraded from its photo.
    Regraded {
        attempt_id: AttemptId,
        is_correct: bool,
    },
    /// Already done by an earlier delivery.
    AlreadyDone,
    /// The message names no stored submission or attempt.
    NothingToDo,
}

/// Applies one attempt-reprocess message.
pub async fn apply(app: &App, message: &AttemptReprocessMessage) -> AppResult<Outcome> {
    let trace_id = if message.trace_id.is_empty() {
        db::new_id()
    } else {
        message.trace_id.clone()
    };
    match (&message.guide_submission_id, &message.attempt_id) {
        (Some(submission), _) if !submission.is_empty() => {
            grade_submission(app, submission, message, &trace_id).await
        }
        (_, Some(attempt)) if !attempt.is_empty() => regrade_attempt(app, attempt, message).await,
        _ => Err(AppError::invalid(
            "guide_submission_id or attempt_id: the message names neither",
        )),
    }
}

async fn grade_submission(
    app: &App,
    submission_id: &SubmissionId,
    message: &AttemptReprocessMessage,
    trace_id: &str,
) -> AppResult<Outcome> {
    let mut tx = db::begin(&app.db).await?;
    let Some(s) = grading::lock_submission(&mut *tx, submission_id).await? else {
        tracing::warn!(
            %submission_id,
            "attempt-reprocess: no such submission, nothing to do"
        );
        return Ok(Outcome::NothingToDo);
    };
    if s.is_graded() {
        tracing::info!(
            %submission_id,
            "attempt-reprocess: already graded (redelivery)"
        );
        return Ok(Outcome::AlreadyDone);
    }
    if !s.enrolled {
        // An attempt names only a course its student is ACTIVE in, on every path.
        return Err(AppError::Unprocessable(format!(
            "courseId: student {} is not enrolled in course {}; submission {submission_id} is \
             not graded into an attempt",
            s.student_id, s.course_id
        )));
    }
    let score = message
        .alignment_summary
        .as_ref()
        .map_or(0.0, |a| a.score_0_1);
    let strategy_key = s
        .topic_id
        .as_ref()
        .map(|_| rules::strategy_key(s.domain_code.as_deref(), s.subdomain_code.as_deref()));
    let verdict = judge::judge(&GradedAnswer {
        score,
        confidence: message.confidence,
        strategy_key: strategy_key.as_deref(),
        statement_latex: &s.statement_latex,
        expected_answer: s.solution_final_answer.as_deref(),
        steps: &message.latex_steps,
    });
    let error_tag_id = tag_id(&mut tx, &verdict).await?;

    let attempt_id = AttemptId::new(db::new_id());
    let final_answer = message.latex_steps.last().map(String::as_str);
    grading::insert_attempt(
        &mut *tx,
        &grading::NewGradedAttempt {
            id: &attempt_id,
            student_id: &s.student_id,
            exercise_id: s.exercise_id.as_ref(),
            course_id: Some(&s.course_id),
            assignment_id: s.assignment_id.as_ref(),
            is_correct: verdict.is_correct,
            error_tag_id: error_tag_id.as_deref(),
            classifier_source: verdict.classifier_source,
            confidence: verdict.confidence,
            ocr_confidence: Some(s.transcription_confidence.unwrap_or(message.confidence)),
            ocr_provider: &message.provider,
            input_mode: InputMode::PhotoGuide,
            status: verdict.status,
            final_answer,
            trace_id,
        },
    )
    .await?;
    insert_steps(
        &mut tx,
        &attempt_id,
        &message.latex_steps,
        verdict.is_correct,
    )
    .await?;
    if let (Some(topic_id), Some(params)) = (&s.topic_id, bkt_params(&s)) {
        mastery::apply_attempt(
            &mut tx,
            &s.student_id,
            topic_id,
            &params,
            verdict.is_correct,
        )
        .await?;
    }
    let alignment = message
        .alignment_summary
        .as_ref()
        .map(|a| serde_json::to_value(a).expect("the alignment summary serialises"));
    grading::mark_graded(
        &mut *tx,
        &grading::SubmissionGrade {
            id: &s.id,
            attempt_id: &attempt_id,
            // The reference joins the steps with ` \\ ` (a LaTeX line break).
            transcription_latex: &message.latex_steps.join(" \\\\ "),
            transcription_confidence: message.confidence,
            score,
            is_correct: verdict.is_correct,
            model_used: &message.provider,
            alignment_json: alignment.as_ref(),
        },
    )
    .await?;
    let mut work = Vec::new();
    if verdict.needs_llm() {
        let classify = LlmClassifyMessage {
            id: attempt_id.clone(),
            topic: s.topic_code.clone(),
            domain_id: s
                .topic_domain_id
                .clone()
                .or_else(|| s.question_domain_id.clone()),
            subdomain_code: s.subdomain_code.clone(),
            problem_statement: s.statement_latex.clone(),
            canonical_solution: s.solution_final_answer.clone().unwrap_or_default(),
            raw_steps: judge::raw_steps(&message.latex_steps),
            final_answer: final_answer.unwrap_or_default().to_owned(),
            student_id: s.student_id.clone(),
        };
        work.push(outbox::enqueue(&mut tx, &classify).await?);
    }
    tx.commit().await.map_err(db::DbError::from)?;
    outbox::publish(app, work).await;
    Ok(Outcome::Graded {
        attempt_id,
        is_correct: verdict.is_correct,
        error_tag_code: verdict.error_tag_code.map(str::to_owned),
    })
}

async fn regrade_attempt(
    app: &App,
    attempt_id: &AttemptId,
    message: &AttemptReprocessMessage,
) -> AppResult<Outcome> {
    let mut tx = db::begin(&app.db).await?;
    let Some(a) = grading::lock_attempt(&mut *tx, attempt_id).await? else {
        tracing::warn!(
            %attempt_id,
            "attempt-reprocess: no such attempt, nothing to do"
        );
        return Ok(Outcome::NothingToDo);
    };
    if a.ocr_provider.is_some() {
        tracing::info!(
            %attempt_id,
            "attempt-reprocess: already regraded from its photo"
        );
        return Ok(Outcome::AlreadyDone);
    }
    let content = a.content.as_ref();
    let field = |names: &[&str]| {
        names.iter().find_map(|n| {
            content.and_then(|c| c.get(*n)).and_then(|v| match v {
                serde_json::Value::Number(n) => n.as_f64().map(number_to_string),
                serde_json::Value::String(s) => Some(s.clone()),
                _ => None,
            })
        })
    };
    let statement = field(&["prompt", "statement_latex"]).unwrap_or_default();
    let expected = field(&["expectedAnswer", "final_answer"]);
    let student = message.latex_steps.last().and_then(|s| judge::number(s));
    let strategy = a
        .topic_id
        .as_ref()
        .map(|_| rules::strategy_key(a.domain_code.as_deref(), a.subdomain_code.as_deref()));
    // Judged by the rule engine alone (no grader here): the numbers decide right or wrong.
    let verdict = match (
        &strategy,
        expected.as_deref().and_then(judge::number),
        student,
    ) {
        (Some(key), Some(expected), Some(student)) => {
            let (m, s) = judge::operands(&statement)
                .map_or((Operand::Absent, Operand::Absent), |(m, s)| {
                    (Operand::Value(m), Operand::Value(s))
                });
            let c = rules::classify(
                Some(key),
                &AttemptInput {
                    raw_steps: judge::raw_steps(&message.latex_steps),
                    expected_answer: expected,
                    student_answer: student,
                    minuend: m,
                    subtrahend: s,
                },
            );
            let unclassified = c.is_unclassified();
            Judgement {
                is_correct: c.is_correct,
                error_tag_code: (!unclassified).then_some(c.error_type),
                classifier_source: if unclassified {
                    ClassifierSource::Llm
                } else {
                    ClassifierSource::Rule
                },
                status: if unclassified {
                    AttemptStatus::Pending
                } else {
                    AttemptStatus::Classified
                },
                confidence: c.confidence,
            }
        }
        _ => Judgement {
            is_correct: false,
            error_tag_code: None,
            classifier_source: ClassifierSource::Rule,
            status: AttemptStatus::OcrDone,
            confidence: message.confidence,
        },
    };
    let error_tag_id = tag_id(&mut tx, &verdict).await?;
    grading::regrade_attempt(
        &mut *tx,
        &grading::Regrade {
            id: &a.id,
            is_correct: verdict.is_correct,
            error_tag_id: error_tag_id.as_deref(),
            classifier_source: verdict.classifier_source,
            confidence: verdict.confidence,
            status: verdict.status,
            ocr_confidence: message.confidence,
            ocr_provider: &message.provider,
            final_answer: message.latex_steps.last().map(String::as_str),
        },
    )
    .await?;
    grading::delete_steps(&mut *tx, &a.id).await?;
    insert_steps(&mut tx, &a.id, &message.latex_steps, verdict.is_correct).await?;
    let judged = verdict.status != AttemptStatus::OcrDone;
    if a.status == AttemptStatus::PendingOcr.as_str()
        && judged
        && let (Some(topic_id), Some(params)) = (&a.topic_id, bkt_of(&a))
    {
        mastery::apply_attempt(
            &mut tx,
            &a.student_id,
            topic_id,
            &params,
            verdict.is_correct,
        )
        .await?;
    }
    let mut work = Vec::new();
    if verdict.needs_llm() {
        let classify = LlmClassifyMessage {
            id: a.id.clone(),
            topic: a.topic_code.clone(),
            domain_id: a.topic_domain_id.clone(),
            subdomain_code: a.subdomain_code.clone(),
            problem_statement: statement,
            canonical_solution: expected.unwrap_or_default(),
            raw_steps: judge::raw_steps(&message.latex_steps),
            final_answer: message.latex_steps.last().cloned().unwrap_or_default(),
            student_id: a.student_id.clone(),
        };
        work.push(outbox::enqueue(&mut tx, &classify).await?);
    }
    tx.commit().await.map_err(db::DbError::from)?;
    outbox::publish(app, work).await;
    Ok(Outcome::Regraded {
        attempt_id: a.id,
        is_correct: verdict.is_correct,
    })
}

/// The stored id of the verdict's tag (none for an answer waiting for the LLM).
async fn tag_id(tx: &mut db::Tx, verdict: &Judgement) -> AppResult<Option<String>> {
    let Some(code) = verdict.error_tag_code else {
        return Ok(None);
    };
    match error_tags::id_by_code(&mut **tx, code).await? {
        Some(id) => Ok(Some(id)),
        None => Err(AppError::Internal(format!(
            "error tag {code} is not in the catalog"
        ))),
    }
}

/// The transcription as the attempt's steps; only the last carries the verdict.
async fn insert_steps(
    tx: &mut db::Tx,
    attempt_id: &AttemptId,
    steps: &[String],
    is_correct: bool,
) -> AppResult<()> {
    let last = steps.len().saturating_sub(1);
    let rows: Vec<attempts::NewStep> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| attempts::NewStep {
            content_latex: s,
            is_correct: (i == last).then_some(is_correct),
        })
        .collect();
    attempts::insert_steps(&mut **tx, attempt_id, &rows).await?;
    Ok(())
}

fn bkt_params(s: &grading::SubmissionToGrade) -> Option<BktParams> {
    Some(BktParams {
        p_l0: s.bkt_p_l0?,
        p_transit: s.bkt_p_transit?,
        p_slip: s.bkt_p_slip?,
        p_guess: s.bkt_p_guess?,
    })
}

fn bkt_of(a: &grading::AttemptToRegrade) -> Option<BktParams> {
    Some(BktParams {
        p_l0: a.bkt_p_l0?,
        p_transit: a.bkt_p_transit?,
        p_slip: a.bkt_p_slip?,
        p_guess: a.bkt_p_guess?,
    })
}
