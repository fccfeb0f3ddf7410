//! The seed's department: 359 employees in 8 sections, 38 devices (30 office kiosks at the
//! KANTOR site, 8 field units at LAPANGAN), schedules Monday–Friday 07:30–16:00 WIB, users
//! (an admin and one supervisor per section), and the real face templates of five shared
//! identities (employee `i` looks like identity `i % 5`).

use crate::face::{E2eFace, embedding};
use crate::kiosk::{KioskSpec, SimKiosk};
use crate::server::{FrozenClock, Server};
use hadir_kiosk::face::{FaceResult, ModelsFace};
use hadir_kiosk::policy::Mode;
use hadir_server::dashboard::auth::hash_password;
use hadir_server::storage::accounts::Role;
use hadir_rules::{WeeklySchedule, WorkHours};
use hadir_server::storage::EmployeeInput;
use image::RgbImage;
use std::sync::{Arc, Mutex};

/// Employees.
pub const EMPLOYEES: usize = 359;
/// Devices.
pub const DEVICES: usize = 38;
/// Office kiosks (the rest are field units).
pub const OFFICE_DEVICES: usize = 30;
/// Sections.
pub const SECTIONS: [(&str, &str); 8] = [
    ("SEK", "Sekretariat"),
    ("BM", "Bina Marga"),
    ("SDA", "Sumber Daya Air"),
    ("CK", "Cipta Karya"),
    ("TR", "Tata Ruang"),
    ("PR", "Perumahan"),
    ("UPTJ", "UPT Jalan"),
    ("UPTI", "UPT Irigasi"),
];
/// Password of every dashboard user in the tests.
pub const PASSWORD: &str = "kata-sandi-e2e-1";
/// The shared identities: (template photo, probe photo).
pub const IDENTITIES: [(&str, &str); 4] = [
    ("people/obama/obama.jpg", "people/obama/obama3.jpg"),
    ("people/kit_harington/john1.jpeg", "people/kit_harington/john2.jpeg"),
    ("people/alex_lacamoire/img2.jpg", "people/alex_lacamoire/img3.png"),
    ("people/rose_leslie/img1.jpg", "people/rose_leslie/img2.jpg"),
];

/// An employee's NIP (18 digits).
pub fn nip(i: usize) -> String {
    format!("1980010120050{i:05}")
}
/// An employee's PIN.
pub fn pin(i: usize) -> String {
    format!("{:06}", 100_000 + i * 7)
}
/// An employee's section id.
pub fn section(i: usize) -> &'static str {
    SECTIONS[i % SECTIONS.len()].0
}
/// The device an employee records at.
pub fn device_of(i: usize) -> usize {
    i % DEVICES
}
/// A device's id.
pub fn device_id(d: usize) -> String {
    if d < OFFICE_DEVICES { format!("K-{:02}", d + 1) } else { format!("F-{:02}", d - OFFICE_DEVICES + 1) }
}
/// Whether a device is a field unit.
pub fn is_field(d: usize) -> bool {
    d >= OFFICE_DEVICES
}
/// Field units that may record without a fix (the record says so); the others refuse.
pub fn allows_without_fix(d: usize) -> bool {
    is_field(d) && d < OFFICE_DEVICES + 4
}
fn site_of(d: usize) -> &'static str {
    if is_field(d) { "LAPANGAN" } else { "KANTOR" }
}

/// Test PIN hashes: Argon2id with the smallest parameters. The PHC string carries its
/// parameters, so the kiosk verifies these exactly as production hashes, in microseconds
/// instead of 359 × tens of milliseconds for each first use of a PIN.
pub fn test_pin_hash(pin: &str, i: usize) -> String {
    use argon2::PasswordHasher;
    let params = argon2::Params::new(8, 1, 1, None).expect("Argon2 parameters");
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = argon2::password_hash::SaltString::encode_b64(format!("e2e-salt-{i:08}").as_bytes()).expect("salt");
    a.hash_password(pin.as_bytes(), &salt).expect("hash").to_string()
}

