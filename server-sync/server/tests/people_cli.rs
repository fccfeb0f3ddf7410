//! The command line of a new office: `hadir-server init-admin` with the password on standard
//! input, and `hadir-server employees import` of a 359-employee XLSX file with 5 bad rows
//! (refused, nothing written, non-zero exit), then the fixed file (359 added), then export;
//! then `hadir-server template-key rotate`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_hadir-server");

fn run(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hadir-server");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Row `i` (0-based) of the employee file: NIP as text, name, section, site, type.
fn employee(i: usize) -> [String; 5] {
    [format!("1985{:014}", 3_152_010_011_000 + i as u64), format!("Pegawai {i:03}"), if i.is_multiple_of(2) { "Umum" } else { "Bina Marga" }.into(), "PU".into(), "PNS".into()]
}

fn write_xlsx(path: &Path, n: usize, bad: bool) -> Vec<usize> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (j, h) in ["NIP", "Nama", "Bidang", "Lokasi", "Jenis Pegawai"].iter().enumerate() {
        sheet.write_string(0, j as u16, *h).unwrap();
    }
    let mut bad_rows = Vec::new();
    for i in 0..n {
        let r = i as u32 + 1;
        let mut cells = employee(i);
        let mut formula = false;
        let mut number = false;
        if bad {
            match i {
                10 => cells[0].truncate(17),
                50 => formula = true,
                100 => cells[0] = employee(99)[0].clone(),
                200 => cells[2] = "Antah Berantah".into(),
                300 => number = true,
                _ => {}
            }
            if [10, 50, 100, 200, 300].contains(&i) {
                bad_rows.push(r as usize + 1);
            }
        }
        for (j, v) in cells.iter().enumerate() {
            let c = j as u16;
            if j == 0 && number {
                sheet.write_number(r, c, v.parse::<f64>().unwrap()).unwrap();
            } else if j == 1 && formula {
                sheet.write_formula(r, c, "=\"Pegawai\"").unwrap();
            } else {
                sheet.write_string(r, c, v).unwrap();
            }
        }
    }
    book.save(path).unwrap();
    bad_rows
}

