//! `queenctl keys create|list|revoke`: API keys of the query API, through
//! the queen's admin RPCs (`CreateApiKey`, `ListApiKeys`, `RevokeApiKey`;
//! the queen keeps only hashes).

use serde::Serialize;
use serde_json::{Value, json};
use swarm_proto::v1::{ApiKeyInfo, CreateApiKeyRequest, ListApiKeysRequest, RevokeApiKeyRequest};

use crate::args::{KeysArgs, KeysCommand};
use crate::{status, table};

fn row(k: &ApiKeyInfo) -> Vec<String> {
    vec![
        k.id.to_string(),
        k.name.clone(),
        k.scope.clone(),
        format!("{}…", k.key_prefix),
        k.rate_per_sec.map_or("default".into(), |r| r.to_string()),
        k.created_at.clone(),
        k.revoked_at.clone().unwrap_or_else(|| "-".into()),
    ]
}

const HEADERS: [&str; 7] = ["ID", "NAME", "SCOPE", "KEY", "RATE/S", "CREATED", "REVOKED"];

/// A key as the API's `KeyInfo` serializes it (the same fields).
#[derive(Serialize)]
struct KeyJson<'a> {
    id: i64,
    name: &'a str,
    scope: &'a str,
    key_prefix: &'a str,
    rate_per_sec: Option<f64>,
    created_at: &'a str,
    revoked_at: Option<&'a str>,
}

fn info_json(k: &ApiKeyInfo) -> Value {
    let key = KeyJson {
        id: k.id,
        name: &k.name,
        scope: &k.scope,
        key_prefix: &k.key_prefix,
        rate_per_sec: k.rate_per_sec,
        created_at: &k.created_at,
        revoked_at: k.revoked_at.as_deref(),
    };
    serde_json::to_value(key).unwrap_or(Value::Null)
}

fn pretty(value: &Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(value).unwrap_or_default()
    )
}

/// Runs a keys command against the queen; returns what to print.
///
/// # Errors
///
/// A refused request (e.g. a queen without PostgreSQL) or an unknown key.
pub async fn execute(
    client: &mut queen_client::AdminClient,
    args: &KeysArgs,
    json: bool,
) -> anyhow::Result<String> {
    Ok(match &args.command {
        KeysCommand::Create { scope, name, rate } => {
            if rate.is_some_and(|r| r.is_nan() || r <= 0.0) {
                anyhow::bail!("--rate must be positive");
            }
            let created = client
                .create_api_key(CreateApiKeyRequest {
                    scope: *scope as i32,
                    name: name.clone(),
                    rate_per_sec: *rate,
                })
                .await
                .map_err(status("creating the key"))?
                .into_inner();
            let info = created
                .info
                .ok_or_else(|| anyhow::anyhow!("the queen answered no key record"))?;
            let key = created.key;
            if json {
                pretty(&json!({ "key": key, "info": info_json(&info) }))
            } else {
                format!(
                    "{}\nkey (shown once, keep it): {key}\n",
                    table::render(&HEADERS, &[row(&info)]).trim_end()
                )
            }
        }
        KeysCommand::List => {
            let keys = client
                .list_api_keys(ListApiKeysRequest {})
                .await
                .map_err(status("listing keys"))?
                .into_inner()
                .keys;
            if json {
                pretty(&Value::Array(keys.iter().map(info_json).collect()))
            } else {
                table::render(&HEADERS, &keys.iter().map(row).collect::<Vec<_>>())
            }
        }
        KeysCommand::Revoke { id } => {
            client
                .revoke_api_key(RevokeApiKeyRequest { id: *id })
                .await
                .map_err(status("revoking the key"))?;
            crate::render::message(json, &format!("revoked key {id}"))
        }
    })
}

/// The refusal of the former `--database-url`.
pub fn database_url_gone() -> anyhow::Error {
    anyhow::anyhow!(
        "`queenctl keys --database-url` is gone: keys are administered through the queen; \
         point --queen (or SWARM_QUEEN_ADDR) at a queen running on PostgreSQL"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_prints_like_the_api_lists_it() {
        let key = ApiKeyInfo {
            id: 7,
            name: "reader".into(),
            scope: "read".into(),
            key_prefix: "tge_0123abcd".into(),
            rate_per_sec: None,
            created_at: "2026-12-03T15:00:00Z".into(),
            revoked_at: None,
        };
        assert_eq!(
            info_json(&key),
            json!({"id": 7, "name": "reader", "scope": "read", "key_prefix": "tge_0123abcd",
                   "rate_per_sec": null, "created_at": "2026-12-03T15:00:00Z", "revoked_at": null})
        );
        assert_eq!(
            row(&key),
            [
                "7",
                "reader",
                "read",
                "tge_0123abcd…",
                "default",
                "2026-12-03T15:00:00Z",
                "-"
            ]
        );
    }
}
