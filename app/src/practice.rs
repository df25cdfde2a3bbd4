//! Practice: a single-student assignment made by a teacher, and the next exercise for a
//! student by maximum Fisher information.

use chrono::NaiveDateTime;
use innova_core::db::assignments::AssignmentReason;
use innova_core::db::{exercises, mastery, users};
use innova_domain::ids::{ExerciseId, StudentId};
use innova_domain::irt;

use crate::assignments::{self, AssignmentDetail, FieldNames, NewAssignment};
use crate::authz::{Permit, Target, op};
use crate::{App, AppError, AppResult};

/// The title of a practice assignment.
pub const PRACTICE_TITLE: &str = "Práctica asignada";
/// Candidates the recommender scores at most (the reference's `take: 500`).
pub const MAX_CANDIDATES: i64 = 500;

/// `POST /practice/assign`: exactly `POST /assignments` for one student, titled
/// [`PRACTICE_TITLE`], reason `TEACHER_MANUAL`, no course.
pub async fn assign(
    app: &App,
    permit: &Permit<op::PracticeAssign>,
    student_id: &StudentId,
    item_ids: Vec<ExerciseId>,
    due_at: Option<NaiveDateTime>,
) -> AppResult<AssignmentDetail> {
    permit.require(&app.db, Target::student(student_id)).await?;
    let teacher_id = permit.caller()?.teacher_id()?;
    assignments::create_naming(
        app,
        teacher_id,
        NewAssignment {
            course_id: None,
            student_ids: vec![student_id.to_owned()],
            exercise_ids: item_ids,
            title: PRACTICE_TITLE.to_owned(),
            reason: AssignmentReason::TeacherManual,
            due_at,
        },
        FieldNames {
            exercises: "itemIds",
            students: "studentId",
        },
    )
    .await
}

/// The exercise picked for practice, the θ of its topic and the reasoning.
pub use crate::items::Pick as PracticePick;
use crate::items::PickedExercise as PracticeExercise;

/// `GET /practice/recommend-next`: among the first [`MAX_CANDIDATES`] ACTIVE exercises (oldest
/// first; only those of the domain `domain_id` when given), the most informative at the θ of
/// its own topic ([`irt::pick_practice_item`]: no exclusions, no course). An unknown student is
/// [`AppError::NotFound`] `Student <id> not found`; no candidate `No active exercises found`
/// (`… for domain <id>`).
pub async fn recommend_next(
    app: &App,
    permit: &Permit<op::PracticeRecommendNext>,
    student_id: &StudentId,
    domain_id: Option<&str>,
) -> AppResult<PracticePick> {
    permit.require(&app.db, Target::student(student_id)).await?;
    let db = &app.db;
    if users::student_by_id(db, student_id).await?.is_none() {
        return Err(AppError::NotFound(format!(
            "Student {student_id} not found"
        )));
    }
    let rows = exercises::active_in_domain(db, domain_id, MAX_CANDIDATES).await?;
    let none = || {
        AppError::NotFound(match domain_id {
            Some(domain) => format!("No active exercises found for domain {domain}"),
            None => "No active exercises found".into(),
        })
    };
    if rows.is_empty() {
        return Err(none());
    }
    let known = mastery::of_student(db, student_id).await?;
    let facts: Vec<irt::MasteryRow> = known
        .iter()
        .map(|r| irt::MasteryRow {
            topic_id: &r.topic_id,
            p_known: r.p_known,
        })
        .collect();
    let candidates: Vec<irt::Candidate> = rows
        .iter()
        .map(|x| irt::Candidate {
            id: &x.exercise.id,
            topic_id: &x.exercise.topic_id,
            irt_a: x.exercise.irt_a,
            irt_b: x.exercise.irt_b,
        })
        .collect();
    let pick = irt::pick_practice_item(&candidates, &facts).ok_or_else(none)?;
    let chosen = &rows[pick.candidate];
    let x = &chosen.exercise;
    Ok(PracticePick {
        exercise: PracticeExercise {
            id: x.id.clone(),
            problem: problem_text(&x.id, &x.content),
            topic_code: chosen.topic_code.clone(),
            topic_name: chosen.topic_name.clone(),
            irt_a: x.irt_a,
            irt_b: x.irt_b,
        },
        student_theta: pick.theta,
        reasoning: irt::practice_reasoning(pick.theta, x.irt_b, pick.information),
    })
}

fn problem_text(id: &str, content: &serde_json::Value) -> String {
    match content.get("prompt").and_then(serde_json::Value::as_str) {
        Some(prompt) => prompt.to_owned(),
        None => format!("Ejercicio {}", id.chars().take(8).collect::<String>()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_problem_is_the_prompt_or_names_the_exercise() {
        assert_eq!(problem_text("abc", &json!({"prompt": ""})), "");
        assert_eq!(
            problem_text("0123456789", &json!({"statement_latex": "x"})),
            "Ejercicio 01234567"
        );
        assert_eq!(problem_text("ab", &json!({"prompt": 3})), "Ejercicio ab");
    }
}
