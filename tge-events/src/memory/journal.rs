//! The journal of the in-memory backend: every report that changed an
//! event, one JSON line each (the wire's `{"type":"detection",…}` form),
//! synced before the change is applied and replayed at open — synthesis is
//! deterministic, so replaying the reports rebuilds the events.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::report::Report;

/// One journal line.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Detection(Report),
}

/// An append-only journal file.
pub(super) struct Journal {
    path: PathBuf,
    file: std::fs::File,
}

fn error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Journal {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

impl Journal {
    /// Opens `path` (creating it and its folder) and reads back its
    /// reports; a torn last line from a crash is dropped.
    pub(super) fn open(path: &Path) -> Result<(Self, Vec<Report>), Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| error(path, e))?;
        }
        let mut reports = Vec::new();
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
                for (i, line) in lines.iter().enumerate() {
                    match serde_json::from_str::<Line>(line) {
                        Ok(Line::Detection(report)) => reports.push(report),
                        Err(_) if i + 1 == lines.len() => {
                            tracing::warn!(path = %path.display(), "dropping a torn last journal line");
                        }
                        Err(e) => return Err(error(path, format!("line {}: {e}", i + 1))),
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(error(path, e)),
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| error(path, e))?;
        Ok((
            Self {
                path: path.to_path_buf(),
                file,
            },
            reports,
        ))
    }

    /// Appends `reports` and syncs.
    pub(super) fn record<'a>(
        &mut self,
        reports: impl Iterator<Item = &'a Report>,
    ) -> Result<(), Error> {
        let mut text = String::new();
        for report in reports {
            let line = serde_json::to_string(&Line::Detection(report.clone()))
                .map_err(|e| error(&self.path, e))?;
            text.push_str(&line);
            text.push('\n');
        }
        if text.is_empty() {
            return Ok(());
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|e| error(&self.path, e))
    }
}