#[test]
fn init_admin_then_import_359_employees() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hadir.sqlite");
    let config = dir.path().join("server.toml");
    std::fs::write(&config, format!("listen = \"127.0.0.1:0\"\n\n[storage]\nbackend = \"sqlite\"\nsqlite_path = {:?}\n", db.display().to_string())).unwrap();

    let weak = run(&config, &["init-admin"], "123456789012\n");
    assert!(!weak.status.success(), "a common password is refused");
    assert!(text(&weak.stderr).contains("too common"), "{}", text(&weak.stderr));
    let ok = run(&config, &["init-admin", "--username", "kepala"], "kopi-tubruk-di-pasar\n");
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let again = run(&config, &["init-admin"], "kopi-tubruk-di-pasar-2\n");
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("exists already"), "{}", text(&again.stderr));

    // The office's site on the command line (a bad id refused), its sections as the
    // dashboard's settings would make them.
    let bad_site = run(&config, &["sites", "put", "KANTOR PU", "Kantor PU"], "");
    assert!(!bad_site.status.success() && text(&bad_site.stderr).contains("site id"), "{}", text(&bad_site.stderr));
    let site = run(&config, &["sites", "put", "PU", "Kantor PU"], "");
    assert!(site.status.success(), "{}", text(&site.stderr));
    assert_eq!(text(&site.stdout), "PU\tKantor PU\tAsia/Makassar (server)\temployees=0\n");
    let bad_zone = run(&config, &["sites", "put", "UPT", "UPT Jayapura", "--time-zone", "Europe/Berlin"], "");
    assert!(!bad_zone.status.success() && text(&bad_zone.stderr).contains("Asia/Jayapura"), "{}", text(&bad_zone.stderr));
    let east = run(&config, &["sites", "put", "UPT", "UPT Jayapura", "--time-zone", "Asia/Jayapura"], "");
    assert!(east.status.success(), "{}", text(&east.stderr));
    assert_eq!(text(&east.stdout), "PU\tKantor PU\tAsia/Makassar (server)\temployees=0\nUPT\tUPT Jayapura\tAsia/Jayapura\temployees=0\n");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = hadir_server::storage::Store::open_sqlite(&db).unwrap();
    rt.block_on(async {
        let h = hadir_rules::WeeklySchedule::weekdays(hadir_rules::WorkHours::new(time::macros::time!(7:30), time::macros::time!(16:00)).unwrap());
        store.put_section("UM", "Umum", &h).await.unwrap();
        store.put_section("BM", "Bina Marga", &h).await.unwrap();
    });

    let bad = dir.path().join("pegawai-salah.xlsx");
    let bad_rows = write_xlsx(&bad, 359, true);
    let out = run(&config, &["employees", "import", bad.to_str().unwrap(), "--lang", "en"], "");
    let stdout = text(&out.stdout);
    assert!(!out.status.success(), "refused rows: non-zero exit\n{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    let row_lines: Vec<&str> = lines.iter().copied().filter(|l| l.starts_with("row ")).collect();
    assert_eq!(row_lines.len(), 5, "{stdout}");
    for (line, row) in row_lines.iter().zip(&bad_rows) {
        assert!(line.starts_with(&format!("row {row}: ")), "{line} (expected row {row})");
    }
    assert!(stdout.contains("18 digits") && stdout.contains("formula") && stdout.contains("already in row") && stdout.contains("Antah") && stdout.contains("as text"), "{stdout}");
    assert_eq!(lines.last().copied(), Some("employees import: added=354 updated=0 unchanged=0 refused=5"));
    assert!(rt.block_on(store.people()).unwrap().is_empty(), "nothing written");

    let dry = run(&config, &["employees", "import", bad.to_str().unwrap(), "--dry-run"], "");
    assert!(dry.status.success(), "a dry run only reports");
    assert!(text(&dry.stdout).contains("baris") || text(&dry.stdout).contains("row 11: NIP"), "Indonesian reasons by default: {}", text(&dry.stdout));

    let good = dir.path().join("pegawai.xlsx");
    write_xlsx(&good, 359, false);
    let out = run(&config, &["employees", "import", good.to_str().unwrap()], "");
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(text(&out.stdout).trim_end(), "employees import: added=359 updated=0 unchanged=0 refused=0");
    let roster = rt.block_on(store.roster_since("PU", 0)).unwrap();
    assert_eq!(roster.changed.len(), 359, "the kiosks' roster holds them");
    assert_eq!(text(&run(&config, &["sites", "list"], "").stdout), "PU\tKantor PU\tAsia/Makassar (server)\temployees=359\nUPT\tUPT Jayapura\tAsia/Jayapura\temployees=0\n");

    for name in ["pegawai-ekspor.csv", "pegawai-ekspor.xlsx"] {
        let export = dir.path().join(name);
        let out = run(&config, &["employees", "export", export.to_str().unwrap()], "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = run(&config, &["employees", "import", export.to_str().unwrap()], "");
        assert_eq!(text(&out.stdout).trim_end(), "employees import: added=0 updated=0 unchanged=359 refused=0", "{name}");
    }

    // The technician rotates the face-template key: the template enrolled under the old key
    // opens under the new one, the old key is kept, the rotation is audited.
    let employee = &employee(7)[0];
    let embedding: Vec<f32> = (0..512).map(|i| i as f32 / 512.0).collect();
    rt.block_on(store.add_template(employee, "m1", &embedding, 0)).unwrap();
    let key_path = hadir_server::storage::sealed::default_key_path(&db);
    let old = hadir_server::storage::TemplateKey::load(&key_path).unwrap();
    let out = run(&config, &["template-key", "rotate"], "");
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let new = hadir_server::storage::TemplateKey::load(&key_path).unwrap();
    let last = text(&out.stdout).lines().last().unwrap_or_default().to_owned();
    let want = format!("template-key rotate: key {} → {}: templates=1 photos=0 photos_from_clear=0 unreadable=0", old.id(), new.id());
    assert!(last.starts_with(&want), "{last}");
    assert_ne!(old.id(), new.id());
    let retired = format!("{}.retired-{}", key_path.display(), old.id());
    assert_eq!(hadir_server::storage::TemplateKey::load(std::path::Path::new(&retired)).unwrap().id(), old.id());
    let reopened = hadir_server::storage::Store::open_sqlite(&db).unwrap();
    let templates = rt.block_on(reopened.templates(employee)).unwrap();
    assert_eq!(templates.iter().map(|t| &t.embedding).collect::<Vec<_>>(), [&embedding]);
    let audit = rt.block_on(reopened.audit_lines(Some("template_key_rotate"), None, None, 5)).unwrap();
    assert_eq!(audit.len(), 1);
}
