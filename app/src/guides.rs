//! Guides, teacher side (R33–R46): create with a presigned PDF upload, ingest (the AI engine's
//! guide-ingest message), list, the review wizard (question edits, answer-key versions,
//! regeneration), publish (exercises, an assignment and its targets), archive, the source PDF,
//! the results matrix, the submission drawer and the teacher's error-tag override.
//!
//! Every status change goes through [`innova_domain::guides::transition`]: an illegal one is
//! [`AppError::Conflict`] naming both states. Ingest, publish and archive lock the guide row in
//! their transaction and decide on the locked status, so two concurrent requests cannot both
//! move the guide. Work for the AI engine is published **before** the commit: a failed publish
//! rolls the change back and answers [`AppError::Unavailable`] (the same request works later).

use innova_domain::ids::{
    AssignmentId, CourseId, GuideId, QuestionId, StudentId, SubmissionId, TopicId,
};
use std::time::Duration;

use chrono::NaiveDateTime;
use innova_core::db::{
    self, DbError, assignments, curriculum, error_tags, exercises, guides, users,
};
use innova_core::messages::{GuideIngestMessage, SolutionGenerationMessage};
use innova_core::objects::{Bucket, ObjectError};
use innova_domain::guides::{self as rules, GuideStatus, IngestAction, TagCount, TaggedCell};
use innova_domain::vocab::ExerciseSource;
use serde_json::json;

pub use innova_core::db::guides::{
    CodeName, GuideListRow, GuideQuestionStatus, GuideRow, QuestionDetailRow, QuestionRow,
    SolutionRow, SolutionSource, StudentName, SubmissionRow, SubmissionStatus,
};

use crate::authz::{Operation, Permit, Target, op};
use crate::{App, AppError, AppResult, outbox};

/// `Guide not found`.
pub fn guide_not_found() -> AppError {
    AppError::NotFound("Guide not found".into())
}

fn question_not_found() -> AppError {
    AppError::NotFound("Question not found in guide".into())
}

fn submission_not_found() -> AppError {
    AppError::NotFound("Submission not found".into())
}

fn illegal(e: rules::IllegalTransition) -> AppError {
    AppError::Conflict(e.to_string())
}

/// An object-store failure as the caller sees it: an unconfigured bucket names its variable
/// (the reference's `S3_GUIDES_BUCKET not configured`), anything else is retryable.
fn objects_unavailable(e: ObjectError) -> AppError {
    match e {
        ObjectError::NotConfigured { var, .. } => {
            AppError::Unavailable(format!("{var} not configured"))
        }
        ObjectError::InvalidKey { .. } | ObjectError::InvalidTtl(_) => AppError::internal(e),
        other => {
            tracing::error!(error = %other, "presigning failed");
            AppError::Unavailable("The object store is unavailable; retry later.".into())
        }
    }
}

/// The denial for a guide of a course the caller does not teach, as the reference worded it.
const NOT_YOURS: &str = "You do not teach this guide course";

/// A guide by id; [`guide_not_found`] otherwise.
pub async fn find(app: &App, id: &GuideId) -> AppResult<GuideRow> {
    guides::find(&app.db, id).await?.ok_or_else(guide_not_found)
}

/// The guide `id` ([`guide_not_found`] for anyone: that tells nothing the reference did not), if
/// the permit reaches its course (403 `You do not teach this guide course`).
async fn owned<O: Operation>(app: &App, permit: &Permit<O>, id: &GuideId) -> AppResult<GuideRow> {
    let guide = find(app, id).await?;
    permit
        .require_with(&app.db, Target::course(&guide.course_id), NOT_YOURS)
        .await?;
    Ok(guide)
}

/// [`owned`], the guide locked in `tx` (the check reads under the same lock).
async fn lock_owned<O: Operation>(
    tx: &mut db::Tx,
    permit: &Permit<O>,
    id: &GuideId,
) -> AppResult<GuideRow> {
    let guide = guides::lock(tx, id).await?.ok_or_else(guide_not_found)?;
    permit
        .require_with(&mut **tx, Target::course(&guide.course_id), NOT_YOURS)
        .await?;
    Ok(guide)
}

