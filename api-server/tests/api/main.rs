//! Integration tests of the API: the server on a random port, driven through `innova-api-client`
//! (raw HTTP only where the contract has no operation, e.g. unknown routes and preflights).
//! One test binary for the whole suite keeps link time down.

mod access;
mod admin;
mod admin_status;
mod alerts;
mod assignments;
mod attempts;
mod auth;
mod auth_attacks;
mod contract;
mod engine_rows;
mod fakes;
mod items;
mod lambda;
mod mastery;
mod matrix;
mod meta;
mod outbox;
mod probes;
mod support;
// --- Classrooms, parents, skills
mod classrooms;
mod parents;
mod skills;
// --- Guides (teacher)
mod guides;
// --- Student guides
mod student_guides;
// --- Guide pipeline, end to end
mod pipeline;
