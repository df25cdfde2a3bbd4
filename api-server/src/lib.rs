//! The Innova HTTP API.
//!
//! - [`api`]: the contract: the dropshot API trait, source of `openapi.yaml`, and its wire types.
//! - [`handlers`]: one module per resource, called from the trait implementation in [`server`];
//!   each authorizes ([`auth`]), parses ([`body`], [`validate`]), calls one `innova_app` use case
//!   and maps its result.
//! - [`edge`]: CORS, trace ids, error reshaping and the access log, in front of dropshot, shared by
//!   the local server and the Lambda entry ([`lambda`]).

pub mod api;
pub mod auth;
pub mod body;
pub mod context;
pub mod edge;
pub mod envelope;
pub mod error;
pub mod handlers;
pub mod lambda;
pub mod openapi;
pub mod query;
pub mod request;
pub mod routes;
pub mod server;
pub mod strict;
pub mod trace;
pub mod validate;
