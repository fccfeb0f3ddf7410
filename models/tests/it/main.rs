//! Integration tests of hadir-models on real photographs (`../shared/faces`) with the real
//! models. They need the models (`cargo xtask setup`) and the shared faces; without them they
//! fail and say how to get them.
//!
//! Run with `cargo test -p hadir-models -- --nocapture` to see the score distributions.

mod support;

mod cli;
mod groups;
mod liveness;
mod loading;
mod parallel;
mod people;
mod quality;
mod resolution;
