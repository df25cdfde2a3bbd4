//! Handlers, one module per resource. Each reads as a use case: authorize, load, decide (a pure
//! `innova_domain` call), store, publish.

pub mod attempts;
pub mod auth;
pub mod local_objects;
pub mod mastery;
pub mod meta;