// ---- R33 create ---------------------------------------------------------------------------------

/// A guide to create (`POST /guides`) in a course the caller teaches.
#[derive(Debug, Clone)]
pub struct NewGuide {
    pub course_id: CourseId,
    pub title: String,
    pub description: Option<String>,
    pub due_at: Option<NaiveDateTime>,
}

// On the wire as it is (the API serves this type).
/// The created guide and where to PUT its PDF (`Content-Type: application/pdf`, short-lived).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuideCreated {
    pub guide_id: GuideId,
    pub presigned_put_url: String,
    /// `guides/uploads/<uuid>.pdf`.
    pub source_pdf_key: String,
}

/// Creates an UPLOADED guide and a presigned PUT of its PDF (`guides/uploads/<uuid>.pdf`,
/// `Content-Type: application/pdf` signed, `GUIDES_PRESIGNED_PUT_TTL`). The URL is made first:
/// without a guides bucket nothing is written ([`AppError::Unavailable`] naming the variable).
pub async fn create(
    app: &App,
    permit: &Permit<op::GuidesCreate>,
    g: NewGuide,
    trace_id: &str,
) -> AppResult<GuideCreated> {
    permit
        .require_with(
            &app.db,
            Target::course(&g.course_id),
            "You do not teach this course",
        )
        .await?;
    let teacher_id = permit.caller()?.teacher_id()?;
    let key = format!("guides/uploads/{}.pdf", db::new_id());
    let url = app
        .services
        .objects
        .presign_put(
            Bucket::Guides,
            &key,
            Some("application/pdf"),
            Duration::from_secs(app.config.presign.guides_put),
        )
        .await
        .map_err(objects_unavailable)?;
    let row = guides::insert(
        &app.db,
        &guides::NewGuide {
            course_id: &g.course_id,
            created_by_teacher_id: teacher_id,
            title: &g.title,
            description: g.description.as_deref(),
            source_pdf_key: &key,
            due_at: g.due_at,
            trace_id,
        },
    )
    .await?;
    Ok(GuideCreated {
        guide_id: row.id,
        presigned_put_url: url,
        source_pdf_key: key,
    })
}

// ---- R34 ingest ---------------------------------------------------------------------------------

/// Starts (or retries) extraction: from UPLOADED, EXTRACTION_FAILED or GENERATION_FAILED the
/// guide moves to EXTRACTING (failure reason cleared) and the guide-ingest message of
/// workers-infra.md §3.5 goes out with the request's trace id; while EXTRACTING or
/// GENERATING_SOLUTIONS nothing happens and the current status is answered; from REVIEW,
/// PUBLISHED or ARCHIVED it is [`AppError::Conflict`]. The status and the guide-ingest message
/// (outbox) are written in one transaction and the message published after the commit: the AI
/// engine never reads an older status than its message's, and the work is durably queued once
/// the request answers.
pub async fn ingest(
    app: &App,
    permit: &Permit<op::GuidesIngest>,
    guide_id: &GuideId,
    trace_id: &str,
) -> AppResult<GuideStatus> {
    let mut tx = db::begin(&app.db).await?;
    let guide = lock_owned(&mut tx, permit, guide_id).await?;
    // A guide the AI engine has held longer than its queue's redrive window will not move any
    // more: ingesting it starts over, from the failed state it is in in effect.
    let stuck = db::now() - guide.updated_at > chrono::Duration::seconds(rules::STUCK_AFTER_SECS)
        && rules::stuck_failed_status(guide.status).is_some();
    let from = match rules::stuck_failed_status(guide.status) {
        Some(failed) if stuck => failed,
        _ => guide.status,
    };
    match rules::ingest_action(guide.status, stuck) {
        IngestAction::AlreadyRunning => return Ok(guide.status),
        IngestAction::Rejected | IngestAction::Start => {
            rules::transition(from, GuideStatus::Extracting).map_err(illegal)?;
        }
    }
    guides::set_status(&mut *tx, guide_id, GuideStatus::Extracting, true).await?;
    let course_grade_level = guides::course_grade_level(&mut *tx, &guide.course_id).await?;
    let message = GuideIngestMessage {
        guide_id: guide.id.clone(),
        source_pdf_key: guide.source_pdf_key.clone(),
        course_grade_level,
        trace_id: trace_id.to_owned(),
    };
    let entry = outbox::enqueue(&mut tx, &message).await?;
    tx.commit().await.map_err(DbError::from)?;
    outbox::publish(app, vec![entry]).await;
    Ok(GuideStatus::Extracting)
}

