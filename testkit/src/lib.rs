//! Test support shared by the integration tests of every crate.
