//! `hadir-face`: the face pipeline from the command line, for technicians, enrolment from photo
//! files, calibration and benchmarks. JSON on stdout; on failure a JSON error on stdout and a
//! non-zero exit status.
//!
//! ```text
//! hadir-face detect IMG [--draw OUT.png]
//! hadir-face verify A B
//! hadir-face verify-pairs PAIRS.csv
//! hadir-face liveness IMG...
//! hadir-face enroll --name N IMG... --out FILE
//! hadir-face bench IMG [--runs N] [--threads T] [--json]
//! hadir-face profile MODEL [--runs N] [--top K]
//! ```
//!
//! Models come from `--models DIR`, else `HADIR_MODELS_DIR`, else the workspace's
//! `models/onnx` (run `cargo xtask setup` to fetch them).

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use hadir_models::engine::Stage;
use hadir_models::geometry::{Point, Rect};
use hadir_models::photo::load_rgb;
use hadir_models::{Analysis, Band, EngineConfig, FaceEngine, TemplateSet, default_models_dir};
use image::{Rgb, RgbImage};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "hadir-face",
    about = "Face detection, verification, liveness and enrolment with the Hadir models"
)]
struct Cli {
    /// Folder with the ONNX models (default: HADIR_MODELS_DIR or the workspace's models/onnx).
    #[arg(long, global = true)]
    models: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Finds every face in an image; prints boxes, the chosen subject and quality issues.
    Detect {
        /// The image.
        image: PathBuf,
        /// Also write a copy with boxes and landmarks drawn on it.
        #[arg(long)]
        draw: Option<PathBuf>,
    },
    /// Compares the main faces of two images.
    Verify {
        /// First image.
        a: PathBuf,
        /// Second image.
        b: PathBuf,
    },
    /// Compares the pairs of a CSV file (header with `file_x,file_y`; paths relative to the
    /// CSV's folder); one JSON line per pair.
    VerifyPairs {
        /// The CSV file.
        csv: PathBuf,
    },
    /// Liveness of the main face of each image; one JSON line per image.
    Liveness {
        /// The images.
        #[arg(required = true)]
        images: Vec<PathBuf>,
    },
    /// Enrols one person from several photos into a template file.
    Enroll {
        /// Employee id or name stored in the template set.
        #[arg(long)]
        name: String,
        /// The photos.
        #[arg(required = true)]
        images: Vec<PathBuf>,
        /// Where to write the template set (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Times the pipeline on one image.
    Bench {
        /// The image.
        image: PathBuf,
        /// Timed runs (after two warm-up runs).
        #[arg(long, default_value_t = 30)]
        runs: usize,
        /// 1: single-threaded; 2 or more: landmarks and embedding in parallel with liveness, pose
        /// and the eyes.
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Times every operator of one model (detect, landmark, feature, liveness, eye, pose):
    /// time per kind of operator, then the slowest nodes.
    Profile {
        /// The model's short name.
        model: String,
        /// Timed runs.
        #[arg(long, default_value_t = 30)]
        runs: usize,
        /// How many of the slowest nodes to list.
        #[arg(long, default_value_t = 15)]
        top: usize,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        println!("{}", json!({ "error": format!("{e:#}") }));
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    let dir = cli.models.clone().unwrap_or_else(default_models_dir);
    let load = || FaceEngine::load(&dir).context("loading the face models");
    match cli.command {
        Command::Detect { image, draw } => detect(&mut load()?, &image, draw.as_deref()),
        Command::Verify { a, b } => verify(&mut load()?, &a, &b),
        Command::VerifyPairs { csv } => verify_pairs(&mut load()?, &csv),
        Command::Liveness { images } => liveness(&mut load()?, &images),
        Command::Enroll { name, images, out } => enroll(&mut load()?, &name, &images, &out),
        Command::Bench {
            image,
            runs,
            threads,
            json,
        } => {
            let config = EngineConfig {
                threads: threads.max(1),
                cpu_time: true,
                ..EngineConfig::default()
            };
            let mut engine =
                FaceEngine::load_with(&dir, config).context("loading the face models")?;
            bench(&mut engine, &image, runs.max(1), threads, json)
        }
        Command::Profile { model, runs, top } => profile(&dir, &model, runs, top),
    }
}

fn profile(dir: &Path, name: &str, runs: usize, top: usize) -> Result<()> {
    use hadir_models::network::{ModelFile, Network};
    let Some(file) = ModelFile::from_name(name) else {
        bail!("no model called {name:?}: detect, landmark, feature, liveness, eye or pose");
    };
    let mut net = Network::load(dir, file)?;
    let nodes = net.profile(runs)?;
    let mut by_op: Vec<(String, f64)> = Vec::new();
    for n in &nodes {
        match by_op.iter_mut().find(|(op, _)| *op == n.op) {
            Some((_, ms)) => *ms += n.median_ms,
            None => by_op.push((n.op.clone(), n.median_ms)),
        }
    }
    by_op.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = nodes.iter().map(|n| n.median_ms).sum();
    println!("{} {:?}, {runs} runs: {total:.2} ms (sum of the nodes' medians)", file.file_name(), file.input_shape());
    for (op, ms) in &by_op {
        println!("  {ms:8.3} ms  {op}");
    }
    println!("slowest nodes:");
    for n in nodes.iter().take(top) {
        println!("  {:8.3} ms  {:<16} {}  {}", n.median_ms, n.op, n.name, n.shapes);
    }
    Ok(())
}

fn analyze(engine: &mut FaceEngine, path: &Path) -> Result<Analysis> {
    let frame = load_rgb(path)?;
    engine
        .analyze(&frame)
        .with_context(|| format!("analysing {}", path.display()))
}

fn rect_json(r: &Rect) -> Value {
    json!({ "x1": r.x1, "y1": r.y1, "x2": r.x2, "y2": r.y2 })
}

fn issues_json(a: &Analysis) -> Value {
    a.issues.iter().map(|i| i.as_str()).collect()
}

fn detect(engine: &mut FaceEngine, path: &Path, draw: Option<&Path>) -> Result<()> {
    let frame = load_rgb(path)?;
    let a = engine.analyze(&frame)?;
    let faces: Vec<Value> = a
        .faces
        .iter()
        .map(|f| json!({ "box": rect_json(&f.rect), "score": f.score }))
        .collect();
    let subject = a.subject.as_ref().map(|s| {
        json!({
            "index": s.index,
            "five_points": s.five_points.iter().map(|p| [p.x, p.y]).collect::<Vec<_>>(),
            "liveness": s.liveness,
            "live": s.live,
            "pose": s.pose,
            "eyes_open": s.eyes_open,
            "measures": s.measures,
        })
    });
    if let Some(out) = draw {
        let mut canvas = frame.clone();
        for (i, f) in a.faces.iter().enumerate() {
            let chosen = a.subject.as_ref().is_some_and(|s| s.index == i);
            let colour = if chosen {
                Rgb([0, 220, 0])
            } else {
                Rgb([230, 160, 0])
            };
            draw_rect(&mut canvas, &f.rect, colour);
        }
        if let Some(s) = &a.subject {
            for p in &s.landmarks {
                draw_dot(&mut canvas, *p, 1, Rgb([0, 200, 255]));
            }
            for p in &s.five_points {
                draw_dot(&mut canvas, *p, 2, Rgb([255, 0, 80]));
            }
        }
        canvas
            .save(out)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    println!(
        "{}",
        json!({
            "file": path.display().to_string(),
            "width": a.frame.0,
            "height": a.frame.1,
            "faces": faces,
            "subject": subject,
            "issues": issues_json(&a),
        })
    );
    Ok(())
}

fn draw_rect(img: &mut RgbImage, r: &Rect, colour: Rgb<u8>) {
    let thick = ((img.width().max(img.height()) / 400).max(1)) as i64;
    let (x1, y1, x2, y2) = (r.x1 as i64, r.y1 as i64, r.x2 as i64, r.y2 as i64);
    let mut put = |x: i64, y: i64| {
        if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
            img.put_pixel(x as u32, y as u32, colour);
        }
    };
    for t in 0..thick {
        for x in x1..=x2 {
            put(x, y1 + t);
            put(x, y2 - t);
        }
        for y in y1..=y2 {
            put(x1 + t, y);
            put(x2 - t, y);
        }
    }
}

fn draw_dot(img: &mut RgbImage, p: Point, radius: i64, colour: Rgb<u8>) {
    let scale = ((img.width().max(img.height()) / 500).max(1)) as i64;
    let r = radius * scale;
    for dy in -r..=r {
        for dx in -r..=r {
            let (x, y) = (p.x as i64 + dx, p.y as i64 + dy);
            if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
                img.put_pixel(x as u32, y as u32, colour);
            }
        }
    }
}

/// The embedding of an image's subject, or an error saying why there is none.
fn subject_embedding(
    engine: &mut FaceEngine,
    path: &Path,
) -> Result<(hadir_models::Embedding, Analysis)> {
    let a = analyze(engine, path)?;
    match &a.subject {
        Some(s) => Ok((s.embedding.clone(), a)),
        None => bail!("no face found in {}", path.display()),
    }
}

fn verify(engine: &mut FaceEngine, a: &Path, b: &Path) -> Result<()> {
    let (ea, aa) = subject_embedding(engine, a)?;
    let (eb, ab) = subject_embedding(engine, b)?;
    let cosine = ea.cosine(&eb);
    let percent = engine.config().score.percent(cosine);
    println!(
        "{}",
        json!({
            "file_a": a.display().to_string(),
            "file_b": b.display().to_string(),
            "cosine": cosine,
            "score_percent": percent,
            "band": Band::of(percent).as_str(),
            "issues_a": issues_json(&aa),
            "issues_b": issues_json(&ab),
        })
    );
    Ok(())
}

/// The `file_x,file_y` pairs of a CSV (simple CSV: no quoted commas).
fn read_pairs(csv: &Path) -> Result<Vec<(String, String)>> {
    let text =
        std::fs::read_to_string(csv).with_context(|| format!("reading {}", csv.display()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .context("the CSV is empty")?
        .split(',')
        .map(str::trim)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim_matches('"') == name)
            .with_context(|| format!("the CSV header has no `{name}` column: {header:?}"))
    };
    let (x, y) = (col("file_x")?, col("file_y")?);
    lines
        .enumerate()
        .map(|(n, line)| {
            let cells: Vec<&str> = line
                .split(',')
                .map(|c| c.trim().trim_matches('"'))
                .collect();
            match (cells.get(x), cells.get(y)) {
                (Some(a), Some(b)) => Ok((a.to_string(), b.to_string())),
                _ => bail!("line {} of {} has too few columns", n + 2, csv.display()),
            }
        })
        .collect()
}

fn verify_pairs(engine: &mut FaceEngine, csv: &Path) -> Result<()> {
    let base = csv.parent().unwrap_or(Path::new("."));
    let pairs = read_pairs(csv)?;
    let mut cache: HashMap<String, Result<hadir_models::Embedding, String>> = HashMap::new();
    let mut failed = 0usize;
    for (x, y) in pairs {
        for f in [&x, &y] {
            if !cache.contains_key(f) {
                let got = subject_embedding(engine, &base.join(f))
                    .map(|(e, _)| e)
                    .map_err(|e| format!("{e:#}"));
                cache.insert(f.clone(), got);
            }
        }
        match (&cache[&x], &cache[&y]) {
            (Ok(a), Ok(b)) => {
                let cosine = a.cosine(b);
                let percent = engine.config().score.percent(cosine);
                println!(
                    "{}",
                    json!({ "file_x": x, "file_y": y, "score_percent": percent,
                            "band": Band::of(percent).as_str(), "cosine": cosine })
                );
            }
            (Err(e), _) | (_, Err(e)) => {
                failed += 1;
                println!("{}", json!({ "file_x": x, "file_y": y, "error": e }));
            }
        }
    }
    if failed > 0 {
        bail!("{failed} pair(s) could not be compared");
    }
    Ok(())
}

fn liveness(engine: &mut FaceEngine, images: &[PathBuf]) -> Result<()> {
    let mut failed = 0usize;
    for path in images {
        match analyze(engine, path) {
            Ok(a) => match &a.subject {
                Some(s) => println!(
                    "{}",
                    json!({ "file": path.display().to_string(), "live": s.live, "score": s.liveness })
                ),
                None => {
                    failed += 1;
                    println!(
                        "{}",
                        json!({ "file": path.display().to_string(), "live": false, "score": null,
                                "error": "no face found" })
                    );
                }
            },
            Err(e) => {
                failed += 1;
                println!(
                    "{}",
                    json!({ "file": path.display().to_string(), "error": format!("{e:#}") })
                );
            }
        }
    }
    if failed > 0 {
        bail!("{failed} image(s) had no face to check");
    }
    Ok(())
}

fn enroll(engine: &mut FaceEngine, name: &str, images: &[PathBuf], out: &Path) -> Result<()> {
    let mut embeddings = Vec::new();
    let mut photos = Vec::new();
    for path in images {
        let (e, a) = subject_embedding(engine, path)?;
        photos.push(json!({ "file": path.display().to_string(), "issues": issues_json(&a) }));
        embeddings.push(e);
    }
    let set = TemplateSet::enrol(
        name,
        engine.model_version(),
        embeddings,
        &engine.config().score,
    )?;
    let text = serde_json::to_string(&set)?;
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "{}",
        json!({ "name": name, "templates": set.templates.len(), "model_version": set.model_version,
                "out": out.display().to_string(), "photos": photos })
    );
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Stages counted in the "verify" total: what one verification needs (the quality-only
/// stages are reported separately).
const CORE: [Stage; 5] = [
    Stage::Detect,
    Stage::Landmarks,
    Stage::Align,
    Stage::Embed,
    Stage::Liveness,
];

fn bench(
    engine: &mut FaceEngine,
    path: &Path,
    runs: usize,
    threads: usize,
    as_json: bool,
) -> Result<()> {
    let frame = load_rgb(path)?;
    for _ in 0..2 {
        engine.analyze(&frame)?;
    }
    let mut wall: HashMap<Stage, Vec<Duration>> = HashMap::new();
    let mut cpu: HashMap<Stage, Vec<Duration>> = HashMap::new();
    let (mut core_wall, mut core_cpu, mut total, mut total_cpu) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let a = engine.analyze(&frame)?;
        if a.subject.is_none() {
            bail!(
                "no face found in {}: benchmark a photo with a face",
                path.display()
            );
        }
        let t = &a.timings;
        for stage in Stage::ALL {
            wall.entry(stage).or_default().push(t.of(stage));
            cpu.entry(stage)
                .or_default()
                .push(t.cpu_of(stage).unwrap_or_default());
        }
        core_wall.push(CORE.iter().map(|s| t.of(*s)).sum());
        core_cpu.push(CORE.iter().map(|s| t.cpu_of(*s).unwrap_or_default()).sum());
        total.push(a.elapsed);
        total_cpu.push(
            Stage::ALL
                .iter()
                .map(|s| t.cpu_of(*s).unwrap_or_default())
                .sum(),
        );
    }
    let summary = |v: &mut Vec<Duration>| {
        v.sort();
        let mean =
            v.iter().map(Duration::as_secs_f64).sum::<f64>() * 1000.0 / v.len().max(1) as f64;
        json!({ "median_ms": percentile(v, 50.0), "p95_ms": percentile(v, 95.0), "mean_ms": mean })
    };
    let multiply_adds: HashMap<Stage, u64> = engine.multiply_adds().into_iter().collect();
    let mut stages = serde_json::Map::new();
    for stage in Stage::ALL {
        let mut w = wall.remove(&stage).unwrap_or_default();
        let mut c = cpu.remove(&stage).unwrap_or_default();
        let mut entry = summary(&mut w);
        entry["cpu"] = summary(&mut c);
        entry["multiply_adds"] = json!(multiply_adds.get(&stage).copied().unwrap_or(0));
        stages.insert(stage.as_str().into(), entry);
    }
    let per_run: Vec<f64> = core_wall.iter().map(|d: &Duration| d.as_secs_f64() * 1000.0).collect();
    let mut verify = summary(&mut core_wall);
    verify["all_ms"] = json!(per_run);
    verify["multiply_adds"] = json!(CORE.iter().filter_map(|s| multiply_adds.get(s)).sum::<u64>());
    verify["cpu"] = summary(&mut core_cpu);
    verify["stages"] = CORE.iter().map(|s| s.as_str()).collect();
    let mut all = summary(&mut total);
    all["multiply_adds"] = json!(multiply_adds.values().sum::<u64>());
    all["cpu"] = summary(&mut total_cpu);
    let report = json!({
        "file": path.display().to_string(),
        "width": frame.width(), "height": frame.height(),
        "runs": runs, "threads": threads,
        "stages": stages,
        "verify": verify,
        "total": all,
        "peak_rss_kib": peak_rss_kib(),
    });
    if as_json {
        println!("{report}");
        return Ok(());
    }
    let ms = |v: &Value, k: &str| v[k].as_f64().unwrap_or(0.0);
    println!(
        "{} ({}×{}), {runs} runs, {threads} thread(s)",
        path.display(),
        frame.width(),
        frame.height()
    );
    println!(
        "{:<30} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "stage", "median ms", "p95 ms", "CPU mean", "CPU p95", "M mul-add"
    );
    let row = |name: &str, v: &Value| {
        let mega = v["multiply_adds"].as_u64().unwrap_or(0) as f64 / 1e6;
        println!(
            "{name:<30} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>10.1}",
            ms(v, "median_ms"),
            ms(v, "p95_ms"),
            ms(&v["cpu"], "mean_ms"),
            ms(&v["cpu"], "p95_ms"),
            mega
        );
    };
    for stage in Stage::ALL {
        row(stage.as_str(), &report["stages"][stage.as_str()]);
    }
    row("verify (detect…liveness)", &report["verify"]);
    row("total (all stages)", &report["total"]);
    println!(
        "(wall clock; CPU = time on the CPU of the thread that ran the stage, kernel-tick granularity;\n mul-add = multiply-adds of the stage's model runs, from tract's cost model)"
    );
    if let Some(kib) = report["peak_rss_kib"].as_u64() {
        println!("peak RSS (VmHWM) {:.1} MiB", kib as f64 / 1024.0);
    }
    Ok(())
}
