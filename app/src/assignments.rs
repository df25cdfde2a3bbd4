//! Assignments: a teacher's exercises for a course or for named students (stored in one
//! transaction), the Fisher-information recommendation turned into an assignment, and a
//! student's list.

use innova_domain::ids::{AssignmentId, CourseId, ExerciseId, StudentId, TeacherId, TopicId};
use std::collections::HashMap;

use chrono::NaiveDateTime;
use innova_core::db::assignments::{self, AssignmentExerciseRow, AssignmentReason};
use innova_core::db::curriculum::{self, TopicRow};
use innova_core::db::exercises::{self, ExerciseRow};
use innova_core::db::{self, mastery, users};
use innova_domain::irt;

pub use innova_core::db::assignments::{AssignmentRow, TargetRow, TargetWithAssignment};

use crate::authz::{Permit, Target, op};
use crate::{App, AppError, AppResult};

/// An assignment to create (`POST /assignments`), shaped by the API: at least a course or one
/// student, no student twice.
#[derive(Debug, Clone)]
pub struct NewAssignment {
    /// The course it is for; its targets must then be ACTIVE in it.
    pub course_id: Option<CourseId>,
    /// The students it is addressed to (none: the course as a whole).
    pub student_ids: Vec<StudentId>,
    /// In order; may be empty, may repeat an exercise.
    pub exercise_ids: Vec<ExerciseId>,
    pub title: String,
    pub reason: AssignmentReason,
    pub due_at: Option<NaiveDateTime>,
}

/// An assignment with its exercises (in sequence) and targets (as named).
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentDetail {
    pub assignment: AssignmentRow,
    pub exercises: Vec<(AssignmentExerciseRow, ExerciseRow)>,
    pub targets: Vec<TargetRow>,
}

/// Stores the assignment, its exercises and its targets in one transaction, created by the
/// caller: the teacher of its course or, without a course, of every student it names. Unknown exercises, unknown students and, with a
/// course, students not ACTIVE in it are [`AppError::Unprocessable`] naming the field; a
/// student named twice is [`AppError::Invalid`]. Nothing is written then.
pub async fn create(
    app: &App,
    permit: &Permit<op::AssignmentsCreate>,
    new: NewAssignment,
) -> AppResult<AssignmentDetail> {
    match &new.course_id {
        // The course's teacher; its targets must be ACTIVE in it (checked with the rest).
        Some(course) => permit.require(&app.db, Target::course(course)).await?,
        None => {
            if new.student_ids.is_empty() {
                return Err(AppError::internal(
                    "an assignment without course names no student",
                ));
            }
            for student in &new.student_ids {
                permit.require(&app.db, Target::student(student)).await?;
            }
        }
    }
    let teacher_id = permit.caller()?.teacher_id()?;
    create_naming(app, teacher_id, new, FieldNames::ASSIGNMENT).await
}

/// What the request calls the exercise and student lists, for the messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldNames {
    pub exercises: &'static str,
    pub students: &'static str,
}

impl FieldNames {
    const ASSIGNMENT: FieldNames = FieldNames {
        exercises: "exerciseIds",
        students: "studentIds",
    };
}

