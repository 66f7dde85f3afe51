//! Credentials on the queen's gRPC surface, against real processes: a
//! caller without a credential gets UNAUTHENTICATED on every admin RPC and
//! on `Connect`; an agent credential of one kind cannot take another kind's
//! tasks, submit alerts or administer; credentials made with `queenctl auth`
//! work until revoked (their open streams are closed); mutual TLS with certificates made here; a queen off
//! loopback without credentials refuses to start.

use std::path::PathBuf;
use std::time::Duration;

use queen::client::{QueenLink, token};
use swarm_proto::v1::{
    DeliverAlert, GetStatsRequest, GetTaskRequest, KindRequest, SubmitTasksRequest, TaskSpec,
    task_payload,
};
use swarm_proto::{AgentKind, Priority, TaskState};
use swarm_tests::{AgentProc, QueenProc, TestDb, bin, free_port, queenctl_env, wait_until};
use tonic::Code;

use crate::protocol::raw_call;
use crate::{noop, open_stream, submit, wait_task};

/// The admin service's contract, to call every RPC it declares.
const ADMIN_PROTO: &str = include_str!("../../../swarm-proto/proto/swarm/v1/admin.proto");

/// A queen config file declaring an admin token and a keyword-precision
/// agent token (by hash); returns (path, admin token, agent token).
fn auth_config() -> anyhow::Result<(PathBuf, String, String)> {
    let admin = token::generate();
    let agent = token::generate();
    let path = std::env::temp_dir().join(format!("queen-auth-{}.toml", rand::random::<u32>()));
    std::fs::write(
        &path,
        format!(
            "[auth]\nmode = \"required\"\n\n[[auth.tokens]]\nname = \"test-admin\"\nrole = \"admin\"\nsha256 = \"{}\"\n\n\
             [[auth.tokens]]\nname = \"kp\"\nrole = \"agent\"\nkinds = [\"keyword-precision\"]\nsha256 = \"{}\"\n",
            token::hash(&admin),
            token::hash(&agent)
        ),
    )?;
    Ok((path, admin, agent))
}

async fn secured_queen(db: &TestDb) -> anyhow::Result<(QueenProc, String, String)> {
    let (config, admin, agent) = auth_config()?;
    let config = config.to_string_lossy().into_owned();
    let queen = QueenProc::start_with_token(&db.url, &[("QUEEN_CONFIG", &config)], &admin).await?;
    Ok((queen, admin, agent))
}

/// Opens an agent stream presenting `link`'s credential and says hello as
/// `kind`; the status the queen answered with.
async fn connect_as(
    link: &QueenLink,
    kind: AgentKind,
) -> anyhow::Result<Result<(), tonic::Status>> {
    let (tx, answer) = open_stream(link, &format!("probe-{}", kind.name()), kind, 1).await?;
    drop(tx);
    Ok(answer.map(|_| ()))
}

#[tokio::test]
async fn a_caller_without_credentials_is_unauthenticated_on_every_admin_rpc_and_on_connect()
-> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let (queen, _, _) = secured_queen(&db).await?;
    let addr = queen.addr();
    let rpcs: Vec<&str> = ADMIN_PROTO
        .lines()
        .filter_map(|l| l.trim().strip_prefix("rpc "))
        .filter_map(|l| l.split('(').next())
        .collect();
    assert!(
        rpcs.len() >= 23,
        "the contract's RPCs were not found: {rpcs:?}"
    );
    for rpc in &rpcs {
        let status = raw_call(&addr, &format!("/swarm.v1.QueenAdmin/{rpc}"), Vec::new()).await?;
        assert_eq!(status.code(), Code::Unauthenticated, "{rpc}: {status:?}");
    }
    let forged = QueenLink::new(&addr).with_token(&token::generate())?;
    let status = queen::client::admin(&forged)
        .await?
        .get_stats(GetStatsRequest {})
        .await
        .expect_err("an unknown token is refused");
    assert_eq!(status.code(), Code::Unauthenticated);
    for link in [QueenLink::new(&addr), forged] {
        let refused = connect_as(&link, AgentKind::DataQuality).await?;
        assert_eq!(
            refused.expect_err("no stream without a credential").code(),
            Code::Unauthenticated
        );
    }
    // reflection is off unless enabled
    let status = raw_call(
        &addr,
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        Vec::new(),
    )
    .await?;
    assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
    // the admin credential works
    queen.admin().await?.get_stats(GetStatsRequest {}).await?;
    Ok(())
}