// ---- stuck guides -------------------------------------------------------------------------------

/// Why the hourly run failed a guide (its `failureReason`).
pub const STUCK_REASON: &str = "The AI engine did not finish this guide in time; ingest it again";

/// The hourly run's sweep: every guide the AI engine has held in EXTRACTING or
/// GENERATING_SOLUTIONS longer than [`rules::STUCK_AFTER_SECS`] (its message dead-lettered, its
/// worker crashed) moves to EXTRACTION_FAILED or GENERATION_FAILED with [`STUCK_REASON`], and
/// its teacher gets a GUIDE_PROCESSING_FAILED alert — in one transaction. The number failed.
pub async fn fail_stuck(app: &App, now: chrono::NaiveDateTime) -> AppResult<usize> {
    use innova_core::db::alerts;
    use innova_domain::alerts::{AlertType, Severity};
    let cutoff = now - chrono::Duration::seconds(rules::STUCK_AFTER_SECS);
    let mut tx = db::begin(&app.db).await?;
    let failed = guides::fail_stuck(&mut *tx, cutoff, STUCK_REASON).await?;
    for g in &failed {
        let payload = serde_json::json!({
            "message": format!(
                "La guía \"{}\" no terminó de procesarse: vuelve a enviarla",
                g.title
            ),
            "guideId": g.id,
            "status": g.status.as_str(),
        });
        alerts::insert(
            &mut *tx,
            &alerts::NewAlert {
                teacher_id: &g.created_by_teacher_id,
                course_id: &g.course_id,
                topic_id: None,
                student_id: None,
                alert_type: AlertType::GuideProcessingFailed,
                severity: Severity::High,
                payload: &payload,
            },
        )
        .await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    if !failed.is_empty() {
        let ids: Vec<&str> = failed.iter().map(|g| g.id.as_str()).collect();
        tracing::warn!(guides = ?ids, "stuck guides marked failed; their teachers alerted");
    }
    Ok(failed.len())
}

// ---- R35 list -----------------------------------------------------------------------------------

/// Which guides to list.
#[derive(Debug, Clone)]
pub struct ListRequest {
    /// One course of the caller's (already checked), or all of them.
    pub course_id: Option<CourseId>,
    pub status: Option<GuideStatus>,
    pub limit: i64,
    pub offset: i64,
}

/// The teacher's unarchived guides, newest first, one page, and how many there are.
pub async fn list(
    app: &App,
    permit: &Permit<op::GuidesList>,
    r: ListRequest,
) -> AppResult<(Vec<GuideListRow>, i64)> {
    permit
        .require_with(
            &app.db,
            Target::maybe_course(r.course_id.as_ref()),
            "You do not teach this course",
        )
        .await?;
    let teacher_id = permit.caller()?.teacher_id()?;
    let courses = match r.course_id {
        Some(c) => vec![c],
        None => users::course_ids_of_teacher(&app.db, teacher_id).await?,
    };
    let mut conn = app.db.acquire().await.map_err(DbError::from)?;
    Ok(guides::list(
        &mut conn,
        &guides::GuideFilter {
            course_ids: &courses,
            status: r.status,
            limit: r.limit,
            offset: r.offset,
        },
    )
    .await?)
}

// ---- R36 detail ---------------------------------------------------------------------------------

/// A question of the wizard with its current answer key (if any).
#[derive(Debug, Clone)]
pub struct WizardQuestion {
    pub question: QuestionDetailRow,
    pub current_solution: Option<SolutionRow>,
}

/// The guide and its questions by sequence.
pub async fn detail(
    app: &App,
    permit: &Permit<op::GuidesGet>,
    guide_id: &GuideId,
) -> AppResult<(GuideRow, Vec<WizardQuestion>)> {
    let guide = owned(app, permit, guide_id).await?;
    let questions = guides::questions_of(&app.db, &guide.id).await?;
    let ids: Vec<QuestionId> = questions.iter().map(|q| q.question.id.clone()).collect();
    let mut solutions = guides::current_solutions(&app.db, &ids).await?;
    let questions = questions
        .into_iter()
        .map(|q| {
            let current_solution = solutions
                .iter()
                .position(|s| s.guide_question_id == q.question.id)
                .map(|i| solutions.swap_remove(i));
            WizardQuestion {
                question: q,
                current_solution,
            }
        })
        .collect();
    Ok((guide, questions))
}

// ---- R37 update ---------------------------------------------------------------------------------

/// The metadata to change (`None`: unchanged). Allowed in any status.
#[derive(Debug, Clone, Default)]
pub struct GuideChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub due_at: Option<NaiveDateTime>,
    pub max_resubmissions: Option<i32>,
    pub show_solution_after_grade: Option<bool>,
}

