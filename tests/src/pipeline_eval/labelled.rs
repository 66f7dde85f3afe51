//! Labelled JSONL records: `{"id", "text", "label", "project",
//! "source_kind"?}` with `label` a bool or `"tge"` / `"not_tge"`. The first
//! line of a text with several lines is its title.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

/// One labelled record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The record's `id`, a JSON string as is or any other value as JSON text.
    pub id: String,
    /// The text served: first line as title when it has several lines.
    pub text: String,
    /// Whether the text announces a TGE.
    pub tge: bool,
    /// The project a TGE record is about.
    pub project: Option<String>,
    /// `news`, `exchange`, `tweet`, `blog`, `other` when the file says.
    pub source_kind: Option<String>,
}

impl Record {
    /// (title, body): the first line and the rest when the text has
    /// several lines, else no title and the whole text.
    pub fn title_and_body(&self) -> (Option<&str>, &str) {
        let text = self.text.trim();
        match text.split_once('\n') {
            Some((title, body)) if !title.trim().is_empty() && !body.trim().is_empty() => {
                (Some(title.trim()), body.trim())
            }
            _ => (None, text),
        }
    }

    /// Whether the record is a post for the X search fake.
    pub fn is_tweet(&self) -> bool {
        self.source_kind.as_deref() == Some("tweet")
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Label {
    Bool(bool),
    Name(String),
}

#[derive(Deserialize)]
struct Raw {
    id: serde_json::Value,
    text: String,
    label: Label,
    #[serde(default)]
    project: Option<String>,
    #[serde(default)]
    source_kind: Option<String>,
}

/// Parses one line (`n` is its 1-based number, for messages).
///
/// # Errors
///
/// Not a record, or a label other than a bool, `tge` or `not_tge`.
pub fn parse_line(line: &str, n: usize) -> anyhow::Result<Record> {
    let raw: Raw = serde_json::from_str(line).with_context(|| format!("line {n}: not a record"))?;
    let tge = match raw.label {
        Label::Bool(b) => b,
        Label::Name(name) => match name.as_str() {
            "tge" => true,
            "not_tge" => false,
            other => anyhow::bail!("line {n}: unknown label `{other}`"),
        },
    };
    let id = match raw.id {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(Record {
        id,
        text: raw.text,
        tge,
        project: raw
            .project
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty()),
        source_kind: raw.source_kind,
    })
}

/// Parses JSONL text (blank lines skipped); records with an empty text
/// are left out.
///
/// # Errors
///
/// The first line that is not a record.
pub fn parse(text: &str) -> anyhow::Result<Vec<Record>> {
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = parse_line(line, i + 1)?;
        if !record.text.trim().is_empty() {
            records.push(record);
        }
    }
    Ok(records)
}

/// Reads a JSONL file.
///
/// # Errors
///
/// The file cannot be read or a line is not a record.
pub fn read(path: &Path) -> anyhow::Result<Vec<Record>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_label_forms_and_splits_titles() {
        let records = parse(concat!(
            r#"{"id":"a","text":"Title here\nBody here.","label":"tge","project":"Quillmoor"}"#,
            "\n\n",
            r#"{"id":7,"text":"one line only","label":false,"project":null,"source_kind":"tweet"}"#,
            "\n",
            r#"{"id":"c","text":"  ","label":true}"#,
        ))
        .unwrap();
        assert_eq!(records.len(), 2, "the empty text is left out");
        assert!(records[0].tge);
        assert_eq!(records[0].project.as_deref(), Some("Quillmoor"));
        assert_eq!(
            records[0].title_and_body(),
            (Some("Title here"), "Body here.")
        );
        assert_eq!(records[1].id, "7");
        assert!(!records[1].tge && records[1].is_tweet());
        assert_eq!(records[1].title_and_body(), (None, "one line only"));
        assert!(parse(r#"{"id":"x","text":"t","label":"maybe"}"#).is_err());
        assert!(parse("not json").is_err());
    }
}
