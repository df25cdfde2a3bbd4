//! The exercise bank: items teachers write, the bank's list and views, an item's IRT
//! parameters, and exercise generation queued for the AI engine.

use innova_core::db::curriculum;
use innova_core::db::exercises::{self, ExerciseSource, ExerciseWithTopic};
pub use innova_core::db::exercises::{BankReader, Owner};
use innova_core::messages::ExerciseGenerateMessage;
use innova_domain::ids::{ExerciseId, TeacherId, TopicId};
use innova_domain::irt::Difficulty;
use serde_json::{Value, json};

pub use innova_core::db::exercises::ExerciseRow;

use crate::authz::{Permit, Target, op};
use crate::{App, AppError, AppResult};

// ---- create ---------------------------------------------------------------------------------

/// An exercise a teacher (or an admin) writes (`POST /items`).
#[derive(Debug, Clone)]
pub struct NewItem {
    /// The topic (`skillId` on the wire).
    pub topic_id: TopicId,
    /// Non-blank (the API checked).
    pub prompt: String,
    pub irt_a: f64,
    pub irt_b: f64,
    /// The author's teacher profile; `None` for admins (they have none).
    pub created_by_teacher_id: Option<TeacherId>,
}

/// Stores an ACTIVE, `TEACHER_AUTHORED` exercise with content `{prompt}`. An unknown topic is
/// [`AppError::NotFound`] naming `skillId`, and nothing is written.
pub async fn create(
    app: &App,
    permit: &Permit<op::ItemsCreate>,
    mut item: NewItem,
) -> AppResult<ExerciseRow> {
    item.created_by_teacher_id = permit.caller()?.profile.teacher_id().cloned();
    if curriculum::topic_by_id(&app.db, &item.topic_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound(format!(
            "skillId: Topic {} not found",
            item.topic_id
        )));
    }
    let content = json!({ "prompt": item.prompt });
    Ok(exercises::insert(
        &app.db,
        &exercises::NewExercise {
            topic_id: &item.topic_id,
            source: ExerciseSource::TeacherAuthored,
            created_by_teacher_id: item.created_by_teacher_id.as_ref(),
            content: &content,
            irt_a: item.irt_a,
            irt_b: item.irt_b,
        },
    )
    .await?)
}

// ---- views ----------------------------------------------------------------------------------

/// An exercise as the bank shows it (the reference's `ItemView`, domain.md §8).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemView {
    pub exercise: ExerciseRow,
    pub topic_code: String,
    pub topic_name: String,
    /// `content.prompt` when a non-empty string, else `content.statement_latex` when a string
    /// (guide exercises), else `""`.
    pub prompt: String,
    /// `content.expectedAnswer` when a number.
    pub expected_answer: Option<f64>,
    /// `content.correct_answer_latex`, else `content.final_answer` (strings only).
    pub correct_answer_latex: Option<String>,
    pub difficulty: Difficulty,
}

impl From<ExerciseWithTopic> for ItemView {
    fn from(row: ExerciseWithTopic) -> Self {
        let content = &row.exercise.content;
        let text = |key: &str| content.get(key).and_then(Value::as_str);
        let prompt = text("prompt")
            .filter(|p| !p.is_empty())
            .or_else(|| text("statement_latex"))
            .unwrap_or_default()
            .to_owned();
        let expected_answer = content.get("expectedAnswer").and_then(Value::as_f64);
        let correct_answer_latex = text("correct_answer_latex")
            .or_else(|| text("final_answer"))
            .map(str::to_owned);
        ItemView {
            difficulty: Difficulty::of(row.exercise.irt_b),
            prompt,
            expected_answer,
            correct_answer_latex,
            topic_code: row.topic_code,
            topic_name: row.topic_name,
            exercise: row.exercise,
        }
    }
}

/// Which ACTIVE exercises to list.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// Only exercises of topics with this code.
    pub topic_code: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// ACTIVE exercises `reader` may read, oldest first.
