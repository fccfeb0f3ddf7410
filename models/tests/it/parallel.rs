//! Two-thread analysis gives the same answer as the sequential one.

use crate::support::{engine, models_dir, photo};
use hadir_models::{EngineConfig, FaceEngine};

#[test]
fn parallel_analysis_matches_sequential() {
    let frame = photo("people/rose_leslie/img2.jpg");
    let sequential = engine().analyze(&frame).expect("analyze");
    let config = EngineConfig {
        threads: 2,
        ..EngineConfig::default()
    };
    let mut parallel_engine = FaceEngine::load_with(&models_dir(), config).expect("load");
    let parallel = parallel_engine.analyze(&frame).expect("analyze");
    let (s, p) = (
        sequential.subject.expect("face"),
        parallel.subject.expect("face"),
    );
    assert!(s.embedding.cosine(&p.embedding) > 0.9999);
    assert!((s.liveness - p.liveness).abs() < 1e-5);
    assert_eq!(s.measures, p.measures);
    assert_eq!(sequential.issues, parallel.issues);
}
