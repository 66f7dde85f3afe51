//! The Redis backend (fred): a cluster (`redis-cluster://host:port?node=…`)
//! or a standalone server (`redis://host:port`). Commands share one
//! multiplexed, automatically pipelined connection per node; blocking
//! stream reads get their own; every subscription has its own subscriber
//! client that re-subscribes after reconnects. fred follows MOVED/ASK
//! redirections and refreshes the slot map when the topology changes.

use std::time::Duration;

use fred::prelude::*;
use fred::types::streams::XCap;
use tokio::sync::mpsc;

use crate::memory::{Delivery, Error, Memory, RateDecision, Result, Subscription};

const TOKEN_BUCKET: &str = include_str!("token_bucket.lua");
const COMPARE_AND_SET: &str = include_str!("compare_and_set.lua");
const PUSH_CAPPED: &str = include_str!("push_capped.lua");
/// Field holding the payload in stream entries.
const FIELD: &str = "e";

/// Redis-backed memory.
pub struct RedisMemory {
    config: Config,
    clustered: bool,
    client: Client,
    blocking: Client,
}

fn builder(config: &Config) -> Builder {
    let mut builder = Builder::from_config(config.clone());
    builder
        .with_connection_config(|c| {
            c.connection_timeout = Duration::from_secs(5);
            c.internal_command_timeout = Duration::from_secs(5);
            c.max_command_attempts = 10;
        })
        .with_performance_config(|p| {
            p.default_command_timeout = Duration::from_secs(10);
        })
        .set_policy(ReconnectPolicy::new_exponential(0, 50, 2_000, 2));
    builder
}

impl RedisMemory {
    /// Connects to `url`: `redis-cluster://h:p?node=h2:p2` for a cluster,
    /// `redis://h:p` for one server.
    ///
    /// # Errors
    ///
    /// An invalid URL or an unreachable server.
    pub async fn connect(url: &str) -> Result<Self> {
        // the URL may carry a password: never in the error
        let config = Config::from_url(url)
            .map_err(|e| Error::Config(format!("{}: {e}", crate::redact_url(url))))?;
        let clustered = matches!(config.server, ServerConfig::Clustered { .. });
        let client = builder(&config).build().map_err(Error::redis("build"))?;
        let blocking = builder(&config).build().map_err(Error::redis("build"))?;
        client.init().await.map_err(Error::redis("connect"))?;
        blocking.init().await.map_err(Error::redis("connect"))?;
        Ok(Self {
            config,
            clustered,
            client,
            blocking,
        })
    }

    /// The command client (for pipelines in benchmarks).
    pub fn client(&self) -> &Client {
        &self.client
    }

