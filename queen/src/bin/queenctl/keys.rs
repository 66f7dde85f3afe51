//! `queenctl keys create|list|revoke`: API keys of the query API, managed
//! directly in its PostgreSQL database (only hashes are stored).

use anyhow::Context;
use serde_json::json;
use tge_api::model::KeyInfo;

use crate::args::{KeysArgs, KeysCommand};
use crate::table;

fn row(k: &KeyInfo) -> Vec<String> {
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

fn pretty(value: serde_json::Value) -> String {
    format!(
        "{}\n",
        serde_json::to_string_pretty(&value).unwrap_or_default()
    )
}

/// Runs a keys command; returns what to print.
pub async fn execute(args: &KeysArgs, json: bool) -> anyhow::Result<String> {
    let store = tge_api::store::PgApiStore::connect(&args.database_url, 2)
        .await
        .context("cannot open the API's database (--database-url / QUEEN__DATABASE_URL)")?;
    let pool = store.pool();
    Ok(match &args.command {
        KeysCommand::Create { scope, name, rate } => {
            if rate.is_some_and(|r| r.is_nan() || r <= 0.0) {
                anyhow::bail!("--rate must be positive");
            }
            let (key, info) = tge_api::keys::create(pool, name, *scope, *rate).await?;
            if json {
                pretty(json!({ "key": key, "info": info }))
            } else {
                format!(
                    "{}\nkey (shown once, keep it): {key}\n",
                    table::render(&HEADERS, &[row(&info)]).trim_end()
                )
            }
        }
        KeysCommand::List => {
            let keys = tge_api::keys::list(pool).await?;
            if json {
                pretty(json!(keys))
            } else {
                table::render(&HEADERS, &keys.iter().map(row).collect::<Vec<_>>())
            }
        }
        KeysCommand::Revoke { id } => {
            if !tge_api::keys::revoke(pool, *id).await? {
                anyhow::bail!("no live key {id}");
            }
            crate::render::message(json, &format!("revoked key {id}"))
        }
    })
}
