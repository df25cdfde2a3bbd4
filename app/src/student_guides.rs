//! A student's side of a guide (`/student/**`): the published guides of their courses, the quiz,
//! photo submissions (start, complete, poll), their results, and a whole page scanned at once.
//!
//! Only PUBLISHED guides exist here ([`published_guide`] answers `Guide not found` for any
//! other); a solution is shown only after grading and only when the guide allows it. Work the AI
//! engine must do (grading) is published to `submission-grade-queue` with the request's trace id
//! (decision 8); a request that cannot publish answers [`AppError::Unavailable`] and leaves
//! nothing behind that a retry would trip over (decision 22).

use innova_domain::ids::{GuideId, QuestionId, StudentId, SubmissionId};
use std::time::Duration;

use bytes::Bytes;
use innova_core::db::{self, submissions};
use innova_core::messages::SubmissionGradeMessage;
use innova_core::objects::{Bucket, ObjectError, validate_key};

pub use innova_core::db::enums::SubmissionStatus;
pub use innova_core::db::submissions::{
    PublishedGuide, QuizQuestionRow, SolutionRow, StudentGuideRow, SubmissionRow,
};

use crate::authz::{Operation, Permit, Target, op};
use crate::{App, AppError, AppResult, attempts, outbox};

/// Photos a submission may have.
pub const MAX_PHOTOS: usize = 3;
/// The content type every student photo is uploaded with (signed into the PUT URLs).
pub const PHOTO_CONTENT_TYPE: &str = "image/jpeg";

/// The answer for a guide that does not exist or is not PUBLISHED: the same, so nothing leaks.
pub fn guide_not_found() -> AppError {
    AppError::NotFound("Guide not found".into())
}

/// The answer for a submission that does not exist or is someone else's.
pub fn submission_not_found() -> AppError {
    AppError::NotFound("Submission not found".into())
}

/// A PUBLISHED guide; [`guide_not_found`] otherwise.
pub async fn published_guide(app: &App, guide_id: &GuideId) -> AppResult<PublishedGuide> {
    submissions::published_guide(&app.db, guide_id)
        .await?
        .ok_or_else(guide_not_found)
}

/// The 403 of a student outside the guide's course.
const NOT_ENROLLED: &str = "You are not enrolled in this guide course";

/// A PUBLISHED guide ([`guide_not_found`] otherwise) of a course the caller has an ACTIVE
/// enrollment in (403 otherwise), and the caller's student id.
async fn enrolled_guide<'p, O: Operation>(
    app: &App,
    permit: &'p Permit<O>,
    guide_id: &GuideId,
) -> AppResult<(PublishedGuide, &'p StudentId)> {
    let guide = published_guide(app, guide_id).await?;
    permit
        .require_with(&app.db, Target::course(&guide.course_id), NOT_ENROLLED)
        .await?;
    Ok((guide, permit.caller()?.student_id()?))
}

/// One of the caller's own submissions: someone else's is the same 404 as a missing one.
async fn own_submission<O: Operation>(
    app: &App,
    permit: &Permit<O>,
    id: &SubmissionId,
) -> AppResult<SubmissionRow> {
    let submission = find_submission(app, id).await?;
    let denied = submission_not_found().to_string();
    permit
        .require_with(&app.db, Target::student(&submission.student_id), &denied)
        .await?;
    Ok(submission)
}

/// The published guides of the student's courses, with their progress.
pub async fn list(
    app: &App,
    permit: &Permit<op::StudentGuidesList>,
) -> AppResult<Vec<StudentGuideRow>> {
    let student_id = permit.caller()?.student_id()?;
    Ok(submissions::guides_of_student(&app.db, student_id).await?)
}

/// One question of the quiz with the student's submissions to it, newest first.
#[derive(Debug, Clone)]
pub struct QuizQuestion {
    pub question: QuizQuestionRow,
    pub submissions: Vec<SubmissionRow>,
}

/// The quiz: the guide's APPROVED questions by sequence, no answers.
pub async fn quiz(
    app: &App,
    permit: &Permit<op::StudentGuidesGet>,
    guide_id: &GuideId,
) -> AppResult<(PublishedGuide, Vec<QuizQuestion>)> {
    let (guide, student_id) = enrolled_guide(app, permit, guide_id).await?;
    let questions = quiz_of(app, &guide, student_id).await?;
    Ok((guide, questions))
}

