//! `cargo xtask bench`: every benchmark of the project in the release profile, each printing a
//! table and the `name=value` lines that scripts read. Nothing here asserts a time: figures are
//! printed for people and for comparison between runs.

use crate::shell::{self, Steps};
use crate::suite::cargo;
use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Runs every benchmark.
pub fn run(root: &Path) -> Result<()> {
    let mut steps = Steps::default();
    let result = all(root, &mut steps);
    steps.summary();
    result
}

fn all(root: &Path, steps: &mut Steps) -> Result<()> {
    crate::setup::run(root, steps)?;
    let mut programs = HashMap::new();
    steps.step("bench: one release build of every program and benchmark", || {
        programs = release_build(root)?;
        Ok(())
    })?;
    let program = |name: &str| -> Result<Command> {
        let path = programs.get(name).with_context(|| format!("the release build made no program `{name}`"))?;
        let mut cmd = Command::new(path);
        cmd.current_dir(root)
            .env("HADIR_SHARED_DIR", shell::shared_dir(root))
            .env("HADIR_MODELS_DIR", crate::setup::models_dir(root));
        Ok(cmd)
    };
    let face = shell::shared_dir(root).join("faces").join("people").join("obama").join("obama.jpg");
    let runs: [(&str, &str, Vec<String>); 6] = [
        ("camera frame conversion (hal)", "hadir-hal", vec!["bench".into()]),
        ("face pipeline (models)", "hadir-face", vec!["bench".into(), face.display().to_string(), "--runs".into(), "30".into()]),
        ("kiosk decision, memory, record rate", "hadir-kiosk", vec!["bench".into()]),
        ("ingest throughput (server)", "hadir-dev", vec!["bench".into()]),
        ("touchscreen preview (ui)", "hadir-ui-bench", vec![]),
        ("monthly recap of 10,000 employees (server)", "recap_month", vec!["--bench".into()]),
    ];
    for (name, bin, args) in runs {
        steps.step(&format!("bench: {name}"), || shell::run(program(bin)?.args(&args)))?;
    }
    Ok(())
}

/// Builds every program and benchmark of the workspace once, in the release profile and with
/// one feature set (a `cargo run --package` per program would unify features per package and
/// compile the shared dependencies several times), and returns each executable by target name.
fn release_build(root: &Path) -> Result<HashMap<String, PathBuf>> {
    let mut cmd = cargo(root);
    cmd.args(["build", "--locked", "--release", "--workspace", "--bins", "--bench", "recap_month", "--message-format=json-render-diagnostics"]);
    cmd.stderr(Stdio::inherit());
    println!("$ {}", shell::describe(&cmd));
    let out = cmd.output().context("could not start cargo")?;
    if !out.status.success() {
        bail!("the release build failed ({})", out.status);
    }
    let mut programs = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if let (Some(name), Some(exe)) = (msg["target"]["name"].as_str(), msg["executable"].as_str()) {
            programs.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    Ok(programs)
}
