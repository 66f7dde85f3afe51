//! `queenctl auth new-token|create|list|revoke|rotate`: the queen's own
//! gRPC credentials. `new-token` works offline (the first admin token goes
//! into the queen's configuration as a hash); the others go through the
//! admin RPCs. Tokens are printed once; listings show only a prefix.

use serde_json::{Value, json};
use swarm_proto::AgentKind;
use swarm_proto::v1::{
    CreateCredentialRequest, CreateCredentialResponse, CredentialInfo, CredentialRole,
    ListCredentialsRequest, RevokeCredentialRequest, RotateCredentialRequest,
};

use crate::args::AuthCommand;
use crate::{status, table};

fn role_name(raw: i32) -> &'static str {
    match CredentialRole::try_from(raw) {
        Ok(CredentialRole::Admin) => "admin",
        Ok(CredentialRole::Agent) => "agent",
        Ok(CredentialRole::Reader) => "reader",
        _ => "?",
    }
}

fn role(name: &str) -> CredentialRole {
    match name {
        "admin" => CredentialRole::Admin,
        "agent" => CredentialRole::Agent,
        _ => CredentialRole::Reader,
    }
}

fn kinds(raw: &[i32]) -> Vec<&'static str> {
    raw.iter()
        .filter_map(|k| AgentKind::try_from(*k).ok())
        .map(AgentKind::name)
        .collect()
}

fn when(unix_ms: i64) -> String {
    if unix_ms == 0 {
        "-".into()
    } else {
        unix_ms.to_string()
    }
}

fn info_json(c: &CredentialInfo) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "role": role_name(c.role),
        "kinds": kinds(&c.kinds),
        "token_prefix": c.token_prefix,
        "created_unix_ms": c.created_unix_ms,
        "expires_unix_ms": (c.expires_unix_ms != 0).then_some(c.expires_unix_ms),
        "revoked_unix_ms": (c.revoked_unix_ms != 0).then_some(c.revoked_unix_ms),
        "from_config": c.from_config,
    })
}

fn created(r: &CreateCredentialResponse, json: bool) -> String {
    let info = r.info.clone().unwrap_or_default();
    if json {
        return format!(
            "{}\n",
            json!({ "token": r.token, "credential": info_json(&info) })
        );
    }
    format!(
        "created credential {} ({} {:?})\ntoken (shown once; only its hash is kept):\n{}\n",
        info.id,
        role_name(info.role),
        kinds(&info.kinds),
        r.token
    )
}

/// The offline `new-token`: a token and its configuration entry.
pub fn new_token(
    role: &str,
    name: &str,
    kinds: &[AgentKind],
    json: bool,
) -> anyhow::Result<String> {
    if role == "agent" && kinds.is_empty() {
        anyhow::bail!("an agent token needs at least one --kind");
    }
    let token = queen_client::token::generate();
    let hash = queen_client::token::hash(&token);
    let kinds: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    if json {
        return Ok(format!(
            "{}\n",
            json!({"token": token, "name": name, "role": role, "kinds": kinds, "sha256": hash})
        ));
    }
    Ok(format!(
        "token (give it to the client, e.g. in the file SWARM_QUEEN_TOKEN_FILE names):\n{token}\n\n\
         queen configuration entry (only the hash):\n[[auth.tokens]]\nname = {name:?}\nrole = {role:?}\nkinds = {kinds:?}\nsha256 = {hash:?}\n"
    ))
}

/// Runs an auth command against the queen; returns what to print.
///
/// # Errors
///
/// The queen refused or could not be reached.
pub async fn execute(
    client: &mut queen_client::AdminClient,
    command: &AuthCommand,
    json: bool,
) -> anyhow::Result<String> {
    Ok(match command {
        AuthCommand::NewToken { role, name, kinds } => new_token(role, name, kinds, json)?,
        AuthCommand::Create {
            role: r,
            name,
            kinds,
            expires_in_secs,
        } => {
            let response = client
                .create_credential(CreateCredentialRequest {
                    name: name.clone(),
                    role: role(r) as i32,
                    kinds: kinds.iter().map(|k| *k as i32).collect(),
                    expires_in_secs: expires_in_secs.unwrap_or(0),
                })
                .await
                .map_err(status("creating a credential"))?
                .into_inner();
            created(&response, json)
        }
        AuthCommand::Rotate { id, grace_secs } => {
            let response = client
                .rotate_credential(RotateCredentialRequest {
                    id: id.clone(),
                    grace_secs: *grace_secs,
                })
                .await
                .map_err(status("rotating a credential"))?
                .into_inner();
            created(&response, json)
        }
        AuthCommand::List => {
            let list = client
                .list_credentials(ListCredentialsRequest {})
                .await
                .map_err(status("listing credentials"))?
                .into_inner()
                .credentials;
            if json {
                format!("{}\n", Value::Array(list.iter().map(info_json).collect()))
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|c| {
                        vec![
                            c.id.clone(),
                            c.name.clone(),
                            role_name(c.role).into(),
                            kinds(&c.kinds).join(","),
                            if c.token_prefix.is_empty() {
                                "(configured)".into()
                            } else {
                                format!("{}…", c.token_prefix)
                            },
                            when(c.expires_unix_ms),
                            when(c.revoked_unix_ms),
                        ]
                    })
                    .collect();
                table::render(
                    &[
                        "ID",
                        "NAME",
                        "ROLE",
                        "KINDS",
                        "TOKEN",
                        "EXPIRES_MS",
                        "REVOKED_MS",
                    ],
                    &rows,
                )
            }
        }
        AuthCommand::Revoke { id } => {
            let revoked = client
                .revoke_credential(RevokeCredentialRequest { id: id.clone() })
                .await
                .map_err(status("revoking a credential"))?
                .into_inner()
                .revoked;
            if json {
                format!("{}\n", json!({ "id": id, "revoked": revoked }))
            } else {
                format!("revoked {id}\n")
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_comes_with_the_hash_entry_for_the_config() {
        let out = new_token("agent", "kp", &[AgentKind::KeywordPrecision], true).expect("token");
        let v: Value = serde_json::from_str(&out).expect("json");
        let token = v["token"].as_str().expect("token");
        assert_eq!(
            v["sha256"].as_str(),
            Some(queen_client::token::hash(token).as_str())
        );
        assert_eq!(v["kinds"][0], "keyword-precision");
        assert!(
            new_token("agent", "kp", &[], false).is_err(),
            "an agent token needs a kind"
        );
        let text = new_token("admin", "ops", &[], false).expect("token");
        assert!(
            text.contains("[[auth.tokens]]") && text.contains("sha256 = "),
            "{text}"
        );
    }
}