async fn quiz_of(
    app: &App,
    guide: &PublishedGuide,
    student_id: &StudentId,
) -> AppResult<Vec<QuizQuestion>> {
    let questions = submissions::approved_questions(&app.db, &guide.id).await?;
    let mine = submissions::of_student_in_guide(&app.db, &guide.id, student_id).await?;
    Ok(questions
        .into_iter()
        .map(|question| {
            let submissions = mine
                .iter()
                .filter(|s| s.guide_question_id == question.id)
                .cloned()
                .collect();
            QuizQuestion {
                question,
                submissions,
            }
        })
        .collect())
}

// On the wire as it is (the API serves this type).
/// A started submission: upload each photo with `PUT` and `Content-Type: image/jpeg` to its URL,
/// then complete it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "SubmissionStarted")]
pub struct Started {
    pub submission_id: SubmissionId,
    /// One short-lived upload URL per photo.
    pub presigned_put_urls: Vec<String>,
    pub attempt_number: i32,
}

/// Starts a submission of `photo_count` (1–3, validated by the front) photos to an APPROVED
/// question of the guide.
///
/// The URLs are signed before anything is written, so an unavailable bucket leaves no row. The
/// question is locked while the cap is counted and the row inserted: concurrent starts neither
/// exceed the cap (1 + `maxResubmissions` submissions that are not FAILED) nor share an attempt
/// number.
pub async fn start(
    app: &App,
    permit: &Permit<op::StudentSubmissionsCreate>,
    guide_id: &GuideId,
    question_id: &QuestionId,
    photo_count: usize,
    trace_id: &str,
) -> AppResult<Started> {
    let (guide, student_id) = enrolled_guide(app, permit, guide_id).await?;
    let guide = &guide;
    submissions_bucket_ready(app)?;
    let submission_id = SubmissionId::new(db::new_id());
    let keys: Vec<String> = (0..photo_count)
        .map(|_| format!("submissions/{submission_id}/{}.jpg", db::new_id()))
        .collect();
    let ttl = Duration::from_secs(app.config.presign.guides_put);
    let mut presigned_put_urls = Vec::with_capacity(keys.len());
    for key in &keys {
        let url = app
            .services
            .objects
            .presign_put(Bucket::Submissions, key, Some(PHOTO_CONTENT_TYPE), ttl)
            .await
            .map_err(object_error)?;
        presigned_put_urls.push(url);
    }

    let mut tx = db::begin(&app.db).await?;
    let locked =
        submissions::lock_approved_questions(&mut tx, &guide.id, &[question_id.to_owned()]).await?;
    if locked.is_empty() {
        return Err(AppError::NotFound(
            "Question not found or not part of this guide".into(),
        ));
    }
    let slot = submissions::slot(&mut *tx, question_id, student_id).await?;
    check_cap(guide, slot)?;
    submissions::insert(
        &mut *tx,
        &submissions::NewSubmission {
            id: &submission_id,
            guide_id: &guide.id,
            question_id,
            student_id,
            attempt_number: slot.next_attempt_number,
            photo_keys: &keys,
            solution_version: None,
            trace_id,
        },
    )
    .await?;
    tx.commit().await.map_err(db::DbError::from)?;
    Ok(Started {
        submission_id,
        presigned_put_urls,
        attempt_number: slot.next_attempt_number,
    })
}

/// 1 + `maxResubmissions` submissions that are not FAILED are allowed (the reference's rule).
fn check_cap(guide: &PublishedGuide, slot: submissions::SubmissionSlot) -> AppResult<()> {
    if cap_reached(guide, slot) {
        return Err(AppError::invalid(format!(
            "Re-submission limit reached ({})",
            guide.max_resubmissions
        )));
    }
    Ok(())
}

fn cap_reached(guide: &PublishedGuide, slot: submissions::SubmissionSlot) -> bool {
    slot.counted > i64::from(guide.max_resubmissions)
}

/// A submission by id ([`submission_not_found`] otherwise); the caller checks it is the
/// student's own before showing or acting on it.
pub async fn find_submission(app: &App, id: &SubmissionId) -> AppResult<SubmissionRow> {
    submissions::find(&app.db, id)
        .await?
        .ok_or_else(submission_not_found)
}

