//! Encoding of task rows in PostgreSQL's COPY text format: tab-separated
//! columns, `\N` for NULL, backslash escapes in text, `\\x…` hex for bytea.
//! COPY inserts rows several times faster than `INSERT … SELECT UNNEST`.

use std::fmt::Write as _;

use super::TaskRow;

/// Column list matching [`encode_rows`].
pub const COPY_TASKS: &str = "COPY tasks (id, kind, priority, state, attempts, max_attempts, \
     run_at_ms, created_ms, dedup_key, spec, last_error) FROM STDIN";

fn text(out: &mut String, value: Option<&str>) {
    let Some(value) = value else {
        out.push_str("\\N");
        return;
    };
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => {} // text columns cannot hold NUL
            c => out.push(c),
        }
    }
}

fn bytea(out: &mut String, bytes: &[u8]) {
    // `\x` introduces hex; the backslash itself is escaped for COPY
    out.push_str("\\\\x");
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

/// Appends `rows` as COPY text lines to `out`.
pub fn encode_rows(rows: &[TaskRow], out: &mut String) {
    for r in rows {
        let _ = write!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t",
            r.id,
            r.kind,
            r.priority,
            r.state,
            r.attempts,
            r.max_attempts,
            r.run_at_ms,
            r.created_ms
        );
        text(out, r.dedup_key.as_deref());
        out.push('\t');
        bytea(out, &r.spec);
        out.push('\t');
        text(out, r.last_error.as_deref());
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_hex_encodes_bytes() {
        let row = TaskRow {
            id: 7,
            kind: 5,
            priority: 3,
            state: 0,
            attempts: 1,
            max_attempts: 5,
            run_at_ms: 10,
            created_ms: 9,
            dedup_key: Some("a\tb\\c\nd".into()),
            spec: vec![0x0a, 0xff],
            last_error: None,
        };
        let mut out = String::new();
        encode_rows(&[row], &mut out);
        assert_eq!(
            out,
            "7\t5\t3\t0\t1\t5\t10\t9\ta\\tb\\\\c\\nd\t\\\\x0aff\t\\N\n"
        );
    }
}
