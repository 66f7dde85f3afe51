//! Plumbing shared by every TGE Swarm binary, written once:
//!
//! - [`telemetry`] — tracing logs (pretty or JSON), OpenTelemetry traces over
//!   OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, the Prometheus recorder;
//! - [`propagation`] — W3C trace context in gRPC metadata and task maps;
//! - [`config`] — defaults, then a TOML file, then `PREFIX__SECTION__KEY`
//!   environment overrides;
//! - [`grpc`] — client endpoints with sane timeouts and keep-alive;
//! - [`queen_link`] — how a client reaches the queen: address, bearer
//!   token, TLS (flags and environment shared by every binary);
//! - [`ops`] — the `/health`, `/ready`, `/metrics` HTTP endpoint;
//! - [`redact`] — URLs without their passwords, for errors and logs;
//! - [`ports`] — service names and default ports of the design;
//! - [`shutdown`] — SIGTERM / Ctrl-C as a future;
//! - [`time`] — wall-clock helpers in unix milliseconds.

pub mod config;
pub mod grpc;
pub mod ops;
pub mod ports;
pub mod propagation;
pub mod queen_link;
pub mod redact;
pub mod shutdown;
pub mod telemetry;
pub mod time;
