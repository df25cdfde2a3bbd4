//! Guides in a test database, without the AI engine: a guide of a course in any status, its
//! questions (with a current solution each, unless told otherwise) and students' submissions.
//!
//! ```ignore
//! let guide = GuideFixture::new("g-1", COURSE_ID, TEACHER_ID)
//!     .status("PUBLISHED")
//!     .question(QuestionFixture::approved("q-1", 1, "12 - 5").topic("SUB").answer("7"))
//!     .question(QuestionFixture::approved("q-2", 2, "30 - 18").answer("12"))
//!     .question(QuestionFixture::new("q-3", 3, "dibujo").status("EXCLUDED"));
//! guide.insert(&db.pool).await;
//! SubmissionFixture::new("s-1", &guide, "q-1", STUDENT_IDS[0]).insert(&db.pool).await;
//! ```
//!
//! Topics are named by code and resolved in the seed curriculum, the first domain by code
//! winning (`SUB` is ARITH's whole-number subtraction, not DEC's or INT's).

use serde_json::{Value, json};
use sqlx::PgPool;

/// A guide row and its questions.
#[derive(Debug, Clone)]
pub struct GuideFixture {
    pub id: String,
    pub course_id: String,
    pub teacher_id: String,
    pub title: String,
    pub status: String,
    pub max_resubmissions: i32,
    pub show_solution_after_grade: bool,
    /// `due_at` as SQL text (e.g. `'2026-12-31 23:59:00'`), or none.
    pub due_at: Option<String>,
    pub questions: Vec<QuestionFixture>,
}

/// A question of a guide; with `answer`, a current solution (version 1, `LLM_GENERATED`) whose
/// one step is a checkpoint.
#[derive(Debug, Clone)]
pub struct QuestionFixture {
    pub id: String,
    pub sequence: i32,
    pub statement_latex: String,
    pub status: String,
    pub topic_code: Option<String>,
    pub answer: Option<String>,
    pub points: f64,
}

impl QuestionFixture {
    /// A question as extracted (`EXTRACTED`, no topic, no solution).
    pub fn new(id: &str, sequence: i32, statement_latex: &str) -> Self {
        QuestionFixture {
            id: id.into(),
            sequence,
            statement_latex: statement_latex.into(),
            status: "EXTRACTED".into(),
            topic_code: None,
            answer: None,
            points: 1.0,
        }
    }

    /// An `APPROVED` question.
    pub fn approved(id: &str, sequence: i32, statement_latex: &str) -> Self {
        Self::new(id, sequence, statement_latex).status("APPROVED")
    }

    pub fn status(mut self, status: &str) -> Self {
        self.status = status.into();
        self
    }

    /// Classifies the question under the seed topic with this code (domain and subdomain too).
    pub fn topic(mut self, code: &str) -> Self {
        self.topic_code = Some(code.into());
        self
    }

    /// Gives it a current solution with this final answer.
    pub fn answer(mut self, final_answer: &str) -> Self {
        self.answer = Some(final_answer.into());
        self
    }

    pub fn points(mut self, points: f64) -> Self {
        self.points = points;
        self
    }

    /// The canonical solution (ADR-118) the fixture stores for an answer.
    pub fn steps_json(final_answer: &str) -> Value {
        json!({
            "final_answer": final_answer,
            "points": 1,
            "steps": [{ "idx": 0, "latex": final_answer, "checkpoint": true }],
        })
    }
}

impl GuideFixture {
    /// A guide in `REVIEW` with no questions; resubmissions 2, solutions hidden, no due date.
    pub fn new(id: &str, course_id: &str, teacher_id: &str) -> Self {
        GuideFixture {
            id: id.into(),
            course_id: course_id.into(),
            teacher_id: teacher_id.into(),
            title: format!("Guía {id}"),
            status: "REVIEW".into(),
            max_resubmissions: 2,
            show_solution_after_grade: false,
            due_at: None,
            questions: Vec::new(),
        }
    }

    pub fn status(mut self, status: &str) -> Self {
        self.status = status.into();
        self
    }

    pub fn title(mut self, title: &str) -> Self {
        self.title = title.into();
        self
    }

    pub fn max_resubmissions(mut self, n: i32) -> Self {
        self.max_resubmissions = n;
        self
    }

    pub fn show_solution_after_grade(mut self, show: bool) -> Self {
        self.show_solution_after_grade = show;
        self
    }

    pub fn due_at(mut self, sql_timestamp: &str) -> Self {
        self.due_at = Some(sql_timestamp.into());
        self
    }

    pub fn question(mut self, q: QuestionFixture) -> Self {
        self.questions.push(q);
        self
    }

    /// The source PDF key the guide row names.
    pub fn source_pdf_key(&self) -> String {
        format!("guides/uploads/{}.pdf", self.id)
    }

    /// Inserts the guide, its questions and their solutions in one transaction (a `PUBLISHED`
    /// or `ARCHIVED` guide gets its timestamp too). Panics on a database error.
    pub async fn insert(&self, pool: &PgPool) {
        self.try_insert(pool)
            .await
            .unwrap_or_else(|e| panic!("inserting guide {}: {e}", self.id));
    }

