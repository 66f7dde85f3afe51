//! api-reliability: keeps every outbound call and alert healthy.
//!
//! - [`config`] — alert rule and delivery targets (TOML);
//! - [`rule`] — which event changes become alerts (min confidence,
//!   watchlist, created / status change / any update);
//! - [`watcher`] — listens to the coordinator's notices on
//!   `swarm:channels:memory-sync` and submits one `DeliverAlert` task per
//!   target to the queen, with the dedup key `alert:<target>:<event>:<version>`
//!   (retries with backoff and the dead-letter list come from the queen);
//! - [`signing`] — HMAC-SHA256 webhook signatures, timestamped and
//!   replay-safe, with the `verify` function receivers use;
//! - [`format`] — the body each target kind expects (generic webhook,
//!   Slack, Discord, Telegram);
//! - [`deliver`] — sends one alert (idempotency key header, signature);
//! - [`email`] — the SMTP target (lettre), the idempotency key as Message-ID;
//! - [`handler`] — the agent's tasks: `DeliverAlert` (delivered once per
//!   target and event version, remembered in the shared memory) and
//!   `ProbeSource` (a health probe through the source's shared breaker).

pub mod config;
pub mod deliver;
pub mod email;
pub mod format;
pub mod handler;
pub mod rule;
pub mod signing;
pub mod watcher;