/// [`create`], naming the request's own fields in its messages.
pub(crate) async fn create_naming(
    app: &App,
    teacher_id: &TeacherId,
    new: NewAssignment,
    names: FieldNames,
) -> AppResult<AssignmentDetail> {
    let FieldNames {
        exercises: exercises_field,
        students: students_field,
    } = names;
    if let Some(twice) = first_duplicate(&new.student_ids) {
        return Err(AppError::invalid(format!(
            "{students_field} must not name a student twice ({twice})"
        )));
    }
    let mut problems = Vec::new();
    let missing = exercises::missing(&app.db, &new.exercise_ids).await?;
    if !missing.is_empty() {
        problems.push(format!(
            "{exercises_field}: no exercise has the id {}",
            missing.join(", ")
        ));
    }
    // A guide's exercise carries the guide's answer key: students reach it through the guide
    // (its own solution rule), never through an assignment they could read.
    let from_guides = exercises::from_guides(&app.db, &new.exercise_ids).await?;
    if !from_guides.is_empty() {
        problems.push(format!(
            "{exercises_field}: exercise {} belongs to a guide; students answer it through the guide",
            from_guides.join(", ")
        ));
    }
    let course = new.course_id.as_ref();
    for r in assignments::target_references(&app.db, course, &new.student_ids).await? {
        match course {
            _ if !r.exists => problems.push(format!(
                "{students_field}: student {} does not exist",
                r.student_id
            )),
            Some(course) if !r.active_in_course => problems.push(format!(
                "{students_field}: student {} is not enrolled in course {course}",
                r.student_id
            )),
            _ => {}
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Unprocessable(problems.join("; ")));
    }

    let mut tx = db::begin(&app.db).await?;
    let assignment = assignments::insert(
        &mut *tx,
        &assignments::NewAssignment {
            course_id: course,
            created_by_teacher_id: teacher_id,
            title: &new.title,
            reason: new.reason,
            due_at: new.due_at,
        },
    )
    .await?;
    let sequence = assignments::add_exercises(&mut *tx, &assignment.id, &new.exercise_ids).await?;
    let targets = assignments::add_targets(&mut *tx, &assignment.id, &new.student_ids).await?;
    let rows = exercises::by_ids(&mut *tx, &new.exercise_ids).await?;
    tx.commit().await.map_err(db::DbError::from)?;

    let by_id: HashMap<&str, &ExerciseRow> = rows.iter().map(|x| (x.id.as_str(), x)).collect();
    let exercises = sequence
        .into_iter()
        .map(|s| {
            let exercise = by_id
                .get(s.exercise_id.as_str())
                .map(|x| (*x).clone())
                .ok_or_else(|| AppError::internal(format!("exercise {} vanished", s.exercise_id)));
            exercise.map(|x| (s, x))
        })
        .collect::<AppResult<_>>()?;
    Ok(AssignmentDetail {
        assignment,
        exercises,
        targets,
    })
}

fn first_duplicate<T: PartialEq + AsRef<str>>(ids: &[T]) -> Option<&str> {
    ids.iter()
        .enumerate()
        .find(|(i, id)| ids[..*i].contains(id))
        .map(|(_, id)| id.as_ref())
}

/// The title of a recommended assignment.
fn recommended_title(topic_code: &str) -> String {
    format!("Práctica recomendada — {topic_code}")
}

/// `POST /assignments/recommend`: the five most informative ACTIVE exercises for the student
/// (`recommendForStudent`), stored as a `PRACTICE_RECOMMENDER` assignment addressed to them,
/// without course or due date, titled after the best item's topic.
///
/// The ranking is [`irt::rank_for_assignment`], the reference's to the bit: each topic is
/// gated on its prerequisites (pKnown ≥ 0.6 among the rows fetched here — so with `topic_id`
/// any topic with prerequisites is skipped), and items are scored with **θ = pKnown itself**,
/// not its logit, a quirk kept on purpose (see there). Mastery rows come by topic id and
/// exercises oldest first, which fixes the order ties keep.
///
/// An unknown `topic_id` is [`AppError::NotFound`] naming it; no candidate at all is
/// [`AppError::NotFound`] `No exercises found matching student mastery level`.
pub async fn recommend(
    app: &App,
    permit: &Permit<op::AssignmentsRecommend>,
    student_id: &StudentId,
    topic_id: Option<&TopicId>,
) -> AppResult<AssignmentDetail> {
    permit.require(&app.db, Target::student(student_id)).await?;
    let teacher_id = permit.caller()?.teacher_id()?;
    if let Some(topic) = topic_id
        && curriculum::topic_by_id(&app.db, topic).await?.is_none()
    {
        return Err(AppError::NotFound(format!(
            "topicId: Topic {topic} not found"
        )));
    }
    let rows = mastery::with_prerequisites(&app.db, student_id, topic_id).await?;
    let topic_ids: Vec<TopicId> = rows.iter().map(|r| r.topic_id.clone()).collect();
    let exercises = exercises::active_of_topics(&app.db, &topic_ids).await?;

    let gated: Vec<irt::GatedMasteryRow> = rows
        .iter()
        .map(|r| irt::GatedMasteryRow {
            topic_id: &r.topic_id,
            p_known: r.p_known,
            prerequisite_topic_ids: r
                .prerequisite_topic_ids
                .iter()
                .map(TopicId::as_str)
                .collect(),
        })
        .collect();
    let candidates: Vec<irt::Candidate> = exercises
        .iter()
        .map(|x| irt::Candidate {
            id: &x.exercise.id,
            topic_id: &x.exercise.topic_id,
            irt_a: x.exercise.irt_a,
            irt_b: x.exercise.irt_b,
        })
        .collect();
    let ranked = irt::rank_for_assignment(&gated, &candidates, irt::DEFAULT_TOP_N);
    let Some(best) = ranked.first() else {
        return Err(AppError::NotFound(
            "No exercises found matching student mastery level".into(),
        ));
    };
    let title = recommended_title(&exercises[best.candidate].topic_code);
    let exercise_ids = ranked
        .iter()
        .map(|r| exercises[r.candidate].exercise.id.clone())
        .collect();
    create_naming(
        app,
        teacher_id,
        NewAssignment {
            course_id: None,
            student_ids: vec![student_id.to_owned()],
            exercise_ids,
            title,
            reason: AssignmentReason::PracticeRecommender,
            due_at: None,
        },
        FieldNames::ASSIGNMENT,
    )
    .await
}

