//! Tools built on the pipeline: they load, evaluate and render through the library's
//! stages and add what a command needs (rule sources, case corpora, the test runner,
//! coverage, amendment diffs, batch evaluation). Nothing in the pipeline imports them.

pub mod analysis;
pub mod ask;
pub mod batch;
pub mod corpus;
pub mod coverage;
pub mod diff;
pub mod rule_source;
pub mod runner;
pub mod schema;
pub mod what_if;
