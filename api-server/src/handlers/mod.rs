//! Handlers, one module per resource, each a recipe of about ten lines: authorize (the policy
//! table's role rule, then the ownership rule for the named target) → parse and validate the
//! body → one `innova_app` call → map the result to the contract's type.

pub mod admin_status;
pub mod alerts;
pub mod attempts;
pub mod auth;
pub mod error_tags;
pub mod local_objects;
pub mod mastery;
pub mod meta;
// --- Items, assignments, practice
pub mod assignments;
pub mod items;
pub mod practice;
// --- Classrooms, parents, skills
pub mod classrooms;
pub mod parents;
pub mod skills;
// --- Guides (teacher)
pub mod guides;
// --- Student guides
pub mod student_guides;