/// One exercise of a student's assignment, with its topic.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignedExercise {
    pub position: AssignmentExerciseRow,
    pub exercise: ExerciseRow,
    pub topic: TopicRow,
}

/// A student's target with its assignment and the assignment's exercises (in sequence).
#[derive(Debug, Clone, PartialEq)]
pub struct StudentAssignment {
    pub target: TargetWithAssignment,
    pub exercises: Vec<AssignedExercise>,
}

/// The assignments addressed to a student, except guides', newest first, with the exercises
/// `reader` may read (a guide's exercise only for its course's teachers and admins);
/// [`AppError::NotFound`] `Student <id> not found` for an unknown student.
pub async fn of_student(
    app: &App,
    permit: &Permit<op::AssignmentsStudent>,
    student_id: &StudentId,
) -> AppResult<Vec<StudentAssignment>> {
    permit.require(&app.db, Target::student(student_id)).await?;
    let reader = permit.caller()?.bank_reader();
    let db = &app.db;
    if users::student_by_id(db, student_id).await?.is_none() {
        return Err(AppError::NotFound(format!(
            "Student {student_id} not found"
        )));
    }
    let targets = assignments::targets_of_student(db, student_id).await?;
    let assignment_ids: Vec<AssignmentId> =
        targets.iter().map(|t| t.assignment.id.clone()).collect();
    let positions = assignments::exercises_of(db, &assignment_ids).await?;
    let mut exercise_ids: Vec<ExerciseId> =
        positions.iter().map(|p| p.exercise_id.clone()).collect();
    exercise_ids.sort();
    exercise_ids.dedup();
    let rows = exercises::readable_by_ids(db, &exercise_ids, reader).await?;
    let mut topic_ids: Vec<TopicId> = rows.iter().map(|x| x.topic_id.clone()).collect();
    topic_ids.sort();
    topic_ids.dedup();
    let topics = exercises::topics_by_ids(db, &topic_ids).await?;

    let exercise_by_id: HashMap<&str, &ExerciseRow> =
        rows.iter().map(|x| (x.id.as_str(), x)).collect();
    let topic_by_id: HashMap<&str, &TopicRow> = topics.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut by_assignment: HashMap<AssignmentId, Vec<AssignedExercise>> = HashMap::new();
    for position in positions {
        // Not readable by this reader (a guide's), or gone.
        let Some(exercise) = exercise_by_id.get(position.exercise_id.as_str()) else {
            continue;
        };
        let topic = topic_by_id
            .get(exercise.topic_id.as_str())
            .ok_or_else(|| AppError::internal(format!("topic {} vanished", exercise.topic_id)))?;
        by_assignment
            .entry(position.assignment_id.clone())
            .or_default()
            .push(AssignedExercise {
                exercise: (*exercise).clone(),
                topic: (*topic).clone(),
                position,
            });
    }
    Ok(targets
        .into_iter()
        .map(|target| StudentAssignment {
            exercises: by_assignment
                .remove(&target.assignment.id)
                .unwrap_or_default(),
            target,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_found_in_order() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(first_duplicate(&ids(&["a", "b", "a", "b"])), Some("a"));
        assert_eq!(first_duplicate(&ids(&["a", "b"])), None);
        assert_eq!(first_duplicate::<String>(&[]), None);
    }

    #[test]
    fn recommended_titles_name_the_topic() {
        assert_eq!(recommended_title("SUB"), "Práctica recomendada — SUB");
    }
}
