//! The real receivers' NMEA captures, found in the shared test data (`HADIR_SHARED_DIR`, or
//! `../shared` beside the workspace); a missing file fails the test and says how to get it.

use std::path::PathBuf;

/// The folder of shared test data.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("HADIR_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")))
}

/// A capture in `nmea/`, by file name.
pub fn nmea_file(file_name: &str) -> PathBuf {
    let path = shared_dir().join("nmea").join(file_name);
    assert!(
        path.is_file(),
        "{} is missing: the NMEA captures live in the shared data directory \
         (set HADIR_SHARED_DIR to the folder that holds `nmea/`)",
        path.display()
    );
    path
}