/// Confirms that every photo of an UPLOADED submission was uploaded and queues it for grading
/// with the request's `trace_id`. The status stays UPLOADED (the grader moves it), so the call
/// can be repeated, as in the reference.
///
/// The answer-key version and the grading message (outbox) are stored in one transaction, with
/// the row locked, and the message published after the commit: the grader never reads a row
/// older than its message, and the request succeeds once the work is durably queued (a failed
/// publish is the outbox relay's).
pub async fn complete(
    app: &App,
    permit: &Permit<op::StudentSubmissionsComplete>,
    submission_id: &SubmissionId,
    trace_id: &str,
) -> AppResult<SubmissionStatus> {
    let submission = &own_submission(app, permit, submission_id).await?;
    submissions_bucket_ready(app)?;
    check_completable(submission.status)?;
    for key in &submission.photo_keys {
        let uploaded = app
            .services
            .objects
            .exists(Bucket::Submissions, key)
            .await
            .map_err(object_error)?;
        if !uploaded {
            return Err(AppError::invalid(
                "Not all photos were uploaded — finish the uploads before completing",
            ));
        }
    }
    let mut tx = db::begin(&app.db).await?;
    // Read again under the lock: the grader may have moved it meanwhile.
    let status = submissions::lock(&mut tx, &submission.id)
        .await?
        .ok_or_else(submission_not_found)?;
    check_completable(status)?;
    let version =
        submissions::current_solution_version(&mut *tx, &submission.guide_question_id).await?;
    submissions::set_solution_version(&mut *tx, &submission.id, version).await?;
    let message = SubmissionGradeMessage {
        guide_submission_id: submission.id.clone(),
        guide_question_id: submission.guide_question_id.clone(),
        solution_version: version.unwrap_or(0),
        photo_keys: submission.photo_keys.clone(),
        trace_id: trace_id.to_owned(),
    };
    let entry = outbox::enqueue(&mut tx, &message).await?;
    tx.commit().await.map_err(db::DbError::from)?;
    outbox::publish(app, vec![entry]).await;
    Ok(status)
}

/// Only an UPLOADED submission can be completed; another is a conflict naming its status.
fn check_completable(status: SubmissionStatus) -> AppResult<()> {
    if status == SubmissionStatus::Uploaded {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "Submission already {status} — cannot complete again (only an UPLOADED submission \
             can be completed)"
        )))
    }
}

/// A question of the student's results.
#[derive(Debug, Clone)]
pub struct QuestionResult {
    pub question: QuizQuestionRow,
    /// The student's latest submission (highest attempt number), if any.
    pub latest: Option<SubmissionRow>,
    /// The current solution: only when the guide shows solutions after grading and the latest
    /// submission is GRADED.
    pub solution: Option<SolutionRow>,
}

/// The student's results per APPROVED question.
/// `GET /student/submissions/{id}/status`: one of the caller's submissions.
pub async fn submission_status(
    app: &App,
    permit: &Permit<op::StudentSubmissionsStatus>,
    id: &SubmissionId,
) -> AppResult<SubmissionRow> {
    own_submission(app, permit, id).await
}

pub async fn results(
    app: &App,
    permit: &Permit<op::StudentGuidesResults>,
    guide_id: &GuideId,
) -> AppResult<(PublishedGuide, Vec<QuestionResult>)> {
    let (guide, student_id) = enrolled_guide(app, permit, guide_id).await?;
    let results = results_of(app, &guide, student_id).await?;
    Ok((guide, results))
}

async fn results_of(
    app: &App,
    guide: &PublishedGuide,
    student_id: &StudentId,
) -> AppResult<Vec<QuestionResult>> {
    let questions = submissions::approved_questions(&app.db, &guide.id).await?;
    let mine = submissions::of_student_in_guide(&app.db, &guide.id, student_id).await?;
    let latest_of = |qid: &str| {
        mine.iter()
            .filter(|s| s.guide_question_id == qid)
            .max_by_key(|s| s.attempt_number)
            .cloned()
    };
    let with_latest: Vec<(QuizQuestionRow, Option<SubmissionRow>)> = questions
        .into_iter()
        .map(|q| {
            let latest = latest_of(&q.id);
            (q, latest)
        })
        .collect();
    let shown: Vec<QuestionId> = if guide.show_solution_after_grade {
        with_latest
            .iter()
            .filter(|(_, l)| {
                l.as_ref()
                    .is_some_and(|s| s.status == SubmissionStatus::Graded)
            })
            .map(|(q, _)| q.id.clone())
            .collect()
    } else {
        Vec::new()
    };
    let mut solutions = if shown.is_empty() {
        Vec::new()
    } else {
        submissions::current_solutions(&app.db, &shown).await?
    };
    Ok(with_latest
        .into_iter()
        .map(|(question, latest)| {
            let solution = solutions
                .iter()
                .position(|s| s.guide_question_id == question.id)
                .map(|i| solutions.swap_remove(i));
            QuestionResult {
                question,
                latest,
                solution,
            }
        })
        .collect())
}

