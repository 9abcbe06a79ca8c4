//! The integration tests, one binary with a module per area (one link step
//! instead of many).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests may panic"
)]

mod analysis;
mod architecture;
mod ask;
mod batch;
mod cases;
mod catalogue;
mod cli;
mod coverage;
mod diagnostics;
mod diff;
mod differential;
mod docs;
mod evaluator;
mod examples;
mod explain;
mod facts;
mod family;
mod format;
#[path = "../support/generate.rs"]
mod generate;
mod input;
mod lsp;
#[path = "../support/native_2259.rs"]
mod native_2259;
mod properties;
#[path = "../support/queries.rs"]
mod queries;
mod runner;
mod schema;
mod serve;
mod sources;
mod support;
mod syntax;
mod trace;
mod what_if;
