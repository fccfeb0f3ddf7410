//! Looking into the test disk from the host, between boots: hashes of the root slots (to show
//! the read-only root was never written) and the kiosk's store copied out of the data
//! partition (when the kiosk cannot report on it from inside the guest).
//!
//! It only reads the disk file; QEMU must not be running on it.

use crate::image::gpt::{self, Partition};
use crate::shell;
use anyhow::{Context, Result, bail};
use std::fs::{self, File};
use std::path::Path;
use std::process::Command;

/// The GPT partition `name` of `disk`.
pub fn partition(disk: &Path, name: &str) -> Result<Partition> {
    let mut file = File::open(disk).with_context(|| format!("opening {}", disk.display()))?;
    gpt::read(&mut file)?
        .into_iter()
        .find(|p| p.name == name)
        .with_context(|| format!("{} has no partition named {name}", disk.display()))
}

/// `dd` arguments that select a partition (genimage aligns them to 1 MiB).
fn dd_range(p: &Partition) -> Result<(u64, u64)> {
    let mib = 1024 * 1024;
    if !p.offset.is_multiple_of(mib) || !p.bytes.is_multiple_of(mib) {
        bail!("partition {} is not MiB-aligned (offset {}, {} bytes)", p.name, p.offset, p.bytes);
    }
    Ok((p.offset / mib, p.bytes / mib))
}

/// SHA-256 (hex) of the whole partition `name`.
pub fn partition_sha256(disk: &Path, name: &str) -> Result<String> {
    let (skip, count) = dd_range(&partition(disk, name)?)?;
    let out = shell::output(Command::new("sh").arg("-c").arg(format!(
        "dd if='{}' bs=1M skip={skip} count={count} status=none | sha256sum",
        disk.display()
    )))?;
    out.split_whitespace().next().map(str::to_string).context("sha256sum printed nothing")
}

/// What the host finds in the kiosk's store on the data partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOnDisk {
    /// `PRAGMA integrity_check`'s answer.
    pub integrity: String,
    /// Records in the store.
    pub records: u64,
    /// Highest sequence number.
    pub head_seq: u64,
}

/// Copies the data partition out of `disk` into `work`, takes `kiosk/kiosk.db` (and its WAL,
/// which SQLite then replays, as the kiosk would on its next start) out with debugfs, and asks
/// sqlite3 for the integrity check and the record count.
pub fn kiosk_store(disk: &Path, work: &Path) -> Result<StoreOnDisk> {
    for tool in ["debugfs", "sqlite3"] {
        if !shell::have(tool) {
            bail!("{tool} is missing (packages e2fsprogs, sqlite3): needed to read the kiosk's store from the host");
        }
    }
    let (skip, count) = dd_range(&partition(disk, "data")?)?;
    crate::image::recreate_dir(work)?;
    let part = work.join("data.ext4");
    shell::output(Command::new("dd").arg(format!("if={}", disk.display())).arg(format!("of={}", part.display())).args([
        "bs=1M",
        &format!("skip={skip}"),
        &format!("count={count}"),
        "status=none",
    ]))?;
    for name in ["kiosk.db", "kiosk.db-wal"] {
        let to = work.join(name);
        shell::output(Command::new("debugfs").arg("-R").arg(format!("dump /kiosk/{name} {}", to.display())).arg(&part))?;
    }
    if !work.join("kiosk.db").is_file() || fs::metadata(work.join("kiosk.db"))?.len() == 0 {
        bail!("the data partition has no kiosk/kiosk.db");
    }
    let out = shell::output(
        Command::new("sqlite3")
            .arg(work.join("kiosk.db"))
            .arg("PRAGMA integrity_check; SELECT count(*) || ' ' || coalesce(max(seq), 0) FROM records;"),
    )?;
    let mut lines = out.lines();
    let integrity = lines.next().unwrap_or("").trim().to_string();
    let mut counts = lines.next().unwrap_or("").split_whitespace().map(|n| n.parse::<u64>().unwrap_or(0));
    let records = counts.next().unwrap_or(0);
    let head_seq = counts.next().unwrap_or(0);
    fs::remove_file(&part).ok();
    Ok(StoreOnDisk { integrity, records, head_seq })
}
