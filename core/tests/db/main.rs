//! Database integration tests of `innova_core::db`, one binary (linking is the slow part of a
//! test build). Each test gets its own database from `innova-testkit`; the server comes from
//! `INNOVA_TEST_PG_URL` (the tests fail, saying so, when it is not set).

mod alerts;
mod assignments;
mod attempts;
mod baseline;
mod catalog_import;
mod connect;
mod curriculum;
mod error_tags;
mod errors;
mod exercises;
mod maintenance;
mod mastery;
mod schema_compat;
mod seed;
mod users;
// --- Classrooms, parents, skills
mod classrooms;
mod parents;
// --- AI workers
mod cost_events;
// --- Guides (teacher)
mod guides;
// --- Student guides
mod submissions;
// --- Attempt reprocess
mod grading;
// --- LLM classifier
mod classify;
