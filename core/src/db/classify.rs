//! What the LLM classifier reads and writes: the attempts it is asked about, the ACTIVE error
//! tags it may choose from, the conditional classification, and — for the re-enqueue — the
//! attempts left PENDING and their llm-classify bodies rebuilt from the stored rows.

use innova_domain::ids::{AttemptId, StudentId};
use std::collections::HashMap;

use chrono::NaiveDateTime;
use innova_domain::js::number_to_string;
use innova_domain::vocab::{AttemptStatus, InputMode};
use sqlx::{PgConnection, PgExecutor};

use super::DbResult;
use crate::messages::{LlmClassifyMessage, RawStep};

/// An attempt as the classifier sees it before deciding to call the model.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AttemptState {
    pub id: AttemptId,
    #[sqlx(try_from = "String")]
    pub status: AttemptStatus,
    pub trace_id: String,
}

/// The attempts among `ids` that exist, with their status (one statement per batch).
pub async fn attempt_states(
    exec: impl PgExecutor<'_>,
    ids: &[AttemptId],
) -> DbResult<Vec<AttemptState>> {
    Ok(
        sqlx::query_as("SELECT id, status, trace_id FROM attempts WHERE id = ANY($1)")
            .bind(ids)
            .fetch_all(exec)
            .await?,
    )
}

/// A tag the model may choose.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CatalogRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub description: String,
    pub diagnostic_hint: Option<String>,
}

/// The tags of one call, and the id of the `UNCLASSIFIED` row (`None` if the catalogue lacks
/// it, which the seed and the import never allow).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub tags: Vec<CatalogRow>,
    pub unclassified_id: Option<String>,
}

/// The ACTIVE tags for attempts of `subdomain_code` (a bare code such as `SUB`) in
/// `domain_id`, in code order, `CORRECT` and `UNCLASSIFIED` aside:
///
/// * subdomain and domain known: the subdomain's tags in that domain (or without a domain),
///   plus the domain's transversal tags (no subdomain, e.g. `ARITH_TRANSV_*`);
/// * only the subdomain: its tags in every domain (a code such as `SUB` exists under several);
/// * only the domain: every tag of the domain;
/// * neither: none.
pub async fn catalog(
    exec: impl PgExecutor<'_>,
    domain_id: Option<&str>,
    subdomain_code: Option<&str>,
) -> DbResult<Catalog> {
    let rows: Vec<CatalogRow> = sqlx::query_as(
        "SELECT id, code, name, description, diagnostic_hint FROM error_tags
         WHERE code = 'UNCLASSIFIED'
            OR (status = 'ACTIVE' AND code <> 'CORRECT' AND (
                   ($2::text IS NOT NULL AND subdomain_code = $2
                    AND ($1::text IS NULL OR domain_id IS NULL OR domain_id = $1))
                OR ($1::text IS NOT NULL AND domain_id = $1
                    AND ($2::text IS NULL OR subdomain_code IS NULL))))
         ORDER BY code",
    )
    .bind(domain_id)
    .bind(subdomain_code)
    .fetch_all(exec)
    .await?;
    let mut catalog = Catalog::default();
    for row in rows {
        if row.code == "UNCLASSIFIED" {
            catalog.unclassified_id = Some(row.id);
        } else {
            catalog.tags.push(row);
        }
    }
    Ok(catalog)
}