    async fn subscriber(&self, channels: &[String], sharded: bool) -> Result<Subscription> {
        let sub = builder(&self.config)
            .build_subscriber_client()
            .map_err(Error::redis("build subscriber"))?;
        sub.init()
            .await
            .map_err(Error::redis("connect subscriber"))?;
        let mut messages = sub.message_rx();
        if sharded {
            // one command per channel: each goes to its own slot's owner
            for channel in channels {
                sub.ssubscribe(channel.clone())
                    .await
                    .map_err(Error::redis("ssubscribe"))?;
            }
        } else {
            sub.subscribe(channels.to_vec())
                .await
                .map_err(Error::redis("subscribe"))?;
        }
        let resubscriber = sub.manage_subscriptions();
        let (tx, rx) = mpsc::channel(1024);
        let guard = tokio::spawn(async move {
            let _keep = (sub, resubscriber);
            while let Ok(message) = messages.recv().await {
                let payload = message
                    .value
                    .as_bytes()
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                if tx
                    .send((message.channel.to_string(), payload))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
        Ok(Subscription {
            rx,
            _guard: Some(guard),
        })
    }
}

/// Stream replies, parsed by hand: they may be nil (a blocking read that
/// timed out) and may hold nil entries (trimmed while pending).
mod parse {
    use fred::prelude::Value;

    use super::FIELD;
    use crate::memory::Delivery;

    fn items(value: Value) -> Vec<Value> {
        match value {
            Value::Array(items) => items,
            Value::Map(map) => map
                .inner()
                .into_iter()
                .flat_map(|(k, v)| [Value::from(k), v])
                .collect(),
            _ => Vec::new(),
        }
    }

    /// `[[id, [field, value, ...]], ...]`
    pub fn entries(value: Value) -> Vec<Delivery> {
        items(value)
            .into_iter()
            .filter_map(|entry| {
                let mut parts = items(entry).into_iter();
                let id = parts.next()?.as_string()?;
                // an entry written by someone else (no payload field) is
                // delivered empty: the reader sets it aside and acks it
                // instead of leaving it pending forever
                let fields = parts.next().map(items).unwrap_or_default();
                let mut it = fields.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    if k.as_str().as_deref() == Some(FIELD) {
                        return Some(Delivery {
                            id,
                            payload: v.as_bytes().map(<[u8]>::to_vec).unwrap_or_default(),
                        });
                    }
                }
                Some(Delivery {
                    id,
                    payload: Vec::new(),
                })
            })
            .collect()
    }

    /// XREAD(GROUP): `[[stream, entries], ...]` (or a map), nil when empty.
    pub fn read_reply(value: Value) -> Vec<Delivery> {
        match value {
            Value::Map(map) => map.inner().into_values().flat_map(entries).collect(),
            other => items(other)
                .into_iter()
                .flat_map(|pair| {
                    items(pair)
                        .into_iter()
                        .nth(1)
                        .map(entries)
                        .unwrap_or_default()
                })
                .collect(),
        }
    }
}

#[async_trait::async_trait]
impl Memory for RedisMemory {
    fn backend(&self) -> &'static str {
        if self.clustered {
            "redis-cluster"
        } else {
            "redis"
        }
    }

    async fn append(&self, stream: &str, payload: &[u8], max_len: u64) -> Result<String> {
        let cap =
            XCap::try_from(("MAXLEN", "~", max_len as i64)).map_err(Error::redis("xadd cap"))?;
        self.client
            .xadd(stream, false, cap, "*", vec![(FIELD, payload.to_vec())])
            .await
            .map_err(Error::redis("xadd"))
    }

    async fn create_group(&self, stream: &str, group: &str) -> Result<()> {
        match self
            .client
            .xgroup_create::<Value, _, _, _>(stream, group, "0", true)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.details().contains("BUSYGROUP") => Ok(()),
            Err(e) => Err(Error::redis("xgroup create")(e)),
        }
    }

    async fn read_group(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        count: usize,
        block: Duration,
    ) -> Result<Vec<Delivery>> {
        let reply: Value = self
            .blocking
            .xreadgroup(
                group,
                consumer,
                Some(count as u64),
                Some(block.as_millis() as u64),
                false,
                stream,
                ">",
            )
            .await
            .map_err(Error::redis("xreadgroup"))?;
        Ok(parse::read_reply(reply))
    }

    async fn ack(&self, stream: &str, group: &str, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        self.client
            .xack(stream, group, ids.to_vec())
            .await
            .map_err(Error::redis("xack"))
    }

    async fn claim_idle(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        count: usize,
        start: &str,
    ) -> Result<(String, Vec<Delivery>)> {
        let reply: Value = self
            .client
            .xautoclaim(
                stream,
                group,
                consumer,
                min_idle.as_millis() as u64,
                start,
                Some(count as u64),
                false,
            )
            .await
            .map_err(Error::redis("xautoclaim"))?;
        // [next cursor, entries, deleted ids]
        Ok(match reply {
            Value::Array(mut parts) if parts.len() >= 2 => {
                let entries = parse::entries(parts.swap_remove(1));
                let next = parts
                    .first()
                    .and_then(fred::types::Value::as_string)
                    .unwrap_or_else(|| "0-0".to_string());
                (next, entries)
            }
            _ => ("0-0".to_string(), Vec::new()),
        })
    }

