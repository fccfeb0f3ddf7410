//! The Indonesian catalogue matches the screens: every `@tr()` text in `ui/**/*.slint` has a
//! non-empty Indonesian translation in `lang/id/LC_MESSAGES/hadir-ui.po`, and the catalogue
//! holds nothing the screens no longer use. (Slint falls back to the English source text for
//! a missing entry, which would silently show English on an Indonesian kiosk.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn slint_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read ui/") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            slint_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "slint") {
            out.push(path);
        }
    }
}

/// Reads a double-quoted Slint/PO string starting after the opening quote; returns the text
/// and the rest after the closing quote.
fn quoted(s: &str) -> (String, &str) {
    let mut text = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    text.push(match n {
                        'n' => '\n',
                        other => other,
                    });
                }
            }
            '"' => return (text, &s[i + 1..]),
            c => text.push(c),
        }
    }
    panic!("unterminated string: {s}");
}

/// Every `@tr("...")` source text (singular and plural forms).
fn tr_texts(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("@tr(\"") {
        let (text, after) = quoted(&rest[at + 5..]);
        found.push(text);
        rest = after;
        let trimmed = rest.trim_start();
        if let Some(plural) = trimmed.strip_prefix("| \"") {
            let (text, after) = quoted(plural);
            found.push(text);
            rest = after;
        }
    }
    found
}

/// (msgid or msgid_plural, translated?) pairs of the catalogue.
fn po_entries(po: &str) -> Vec<(String, bool)> {
    let mut entries = Vec::new();
    let lines: Vec<&str> = po.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        for key in ["msgid \"", "msgid_plural \""] {
            if let Some(rest) = line.strip_prefix(key) {
                let (id, _) = quoted(rest);
                if id.is_empty() {
                    continue; // the header
                }
                let translated = lines[i + 1..]
                    .iter()
                    .take_while(|l| !l.is_empty())
                    .filter(|l| l.starts_with("msgstr"))
                    .all(|l| {
                        let start = l.find('"').expect("msgstr has a string");
                        !quoted(&l[start + 1..]).0.is_empty()
                    });
                entries.push((id, translated));
            }
        }
    }
    entries
}

#[test]
fn every_screen_text_has_an_indonesian_translation_and_none_is_stale() {
    let mut files = Vec::new();
    slint_files(&Path::new(ROOT).join("ui"), &mut files);
    assert!(files.len() >= 9, "expected the screens under ui/, found {files:?}");
    let used: BTreeSet<String> = files
        .iter()
        .flat_map(|f| tr_texts(&std::fs::read_to_string(f).expect("read .slint")))
        .collect();
    let po = std::fs::read_to_string(Path::new(ROOT).join("lang/id/LC_MESSAGES/hadir-ui.po"))
        .expect("read the Indonesian catalogue");
    let entries = po_entries(&po);
    let catalogued: BTreeSet<String> = entries.iter().map(|(id, _)| id.clone()).collect();

    let missing: Vec<_> = used.difference(&catalogued).collect();
    assert!(missing.is_empty(), "texts without an Indonesian translation: {missing:#?}");
    let stale: Vec<_> = catalogued.difference(&used).collect();
    assert!(stale.is_empty(), "catalogue entries no screen uses: {stale:#?}");
    let empty: Vec<_> = entries.iter().filter(|(_, ok)| !ok).map(|(id, _)| id).collect();
    assert!(empty.is_empty(), "entries with an empty translation: {empty:#?}");
}

#[test]
fn the_extractor_reads_singular_plural_and_escapes() {
    let cases: [(&str, &[&str]); 4] = [
        (r#"text: @tr("Hold still");"#, &["Hold still"]),
        (r#"@tr("Late {n} minute" | "Late {n} minutes" % m)"#, &["Late {n} minute", "Late {n} minutes"]),
        (r#"@tr("Say \"hi\"") + @tr("B")"#, &["Say \"hi\"", "B"]),
        ("no translations here", &[]),
    ];
    for (source, want) in cases {
        assert_eq!(tr_texts(source), want, "{source}");
    }
}