/// Classifies a PENDING attempt: its tag, `classifier_source = 'LLM'`, `CLASSIFIED`, the
/// model's confidence and `classified_at`. False when the attempt is no longer PENDING (already
/// classified by an earlier delivery): nothing changed.
pub async fn mark_classified(
    exec: impl PgExecutor<'_>,
    attempt_id: &AttemptId,
    error_tag_id: Option<&str>,
    confidence: f64,
) -> DbResult<bool> {
    let done = sqlx::query(
        "UPDATE attempts
         SET error_tag_id = $2, classifier_source = 'LLM', status = 'CLASSIFIED',
             confidence = $3, classified_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP
         WHERE id = $1 AND status = 'PENDING'",
    )
    .bind(attempt_id)
    .bind(error_tag_id)
    .bind(confidence)
    .execute(exec)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An attempt waiting for the LLM classifier.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StalePending {
    pub id: AttemptId,
    #[sqlx(try_from = "String")]
    pub input_mode: InputMode,
    pub created_at: NaiveDateTime,
}

/// Attempts waiting for the LLM classifier (PENDING, source LLM) created more than
/// `older_than_minutes` ago by the database's clock, oldest first, at most `limit`: typed
/// attempts (`DIGITAL`) and graded photo answers (`PHOTO_GUIDE` with their submission). Ad-hoc
/// scans (`SCAN_ADHOC`) are PENDING too but wait for the solver, not the classifier.
pub async fn stale_pending(
    exec: impl PgExecutor<'_>,
    older_than_minutes: i32,
    limit: i64,
) -> DbResult<Vec<StalePending>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.input_mode, a.created_at FROM attempts a
         WHERE a.status = 'PENDING' AND a.classifier_source = 'LLM'
           AND a.created_at < CURRENT_TIMESTAMP - make_interval(mins => $1)
           AND (a.input_mode = 'DIGITAL'
                OR (a.input_mode = 'PHOTO_GUIDE'
                    AND EXISTS (SELECT 1 FROM guide_submissions gs WHERE gs.attempt_id = a.id)))
         ORDER BY a.created_at, a.id
         LIMIT $2",
    )
    .bind(older_than_minutes)
    .bind(limit)
    .fetch_all(exec)
    .await?)
}

