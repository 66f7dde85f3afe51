//! A bundled demo feed served on loopback: synthetic news items (written
//! for this project) that appear over time, so that an offline run shows
//! detections arriving. Some announce TGEs, some are hard negatives.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;

/// (title, text) of the demo items, in the order they appear.
const ITEMS: &[(&str, &str)] = &[
    (
        "Halvard Labs announces TGE for March 18, 2027",
        "Halvard Labs confirmed its token generation event; $HLV claims open the same day for testnet users.",
    ),
    (
        "Marlow denies token rumours",
        "Marlow says it has no plans for a token and warns users about fake airdrop sites.",
    ),
    (
        "Kestrune airdrop claim is live",
        "The Kestrune ($KSTR) airdrop claim portal is now live for early liquidity providers.",
    ),
    (
        "One year after its TGE, Pellin is down 70%",
        "A look back at Pellin's token performance since its launch last year.",
    ),
    (
        "Exchange to list Veyra (VYR) at launch",
        "Veyra (VYR) will list at its token generation event on April 2, 2027; deposits open a day earlier.",
    ),
    (
        "Brightfold may launch a token, sources say",
        "Brightfold is reportedly considering a token, according to people familiar with the matter.",
    ),
    (
        "Halvard Labs TGE date confirmed",
        "Halvard Labs' token generation event is set for March 18, 2027, the team wrote on its blog.",
    ),
    (
        "Orinth unlock: 5% of supply",
        "Orinth's monthly token unlock releases 5% of supply to early backers today.",
    ),
];

/// How many items the demo feed shows in all.
pub fn item_count() -> usize {
    ITEMS.len()
}

fn rss(count: usize, base: &str) -> String {
    let items: String = ITEMS
        .iter()
        .take(count)
        .enumerate()
        .map(|(i, (title, text))| {
            format!("<item><guid>{base}/news/{i}</guid><link>{base}/news/{i}</link><title>{title}</title><description>{text}</description></item>")
        })
        .collect();
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>TGE Swarm demo feed</title>{items}</channel></rss>"#
    )
}

/// Serves the demo feed at `http://<addr>/feed.xml`: two items at start,
/// one more every `every`. Returns the feed URL.
///
/// # Errors
///
/// The address cannot be bound.
pub async fn serve(addr: SocketAddr, every: Duration) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let base = format!("http://{bound}");
    let started = Instant::now();
    let feed_base = base.clone();
    let app = Router::new().route(
        "/feed.xml",
        get(move || {
            let shown =
                2 + (started.elapsed().as_secs_f64() / every.as_secs_f64().max(0.1)) as usize;
            let body = rss(shown.min(ITEMS.len()), &feed_base);
            async move { ([("content-type", "application/rss+xml")], body) }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("{base}/feed.xml"))
}