    async fn pending(&self, stream: &str, group: &str) -> Result<u64> {
        let summary: Value = self
            .client
            .xpending(stream, group, ())
            .await
            .map_err(Error::redis("xpending"))?;
        Ok(match summary {
            Value::Array(items) => items.first().and_then(Value::as_u64).unwrap_or(0),
            _ => 0,
        })
    }

    async fn stream_len(&self, stream: &str) -> Result<u64> {
        self.client.xlen(stream).await.map_err(Error::redis("xlen"))
    }

    async fn recent(&self, stream: &str, count: usize) -> Result<Vec<Delivery>> {
        let reply: Value = self
            .client
            .xrevrange(stream, "+", "-", Some(count as u64))
            .await
            .map_err(Error::redis("xrevrange"))?;
        Ok(parse::entries(reply))
    }

    async fn publish(&self, channel: &str, payload: &[u8]) -> Result<()> {
        self.client
            .publish::<Value, _, _>(channel, payload.to_vec())
            .await
            .map(|_| ())
            .map_err(Error::redis("publish"))
    }

    async fn subscribe(&self, channels: &[String]) -> Result<Subscription> {
        self.subscriber(channels, false).await
    }

    async fn spublish(&self, channel: &str, payload: &[u8]) -> Result<()> {
        self.client
            .spublish::<Value, _, _>(channel, payload.to_vec())
            .await
            .map(|_| ())
            .map_err(Error::redis("spublish"))
    }

    async fn ssubscribe(&self, channels: &[String]) -> Result<Subscription> {
        self.subscriber(channels, true).await
    }

    async fn set_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        let reply: Value = self
            .client
            .set(
                key,
                value,
                Some(Expiration::PX(ttl.as_millis() as i64)),
                Some(SetOptions::NX),
                false,
            )
            .await
            .map_err(Error::redis("set nx"))?;
        Ok(!reply.is_null())
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<()> {
        self.client
            .set::<Value, _, _>(
                key,
                value,
                Some(Expiration::PX(ttl.as_millis() as i64)),
                None,
                false,
            )
            .await
            .map(|_| ())
            .map_err(Error::redis("set"))
    }

    async fn get(&self, key: &str) -> Result<Option<String>> {
        self.client.get(key).await.map_err(Error::redis("get"))
    }

    async fn take_token(&self, key: &str, rate_per_sec: f64, burst: u32) -> Result<RateDecision> {
        let reply: Vec<i64> = self
            .client
            .eval(
                TOKEN_BUCKET,
                vec![key],
                vec![rate_per_sec.to_string(), burst.max(1).to_string()],
            )
            .await
            .map_err(Error::redis("token bucket"))?;
        Ok(RateDecision {
            allowed: reply.first() == Some(&1),
            retry_after: Duration::from_millis(reply.get(1).copied().unwrap_or(0).max(0) as u64),
        })
    }

    async fn compare_and_set(
        &self,
        key: &str,
        expected: Option<&str>,
        value: &str,
        ttl: Duration,
    ) -> Result<bool> {
        let (present, expected) = match expected {
            Some(e) => ("1", e),
            None => ("0", ""),
        };
        let reply: i64 = self
            .client
            .eval(
                COMPARE_AND_SET,
                vec![key],
                vec![
                    present.to_string(),
                    expected.to_string(),
                    value.to_string(),
                    ttl.as_millis().max(1).to_string(),
                ],
            )
            .await
            .map_err(Error::redis("compare and set"))?;
        Ok(reply == 1)
    }

    async fn push_capped(
        &self,
        key: &str,
        value: &str,
        max_len: usize,
        ttl: Duration,
    ) -> Result<()> {
        self.client
            .eval::<Value, _, _, _>(
                PUSH_CAPPED,
                vec![key],
                vec![
                    value.to_string(),
                    max_len.max(1).to_string(),
                    ttl.as_millis().max(1).to_string(),
                ],
            )
            .await
            .map(|_| ())
            .map_err(Error::redis("push capped"))
    }

    async fn newest(&self, key: &str, count: usize) -> Result<Vec<String>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        self.client
            .lrange(key, 0, count as i64 - 1)
            .await
            .map_err(Error::redis("lrange"))
    }
}