pub async fn update(
    app: &App,
    permit: &Permit<op::GuidesUpdate>,
    guide_id: &GuideId,
    c: GuideChanges,
) -> AppResult<GuideRow> {
    owned(app, permit, guide_id).await?;
    guides::update(
        &app.db,
        guide_id,
        &guides::GuidePatch {
            title: c.title.as_deref(),
            description: c.description.as_deref(),
            due_at: c.due_at,
            max_resubmissions: c.max_resubmissions,
            show_solution_after_grade: c.show_solution_after_grade,
        },
    )
    .await?
    .ok_or_else(guide_not_found)
}

// ---- R38 question -------------------------------------------------------------------------------

/// A teacher's changes to a question (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct QuestionChanges {
    pub statement_latex: Option<String>,
    pub label: Option<String>,
    pub points: Option<f64>,
    /// APPROVED or EXCLUDED (the API admits no other).
    pub status: Option<GuideQuestionStatus>,
    pub topic_id: Option<TopicId>,
    /// Wins over `topic_id` when both are given.
    pub subdomain_id: Option<String>,
}

/// Edits, classifies and approves/excludes a question of the guide. A subdomain sets the
/// subdomain and its domain (the topic stays); a topic sets the topic and its domain and
/// subdomain; either marks the classification TEACHER with confidence 1. Unknown ids are
/// [`AppError::NotFound`] (`Subdomain not found`, `Topic not found`).
pub async fn update_question(
    app: &App,
    permit: &Permit<op::GuidesUpdateQuestion>,
    guide_id: &GuideId,
    question_id: &QuestionId,
    c: QuestionChanges,
) -> AppResult<QuestionRow> {
    owned(app, permit, guide_id).await?;
    guides::question_in_guide(&app.db, guide_id, question_id)
        .await?
        .ok_or_else(question_not_found)?;
    let classification = if let Some(sd) = &c.subdomain_id {
        let sd = curriculum::subdomain_by_id(&app.db, sd)
            .await?
            .ok_or_else(|| AppError::NotFound("Subdomain not found".into()))?;
        Some(guides::Classification {
            topic_id: None,
            domain_id: Some(sd.domain_id),
            subdomain_id: Some(sd.id),
        })
    } else if let Some(t) = &c.topic_id {
        let t = curriculum::topic_by_id(&app.db, t)
            .await?
            .ok_or_else(|| AppError::NotFound("Topic not found".into()))?;
        Some(guides::Classification {
            topic_id: Some(t.topic.id),
            domain_id: t.topic.domain_id,
            subdomain_id: t.topic.subdomain_id,
        })
    } else {
        None
    };
    Ok(guides::update_question(
        &app.db,
        question_id,
        &guides::QuestionPatch {
            statement_latex: c.statement_latex.as_deref(),
            label: c.label.as_deref(),
            points: c.points,
            status: c.status,
            classification,
        },
    )
    .await?)
}