// On the wire as it is (the API serves this type).
/// Where to upload a photo of a whole page: `PUT` with `Content-Type: image/jpeg`.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ScanPageUpload")]
pub struct ScanUpload {
    /// The key to send to `POST /student/guides/{id}/scan-page` once uploaded.
    pub photo_key: String,
    /// A short-lived upload URL.
    pub presigned_url: String,
}

/// The caller's own upload prefix for page scans of a guide.
pub fn scan_prefix(guide_id: &GuideId, student_id: &StudentId) -> String {
    format!("guide-scans/{guide_id}/{student_id}/")
}

/// A presigned PUT for a page photo under the student's own prefix; nothing is written.
pub async fn scan_page_url(
    app: &App,
    permit: &Permit<op::StudentGuidesScanPageUrl>,
    guide_id: &GuideId,
) -> AppResult<ScanUpload> {
    let (guide, student_id) = enrolled_guide(app, permit, guide_id).await?;
    let guide = &guide;
    submissions_bucket_ready(app)?;
    let photo_key = format!("{}{}.jpg", scan_prefix(&guide.id, student_id), db::new_id());
    let ttl = Duration::from_secs(app.config.presign.guides_put);
    let presigned_url = app
        .services
        .objects
        .presign_put(
            Bucket::Submissions,
            &photo_key,
            Some(PHOTO_CONTENT_TYPE),
            ttl,
        )
        .await
        .map_err(object_error)?;
    Ok(ScanUpload {
        photo_key,
        presigned_url,
    })
}

/// Why a matched question got no submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// The student has used up the guide's re-submissions for it.
    LimitReached,
}

/// One exercise found on the page, paired with the question of the same position.
#[derive(Debug, Clone)]
pub struct ScanEntry {
    pub question_id: QuestionId,
    pub sequence: i32,
    /// The submission created, or why none was.
    pub outcome: Result<SubmissionId, Skipped>,
}

/// Reads a page the student uploaded under their own prefix and creates one submission per
/// exercise found, paired by position with the APPROVED questions (exercise *i* → question *i*
/// by sequence), each under the cap and queued for grading with the request's `trace_id`.
///
/// The submissions and their grading messages (outbox) are written in one transaction, with
/// their questions locked; the messages are published after the commit, so the grader never
/// looks for a submission not yet committed, and the work is durably queued once the request
/// answers (a failed publish is the outbox relay's).
pub async fn scan_page(
    app: &App,
    permit: &Permit<op::StudentGuidesScanPage>,
    guide_id: &GuideId,
    photo_key: &str,
    trace_id: &str,
) -> AppResult<Vec<ScanEntry>> {
    let (guide, student_id) = enrolled_guide(app, permit, guide_id).await?;
    let guide = &guide;
    check_scan_key(&guide.id, student_id, photo_key)?;
    submissions_bucket_ready(app)?;
    if !app
        .services
        .objects
        .exists(Bucket::Submissions, photo_key)
        .await
        .map_err(object_error)?
    {
        return Err(AppError::invalid(
            "Photo not found in storage — upload it first",
        ));
    }
    let questions = submissions::approved_questions(&app.db, &guide.id).await?;
    if questions.is_empty() {
        return Err(AppError::NotFound(
            "No approved questions found for this guide".into(),
        ));
    }
    let image: Bytes = app
        .services
        .objects
        .get(Bucket::Submissions, photo_key)
        .await
        .map_err(object_error)?;
    let page = attempts::ocr_page(app, image, PHOTO_CONTENT_TYPE).await?;
    let paired: Vec<&QuizQuestionRow> = questions.iter().take(page.exercises.len()).collect();
    if paired.is_empty() {
        return Ok(Vec::new());
    }

    let ids: Vec<QuestionId> = paired.iter().map(|q| q.id.clone()).collect();
    let mut tx = db::begin(&app.db).await?;
    let locked = submissions::lock_approved_questions(&mut tx, &guide.id, &ids).await?;
    let photo_keys = vec![photo_key.to_owned()];
    let mut entries = Vec::with_capacity(paired.len());
    let mut messages = Vec::new();
    for question in paired {
        // A question un-approved since it was read is no longer part of the quiz.
        if !locked.contains(&question.id) {
            continue;
        }
        let slot = submissions::slot(&mut *tx, &question.id, student_id).await?;
        let outcome = if cap_reached(guide, slot) {
            Err(Skipped::LimitReached)
        } else {
            let id = SubmissionId::new(db::new_id());
            let version = submissions::current_solution_version(&mut *tx, &question.id).await?;
            submissions::insert(
                &mut *tx,
                &submissions::NewSubmission {
                    id: &id,
                    guide_id: &guide.id,
                    question_id: &question.id,
                    student_id,
                    attempt_number: slot.next_attempt_number,
                    photo_keys: &photo_keys,
                    solution_version: version,
                    trace_id,
                },
            )
            .await?;
            messages.push(SubmissionGradeMessage {
                guide_submission_id: id.clone(),
                guide_question_id: question.id.clone(),
                solution_version: version.unwrap_or(0),
                photo_keys: photo_keys.clone(),
                trace_id: trace_id.to_owned(),
            });
            Ok(id)
        };
        entries.push(ScanEntry {
            question_id: question.id.clone(),
            sequence: question.sequence,
            outcome,
        });
    }
    let mut work = Vec::with_capacity(messages.len());
    for message in &messages {
        work.push(outbox::enqueue(&mut tx, message).await?);
    }
    tx.commit().await.map_err(db::DbError::from)?;
    outbox::publish(app, work).await;
    Ok(entries)
}

