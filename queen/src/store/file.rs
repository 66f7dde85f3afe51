//! The embedded store: the queue in a journal file, for the one-process run
//! with no database. Every batch is one JSON line, appended and flushed to
//! disk (`fdatasync`) before the batch counts as durable — the persister's
//! group commit keeps that to one sync per commit window. At open the
//! journal is replayed into memory and rewritten as a compact snapshot
//! (written aside, synced, renamed over); a torn last line from a crash
//! is dropped, a bad line elsewhere is an error naming the line.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::memory::State;
use super::{Batch, Error, Snapshot, Store};

/// Compact the journal in `maintain` once it is larger than this.
const COMPACT_BYTES: u64 = 64 * 1024 * 1024;

/// One journal line.
#[derive(Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
enum Record {
    Epoch { epoch: u64 },
    Batch(Batch),
}

/// The queue in a journal file.
pub struct FileStore {
    path: PathBuf,
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    state: State,
    file: File,
    written: u64,
}

fn journal_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Journal {
        path: path.display().to_string(),
        source,
    }
}

impl FileStore {
    /// Opens (or creates) the journal at `path`, replays and compacts it.
    ///
    /// # Errors
    ///
    /// The file cannot be read or written, or a line other than the last
    /// does not parse.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, Error> {
        let path = path.into();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(journal_err(&path))?;
        }
        let state = replay(&path)?;
        let file = compact(&path, &state)?;
        let written = file.metadata().map_err(journal_err(&path))?.len();
        Ok(Self {
            path,
            inner: Arc::new(Mutex::new(Inner {
                state,
                file,
                written,
            })),
        })
    }

    /// Appends `record` and syncs; then, under the same lock, applies
    /// `then` to the state — so a compaction never sees a journaled batch
    /// missing from the state it rewrites the journal from.
    fn append(
        &self,
        record: &Record,
        then: Option<Batch>,
    ) -> impl FnOnce() -> Result<(), Error> + Send + 'static {
        let line = serde_json::to_string(record).map(|mut l| {
            l.push('\n');
            l
        });
        let inner = self.inner.clone();
        let path = self.path.clone();
        move || {
            let line = line.map_err(|e| Error::Journal {
                path: path.display().to_string(),
                source: std::io::Error::other(e),
            })?;
            let mut inner = inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            inner
                .file
                .write_all(line.as_bytes())
                .and_then(|()| inner.file.sync_data())
                .map_err(journal_err(&path))?;
            inner.written += line.len() as u64;
            if let Some(batch) = then {
                inner.state.apply(&batch);
            }
            Ok(())
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The state the journal at `path` describes (empty if there is none).
fn replay(path: &Path) -> Result<State, Error> {
    let mut state = State::default();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(state),
        Err(e) => return Err(journal_err(path)(e)),
    };
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(journal_err(path))?;
    let last = lines.len();
    for (index, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(Record::Epoch { epoch }) => state.epoch = state.epoch.max(epoch),
            Ok(Record::Batch(batch)) => state.apply(&batch),
            Err(_) if index + 1 == last => {
                tracing::warn!(path = %path.display(), "dropping a torn last journal line");
            }
            Err(e) => {
                return Err(Error::Corrupt {
                    path: path.display().to_string(),
                    line: index + 1,
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(state)
}

/// Rewrites the journal as one snapshot batch and returns it open for
/// appending.
fn compact(path: &Path, state: &State) -> Result<File, Error> {
    let snapshot = state.snapshot();
    let batch = Batch {
        inserts: snapshot.tasks,
        paused_kinds: snapshot.paused_kinds.iter().map(|k| (*k, true)).collect(),
        schedule_upserts: snapshot.schedules,
        ..Batch::default()
    };
    let aside = path.with_extension("compacting");
    let err = journal_err(path);
    let write = || -> std::io::Result<File> {
        let mut file = File::create(&aside)?;
        for record in [Record::Epoch { epoch: state.epoch }, Record::Batch(batch)] {
            let line = serde_json::to_string(&record).map_err(std::io::Error::other)?;
            file.write_all(line.as_bytes())?;
            file.write_all(b"\n")?;
        }
        file.sync_all()?;
        // the handle to append with, taken before the rename: if anything
        // fails, the old journal and its handle stay in use
        let appender = OpenOptions::new().append(true).open(&aside)?;
        std::fs::rename(&aside, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir)?.sync_all()?;
        }
        Ok(appender)
    };
    write().map_err(err)
}

#[async_trait::async_trait]
impl Store for FileStore {
    fn name(&self) -> &'static str {
        "journal file"
    }

    async fn next_epoch(&self) -> Result<u64, Error> {
        let epoch = {
            let mut inner = self.lock();
            inner.state.epoch += 1;
            inner.state.epoch
        };
        let append = self.append(&Record::Epoch { epoch }, None);
        run_blocking(append).await?;
        Ok(epoch)
    }

    async fn load(&self) -> Result<Snapshot, Error> {
        Ok(self.lock().state.snapshot())
    }

    async fn apply(&self, batch: &Batch, _retry: bool) -> Result<(), Error> {
        // journal first: the batch is durable before the state shows it
        let append = self.append(&Record::Batch(clone_batch(batch)), Some(clone_batch(batch)));
        run_blocking(append).await
    }

    async fn maintain(&self) -> Result<(), Error> {
        let (inner, path) = (self.inner.clone(), self.path.clone());
        run_blocking(move || {
            let mut inner = inner
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if inner.written > COMPACT_BYTES {
                let file = compact(&path, &inner.state)?;
                inner.written = file.metadata().map_err(journal_err(&path))?.len();
                inner.file = file;
            }
            Ok(())
        })
        .await
    }
}

fn clone_batch(batch: &Batch) -> Batch {
    Batch {
        inserts: batch.inserts.clone(),
        updates: batch.updates.clone(),
        deletes: batch.deletes.clone(),
        paused_kinds: batch.paused_kinds.clone(),
        schedule_upserts: batch.schedule_upserts.clone(),
        schedule_deletes: batch.schedule_deletes.clone(),
    }
}

async fn run_blocking(f: impl FnOnce() -> Result<(), Error> + Send + 'static) -> Result<(), Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Journal {
            path: String::new(),
            source: std::io::Error::other(e),
        })?
}