// ---- R39 solution -------------------------------------------------------------------------------

/// A teacher-edited answer key.
#[derive(Debug, Clone)]
pub struct SolutionEdit {
    pub final_answer: String,
    /// The canonical solution (ADR-118), not yet validated.
    pub steps_json: serde_json::Value,
    pub solution_latex: Option<String>,
    pub expected_error_tags: Vec<String>,
}

/// The shape problems of a `stepsJson`, each naming its field as the client sent it
/// (`stepsJson.steps[0].latex: …`); empty when it is a valid canonical solution. Its
/// `final_answer` may be absent (the body's `finalAnswer` stands in), and so may `points` and
/// the steps' `idx` (the question's points and the position do): the AI engine's stored shape
/// is accepted back (decision 26). The checkpoint rule needs the stored version and is
/// [`new_solution_version`]'s.
pub fn solution_problems(steps_json: &serde_json::Value, final_answer: &str) -> Vec<String> {
    let defaults = rules::SolutionDefaults {
        final_answer: Some(final_answer),
        points: Some(1.0),
    };
    match rules::parse_canonical_solution_with(steps_json, defaults) {
        Ok(_) => Vec::new(),
        Err(issues) => issues
            .0
            .iter()
            .map(|issue| format!("Invalid canonical solution: {}", field_path(issue)))
            .collect(),
    }
}

/// `steps.0.latex: …` → `stepsJson.steps[0].latex: …` (`(root): …` → `stepsJson: …`).
fn field_path(issue: &str) -> String {
    let (path, message) = issue.split_once(": ").unwrap_or((issue, ""));
    let mut out = String::from("stepsJson");
    if path != "(root)" {
        for segment in path.split('.') {
            if segment.chars().all(|c| c.is_ascii_digit()) {
                out.push_str(&format!("[{segment}]"));
            } else {
                out.push('.');
                out.push_str(segment);
            }
        }
    }
    format!("{out}: {message}")
}