pub async fn list(
    app: &App,
    permit: &Permit<op::ItemsList>,
    filter: &ItemFilter,
) -> AppResult<Vec<ItemView>> {
    let reader = permit.caller()?.bank_reader();
    let rows = exercises::list_active(
        &app.db,
        reader,
        filter.topic_code.as_deref(),
        filter.limit,
        filter.offset,
    )
    .await?;
    Ok(rows.into_iter().map(ItemView::from).collect())
}

/// One exercise, whatever its status, and whose it is (the caller decides who may read it);
/// [`AppError::NotFound`] [`EXERCISE_NOT_FOUND`].
pub async fn get(app: &App, permit: &Permit<op::ItemsGet>, id: &ExerciseId) -> AppResult<ItemView> {
    let (item, owner) = find(app, id).await?;
    let target = match &owner {
        Owner::Bank => Target::shared(),
        Owner::Guide(Some(course)) => Target::course(course),
        Owner::Guide(None) => Target::default(),
    };
    permit
        .require_with(&app.db, target, EXERCISE_NOT_FOUND)
        .await?;
    Ok(item)
}

/// An exercise of any reader, with its [`Owner`].
async fn find(app: &App, id: &ExerciseId) -> AppResult<(ItemView, Owner)> {
    let found = exercises::find(&app.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(EXERCISE_NOT_FOUND.into()))?;
    let owner = found.owner();
    Ok((ItemView::from(found.exercise), owner))
}

/// The answer for an unknown exercise, and for one the caller may not read.
pub const EXERCISE_NOT_FOUND: &str = "Exercise not found";

// On the wire as it is (`GET /items/{id}/irt`).
/// An item's 2PL parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "ItemIrt")]
pub struct IrtParams {
    /// Discrimination.
    pub irt_a: f64,
    /// Difficulty.
    pub irt_b: f64,
}

/// The IRT parameters of an exercise `reader` may read; `None` for an unknown id (the reference
/// answered `null`) and for one the reader may not read (no different answer to tell it exists).
pub async fn irt(
    app: &App,
    permit: &Permit<op::ItemsIrt>,
    id: &ExerciseId,
) -> AppResult<Option<IrtParams>> {
    let reader = permit.caller()?.bank_reader();
    Ok(exercises::irt(&app.db, id, reader)
        .await?
        .map(|(irt_a, irt_b)| IrtParams { irt_a, irt_b }))
}

// ---- generate -------------------------------------------------------------------------------

/// Exercises the AI engine is asked to write (`POST /items/generate`), validated by the API
/// (grade 1–12, at least one target code, count 1–10).
#[derive(Debug, Clone)]
pub struct GenerationRequest {
    /// A bare subdomain code (`SUB`).
    pub subdomain_code: String,
    pub grade_level: i32,
    /// Error-tag codes the exercises should provoke.
    pub target_error_codes: Vec<String>,
    pub count: i32,
}

// On the wire as it is (the API serves this type).
/// The generation was queued.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct GenerationQueued {
    /// Always 0: the exercises reach the bank when the AI engine has written them.
    pub generated: i32,
    /// `Generación de <count> ejercicio(s) encolada. Aparecerán en el banco en unos minutos.`
    pub message: String,
}

