//! The `hadir-face` binary: JSON out, JSON errors with a non-zero exit.

use crate::support::{faces_dir, models_dir};
use serde_json::Value;
use std::process::{Command, Output};

fn hadir_face(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hadir-face"))
        .args(["--models", models_dir().to_str().expect("utf-8 path")])
        .args(args)
        .output()
        .expect("hadir-face runs")
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn face(relative: &str) -> String {
    faces_dir().join(relative).to_string_lossy().to_string()
}

#[test]
fn verify_pairs_reads_a_csv_relative_to_its_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("pairs.csv");
    let people = faces_dir().join("people");
    let rel = |p: &str| people.join(p).to_string_lossy().to_string();
    // Absolute paths work too (joining an absolute path replaces the base).
    std::fs::write(
        &csv,
        format!(
            "id,file_x,file_y\n1,{},{}\n2,{},{}\n",
            rel("obama/obama.jpg"),
            rel("obama/obama2.jpg"),
            rel("obama/obama.jpg"),
            rel("biden/biden.jpg")
        ),
    )
    .expect("write csv");
    let out = hadir_face(&["verify-pairs", csv.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    for l in &lines {
        for key in ["file_x", "file_y", "score_percent", "band", "cosine"] {
            assert!(l.get(key).is_some(), "{key} missing in {l}");
        }
    }
    assert_ne!(lines[0]["band"], "rejected", "{}", lines[0]);
    assert_eq!(lines[1]["band"], "rejected", "{}", lines[1]);
}

#[test]
fn liveness_prints_one_line_per_image() {
    let out = hadir_face(&[
        "liveness",
        &face("people/biden/biden.jpg"),
        &face("people/rose_leslie/img2.jpg"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    for l in lines {
        assert_eq!(l["live"], true, "{l}");
        assert!(
            l["score"]
                .as_f64()
                .is_some_and(|s| (0.0..=1.0).contains(&s)),
            "{l}"
        );
        assert!(l["file"].is_string());
    }
}

#[test]
fn detect_draws_and_enroll_writes_a_template_set() {
    let dir = tempfile::tempdir().expect("temp dir");
    let drawn = dir.path().join("drawn.png");
    let out = hadir_face(&[
        "detect",
        &face("groups/obama_and_biden.jpg"),
        "--draw",
        drawn.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = &json_lines(&out)[0];
    assert!(v["faces"].as_array().is_some_and(|f| f.len() >= 2), "{v}");
    assert!(
        image::open(&drawn).is_ok(),
        "the drawing is a readable image"
    );

    let set = dir.path().join("obama.json");
    let out = hadir_face(&[
        "enroll",
        "--name",
        "obama",
        &face("people/obama/obama.jpg"),
        &face("people/obama/obama2.jpg"),
        "--out",
        set.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let written: hadir_models::TemplateSet =
        serde_json::from_str(&std::fs::read_to_string(&set).expect("read set"))
            .expect("a template set");
    assert_eq!(written.templates.len(), 2);
    assert_eq!(written.model_version, hadir_models::MODEL_VERSION);
}

#[test]
fn errors_are_json_with_a_non_zero_exit() {
    let out = hadir_face(&[
        "verify",
        "/nonexistent/a.jpg",
        &face("people/biden/biden.jpg"),
    ]);
    assert!(!out.status.success());
    let v = &json_lines(&out)[0];
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("/nonexistent/a.jpg")),
        "{v}"
    );

    let empty = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_hadir-face"))
        .args([
            "--models",
            empty.path().to_str().expect("utf-8"),
            "liveness",
            &face("people/biden/biden.jpg"),
        ])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let v = &json_lines(&out)[0];
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("cargo xtask setup")),
        "{v}"
    );
}

#[test]
fn bench_reports_stages_and_total_as_json() {
    let out = hadir_face(&[
        "bench",
        &face("people/obama/obama.jpg"),
        "--runs",
        "2",
        "--threads",
        "2",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v = &json_lines(&out)[0];
    for stage in ["detect", "landmarks", "align", "embed", "liveness"] {
        assert!(
            v["stages"][stage]["median_ms"].as_f64().is_some(),
            "{stage} in {v}"
        );
    }
    assert!(
        v["total"]["median_ms"].as_f64().is_some_and(|t| t > 0.0),
        "{v}"
    );
    assert!(v["total"]["p95_ms"].as_f64().is_some(), "{v}");
}

#[test]
fn profile_times_every_operator_of_a_model_and_names_the_models_it_knows() {
    let out = hadir_face(&["profile", "landmark", "--runs", "2", "--top", "3"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.starts_with("fr_landmark.onnx [1, 1, 64, 64], 2 runs: "), "{text}");
    let slowest: Vec<&str> = text.lines().skip_while(|l| *l != "slowest nodes:").skip(1).collect();
    assert_eq!(slowest.len(), 3, "{text}");
    for line in slowest {
        let ms: f64 = line.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(-1.0);
        assert!(ms >= 0.0, "no time in {line:?}");
    }
    let out = hadir_face(&["profile", "fr_nothing"]);
    assert!(!out.status.success());
    let error = json_lines(&out)[0]["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("fr_nothing") && error.contains("liveness"), "{error}");
}
