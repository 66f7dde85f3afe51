//! robots.txt (RFC 9309): the rules of the group naming our product token
//! (else `*`), `Allow`/`Disallow` with `*` and `$`, longest match wins and
//! a tie allows. Rules are fetched once per origin and cached in the
//! shared memory for every replica. A missing robots.txt (4xx) allows
//! everything; an unreachable one (5xx, network) is treated as no rules
//! for a short while — the fetch that follows then fails or succeeds on
//! its own, so a flaky robots.txt never hides the real error.

/// The product token we look for in `User-agent` lines.
pub const PRODUCT_TOKEN: &str = "tge-swarm";

/// The rules that apply to us.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    /// (allow, pattern) in file order.
    rules: Vec<(bool, String)>,
}

impl Rules {
    /// Rules from a robots.txt body, for `token` (lower case).
    pub fn parse(body: &str, token: &str) -> Self {
        let mut own: Option<Vec<(bool, String)>> = None;
        let mut any: Option<Vec<(bool, String)>> = None;
        let mut agents: Vec<String> = Vec::new();
        let mut rules: Vec<(bool, String)> = Vec::new();
        let mut in_rules = false;
        let mut flush = |agents: &mut Vec<String>, rules: &mut Vec<(bool, String)>| {
            for agent in agents.iter() {
                if agent == "*" {
                    any.get_or_insert_with(Vec::new)
                        .extend(rules.iter().cloned());
                } else if !agent.is_empty()
                    && (token.contains(agent.as_str()) || agent.contains(token))
                {
                    own.get_or_insert_with(Vec::new)
                        .extend(rules.iter().cloned());
                }
            }
            agents.clear();
            rules.clear();
        };
        for line in body.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "user-agent" => {
                    if in_rules {
                        flush(&mut agents, &mut rules);
                        in_rules = false;
                    }
                    agents.push(value.to_ascii_lowercase());
                }
                "allow" | "disallow" if !agents.is_empty() => {
                    in_rules = true;
                    let allow = key.trim().eq_ignore_ascii_case("allow");
                    if !value.is_empty() {
                        rules.push((allow, value.to_string()));
                    }
                }
                _ => {}
            }
        }
        flush(&mut agents, &mut rules);
        Self {
            rules: own.or(any).unwrap_or_default(),
        }
    }

    /// Whether `path` (with its query) may be fetched.
    pub fn allows(&self, path: &str) -> bool {
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, path) {
                let len = pattern.len();
                best = match best {
                    Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                    _ => Some((len, *allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }

    /// Serialized for the shared cache: one `A pattern` / `D pattern` per line.
    pub fn to_cache(&self) -> String {
        self.rules
            .iter()
            .map(|(allow, p)| format!("{} {p}\n", if *allow { 'A' } else { 'D' }))
            .collect()
    }

    /// Reads [`Rules::to_cache`] output.
    pub fn from_cache(text: &str) -> Self {
        Self {
            rules: text
                .lines()
                .filter_map(|l| {
                    let (kind, pattern) = l.split_once(' ')?;
                    Some((kind == "A", pattern.to_string()))
                })
                .collect(),
        }
    }
}

/// Whether `pattern` (`*` any run, `$` end) matches the start of `path`.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut at = 0;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !path.starts_with(part) {
                return false;
            }
            at = part.len();
            continue;
        }
        let last = i == parts.len() - 1;
        if last && anchored {
            return path.len() >= at + part.len() && path.ends_with(part);
        }
        match path[at..].find(part) {
            Some(found) => at += found + part.len(),
            None => return false,
        }
    }
    !anchored || at == path.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROBOTS: &str = "
        # crawlers
        User-agent: *
        Disallow: /private
        Disallow: /*.json$

        User-agent: TGE-Swarm
        User-agent: otherbot
        Disallow: /feeds/
        Allow: /feeds/public
        Disallow: /search?q=*
    ";

    #[test]
    fn own_group_wins_and_longest_match_decides() {
        let rules = Rules::parse(ROBOTS, PRODUCT_TOKEN);
        assert!(!rules.allows("/feeds/all.xml"));
        assert!(rules.allows("/feeds/public/tge.xml"), "longer allow wins");
        assert!(
            rules.allows("/private/x"),
            "the * group does not apply when ours exists"
        );
        assert!(!rules.allows("/search?q=tge"));
        assert!(rules.allows("/news"));
    }

    #[test]
    fn star_group_wildcards_and_cache_round_trip() {
        let rules = Rules::parse(ROBOTS, "somebot");
        assert!(!rules.allows("/private/a"));
        assert!(!rules.allows("/api/items.json"));
        assert!(rules.allows("/api/items.json?page=2"), "$ anchors the end");
        assert!(rules.allows("/feeds/all.xml"));
        assert_eq!(Rules::from_cache(&rules.to_cache()), rules);
        assert!(Rules::parse("", PRODUCT_TOKEN).allows("/anything"));
        assert!(Rules::parse("User-agent: *\nDisallow:\n", PRODUCT_TOKEN).allows("/x"));
        assert!(!Rules::parse("User-agent: *\nDisallow: /\n", PRODUCT_TOKEN).allows("/x"));
    }
}