/// A scan key must be one [`scan_page_url`] could have handed to this student for this guide: a
/// safe key directly under their own prefix.
fn check_scan_key(guide_id: &GuideId, student_id: &StudentId, key: &str) -> AppResult<()> {
    let prefix = scan_prefix(guide_id, student_id);
    let name = key.strip_prefix(&prefix).unwrap_or_default();
    if name.is_empty() || name.contains('/') || validate_key(key).is_err() {
        return Err(AppError::invalid(format!(
            "photoKey must be a key under {prefix} (as GET /student/guides/{guide_id}/scan-page-url \
             returns it)"
        )));
    }
    Ok(())
}

/// The submissions bucket can be used: named (`S3_SUBMISSIONS_BUCKET`), or served by the local
/// store of a local process. Checked before anything is written.
fn submissions_bucket_ready(app: &App) -> AppResult<()> {
    let bucket = Bucket::Submissions;
    if bucket.name(&app.config.buckets).is_some()
        || app.services.objects.local_for(bucket).is_some()
    {
        Ok(())
    } else {
        Err(AppError::Unavailable(format!(
            "Photo storage is not configured ({} is not set)",
            bucket.env_var()
        )))
    }
}

fn object_error(e: ObjectError) -> AppError {
    match e {
        ObjectError::NotConfigured { var, .. } => AppError::Unavailable(format!(
            "Photo storage is not configured ({var} is not set)"
        )),
        ObjectError::NotFound { .. } => {
            AppError::invalid("Photo not found in storage — upload it first")
        }
        ObjectError::Storage(cause) => {
            tracing::error!(error = %cause, "photo storage failed");
            AppError::Unavailable("Photo storage is unavailable, try again later".into())
        }
        other => AppError::internal(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_keys_must_sit_directly_under_the_callers_prefix() {
        let ok = "guide-scans/g1/s1/4f1c.jpg";
        let (g1, s1) = (GuideId::new("g1"), StudentId::new("s1"));
        assert!(check_scan_key(&g1, &s1, ok).is_ok());
        for bad in [
            "guide-scans/g1/s2/4f1c.jpg",
            "guide-scans/g1/s1/",
            "guide-scans/g1/s1",
            "guide-scans/g1/s1/../s2/x.jpg",
            "guide-scans/g1/s1/a/b.jpg",
            "guide-scans/g1/s1/..",
            "submissions/x/y.jpg",
            "guide-scans/g2/s1/x.jpg",
            "guide-scans/g1/s1/a\0.jpg",
            "/guide-scans/g1/s1/x.jpg",
        ] {
            let e = check_scan_key(&g1, &s1, bad).unwrap_err();
            assert!(e.to_string().contains("photoKey"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_cap_allows_one_plus_max_resubmissions() {
        let guide = PublishedGuide {
            id: "g".into(),
            course_id: "c".into(),
            title: "t".into(),
            description: None,
            due_at: None,
            published_at: None,
            max_resubmissions: 2,
            show_solution_after_grade: false,
        };
        let slot = |counted| submissions::SubmissionSlot {
            counted,
            next_attempt_number: 1,
        };
        assert!(!cap_reached(&guide, slot(2)));
        assert!(cap_reached(&guide, slot(3)));
    }
}
