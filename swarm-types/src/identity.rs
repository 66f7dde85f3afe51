//! Event identity: the keys a project and a ticker are compared by, so that
//! "Orrery Labs" and "orrery  labs", "$ORR" and "orr" name one event.

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
    fn spelling_variants_share_a_key() {
        assert_eq!(project_key("  Orrery   Labs "), project_key("orrery labs"));
        assert_eq!(symbol_key(Some(" $orr")), "ORR");
        assert_eq!(symbol_key(None), "");
    }
}