/// Stores the edit as the question's new current version (max + 1, source TEACHER_EDITED),
/// the parsed canonical form as `stepsJson` (what it omits filled in: `finalAnswer`, the
/// question's points, each step's position), in one transaction with the question locked.
///
/// A changed solution needs a checkpoint step (the grader aligns the student's work on them:
/// 400 otherwise); the current one saved back unchanged is accepted as it is, checkpoint or not
/// — what the API serves, it accepts back (decision 26).
pub async fn new_solution_version(
    app: &App,
    permit: &Permit<op::GuidesUpdateSolution>,
    guide_id: &GuideId,
    question_id: &QuestionId,
    edit: SolutionEdit,
) -> AppResult<SolutionRow> {
    owned(app, permit, guide_id).await?;
    let teacher_id = permit.caller()?.teacher_id()?;
    let problems = solution_problems(&edit.steps_json, &edit.final_answer);
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let mut tx = db::begin(&app.db).await?;
    let question = guides::lock_question(&mut tx, guide_id, question_id)
        .await?
        .ok_or_else(question_not_found)?;
    let defaults = rules::SolutionDefaults {
        final_answer: Some(&edit.final_answer),
        points: Some(question.points),
    };
    let parsed = rules::parse_canonical_solution_with(&edit.steps_json, defaults)
        .map_err(AppError::internal)?;
    if !parsed.has_checkpoint() {
        let current =
            guides::current_solutions(&mut *tx, std::slice::from_ref(&question.id)).await?;
        let unchanged = current.first().is_some_and(|c| {
            c.steps_json == edit.steps_json && c.final_answer == edit.final_answer
        });
        if !unchanged {
            return Err(AppError::Invalid(vec![format!(
                "stepsJson: {}",
                rules::SolutionError::NoCheckpoint
            )]));
        }
    }
    let stored = serde_json::to_value(&parsed).map_err(AppError::internal)?;
    let row = guides::insert_teacher_version(
        &mut tx,
        &guides::NewSolution {
            question_id,
            final_answer: &edit.final_answer,
            steps_json: &stored,
            solution_latex: edit.solution_latex.as_deref(),
            expected_error_tags: &edit.expected_error_tags,
            created_by_teacher_id: teacher_id,
        },
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(row)
}

// ---- R40 regenerate -----------------------------------------------------------------------------

/// Asks the AI engine for a new answer key of one question (workers-infra.md §3.6, the
/// request's trace id), through the outbox: the request succeeds once the message is durably
/// queued.
pub async fn regenerate_solution(
    app: &App,
    permit: &Permit<op::GuidesRegenerateSolution>,
    guide_id: &GuideId,
    question_id: &QuestionId,
    trace_id: &str,
) -> AppResult<()> {
    owned(app, permit, guide_id).await?;
    let mut conn = app.db.acquire().await.map_err(DbError::from)?;
    guides::question_in_guide(&mut *conn, guide_id, question_id)
        .await?
        .ok_or_else(question_not_found)?;
    let message = SolutionGenerationMessage {
        guide_id: guide_id.to_owned(),
        guide_question_id: Some(question_id.to_owned()),
        trace_id: trace_id.to_owned(),
    };
    let entry = outbox::enqueue(&mut conn, &message).await?;
    drop(conn);
    outbox::publish(app, vec![entry]).await;
    Ok(())
}

// ---- R41 publish --------------------------------------------------------------------------------

/// What publishing made.
#[derive(Debug, Clone)]
pub struct Published {
    pub guide: GuideRow,
    pub assignment_id: AssignmentId,
    pub materialized_exercises: usize,
    pub approved_without_topic: usize,
    pub students_assigned: usize,
}

/// Publishes a guide in REVIEW whose questions are all APPROVED or EXCLUDED (at least one
/// APPROVED), in one transaction: an assignment (kind GUIDE) with a PENDING target per ACTIVE
/// enrollment, an exercise (source GUIDE_EXTRACTED) per APPROVED question with a topic, linked to
/// the question and added to the assignment in order, and the guide PUBLISHED.
pub async fn publish(
    app: &App,
    permit: &Permit<op::GuidesPublish>,
    guide_id: &GuideId,
) -> AppResult<Published> {
    let mut tx = db::begin(&app.db).await?;
    let guide = lock_owned(&mut tx, permit, guide_id).await?;
    let teacher_id = permit.caller()?.teacher_id()?;
    rules::transition(guide.status, GuideStatus::Published).map_err(illegal)?;
    let questions = guides::questions_of(&mut *tx, guide_id).await?;
    rules::check_publishable(questions.iter().map(|q| q.question.status.as_str()))
        .map_err(|e| AppError::invalid(e.to_string()))?;
    let approved: Vec<&QuestionRow> = questions
        .iter()
        .map(|q| &q.question)
        .filter(|q| q.status == GuideQuestionStatus::Approved)
        .collect();
    let students: Vec<StudentId> = guides::active_students(&mut *tx, &guide.course_id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let assignment_id = guides::insert_assignment(&mut *tx, &guide, teacher_id).await?;
    assignments::add_targets(&mut *tx, &assignment_id, &students).await?;
    let ids: Vec<QuestionId> = approved.iter().map(|q| q.id.clone()).collect();
    let solutions = guides::current_solutions(&mut *tx, &ids).await?;
    let mut exercise_ids = Vec::new();
    for q in &approved {
        let Some(topic_id) = &q.topic_id else {
            continue;
        };
        let final_answer = solutions
            .iter()
            .find(|s| s.guide_question_id == q.id)
            .map(|s| s.final_answer.clone());
        let content = json!({
            "statement_latex": q.statement_latex,
            "figures": q.figure_keys,
            "final_answer": final_answer,
        });
        let exercise = exercises::insert(
            &mut *tx,
            &exercises::NewExercise {
                topic_id,
                source: ExerciseSource::GuideExtracted,
                created_by_teacher_id: Some(teacher_id),
                content: &content,
                irt_a: 1.0,
                irt_b: 0.0,
            },
        )
        .await?;
        guides::set_question_exercise(&mut *tx, &q.id, &exercise.id).await?;
        exercise_ids.push(exercise.id);
    }
    assignments::add_exercises(&mut *tx, &assignment_id, &exercise_ids).await?;
    let guide = guides::mark_published(&mut *tx, guide_id, &assignment_id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(Published {
        guide,
        assignment_id,
        materialized_exercises: exercise_ids.len(),
        approved_without_topic: approved.len() - exercise_ids.len(),
        students_assigned: students.len(),
    })
}

// ---- R42 archive --------------------------------------------------------------------------------

/// ARCHIVED from any other status; archiving twice is [`AppError::Conflict`].
pub async fn archive(
    app: &App,
    permit: &Permit<op::GuidesArchive>,
    guide_id: &GuideId,
) -> AppResult<GuideRow> {
    let mut tx = db::begin(&app.db).await?;
    let guide = lock_owned(&mut tx, permit, guide_id).await?;
    rules::transition(guide.status, GuideStatus::Archived).map_err(illegal)?;
    let guide = guides::archive(&mut *tx, guide_id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(guide)
}

// ---- R43 source URL -----------------------------------------------------------------------------

/// A presigned GET of the guide's PDF (`GUIDES_PRESIGNED_GET_TTL`).
pub async fn source_url(
    app: &App,
    permit: &Permit<op::GuidesSourceUrl>,
    guide_id: &GuideId,
) -> AppResult<String> {
    let guide = owned(app, permit, guide_id).await?;
    app.services
        .objects
        .presign_get(
            Bucket::Guides,
            &guide.source_pdf_key,
            Duration::from_secs(app.config.presign.guides_get),
        )
        .await
        .map_err(objects_unavailable)
}

// ---- R44 results --------------------------------------------------------------------------------

/// A cell of the matrix: a student's latest try on a question.
#[derive(Debug, Clone)]
pub struct Cell {
    pub submission: SubmissionRow,
    /// Handed in after the guide's due date.
    pub is_late: bool,
}

/// The student × question matrix of a guide.
#[derive(Debug, Clone)]
pub struct Results {
    pub guide: GuideRow,
    pub students: Vec<StudentName>,
    /// The APPROVED questions, by sequence.
    pub questions: Vec<QuestionRow>,
    pub cells: Vec<Cell>,
    /// Per question of `questions`, its most frequent error tags.
    pub common_errors: Vec<Vec<TagCount>>,
}

pub async fn results(
    app: &App,
    permit: &Permit<op::GuidesResults>,
    guide_id: &GuideId,
) -> AppResult<Results> {
    let guide = owned(app, permit, guide_id).await?;
    let (students, questions, submissions) =
        guides::results_data(&app.db, &guide.id, &guide.course_id).await?;
    let cells: Vec<Cell> = submissions
        .into_iter()
        .map(|s| Cell {
            is_late: guide.due_at.is_some_and(|due| s.created_at > due),
            submission: s,
        })
        .collect();
    let ids: Vec<&str> = questions.iter().map(|q| q.id.as_str()).collect();
    let tagged = cells.iter().map(|c| TaggedCell {
        question_id: &c.submission.guide_question_id,
        is_correct: c.submission.is_correct,
        tag: c
            .submission
            .error_tag_code
            .as_deref()
            .zip(c.submission.error_tag_name.as_deref()),
    });
    let common_errors = rules::common_errors(&ids, tagged);
    Ok(Results {
        guide,
        students,
        questions,
        cells,
        common_errors,
    })
}

// ---- R45 drawer ---------------------------------------------------------------------------------

/// A submission with its question and presigned photo URLs.
#[derive(Debug, Clone)]
pub struct SubmissionDetail {
    pub submission: SubmissionRow,
    pub question: QuestionRow,
    pub photo_urls: Vec<String>,
}

/// The submission of the guide, its photos presigned on the submissions bucket
/// (`SUBMISSIONS_PRESIGNED_GET_TTL`).
pub async fn submission(
    app: &App,
    permit: &Permit<op::GuidesSubmission>,
    guide_id: &GuideId,
    submission_id: &SubmissionId,
) -> AppResult<SubmissionDetail> {
    owned(app, permit, guide_id).await?;
    let submission = guides::submission_in_guide(&app.db, guide_id, submission_id)
        .await?
        .ok_or_else(submission_not_found)?;
    let question = guides::question_in_guide(&app.db, guide_id, &submission.guide_question_id)
        .await?
        .ok_or_else(|| AppError::internal("a submission's question is not in its guide"))?;
    let ttl = Duration::from_secs(app.config.presign.submissions_get);
    let mut photo_urls = Vec::with_capacity(submission.photo_keys.len());
    for key in &submission.photo_keys {
        let url = app
            .services
            .objects
            .presign_get(Bucket::Submissions, key, ttl)
            .await
            .map_err(objects_unavailable)?;
        photo_urls.push(url);
    }
    Ok(SubmissionDetail {
        submission,
        question,
        photo_urls,
    })
}

// ---- R46 override -------------------------------------------------------------------------------

/// Sets the teacher's error tag of a submission (any status of tag), or clears it with `None`.
/// The linked attempt is not changed. Answers the submission with its effective tag.
pub async fn override_error_tag(
    app: &App,
    permit: &Permit<op::GuidesSubmissionErrorTag>,
    guide_id: &GuideId,
    submission_id: &SubmissionId,
    code: Option<&str>,
) -> AppResult<SubmissionRow> {
    owned(app, permit, guide_id).await?;
    let teacher_id = permit.caller()?.teacher_id()?;
    guides::submission_in_guide(&app.db, guide_id, submission_id)
        .await?
        .ok_or_else(submission_not_found)?;
    let tag_id = match code {
        Some(code) => Some(
            error_tags::id_by_code(&app.db, code)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("Error tag {code} not found")))?,
        ),
        None => None,
    };
    guides::set_override(
        &app.db,
        submission_id,
        tag_id.as_deref().map(|t| (t, teacher_id)),
    )
    .await?;
    guides::submission_in_guide(&app.db, guide_id, submission_id)
        .await?
        .ok_or_else(submission_not_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_issues_name_the_field_as_the_client_sent_it() {
        assert_eq!(
            field_path("steps.0.latex: String must contain at least 1 character(s)"),
            "stepsJson.steps[0].latex: String must contain at least 1 character(s)"
        );
        assert_eq!(
            field_path("(root): Expected object, received array"),
            "stepsJson: Expected object, received array"
        );
        assert_eq!(
            field_path("alt_paths.1.steps.0.checkpoint: Required"),
            "stepsJson.alt_paths[1].steps[0].checkpoint: Required"
        );
    }

    #[test]
    fn a_solution_without_final_answer_points_or_idx_has_no_shape_problem() {
        let engine = json!({"steps": [{"latex": "7", "checkpoint": false}]});
        assert!(solution_problems(&engine, "7").is_empty());
        let broken = json!({"steps": [{"latex": "", "checkpoint": "no"}]});
        assert_eq!(
            solution_problems(&broken, "7"),
            [
                "Invalid canonical solution: stepsJson.steps[0].latex: String must contain at least 1 character(s)",
                "Invalid canonical solution: stepsJson.steps[0].checkpoint: Expected boolean, received string"
            ]
        );
    }
}