/// The real engine's view of the shared identities, computed once.
pub struct Faces {
    /// The engine, shared by every kiosk.
    pub engine: Arc<Mutex<ModelsFace>>,
    /// Its model version.
    pub model_version: String,
    /// Template embedding per identity.
    pub templates: Vec<Vec<f32>>,
    /// Probe photo per identity (the camera frame of that person).
    pub probes: Vec<RgbImage>,
    /// The real result of each identity's probe against its own template (replayed).
    pub genuine: Vec<FaceResult>,
}

/// Loads the engine and computes templates and genuine results (10 inferences).
pub fn faces() -> Faces {
    let engine = ModelsFace::load(&crate::data::models_dir()).unwrap_or_else(|e| {
        panic!("face models did not load ({e:?}): run `cargo xtask setup` (or set HADIR_MODELS_DIR)")
    });
    let engine = Arc::new(Mutex::new(engine));
    let model_version = E2eFace::new(engine.clone()).face_model_version();
    let mut templates = Vec::new();
    let mut probes = Vec::new();
    let mut genuine = Vec::new();
    for (t, p) in IDENTITIES {
        let template_photo = hadir_models::photo::load_rgb(&crate::data::face_photo(t)).expect("template photo");
        let emb = embedding(&engine, &template_photo).unwrap_or_else(|e| panic!("{t}: {e}"));
        let probe = hadir_models::photo::load_rgb(&crate::data::face_photo(p)).expect("probe photo");
        let r = crate::face::analyse(&engine, &probe, std::slice::from_ref(&emb));
        let s = crate::face::score(&r).unwrap_or_else(|| panic!("{p}: no face found"));
        assert!(s >= 80.0, "{p} against {t} scored {s:.1}%: the genuine pair should be valid");
        templates.push(emb);
        probes.push(probe);
        genuine.push(r);
    }
    Faces { engine, model_version, templates, probes, genuine }
}

/// The department on a server: sections, users, employees with templates.
pub async fn seed(server: &Server, faces: &Faces, now_ms: i64) {
    let dash = &server.dash.store;
    let h = WorkHours::new(time::macros::time!(07:30), time::macros::time!(16:00)).expect("hours");
    let pw = hash_password(PASSWORD).expect("password hash");
    dash.add_user("admin", &pw, Role::Admin, &[]).await.expect("admin");
    for (id, name) in SECTIONS {
        dash.put_section(id, name, &WeeklySchedule::weekdays(h)).await.expect("section");
        dash.add_user(&format!("kabid_{}", id.to_lowercase()), &pw, Role::Supervisor, &[id]).await.expect("supervisor");
    }
    for i in 0..EMPLOYEES {
        let e = EmployeeInput {
            employee_id: nip(i),
            name: format!("Pegawai {i:03}"),
            site_id: site_of(device_of(i)).into(),
            section_id: Some(section(i).into()),
            pin_hash: Some(test_pin_hash(&pin(i), i)),
        };
        server.store.upsert_employee(&e).await.expect("employee");
        server
            .store
            .add_template(&nip(i), &faces.model_version, &faces.templates[i % IDENTITIES.len()], now_ms)
            .await
            .expect("template");
    }
}

/// Enrols the 38 kiosks (each in its own folder under `root`).
pub async fn kiosks(server: &Server, faces: &Faces, root: &std::path::Path, clock: &FrozenClock) -> Vec<SimKiosk> {
    let mut out = Vec::new();
    for d in 0..DEVICES {
        let spec = KioskSpec {
            device_id: device_id(d),
            site: site_of(d).into(),
            mode: if is_field(d) { Mode::Field } else { Mode::Office },
            allow_without_fix: allows_without_fix(d),
        };
        let face = E2eFace::new(faces.engine.clone());
        out.push(SimKiosk::enrol(server, &spec, root.join(&spec.device_id), face, clock).await);
    }
    out
}

impl E2eFace {
    /// The engine's model version.
    pub fn face_model_version(&self) -> String {
        use hadir_kiosk::face::FaceCheck;
        self.model_version()
    }
}
