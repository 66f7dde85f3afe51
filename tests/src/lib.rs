//! Harness for the end-to-end tests and benchmarks: real processes on
//! loopback (queen, agents, queenctl) against a real PostgreSQL, each test
//! on its own database and ports.
//!
//! Binaries are taken from `SWARM_BIN_DIR` or the cargo target directory
//! the test runs from; `infra/dev/test.sh` builds them first.

pub mod api;
pub mod db;
pub mod http;
pub mod procs;
pub mod wait;

pub use api::{ApiProc, HaproxyProc};
pub use db::TestDb;
pub use http::{http_get, metric_value, rss};
pub use procs::{
    AgentProc, CoordinatorProc, QueenProc, bin, free_port, infra_script, queenctl, queenctl_env,
    redis_cluster_url, specialist,
};
pub use wait::wait_until;
