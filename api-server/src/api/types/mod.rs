//! The wire types of the contract: every request and response body, path and query parameter
//! of the API trait ([`super::InnovaApi`]), one module per resource, with the rules each request
//! type enforces ([`crate::validate::Validate`]) stated next to it and, as far as JSON Schema
//! can say them, in its schema (`minLength`, `minimum`/`maximum`, enums).
//!
//! Status-like fields are enums ([`enums`]), so `openapi.yaml` lists their values and the
//! generated client has typed enums.

pub mod admin_status;
pub mod alerts;
pub mod attempts;
pub mod auth;
pub mod common;
pub mod enums;
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
