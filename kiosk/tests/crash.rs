//! The crash test of issue 5: SIGKILL the record writer at random points 200 times; every
//! record reported saved must be in the store, the chain intact, the database sound.

use std::time::Instant;

#[test]
fn records_survive_sigkill_200_times() {
    let runs = std::env::var("HADIR_CRASH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_hadir-kiosk"));
    let started = Instant::now();
    let report = hadir_kiosk::crash::run(exe, dir.path(), runs, 5, hadir_kiosk::crash::DEFAULT_MAX_DELAY).unwrap();
    eprintln!("{report} ({:.1} s)", started.elapsed().as_secs_f64());
    assert_eq!(report.runs, runs);
    assert!(report.saved > 0, "the writer never reported a saved record: {report}");
    assert!(report.passed(), "{report}");
}
