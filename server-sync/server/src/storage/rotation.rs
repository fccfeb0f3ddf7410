//! Rotating the face-template key: every template and evidence photo sealed with the old key
//! is opened and sealed again with a new one, then the key files are swapped.
//!
//! Why it is built to be interrupted: a department's database holds thousands of photos, and a
//! power cut or a full disk may stop the run at any row. So the new key is a file of its own
//! (`<key file>.next`) made before the first row changes; rows are re-sealed in batches, each in
//! one transaction, each row only if it still carries the old key's id (compare and set); and
//! the key file is replaced by one atomic rename only after no row is left under the old key.
//! Run again after an interruption, the tool picks up `.next` and goes on where it stopped. The
//! old key is kept beside it as `<key file>.retired-<id>`: backups made before the rotation
//! need it.
//!
//! The server must be stopped meanwhile: a running server holds the old key, writes new rows
//! with it and cannot read the re-sealed ones until it starts again with the new file. It must
//! not delete the old key: that is the operator's decision, once the old backups have expired.

use super::portable::{Stmt, params};
use super::sealed::{KeyFileError, OpenError, TemplateKey};
use super::{StorageError, Store};
use hadir_protocol::Digest;
use std::path::{Path, PathBuf};

/// Rows re-sealed in one transaction.
const TEMPLATE_BATCH: i64 = 200;
/// Photos (up to 4 MiB each, typically 50 KB) re-sealed in one transaction.
const PHOTO_BATCH: i64 = 32;

/// Why a rotation stopped.
#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    /// A key file cannot be read, made or moved.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Rows are sealed with a key that neither file holds: the configured key file is not the
    /// one this database was sealed with.
    #[error(
        "{rows} rows of {table} are sealed with key {key_id}, which is neither the key file's ({old}) nor the new one's; \
         nothing was changed: point storage.template_key_path at the key this database was sealed with"
    )]
    ForeignKey {
        /// `face_templates` or `photos`.
        table: &'static str,
        /// The unknown key's id.
        key_id: String,
        /// How many rows carry it.
        rows: i64,
        /// The key file's id.
        old: String,
    },
}

/// What one pass re-sealed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Face templates moved from the old key to the new one.
    pub templates: u64,
    /// Evidence photos moved from the old key to the new one.
    pub photos: u64,
    /// Photos stored in clear by an older release, sealed now.
    pub photos_from_clear: u64,
    /// Rows that did not open with the old key (damaged before the rotation); left as they are.
    pub unreadable: u64,
}

/// A finished rotation.
#[derive(Debug, Clone)]
pub struct Rotation {
    /// The key that sealed the rows before.
    pub old_id: String,
    /// The key that seals them now (the key file's).
    pub new_id: String,
    /// What was re-sealed (this run only, when it resumed an interrupted one).
    pub resealed: Resealed,
    /// Where the old key was kept.
    pub retired: PathBuf,
}

/// The new key's file while a rotation runs.
pub fn next_key_path(key_path: &Path) -> PathBuf {
    with_suffix(key_path, ".next")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Rotates the key in `key_path`: makes (or, after an interruption, takes up) the new key,
/// re-seals every row of `store` and swaps the files.
pub async fn rotate(store: &Store, key_path: &Path) -> Result<Rotation, RotationError> {
    let old = TemplateKey::load(key_path)?;
    let next_path = next_key_path(key_path);
    let new = TemplateKey::load_or_create(&next_path)?;
    check_no_foreign_keys(store, &old, &new).await?;
    let mut resealed = Resealed::default();
    // A second pass finds only what a server still running wrote meanwhile (and nothing when
    // it was stopped, as it should be).
    loop {
        let pass = store.reseal_all(&old, &new).await?;
        resealed.templates += pass.templates;
        resealed.photos += pass.photos;
        resealed.photos_from_clear += pass.photos_from_clear;
        resealed.unreadable = pass.unreadable;
        if pass.templates + pass.photos + pass.photos_from_clear == 0 {
            break;
        }
    }
    let retired = promote(key_path, &next_path, &old)?;
    Ok(Rotation { old_id: old.id().to_owned(), new_id: new.id().to_owned(), resealed, retired })
}

async fn check_no_foreign_keys(store: &Store, old: &TemplateKey, new: &TemplateKey) -> Result<(), RotationError> {
    for table in ["face_templates", "photos"] {
        let foreign = store
            .query_opt(
                "look for rows sealed with an unknown key",
                format!("SELECT key_id, COUNT(*) FROM {table} WHERE key_id IS NOT NULL AND key_id <> $1 AND key_id <> $2 GROUP BY key_id"),
                params![old.id(), new.id()],
                |r| Ok((r.text(0)?, r.i64(1)?)),
            )
            .await?;
        if let Some((key_id, rows)) = foreign {
            return Err(RotationError::ForeignKey { table, key_id, rows, old: old.id().to_owned() });
        }
    }
    Ok(())
}

/// Keeps the old key as `<key file>.retired-<id>` (a hard link: the key file itself is never
/// missing), then renames the new key over the key file in one step.
fn promote(key_path: &Path, next_path: &Path, old: &TemplateKey) -> Result<PathBuf, KeyFileError> {
    let retired = with_suffix(key_path, &format!(".retired-{}", old.id()));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| KeyFileError::Io { path, source }
    };
    match std::fs::hard_link(key_path, &retired) {
        Ok(()) => {}
        // Left by an interrupted run: it holds the same key (its name says which).
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && TemplateKey::load(&retired)?.id() == old.id() => {}
        Err(e) => return Err(io(&retired)(e)),
    }
    std::fs::rename(next_path, key_path).map_err(io(key_path))?;
    if let Some(dir) = key_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
    }
    Ok(retired)
}

