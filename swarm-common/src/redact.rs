//! URLs as they may be shown: a database or memory URL can carry a
//! password (`postgres://user:secret@db/tge`, `redis://:secret@host:6379`),
//! and an error or a log line must never print it. [`redact_url`] replaces the userinfo
//! (everything before the `@` of the authority) with `***`.

/// `url` with its userinfo, if any, replaced by `***`; anything that is not
/// a URL with an authority is returned as it is.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    match authority.rfind('@') {
        Some(at) => format!(
            "{}***{}",
            &url[..authority_start],
            &url[authority_start + at..]
        ),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_hidden_and_the_rest_kept() {
        assert_eq!(
            redact_url("redis://:hunter2@10.0.0.5:6379/0"),
            "redis://***@10.0.0.5:6379/0"
        );
        assert_eq!(
            redact_url("redis-cluster://svc:p%40ss@127.0.0.1:7001?node=127.0.0.1:7002"),
            "redis-cluster://***@127.0.0.1:7001?node=127.0.0.1:7002"
        );
        assert_eq!(
            redact_url("rediss://a:b@c@host:6380"),
            "rediss://***@host:6380"
        );
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        // an `@` after the authority is not userinfo
        assert_eq!(redact_url("redis://h:1/x@y"), "redis://h:1/x@y");
        assert_eq!(redact_url("local"), "local");
    }
}
