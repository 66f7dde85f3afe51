//! Harness for the end-to-end tests and benchmarks: real processes on
//! loopback (queen, agents, queenctl) against a real PostgreSQL, each test
//! on its own database and ports.
//!
//! Binaries are taken from `SWARM_BIN_DIR` or the cargo target directory
//! the test runs from; `infra/dev/test.sh` builds them first.
//!
//! [`pipeline_eval`] is the live-feed harness behind the `pipeline-eval`
//! command: labelled texts served as feeds to the one-process swarm, its
//! events scored.

pub mod api;
pub mod db;
pub mod http;
pub mod pipeline_eval;
pub mod procs;
pub mod tls;
pub mod wait;

pub use api::{ApiProc, HaproxyProc};
pub use db::TestDb;
pub use http::{http_get, metric_value, rss};
pub use procs::{
    AgentProc, CoordinatorProc, QueenProc, bin, free_port, infra_script, queenctl, queenctl_env,
    redis_cluster_url, specialist,
};
pub use wait::wait_until;
