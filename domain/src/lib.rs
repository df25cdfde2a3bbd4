//! Pure domain logic of Innova. No I/O: everything here is a function of its arguments.
//!
//! * [`rules`] — the deterministic rule engine of `POST /attempts` (19 strategies, 52 tags);
//! * [`bkt`] — Bayesian Knowledge Tracing update and the 7-day trend;
//! * [`course_mastery`] — a course's per-student subdomain mastery, error frequencies, heatmap;
//! * [`irt`] — the three item pickers (mastery recommend, practice, assignment recommend);
//! * [`guides`] — guide state machine and canonical-solution schema;
//! * [`alerts`] — the hourly teacher-alert rules;
//! * [`js`] — JavaScript number semantics the ported results depend on;
//! * [`ids`] — one type per entity id;
//! * [`vocab`] — the closed sets of stored values (attempt status, classifier source, input mode);
//! * [`classrooms`] — derived course names, invitation expiry and use limits;
//! * [`bands`] — the mastery bands parents see instead of numbers;
//! * [`pricing`] — what a model call costs (`cost_events`).
//!
//! Results are meant to be bit-identical to the reference TypeScript system where it is
//! deterministic (`domain.md`), except where `decisions.md` says otherwise.

#[macro_use]
pub mod vocab;
pub mod access;
pub mod alerts;
pub mod bkt;
pub mod course_mastery;
pub mod guides;
pub mod ids;
pub mod irt;
pub mod js;
pub mod rules;
// --- Classrooms, parents, skills
pub mod bands;
pub mod classrooms;
// --- AI workers
pub mod pricing;
// --- Attempt reprocess
pub mod grading;

pub use rules::{
    AttemptInput, Classification, Operand, RawStep, classify, strategy_for, strategy_key,
};