#[tokio::test]
async fn an_agent_credential_of_one_kind_cannot_take_another_kinds_tasks() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let (queen, _, agent_token) = secured_queen(&db).await?;
    let addr = queen.addr();
    let mut dq_task = noop(Priority::Normal, 0, "for data-quality");
    dq_task.kind = AgentKind::DataQuality as i32;
    let mut kp_task = noop(Priority::Normal, 0, "for keyword-precision");
    kp_task.kind = AgentKind::KeywordPrecision as i32;
    let ids = submit(&queen, vec![dq_task, kp_task]).await?;

    // the keyword-precision credential, announcing data-quality: refused
    let link = QueenLink::new(&addr).with_token(&agent_token)?;
    let refused = connect_as(&link, AgentKind::DataQuality).await?;
    assert_eq!(
        refused.expect_err("wrong kind").code(),
        Code::PermissionDenied
    );
    let mut impostor = AgentProc::start(
        &addr,
        "data-quality",
        "impostor",
        4,
        &["--queen-token", &agent_token],
    )?;
    wait_until(
        Duration::from_secs(15),
        "the impostor to be refused",
        || {
            let log = impostor.log_text();
            async move {
                log.contains("may not connect as data-quality")
                    .then_some(())
            }
        },
    )
    .await?;
    // the same credential as its own kind takes its own task
    let mut own = AgentProc::start(
        &addr,
        "keyword-precision",
        "kp-1",
        4,
        &["--queen-token", &agent_token],
    )?;
    wait_task(&queen, ids[1], "the kp task to complete", |t| {
        t.state == TaskState::Completed as i32
    })
    .await?;
    let dq = queen
        .admin()
        .await?
        .get_task(GetTaskRequest { id: ids[0] })
        .await?
        .into_inner();
    assert_eq!(
        dq.state,
        TaskState::Ready as i32,
        "nobody may take it: {dq:?}"
    );
    assert!(impostor.completed().is_empty());

    // nor submit alerts, nor administer, nor read the queue
    let mut as_agent = queen::client::admin(&link).await?;
    let alert = TaskSpec::routed(task_payload::Kind::DeliverAlert(DeliverAlert {
        event_id: "1".into(),
        event_version: 1,
        target: "ops".into(),
        event_json: "{\"project\":\"Forged\"}".into(),
    }));
    let status = as_agent
        .submit_tasks(SubmitTasksRequest { tasks: vec![alert] })
        .await
        .expect_err("keyword-precision submits no alert");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let status = as_agent
        .pause_kind(KindRequest {
            kind: AgentKind::KeywordPrecision as i32,
        })
        .await
        .expect_err("an agent does not administer");
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = as_agent
        .get_stats(GetStatsRequest {})
        .await
        .expect_err("keyword-precision does not read the queue");
    assert_eq!(status.code(), Code::PermissionDenied);
    own.kill().await;
    impostor.kill().await;
    Ok(())
}

