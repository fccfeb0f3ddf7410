//! Configuration files that ship with the project parse with this build's `KioskConfig`.

use hadir_kiosk::KioskConfig;
use std::path::Path;

#[test]
fn the_image_default_config_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../buildroot/overlay/etc/hadir/kiosk.default.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (the image's default kiosk config is part of the repository)", path.display()));
    let cfg = KioskConfig::from_toml(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.device.data_dir, Path::new("/data/kiosk"));
}
