//! Running commands: every command is printed before it runs and timed, and a failure names
//! the command that failed.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The workspace root: the parent of this crate's manifest directory.
pub fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask's manifest directory has no parent")
}

/// The folder of shared test data (`../shared` beside the project), or `HADIR_SHARED_DIR`.
pub fn shared_dir(root: &Path) -> PathBuf {
    std::env::var_os("HADIR_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("..").join("shared"))
}

/// A one-line rendering of a command, for logs.
pub fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs a command with inherited output; fails with the command line when it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let line = describe(cmd);
    println!("$ {line}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// Runs a command and returns its standard output; fails with its standard error.
pub fn output(cmd: &mut Command) -> Result<String> {
    let line = describe(cmd);
    let out = cmd
        .output()
        .with_context(|| format!("could not start `{line}`"))?;
    if !out.status.success() {
        bail!(
            "`{line}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// True when a program is on the PATH (or is an existing absolute path).
pub fn have(program: &str) -> bool {
    if program.starts_with('/') {
        return Path::new(program).exists();
    }
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| dir.join(program).is_file())
    })
}

/// `program` without the toolchain choice of the rustup cargo that started xtask
/// (`RUSTUP_TOOLCHAIN`, every `CARGO*` variable, `RUSTC`, `RUSTDOC`): another cargo (Debian's,
/// or rustup's with `+nightly`) then picks its own compiler and target directory.
pub fn without_toolchain_env(program: &str) -> Command {
    let mut cmd = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key == "RUSTUP_TOOLCHAIN" || key.starts_with("CARGO") || key == "RUSTC" || key == "RUSTDOC" {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd
}

/// The steps of a long command, each timed, with a summary at the end.
#[derive(Default)]
pub struct Steps {
    done: Vec<(String, Duration)>,
}

impl Steps {
    /// Runs one named step, printing a banner before and its duration after.
    pub fn step(&mut self, name: &str, body: impl FnOnce() -> Result<()>) -> Result<()> {
        println!("\n==> {name}");
        let start = Instant::now();
        let result = body().with_context(|| format!("step `{name}` failed"));
        let took = start.elapsed();
        println!("<== {name}: {} in {}", if result.is_ok() { "ok" } else { "FAILED" }, clock(took));
        self.done.push((name.to_string(), took));
        result
    }

    /// Prints every step with its duration.
    pub fn summary(&self) {
        println!("\nsteps:");
        let total: Duration = self.done.iter().map(|(_, took)| *took).sum();
        for (name, took) in &self.done {
            println!("  {:<48} {:>9}", name, clock(*took));
        }
        println!("  {:<48} {:>9}", "total", clock(total));
    }
}

/// Minutes and seconds, e.g. `3m07s`.
pub fn clock(took: Duration) -> String {
    let secs = took.as_secs();
    format!("{}m{:02}s", secs / 60, secs % 60)
}
