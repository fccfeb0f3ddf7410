//! `cargo xtask bench`: every benchmark of the project in the release profile, each printing a
//! table and the `name=value` lines that scripts read. Nothing here asserts a time: figures are
//! printed for people and for comparison between runs.

use crate::shell::{self, Steps};
use crate::suite::cargo;
use anyhow::Result;
use std::path::Path;

/// Runs every benchmark.
pub fn run(root: &Path) -> Result<()> {
    let mut steps = Steps::default();
    let result = all(root, &mut steps);
    steps.summary();
    result
}

fn all(root: &Path, steps: &mut Steps) -> Result<()> {
    crate::setup::run(root, steps)?;
    let face = shell::shared_dir(root).join("faces").join("people").join("obama").join("obama.jpg");
    let runs: [(&str, &str, &str, Vec<String>); 5] = [
        ("camera frame conversion (hal)", "hadir-hal", "hadir-hal", vec!["bench".into()]),
        (
            "face pipeline (models)",
            "hadir-models",
            "hadir-face",
            vec!["bench".into(), face.display().to_string(), "--runs".into(), "30".into()],
        ),
        ("kiosk decision, memory, record rate", "hadir-kiosk", "hadir-kiosk", vec!["bench".into()]),
        ("ingest throughput (server)", "hadir-server", "hadir-server", vec!["bench".into()]),
        ("touchscreen preview (ui)", "hadir-ui", "hadir-ui-bench", vec![]),
    ];
    for (name, package, bin, args) in runs {
        steps.step(&format!("bench: {name}"), || {
            shell::run(
                cargo(root)
                    .args(["run", "--locked", "--release", "--package", package, "--bin", bin, "--"])
                    .args(&args),
            )
        })?;
    }
    steps.step("bench: monthly recap of 10,000 employees (server)", || {
        shell::run(cargo(root).args(["bench", "--locked", "--package", "hadir-server", "--bench", "recap_month"]))
    })
}