    pub async fn try_insert(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let mut tx = pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO guides (id, course_id, created_by_teacher_id, title, status, source_pdf_key,
                                 question_count, max_resubmissions, show_solution_after_grade,
                                 due_at, published_at, archived_at, trace_id, updated_at)
             VALUES ($1, $2, $3, $4, $5::\"GuideStatus\", $6, $7, $8, $9, {due},
                     CASE WHEN $5 = 'PUBLISHED' THEN CURRENT_TIMESTAMP END,
                     CASE WHEN $5 = 'ARCHIVED' THEN CURRENT_TIMESTAMP END,
                     $10, CURRENT_TIMESTAMP)",
            due = self.due_at.as_deref().map(|d| format!("'{d}'::timestamp")).unwrap_or_else(|| "NULL".into()),
        ))
        .bind(&self.id)
        .bind(&self.course_id)
        .bind(&self.teacher_id)
        .bind(&self.title)
        .bind(&self.status)
        .bind(self.source_pdf_key())
        .bind(self.questions.len() as i32)
        .bind(self.max_resubmissions)
        .bind(self.show_solution_after_grade)
        .bind(format!("trace-{}", self.id))
        .execute(&mut *tx)
        .await?;
        for q in &self.questions {
            sqlx::query(
                "WITH t AS (SELECT t.id FROM topics t LEFT JOIN domains d ON d.id = t.domain_id
                            WHERE t.code = $7 ORDER BY d.code, t.id LIMIT 1)
                 INSERT INTO guide_questions (id, guide_id, sequence, statement_latex, status, points,
                                              topic_id, domain_id, subdomain_id, topic_source,
                                              topic_confidence, updated_at)
                 SELECT $1, $2, $3, $4, $5::\"GuideQuestionStatus\", $6,
                        (SELECT id FROM t),
                        (SELECT domain_id FROM topics WHERE id = (SELECT id FROM t)),
                        (SELECT subdomain_id FROM topics WHERE id = (SELECT id FROM t)),
                        CASE WHEN $7 IS NOT NULL THEN 'AI' END,
                        CASE WHEN $7 IS NOT NULL THEN 0.9 END,
                        CURRENT_TIMESTAMP",
            )
            .bind(&q.id)
            .bind(&self.id)
            .bind(q.sequence)
            .bind(&q.statement_latex)
            .bind(&q.status)
            .bind(q.points)
            .bind(&q.topic_code)
            .execute(&mut *tx)
            .await?;
            if let Some(code) = &q.topic_code {
                let found: Option<String> =
                    sqlx::query_scalar("SELECT topic_id FROM guide_questions WHERE id = $1")
                        .bind(&q.id)
                        .fetch_one(&mut *tx)
                        .await?;
                assert!(found.is_some(), "no seed topic with code {code}");
            }
            if let Some(answer) = &q.answer {
                sqlx::query(
                    "INSERT INTO guide_solutions (id, guide_question_id, version, is_current, source,
                                                  final_answer, steps_json, expected_error_tags)
                     VALUES ($1, $2, 1, true, 'LLM_GENERATED', $3, $4, '{}')",
                )
                .bind(format!("sol-{}-1", q.id))
                .bind(&q.id)
                .bind(answer)
                .bind(QuestionFixture::steps_json(answer))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await
    }
}

/// A student's submission to a question of a guide.
#[derive(Debug, Clone)]
pub struct SubmissionFixture {
    pub id: String,
    pub guide_id: String,
    pub question_id: String,
    pub student_id: String,
    pub attempt_number: i32,
    pub status: String,
    pub photo_keys: Vec<String>,
}

impl SubmissionFixture {
    /// Attempt 1, `UPLOADED`, one photo under `submissions/<id>/`.
    pub fn new(id: &str, guide: &GuideFixture, question_id: &str, student_id: &str) -> Self {
        SubmissionFixture {
            id: id.into(),
            guide_id: guide.id.clone(),
            question_id: question_id.into(),
            student_id: student_id.into(),
            attempt_number: 1,
            status: "UPLOADED".into(),
            photo_keys: vec![format!("submissions/{id}/photo-1.jpg")],
        }
    }

    pub fn attempt_number(mut self, n: i32) -> Self {
        self.attempt_number = n;
        self
    }

    pub fn status(mut self, status: &str) -> Self {
        self.status = status.into();
        self
    }

    pub async fn insert(&self, pool: &PgPool) {
        sqlx::query(
            "INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id,
                                            attempt_number, status, photo_keys, trace_id, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6::\"SubmissionStatus\", $7, $8, CURRENT_TIMESTAMP)",
        )
        .bind(&self.id)
        .bind(&self.guide_id)
        .bind(&self.question_id)
        .bind(&self.student_id)
        .bind(self.attempt_number)
        .bind(&self.status)
        .bind(&self.photo_keys)
        .bind(format!("trace-{}", self.id))
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("inserting submission {}: {e}", self.id));
    }
}
