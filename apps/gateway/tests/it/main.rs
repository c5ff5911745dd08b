//! The gateway's integration tests: the `souk` binary as an operator runs it,
//! and the HTTP edge driven in process (`oneshot`, no port bound).

mod cli;
mod edge;
mod limits;
mod support;