/// Bytes as lower-case hex in the journal (task specs are protobuf).
pub(super) mod hex {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&::hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        ::hex::decode(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ROW_PENDING, ScheduleRow, TaskRow};

    fn row(id: i64) -> TaskRow {
        TaskRow {
            id,
            kind: 1,
            priority: 3,
            state: ROW_PENDING,
            attempts: 0,
            max_attempts: 5,
            run_at_ms: 10,
            created_ms: 10,
            dedup_key: Some(format!("k{id}")),
            spec: vec![0, 1, 0xfe, id as u8],
            last_error: None,
        }
    }

    #[tokio::test]
    async fn survives_a_reopen_and_a_torn_last_line() {
        let dir = std::env::temp_dir().join(format!("queen-journal-{}", rand::random::<u32>()));
        let path = dir.join("queue.journal");
        {
            let store = FileStore::open(&path).unwrap();
            assert_eq!(store.next_epoch().await.unwrap(), 1);
            store
                .apply(
                    &Batch {
                        inserts: vec![row(1), row(2), row(3)],
                        paused_kinds: vec![(2, true)],
                        schedule_upserts: vec![ScheduleRow {
                            name: "source:a".into(),
                            spec: vec![9, 9],
                            interval_ms: 1000,
                            paused: false,
                            next_run_ms: 5,
                        }],
                        ..Batch::default()
                    },
                    false,
                )
                .await
                .unwrap();
            let mut done = row(2);
            done.attempts = 1;
            store
                .apply(
                    &Batch {
                        updates: vec![done],
                        deletes: vec![3],
                        ..Batch::default()
                    },
                    false,
                )
                .await
                .unwrap();
        }
        // a crash in the middle of a write
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"record":"batch","inserts":[{"id":4"#)
            .unwrap();
        drop(file);

        let store = FileStore::open(&path).unwrap();
        assert_eq!(store.next_epoch().await.unwrap(), 2, "epochs keep growing");
        let snapshot = store.load().await.unwrap();
        let ids: Vec<i64> = snapshot.tasks.iter().map(|t| t.id).collect();
        assert_eq!(ids, vec![1, 2]);
        assert_eq!(snapshot.tasks[1].attempts, 1);
        assert_eq!(snapshot.tasks[0].spec, vec![0, 1, 0xfe, 1]);
        assert_eq!(snapshot.paused_kinds, vec![2]);
        assert_eq!(snapshot.schedules[0].name, "source:a");

        // a bad line that is not the last is an error naming it
        std::fs::write(&path, "garbage\n{\"record\":\"epoch\",\"epoch\":3}\n").unwrap();
        let error = FileStore::open(&path)
            .err()
            .expect("corrupt journal refused");
        assert!(error.to_string().contains("line 1"), "{error}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