#[tokio::test]
async fn credentials_made_with_queenctl_work_until_revoked_or_rotated() -> anyhow::Result<()> {
    let db = TestDb::create().await?;
    let (queen, admin, _) = secured_queen(&db).await?;
    let addr = queen.addr();
    let env = [("SWARM_QUEEN_TOKEN", admin.as_str())];
    let (code, _, err) = queenctl_env(&addr, &["stats"], &[]).await?;
    assert_ne!(code, 0, "queenctl without a credential must fail");
    assert!(
        err.contains("Unauthenticated") || err.contains("credential"),
        "{err}"
    );

    let (code, out, err) = queenctl_env(
        &addr,
        &[
            "--json",
            "auth",
            "create",
            "--role",
            "agent",
            "--name",
            "dq-1",
            "--kind",
            "data-quality",
        ],
        &env,
    )
    .await?;
    assert_eq!(code, 0, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out)?;
    let dq_token = created["token"].as_str().unwrap_or_default().to_string();
    let id = created["credential"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(dq_token.starts_with(token::PREFIX), "{out}");

    let (code, listed, err) = queenctl_env(&addr, &["--json", "auth", "list"], &env).await?;
    assert_eq!(code, 0, "{err}");
    assert!(
        listed.contains("dq-1") && !listed.contains(&dq_token),
        "{listed}"
    );
    let stored: String =
        sqlx::query_scalar("SELECT string_agg(token_sha256, ',') FROM queen_credentials")
            .fetch_one(&mut db.connect().await?)
            .await?;
    assert!(stored.contains(&token::hash(&dq_token)) && !stored.contains(&dq_token));

    let link = QueenLink::new(&addr).with_token(&dq_token)?;
    assert!(connect_as(&link, AgentKind::DataQuality).await?.is_ok());

    // rotation without grace: the new token works, the old one stops
    let (code, out, err) = queenctl_env(
        &addr,
        &["--json", "auth", "rotate", &id, "--grace-secs", "0"],
        &env,
    )
    .await?;
    assert_eq!(code, 0, "{err}");
    let rotated: serde_json::Value = serde_json::from_str(&out)?;
    let new_token = rotated["token"].as_str().unwrap_or_default().to_string();
    let new_id = rotated["credential"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let new_link = QueenLink::new(&addr).with_token(&new_token)?;
    assert!(connect_as(&new_link, AgentKind::DataQuality).await?.is_ok());
    assert_eq!(
        connect_as(&link, AgentKind::DataQuality)
            .await?
            .expect_err("rotated away")
            .code(),
        Code::Unauthenticated
    );

    // an agent stream open on the credential is closed when it is revoked
    let (tx, live) = open_stream(&new_link, "dq-live", AgentKind::DataQuality, 1).await?;
    let mut live = live?;
    assert!(live.message().await?.is_some(), "welcome");
    let (code, _, err) = queenctl_env(&addr, &["auth", "revoke", &new_id], &env).await?;
    assert_eq!(code, 0, "{err}");
    let closed = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match live.message().await {
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return,
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the revoked credential's stream stayed open"
    );
    drop(tx);
    assert_eq!(
        connect_as(&new_link, AgentKind::DataQuality)
            .await?
            .expect_err("revoked")
            .code(),
        Code::Unauthenticated
    );
    Ok(())
}

#[tokio::test]
async fn a_queen_off_loopback_without_credentials_refuses_to_start() -> anyhow::Result<()> {
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::process::Command::new(bin("queen"))
            .env("QUEEN__GRPC_ADDR", format!("0.0.0.0:{}", free_port()))
            .env("QUEEN__METRICS_ADDR", format!("127.0.0.1:{}", free_port()))
            .env("QUEEN__STORE", "memory")
            .env_remove("QUEEN_CONFIG")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .kill_on_drop(true)
            .output(),
    )
    .await??;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to serve gRPC on 0.0.0.0"), "{err}");
    Ok(())
}

mod mtls {
    //! Mutual TLS with a CA, a server and a client certificate made here.

    use std::sync::Arc;

    use queen::client::{ClientTls, QueenLink, token};
    use queen::config::{QueenConfig, StoreKind};
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, SanType,
    };
    use swarm_proto::v1::GetStatsRequest;

    struct Pki {
        ca: String,
        server: (String, String),
        client: (String, String),
    }

    fn pki() -> anyhow::Result<Pki> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "swarm test CA");
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf =
            |name: &str, purpose: ExtendedKeyUsagePurpose| -> anyhow::Result<(String, String)> {
                let key = KeyPair::generate()?;
                let mut params = CertificateParams::new(vec![name.to_string()])?;
                params
                    .subject_alt_names
                    .push(SanType::IpAddress([127, 0, 0, 1].into()));
                params.extended_key_usages = vec![purpose];
                let cert = params.signed_by(&key, &issuer)?;
                Ok((cert.pem(), key.serialize_pem()))
            };
        Ok(Pki {
            ca: ca_cert.pem(),
            server: leaf("localhost", ExtendedKeyUsagePurpose::ServerAuth)?,
            client: leaf("kp-agent", ExtendedKeyUsagePurpose::ClientAuth)?,
        })
    }

    #[tokio::test]
    async fn mutual_tls_admits_only_clients_with_a_certificate_of_the_ca() -> anyhow::Result<()> {
        let pki = pki()?;
        let dir = std::env::temp_dir().join(format!("queen-mtls-{}", rand::random::<u32>()));
        std::fs::create_dir_all(&dir)?;
        let write = |name: &str, text: &str| -> anyhow::Result<std::path::PathBuf> {
            let path = dir.join(name);
            std::fs::write(&path, text)?;
            Ok(path)
        };
        let admin = token::generate();
        let mut config = QueenConfig {
            grpc_addr: ([127, 0, 0, 1], 0).into(),
            metrics_addr: ([127, 0, 0, 1], 0).into(),
            store: StoreKind::Memory,
            shutdown_grace_ms: 100,
            ..QueenConfig::default()
        };
        config.auth.tokens = vec![queen::auth::ConfiguredToken {
            name: "ops".into(),
            role: "admin".into(),
            kinds: Vec::new(),
            sha256: token::hash(&admin),
        }];
        config.auth.tls = Some(queen::auth::TlsConfig {
            cert_file: write("server.pem", &pki.server.0)?,
            key_file: write("server.key", &pki.server.1)?,
            client_ca_file: Some(write("ca.pem", &pki.ca)?),
        });
        let running =
            queen::run::start_with_store(config, Arc::new(queen::store::MemoryStore::default()))
                .await?;
        let addr = format!("https://127.0.0.1:{}", running.grpc_addr.port());
        let tls = |identity| ClientTls {
            ca_pem: pki.ca.clone().into_bytes(),
            identity,
            domain: Some("localhost".into()),
        };
        let with_cert = QueenLink::new(&addr)
            .with_token(&admin)?
            .with_tls(tls(Some((
                pki.client.0.clone().into_bytes(),
                pki.client.1.clone().into_bytes(),
            ))));
        queen::client::admin(&with_cert)
            .await?
            .get_stats(GetStatsRequest {})
            .await?;
        let without_cert = QueenLink::new(&addr)
            .with_token(&admin)?
            .with_tls(tls(None));
        let refused = match queen::client::admin(&without_cert).await {
            Ok(mut client) => client.get_stats(GetStatsRequest {}).await.is_err(),
            Err(_) => true,
        };
        assert!(refused, "a client without a certificate got through");
        let plain = QueenLink::new(format!("http://127.0.0.1:{}", running.grpc_addr.port()))
            .with_token(&admin)?;
        let refused = match queen::client::admin(&plain).await {
            Ok(mut client) => client.get_stats(GetStatsRequest {}).await.is_err(),
            Err(_) => true,
        };
        assert!(refused, "plain HTTP/2 got through a TLS port");
        running.stop().await;
        let _ = std::fs::remove_dir_all(dir);
        Ok(())
    }
}
