//! The fuzz targets, run for a bounded time on the nightly toolchain with cargo-fuzz as part of
//! `cargo xtask test` (and alone with `cargo xtask fuzz [SECONDS]`). A crash fails the step and
//! leaves the input under the target's `fuzz/artifacts/`.

use crate::shell::{self, Steps};
use anyhow::{Context, Result, bail};
use std::fs::File;
use std::path::Path;
use std::process::Command;

/// (cargo-fuzz project folder, target): the untrusted input paths of the system.
pub const TARGETS: &[(&str, &str)] = &[
    ("hal/fuzz", "nmea"),
    ("server-sync/protocol/fuzz", "batch_decoder"),
    ("server-sync/protocol/fuzz", "canonical_decoder"),
];

/// Seconds each target runs in `cargo xtask test`.
pub const CI_SECONDS: u64 = 40;

/// `cargo xtask fuzz [SECONDS]`.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let seconds = match args.first() {
        Some(text) => text.parse().with_context(|| format!("`{text}` is not a number of seconds"))?,
        None => CI_SECONDS,
    };
    let mut steps = Steps::default();
    let result = all(root, seconds, &mut steps);
    steps.summary();
    result
}

/// Builds every target, then runs them side by side: each gets about `seconds` of CPU time, and
/// the run takes `seconds × targets ÷ cores` of wall time (one minute for three targets on two
/// cores, where one after the other took two).
pub fn all(root: &Path, seconds: u64, steps: &mut Steps) -> Result<()> {
    steps.step("fuzz: build the targets (nightly, address sanitizer)", || {
        for (dir, target) in TARGETS {
            shell::run(&mut cargo_fuzz(root, "build", dir, target))?;
        }
        Ok(())
    })?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    // One core each at most; never 0, which libFuzzer reads as "no limit".
    let wall = (seconds * TARGETS.len() as u64).div_ceil(cores).max(seconds).max(1);
    let names: Vec<&str> = TARGETS.iter().map(|(_, target)| *target).collect();
    steps.step(&format!("fuzz: {} side by side for {wall} s (about {seconds} s of CPU each)", names.join(", ")), || {
        side_by_side(root, wall)
    })
}

/// `cargo +nightly fuzz VERB --fuzz-dir DIR TARGET` with rustup's environment of the cargo that
/// started xtask removed, so that `+nightly` takes effect.
fn cargo_fuzz(root: &Path, verb: &str, dir: &str, target: &str) -> Command {
    let mut cmd = shell::without_toolchain_env("cargo");
    cmd.current_dir(root)
        .env("CARGO_TARGET_DIR", root.join("target").join("fuzz"))
        .args(["+nightly", "fuzz", verb, "--fuzz-dir", dir, target]);
    cmd
}

/// Runs every target at once for `wall` seconds, each one's output in its own log under
/// `target/fuzz/logs/` (three streams would interleave line by line); prints each target's final
/// statistics, and the end of a failed one's log.
fn side_by_side(root: &Path, wall: u64) -> Result<()> {
    let logs = root.join("target").join("fuzz").join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("could not create {}", logs.display()))?;
    let mut running = Vec::new();
    for (dir, target) in TARGETS {
        let log_path = logs.join(format!("{target}.log"));
        let log = File::create(&log_path).with_context(|| format!("could not create {}", log_path.display()))?;
        let mut cmd = cargo_fuzz(root, "run", dir, target);
        cmd.arg("--").arg(format!("-max_total_time={wall}")).arg("-print_final_stats=1");
        println!("$ {} > {}", shell::describe(&cmd), log_path.display());
        let child = cmd
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("could not start the fuzz target {target}"))?;
        running.push((*target, log_path, child));
    }
    let mut failed = Vec::new();
    for (target, log_path, mut child) in running {
        let status = child.wait().with_context(|| format!("fuzz target {target}: lost its process"))?;
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        println!("{target} ({status}), from {}:", log_path.display());
        if status.success() {
            // libFuzzer's summary: runs done, executions per second, coverage found, memory.
            lines.iter().filter(|line| line.starts_with("Done ") || line.starts_with("stat::")).for_each(|line| println!("  | {line}"));
        } else {
            lines[lines.len().saturating_sub(80)..].iter().for_each(|line| println!("  | {line}"));
            failed.push(target);
        }
    }
    if !failed.is_empty() {
        bail!("fuzz target(s) {} failed (the end of each log is above); a crash leaves its input under the target's fuzz/artifacts/", failed.join(", "));
    }
    Ok(())
}
