//! The guard against real servers on loopback: a redirect to a loopback
//! address that is not allow-listed, or to a private literal, is refused
//! before anything connects there; a name whose answer changes to a
//! refused address is refused on the next connection; literal IPs and
//! other schemes are refused without an allow-list entry.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use swarm_outbound::resolve::LookupFuture;
use swarm_outbound::{Guard, GuardedClient, Lookup, Policy, Refused, refusal};

/// A server on `ip` answering `/` with `answer` (a body, or a redirect to
/// the given location), counting requests.
async fn serve(ip: &str, redirect_to: Option<String>) -> (SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().route(
        "/",
        get(move || {
            let (counter, redirect_to) = (counter.clone(), redirect_to.clone());
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                match redirect_to {
                    Some(location) => {
                        (StatusCode::FOUND, [(header::LOCATION, location)], "").into_response()
                    }
                    None => "a feed".into_response(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind((ip, 0))
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, hits)
}

fn client(guard: Guard) -> GuardedClient {
    GuardedClient::build(
        guard,
        reqwest::Client::builder().pool_max_idle_per_host(0),
        5,
    )
    .expect("a client")
}

fn only(list: &str) -> Policy {
    Policy::from_list(list).expect("a policy")
}

async fn fetch(client: &GuardedClient, url: &str) -> Result<String, Refused> {
    let url = reqwest::Url::parse(url).expect("a URL");
    let response = client.get(url)?.send().await.map_err(|e| {
        refusal(&e)
            .cloned()
            .unwrap_or_else(|| panic!("not refused by the guard: {e:?}"))
    })?;
    Ok(response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_redirect_to_a_loopback_address_not_allow_listed_is_refused() {
    let (inner, inner_hits) = serve("127.0.0.2", None).await;
    let (outer, _) = serve("127.0.0.1", Some(format!("http://{inner}/"))).await;
    let client = client(Guard::new(only("127.0.0.1/32")));
    let refused = fetch(&client, &format!("http://{outer}/")).await;
    assert_eq!(
        refused,
        Err(Refused::Address {
            host: "127.0.0.2".into(),
            ip: "127.0.0.2".parse().expect("an address"),
            range: "loopback"
        })
    );
    assert_eq!(inner_hits.load(Ordering::SeqCst), 0, "never connected");
    // allow-listed, the same redirect is followed
    let open = client_allowing("127.0.0.1/32,127.0.0.2/32");
    assert_eq!(
        fetch(&open, &format!("http://{outer}/")).await.as_deref(),
        Ok("a feed")
    );
    assert_eq!(inner_hits.load(Ordering::SeqCst), 1);
}

fn client_allowing(list: &str) -> GuardedClient {
    client(Guard::new(only(list)))
}

#[tokio::test]
async fn redirects_to_private_and_metadata_literals_are_refused() {
    for target in [
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:192.168.0.1]/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://100.100.100.200/",
    ] {
        let (outer, _) = serve("127.0.0.1", Some(target.to_string())).await;
        let client = client_allowing("127.0.0.1/32");
        let refused = fetch(&client, &format!("http://{outer}/")).await;
        assert!(
            matches!(refused, Err(Refused::Address { .. } | Refused::Scheme(_))),
            "{target}: {refused:?}"
        );
    }
}

#[tokio::test]
async fn literal_addresses_and_other_schemes_need_the_allow_list() {
    let (addr, hits) = serve("127.0.0.1", None).await;
    let client = client(Guard::default());
    let refused = fetch(&client, &format!("http://{addr}/")).await;
    assert!(
        matches!(
            refused,
            Err(Refused::Address {
                range: "loopback",
                ..
            })
        ),
        "{refused:?}"
    );
    // decimal and mapped spellings of loopback are the same address
    let port = addr.port();
    for url in [
        format!("http://2130706433:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
    ] {
        assert!(fetch(&client, &url).await.is_err(), "{url}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    let ftp = fetch(&client, "ftp://example.com/").await;
    assert_eq!(ftp, Err(Refused::Scheme("ftp".into())));
}

/// A resolver answering from a table the test changes.
#[derive(Default)]
struct Table(Mutex<HashMap<String, Vec<IpAddr>>>);

impl Table {
    fn set(&self, host: &str, ip: &str) {
        self.0
            .lock()
            .expect("table")
            .insert(host.to_string(), vec![ip.parse().expect("an address")]);
    }
}

impl Lookup for Table {
    fn lookup(&self, host: &str) -> LookupFuture {
        let answer = self.0.lock().expect("table").get(host).cloned();
        Box::pin(async move { answer.ok_or_else(|| std::io::Error::other("unknown name")) })
    }
}

#[tokio::test]
async fn a_name_whose_answer_turns_private_is_refused_on_the_next_connection() {
    let (allowed, _) = serve("127.0.0.1", None).await;
    let (_, other_hits) = serve("127.0.0.2", None).await;
    let table = Arc::new(Table::default());
    table.set("feed.test", "127.0.0.1");
    let client = client(Guard::with_lookup(only("127.0.0.1/32"), table.clone()));
    let url = format!("http://feed.test:{}/", allowed.port());
    assert_eq!(fetch(&client, &url).await.as_deref(), Ok("a feed"));
    table.set("feed.test", "127.0.0.2");
    let refused = fetch(&client, &url).await;
    assert!(
        matches!(&refused, Err(Refused::Address { host, .. }) if host == "feed.test"),
        "{refused:?}"
    );
    table.set("feed.test", "169.254.169.254");
    assert!(fetch(&client, &url).await.is_err());
    table.set("metadata.test", "10.0.0.7");
    assert!(fetch(&client, "http://metadata.test/").await.is_err());
    assert_eq!(other_hits.load(Ordering::SeqCst), 0);
    // a name on the allow-list may resolve to a private address
    let by_name = client_with(only("feed.test"), table.clone());
    table.set("feed.test", "127.0.0.1");
    assert_eq!(fetch(&by_name, &url).await.as_deref(), Ok("a feed"));
}

fn client_with(policy: Policy, table: Arc<Table>) -> GuardedClient {
    client(Guard::with_lookup(policy, table))
}

#[tokio::test]
async fn tcp_connects_are_guarded_too() {
    let (addr, _) = serve("127.0.0.2", None).await;
    let guard = Guard::new(only("127.0.0.1/32"));
    let error = guard
        .connect_tcp("127.0.0.2", addr.port())
        .await
        .expect_err("refused");
    assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(refusal(&error).is_some());
    let open = Guard::new(only("127.0.0.0/8"));
    assert!(open.connect_tcp("127.0.0.2", addr.port()).await.is_ok());
}
