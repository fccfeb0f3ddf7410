//! `cargo xtask bench`: every benchmark of the project in the release profile, each printing a
//! table and the `name=value` lines that scripts read. Nothing here asserts a time: figures are
//! printed for people and for comparison between runs.

use crate::shell::{self, Steps};
use crate::suite::cargo;
use anyhow::{Context, Result, bail, ensure};
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
    let runs: [(&str, &str, Vec<String>); 7] = [
        ("camera frame conversion (hal)", "hadir-hal", vec!["bench".into()]),
        ("face pipeline (models)", "hadir-face", vec!["bench".into(), face.display().to_string(), "--runs".into(), "30".into(), "--threads".into(), "1".into()]),
        ("kiosk decision, memory, record rate", "hadir-kiosk", vec!["bench".into()]),
        ("ingest throughput (server)", "hadir-dev", vec!["bench".into()]),
        ("touchscreen preview (ui)", "hadir-ui-bench", vec![]),
        ("monthly recap of 10,000 employees (server)", "recap_month", vec!["--bench".into()]),
        ("a saved record to the server (kiosk sync worker, server)", "record_to_server", vec!["--bench".into()]),
    ];
    for (name, bin, args) in runs {
        steps.step(&format!("bench: {name}"), || shell::run(program(bin)?.args(&args)))?;
        if bin == "hadir-face" {
            steps.step("bench: face verify path beside onnxruntime", || {
                face_beside_onnxruntime(root, || program("hadir-face"))
            })?;
        }
    }
    Ok(())
}

/// Rounds of the side-by-side comparison, and frames timed per round and side.
const ROUNDS: usize = 6;
const RUNS_PER_ROUND: usize = 10;

/// `hadir-face bench` and `models/bench/ort_reference.py` (onnxruntime) on the same frame and
/// models, one thread each, interleaved round by round so that both see the same machine load;
/// prints both medians over every timed frame and their ratio.
fn face_beside_onnxruntime(root: &Path, hadir: impl Fn() -> Result<Command>) -> Result<()> {
    // The reference frame: 853×480, one face.
    let frame = shell::shared_dir(root).join("faces").join("hard").join("obama-480p.jpg");
    let python = match reference_python(root) {
        Ok(python) => python,
        Err(e) => {
            println!("face ort_verify_ms_median: not measured ({e:#})");
            return Ok(());
        }
    };
    let script = root.join("models").join("bench").join("ort_reference.py");
    let runs = RUNS_PER_ROUND.to_string();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let mut levels = serde_json::Value::Null;
    for round in 1..=ROUNDS {
        let hadir_json = shell::output(hadir()?.arg("bench").arg(&frame).args(["--runs", &runs, "--threads", "1", "--json"]))?;
        ours.extend(verify_times(&report(&hadir_json)?).context("hadir-face bench --json")?);
        let mut reference = Command::new(&python);
        reference.arg(&script).arg(crate::setup::models_dir(root)).arg(&frame).args(["--runs", &runs]);
        let mut ort = report(&shell::output(&mut reference)?)?;
        theirs.extend(verify_times(&ort).context("ort_reference.py")?);
        levels = ort["optimisation_levels"].take();
        println!("  round {round}/{ROUNDS}: {} + {} frames", ours.len(), theirs.len());
    }
    let (ours, theirs) = (median(&mut ours), median(&mut theirs));
    println!("onnxruntime's optimisation level per model (the fastest of four, chosen by the script; denormals as zero): {levels}");
    println!("face verify_ms_median={ours:.2}");
    println!("face ort_verify_ms_median={theirs:.2}");
    println!("face ratio_vs_ort={:.3}", ours / theirs);
    Ok(())
}

/// A benchmark's JSON report; a report `{"error": …}` is that error.
fn report(json: &str) -> Result<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_str(json.trim()).with_context(|| format!("not JSON: {json}"))?;
    if let Some(error) = report["error"].as_str() {
        bail!("{error}");
    }
    Ok(report)
}

/// Per-frame verify times (ms) from a `{"verify": {"all_ms": [...]}}` report.
fn verify_times(report: &serde_json::Value) -> Result<Vec<f64>> {
    report["verify"]["all_ms"]
        .as_array()
        .context("no verify.all_ms")?
        .iter()
        .map(|v| v.as_f64().context("a time that is not a number"))
        .collect()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// A Python with onnxruntime, NumPy and Pillow: a virtual environment under `target/`, made
/// and filled with pip on first use (it is the benchmark's reference, not a dependency of
/// Hadir, so it stays out of the system's Python).
fn reference_python(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target").join("ort-reference");
    let python = venv.join("bin").join("python3");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", "import onnxruntime, numpy, PIL"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if ready(&python) {
        return Ok(python);
    }
    if !python.exists() {
        shell::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("could not make a Python virtual environment (apt-get install python3-venv)")?;
    }
    shell::run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "onnxruntime", "numpy", "pillow"]))
        .context("could not install onnxruntime, numpy and pillow with pip")?;
    ensure!(ready(&python), "onnxruntime installed but cannot be imported by {}", python.display());
    Ok(python)
}

/// Builds every program and benchmark of the workspace once, in the release profile and with
/// one feature set (a `cargo run --package` per program would unify features per package and
/// compile the shared dependencies several times), and returns each executable by target name.
fn release_build(root: &Path) -> Result<HashMap<String, PathBuf>> {
    let mut cmd = cargo(root);
    cmd.args(["build", "--locked", "--release", "--workspace", "--bins", "--bench", "recap_month", "--bench", "record_to_server", "--message-format=json-render-diagnostics"]);
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