/// Queues the request on `exercise-generate-queue` with the message of workers-infra.md §3.8
/// and the request's trace id (decision 8), through the outbox (decision 22: the request
/// succeeds once the message is durably queued). A subdomain code no subdomain has, or target
/// codes no error tag has, are [`AppError::Unprocessable`] naming the field.
pub async fn generate(
    app: &App,
    _: &Permit<op::ItemsGenerate>,
    request: GenerationRequest,
    trace_id: &str,
) -> AppResult<GenerationQueued> {
    let refs = exercises::generation_references(
        &app.db,
        &request.subdomain_code,
        &request.target_error_codes,
    )
    .await?;
    let mut problems = Vec::new();
    if !refs.subdomain_exists {
        problems.push(format!(
            "subdomainCode: no subdomain has the code {}",
            request.subdomain_code
        ));
    }
    if !refs.unknown_error_codes.is_empty() {
        problems.push(format!(
            "targetErrorCodes: no error tag has the code {}",
            refs.unknown_error_codes.join(", ")
        ));
    }
    if !problems.is_empty() {
        return Err(AppError::Unprocessable(problems.join("; ")));
    }
    let count = request.count;
    let message = ExerciseGenerateMessage {
        subdomain_code: request.subdomain_code,
        grade_level: request.grade_level,
        target_error_codes: request.target_error_codes,
        count,
        trace_id: trace_id.to_owned(),
    };
    let mut conn = app
        .db
        .acquire()
        .await
        .map_err(innova_core::db::DbError::from)?;
    let entry = crate::outbox::enqueue(&mut conn, &message).await?;
    drop(conn);
    crate::outbox::publish(app, vec![entry]).await;
    Ok(GenerationQueued {
        generated: 0,
        message: format!(
            "Generación de {count} ejercicio(s) encolada. Aparecerán en el banco en unos minutos."
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(content: Value, irt_b: f64) -> ExerciseWithTopic {
        ExerciseWithTopic {
            exercise: ExerciseRow {
                id: "x".into(),
                topic_id: "t".into(),
                source: ExerciseSource::System,
                created_by_teacher_id: None,
                content,
                language: "es".into(),
                irt_a: 1.0,
                irt_b,
                irt_calibrated_at: None,
                status: exercises::ExerciseStatus::Active,
                created_at: chrono::NaiveDateTime::default(),
            },
            topic_code: "SUB".into(),
            topic_name: "Resta".into(),
        }
    }

    #[test]
    fn the_view_reads_seed_teacher_and_guide_contents() {
        let seed = ItemView::from(row(
            json!({"prompt": "53 - 26 = ?", "expectedAnswer": 27}),
            -0.3,
        ));
        assert_eq!(seed.prompt, "53 - 26 = ?");
        assert_eq!(seed.expected_answer, Some(27.0));
        assert_eq!(seed.correct_answer_latex, None);
        assert_eq!(seed.difficulty, Difficulty::Medium);

        let guide = ItemView::from(row(
            json!({"prompt": "", "statement_latex": "\\frac{1}{2}", "final_answer": "x=2",
                   "expectedAnswer": "27"}),
            0.7,
        ));
        assert_eq!(guide.prompt, "\\frac{1}{2}", "an empty prompt falls back");
        assert_eq!(guide.expected_answer, None, "a string is not a number");
        assert_eq!(guide.correct_answer_latex.as_deref(), Some("x=2"));
        assert_eq!(guide.difficulty, Difficulty::Hard);

        let both = ItemView::from(row(
            json!({"correct_answer_latex": "4", "final_answer": "5", "prompt": 3}),
            -0.4,
        ));
        assert_eq!(both.prompt, "", "a non-string prompt and no statement");
        assert_eq!(both.correct_answer_latex.as_deref(), Some("4"));
        assert_eq!(both.difficulty, Difficulty::Easy);
    }
}

/// An exercise picked for a student (`GET /mastery/recommend/…`, `GET /practice/recommend-next`),
/// as the API shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "RecommendedExercise")]
pub struct PickedExercise {
    pub id: ExerciseId,
    /// The statement: `content.prompt`; else, for the mastery recommendation,
    /// `content.problem`, else `"—"`; for practice, `Ejercicio <first 8 characters of the id>`.
    pub problem: String,
    pub topic_code: String,
    pub topic_name: String,
    pub irt_a: f64,
    pub irt_b: f64,
}

/// A pick with the ability it was chosen at and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub exercise: PickedExercise,
    pub student_theta: f64,
    pub reasoning: String,
}
