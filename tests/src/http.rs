//! Minimal HTTP/1.1 GET over loopback, for `/metrics` and `/ready` (keeps
//! the test crate free of an HTTP client stack).

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// GETs `url` (`http://host:port/path`); errors unless the status is 200.
pub async fn http_get(url: &str) -> anyhow::Result<String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("http only"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut tcp = tokio::net::TcpStream::connect(host).await?;
    let request = format!("GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await?;
    let mut body = String::new();
    tcp.read_to_string(&mut body).await?;
    anyhow::ensure!(
        body.starts_with("HTTP/1.1 200"),
        "{}",
        body.lines().next().unwrap_or("")
    );
    Ok(body)
}

/// The value of the first sample of `metric` (exact name and labels) in a
/// Prometheus text exposition.
pub fn metric_value(exposition: &str, metric: &str) -> Option<f64> {
    exposition.lines().find_map(|l| {
        l.strip_prefix(metric)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// An RSS 2.0 document with one item per (link, title, text).
pub fn rss<S: AsRef<str>>(items: &[(S, S, S)]) -> String {
    let body: String = items
        .iter()
        .map(|(link, title, text)| {
            let (link, title, text) = (link.as_ref(), title.as_ref(), text.as_ref());
            format!("<item><guid>{link}</guid><link>{link}</link><title>{title}</title><description>{text}</description></item>")
        })
        .collect();
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>test</title>{body}</channel></rss>"#
    )
}