impl Store {
    /// Re-seals, batch by batch, every template and photo sealed with `old` under `new`, and
    /// seals the photos an older release stored in clear. A row that no longer carries the
    /// old key's id when it is written (changed meanwhile) is left alone.
    pub async fn reseal_all(&self, old: &TemplateKey, new: &TemplateKey) -> Result<Resealed, StorageError> {
        let mut done = Resealed::default();
        let mut after = i64::MIN;
        loop {
            let rows = self
                .query_rows(
                    "read templates to re-seal",
                    "SELECT template_id, employee_id, model_version, embedding FROM face_templates
                     WHERE key_id = $1 AND template_id > $2 ORDER BY template_id LIMIT $3",
                    params![old.id(), after, TEMPLATE_BATCH],
                    |r| Ok((r.i64(0)?, r.text(1)?, r.text(2)?, r.opt_bytes(3)?.unwrap_or_default())),
                )
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.0;
            let mut writes = Vec::with_capacity(rows.len());
            for (id, employee, model, sealed) in rows {
                let Some(clear) = opened(old.open(&employee, &model, old.id(), &sealed), "template", &id.to_string()) else {
                    done.unreadable += 1;
                    continue;
                };
                writes.push(Stmt::new(
                    "UPDATE face_templates SET embedding = $1, key_id = $2, content_digest = $3 WHERE template_id = $4 AND key_id = $5",
                    params![new.seal(&employee, &model, &clear), new.id(), new.content_digest(&employee, &model, &clear), id, old.id()],
                ));
            }
            done.templates += self.write_all("re-seal templates", writes).await?.iter().sum::<u64>();
        }
        for from_clear in [false, true] {
            // Sealed photos by the old key's id; photos in clear by their NULL id.
            let (filter, update) = if from_clear {
                ("key_id IS NULL", "UPDATE photos SET jpeg = $1, key_id = $2 WHERE sha256 = $3 AND key_id IS NULL")
            } else {
                ("key_id = $3", "UPDATE photos SET jpeg = $1, key_id = $2 WHERE sha256 = $3 AND key_id = $4")
            };
            let mut after = String::new();
            loop {
                let mut read = params![after.clone(), PHOTO_BATCH];
                if !from_clear {
                    read.push(old.id().into());
                }
                let rows = self
                    .query_rows(
                        "read photos to re-seal",
                        format!("SELECT sha256, jpeg FROM photos WHERE {filter} AND sha256 > $1 ORDER BY sha256 LIMIT $2"),
                        read,
                        |r| Ok((r.text(0)?, r.opt_bytes(1)?.unwrap_or_default())),
                    )
                    .await?;
                let Some(last) = rows.last() else { break };
                after.clone_from(&last.0);
                let mut writes = Vec::with_capacity(rows.len());
                for (hex, stored) in rows {
                    let sha = Digest::from_hex(&hex).ok();
                    let clear = match sha {
                        Some(_) if from_clear => Some(stored),
                        Some(sha) => opened(old.open_photo(sha, old.id(), &stored), "photo", &hex),
                        None => None,
                    };
                    let (Some(sha), Some(clear)) = (sha, clear) else {
                        done.unreadable += 1;
                        continue;
                    };
                    let mut write = params![new.seal_photo(sha, &clear), new.id(), hex];
                    if !from_clear {
                        write.push(old.id().into());
                    }
                    writes.push(Stmt::new(update, write));
                }
                let n = self.write_all("re-seal photos", writes).await?.iter().sum::<u64>();
                if from_clear {
                    done.photos_from_clear += n;
                } else {
                    done.photos += n;
                }
            }
        }
        Ok(done)
    }
}

/// The clear bytes, or `None` (logged) for a row that does not open.
fn opened(result: Result<Vec<u8>, OpenError>, what: &str, id: &str) -> Option<Vec<u8>> {
    result.map_err(|e| tracing::warn!(what, id, error = %e, "does not open with the old key; left as it is")).ok()
}
