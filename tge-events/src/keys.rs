//! The normalized identity of an event: one event per project key (+
//! symbol key).

/// Lower-case project with whitespace collapsed.
pub fn project_key(project: &str) -> String {
    project
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Upper-case symbol without a leading `$`; empty when none.
pub fn symbol_key(symbol: Option<&str>) -> String {
    symbol
        .map(|s| s.trim().trim_start_matches('$').to_uppercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_normalized() {
        assert_eq!(project_key("  Nova   Labs "), "nova labs");
        assert_eq!(symbol_key(Some("$nova")), "NOVA");
        assert_eq!(symbol_key(Some(" ")), "");
        assert_eq!(symbol_key(None), "");
    }
}