#[derive(sqlx::FromRow)]
struct DigitalRow {
    id: AttemptId,
    student_id: StudentId,
    final_answer: Option<String>,
    topic: Option<String>,
    domain_id: Option<String>,
    subdomain_code: Option<String>,
    prompt: Option<String>,
    expected_answer: Option<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct GuideRow {
    id: AttemptId,
    student_id: StudentId,
    topic: Option<String>,
    domain_id: Option<String>,
    subdomain_code: Option<String>,
    problem_statement: String,
    canonical_solution: String,
}

#[derive(sqlx::FromRow)]
struct StepOf {
    attempt_id: AttemptId,
    content_latex: String,
    is_correct: Option<bool>,
}

/// The llm-classify bodies (workers-infra.md §3.2) of `ids`, rebuilt from the stored rows, in
/// the order of `ids`; ids that are neither a `DIGITAL` attempt nor a `PHOTO_GUIDE` attempt with
/// its submission are left out.
///
/// * `PHOTO_GUIDE` → variant B, exactly as the reprocess worker builds it: the question's topic
///   code, the topic's domain (else the question's), the topic's subdomain code, the question's
///   statement, the current solution's final answer (or `""`), the stored steps, the last step.
/// * `DIGITAL` → variant A as far as the rows hold it. What only the request carried is taken
///   from the exercise: the topic (and so domain and subdomain) is the exercise's topic, the
///   statement its `content.prompt`, the canonical solution its `content.expectedAnswer`;
///   without an exercise these are null or `""` (the operands of the fallback statement are not
///   stored). The final answer is `final_answer` when stored, else the final step.
///
/// Steps: a step is final when it carries a verdict (`is_correct` is set only on final steps).
pub async fn rebuild_messages(
    conn: &mut PgConnection,
    ids: &[AttemptId],
) -> DbResult<Vec<LlmClassifyMessage>> {
    let digital: Vec<DigitalRow> = sqlx::query_as(
        "SELECT a.id, a.student_id, a.final_answer, tp.code AS topic, tp.domain_id,
                s.code AS subdomain_code,
                CASE WHEN jsonb_typeof(e.content->'prompt') = 'string'
                     THEN e.content->>'prompt' END AS prompt,
                e.content->'expectedAnswer' AS expected_answer
         FROM attempts a
         LEFT JOIN exercises e ON e.id = a.exercise_id
         LEFT JOIN topics tp ON tp.id = e.topic_id
         LEFT JOIN subdomains s ON s.id = tp.subdomain_id
         WHERE a.id = ANY($1) AND a.input_mode = 'DIGITAL'",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let guide: Vec<GuideRow> = sqlx::query_as(
        "SELECT a.id, a.student_id, tp.code AS topic, COALESCE(tp.domain_id, q.domain_id) AS domain_id,
                s.code AS subdomain_code, q.statement_latex AS problem_statement,
                COALESCE(sol.final_answer, '') AS canonical_solution
         FROM attempts a
         JOIN guide_submissions gs ON gs.attempt_id = a.id
         JOIN guide_questions q ON q.id = gs.guide_question_id
         LEFT JOIN topics tp ON tp.id = q.topic_id
         LEFT JOIN subdomains s ON s.id = tp.subdomain_id
         LEFT JOIN LATERAL (
             SELECT final_answer FROM guide_solutions
             WHERE guide_question_id = q.id AND is_current
             ORDER BY version DESC LIMIT 1
         ) sol ON true
         WHERE a.id = ANY($1) AND a.input_mode = 'PHOTO_GUIDE'",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let step_rows: Vec<StepOf> = sqlx::query_as(
        "SELECT attempt_id, content_latex, is_correct FROM attempt_steps
         WHERE attempt_id = ANY($1) ORDER BY attempt_id, step_index",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut steps: HashMap<AttemptId, Vec<RawStep>> = HashMap::new();
    for s in step_rows {
        steps.entry(s.attempt_id).or_default().push(RawStep {
            expression: s.content_latex,
            is_final: s.is_correct.is_some(),
        });
    }
    let last = |steps: &[RawStep]| steps.last().map(|s| s.expression.clone());

    let mut built: HashMap<AttemptId, LlmClassifyMessage> = HashMap::new();
    for r in digital {
        let raw_steps = steps.remove(&r.id).unwrap_or_default();
        let final_step = raw_steps
            .iter()
            .rev()
            .find(|s| s.is_final)
            .map(|s| s.expression.clone());
        let final_answer = r
            .final_answer
            .or(final_step)
            .or_else(|| last(&raw_steps))
            .unwrap_or_default();
        let canonical_solution = match r.expected_answer {
            Some(serde_json::Value::Number(n)) => n.as_f64().map(number_to_string),
            Some(serde_json::Value::String(s)) => Some(s),
            _ => None,
        }
        .unwrap_or_default();
        built.insert(
            r.id.clone(),
            LlmClassifyMessage {
                id: r.id,
                topic: r.topic,
                domain_id: r.domain_id,
                subdomain_code: r.subdomain_code,
                problem_statement: r.prompt.unwrap_or_default(),
                canonical_solution,
                raw_steps,
                final_answer,
                student_id: r.student_id,
            },
        );
    }
    for r in guide {
        let mut raw_steps = steps.remove(&r.id).unwrap_or_default();
        // Variant B marks the last step final, whatever was stored.
        let n = raw_steps.len();
        for (i, s) in raw_steps.iter_mut().enumerate() {
            s.is_final = i + 1 == n;
        }
        let final_answer = last(&raw_steps).unwrap_or_default();
        built.insert(
            r.id.clone(),
            LlmClassifyMessage {
                id: r.id,
                topic: r.topic,
                domain_id: r.domain_id,
                subdomain_code: r.subdomain_code,
                problem_statement: r.problem_statement,
                canonical_solution: r.canonical_solution,
                raw_steps,
                final_answer,
                student_id: r.student_id,
            },
        );
    }
    Ok(ids.iter().filter_map(|id| built.remove(id)).collect())
}
