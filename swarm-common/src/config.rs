//! Configuration loading: the type's defaults, then an optional TOML file,
//! then environment variables `PREFIX__SECTION__KEY=value` (double
//! underscores nest; values are parsed as TOML scalars or arrays when they
//! parse, else taken as strings), then one deserialization pass that rejects
//! unknown fields where the type says so.

use std::path::Path;

use serde::de::DeserializeOwned;
use toml::{Table, Value};

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file's path, as given.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config file is not TOML.
    #[error("config file {path} is not valid TOML: {source}")]
    Parse {
        /// The file's path, as given.
        path: String,
        /// The TOML syntax error.
        source: toml::de::Error,
    },
    /// An environment variable sets a key that is also a table (or below a plain value).
    #[error(
        "environment variable {name} conflicts with another setting (a value and a section at once)"
    )]
    EnvConflict {
        /// The variable's name.
        name: String,
    },
    /// The merged file and environment do not fit the configuration type.
    #[error("invalid configuration: {0}")]
    Invalid(#[from] toml::de::Error),
}

/// Loads `T` from `file` (if any) overlaid with `PREFIX__...` variables of
/// the process environment.
///
/// # Errors
///
/// An unreadable or invalid file, or values that do not fit `T`.
pub fn load<T: DeserializeOwned>(file: Option<&Path>, env_prefix: &str) -> Result<T, Error> {
    load_from(file, env_prefix, std::env::vars())
}

/// [`load`] with an explicit environment, for tests.
///
/// # Errors
///
/// As [`load`].
pub fn load_from<T: DeserializeOwned>(
    file: Option<&Path>,
    env_prefix: &str,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<T, Error> {
    let mut table = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
                path: path.display().to_string(),
                source,
            })?;
            text.parse::<Table>().map_err(|source| Error::Parse {
                path: path.display().to_string(),
                source,
            })?
        }
        None => Table::new(),
    };
    let prefix = format!("{env_prefix}__");
    for (name, raw) in env {
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        overlay(&mut table, &path, parse_scalar(&raw))
            .map_err(|()| Error::EnvConflict { name: name.clone() })?;
    }
    Ok(Value::Table(table).try_into()?)
}

fn parse_scalar(raw: &str) -> Value {
    format!("v = {raw}")
        .parse::<Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| Value::String(raw.to_string()))
}

fn overlay(table: &mut Table, path: &[String], value: Value) -> Result<(), ()> {
    match path {
        [] => Err(()),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| Value::Table(Table::new()));
            match entry {
                Value::Table(inner) => overlay(inner, rest, value),
                _ => Err(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Default, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Inner {
        port: u16,
        name: String,
    }

    #[derive(Debug, Deserialize, Default, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Cfg {
        threads: u32,
        inner: Inner,
        tags: Vec<String>,
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_overrides_file_and_nests() {
        let dir = std::env::temp_dir().join(format!("cfg-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(&file, "threads = 2\n[inner]\nport = 1\nname = \"a\"\n").unwrap();
        let cfg: Cfg = load_from(
            Some(&file),
            "APP",
            env(&[
                ("APP__INNER__PORT", "8080"),
                ("APP__TAGS", "[\"x\", \"y\"]"),
                ("OTHER__THREADS", "9"),
            ]),
        )
        .unwrap();
        assert_eq!(cfg.threads, 2);
        assert_eq!(cfg.inner.port, 8080);
        assert_eq!(cfg.inner.name, "a");
        assert_eq!(cfg.tags, vec!["x", "y"]);
    }

    #[test]
    fn unparseable_env_value_is_a_string() {
        let cfg: Cfg = load_from(None, "APP", env(&[("APP__INNER__NAME", "hello world")])).unwrap();
        assert_eq!(cfg.inner.name, "hello world");
    }

    #[test]
    fn unknown_field_is_rejected_with_its_name() {
        let err = load_from::<Cfg>(None, "APP", env(&[("APP__THREDS", "3")])).unwrap_err();
        assert!(err.to_string().contains("threds"), "{err}");
    }

    #[test]
    fn wrong_type_is_rejected() {
        let err = load_from::<Cfg>(None, "APP", env(&[("APP__THREADS", "many")])).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err}");
    }
}
