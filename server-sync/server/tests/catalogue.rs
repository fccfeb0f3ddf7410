//! The Indonesian catalogue matches the server's texts: every `lang.tr("…")`,
//! `lang.tr_in("context", "…")` and `tr!(lang, "… {name} …", name = …)` in `src/` has a non-empty Indonesian form in `lang/id.po` with
//! the same `{placeholders}`, the catalogue holds each text once and nothing the code no longer
//! uses, and every translated text is a literal (a computed one could not be checked here).

use hadir_server::dashboard::i18n::{CATALOGUE_ID, Lang, parse_po, unquote};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A Rust string literal at the start of `s` (after whitespace): its raw text with quotes, and
/// the rest.
fn literal(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    if !s.starts_with('"') {
        return None;
    }
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some((&s[..=i], &s[i + 1..])),
            _ => escaped = false,
        }
    }
    None
}

/// Every `(context, English)` used, with where; and every call whose text is not a literal.
fn used() -> (BTreeMap<(String, String), String>, Vec<String>) {
    let mut files = Vec::new();
    sources(&Path::new(ROOT).join("src"), &mut files);
    let mut found = BTreeMap::new();
    let mut computed = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read source");
        let name = file.strip_prefix(ROOT).unwrap_or(&file).display().to_string();
        for (call, with_context) in [(".tr(", false), (".tr_in(", true), ("tr!(", false)] {
            let mut rest = text.as_str();
            while let Some(at) = rest.find(call) {
                let offset = text.len() - rest.len() + at;
                let line = text[..offset].matches('\n').count() + 1;
                rest = &rest[at + call.len()..];
                // Documentation shows calls; it is not a text anyone reads on a page.
                let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
                if text[line_start..offset].trim_start().starts_with("//") {
                    continue;
                }
                // `include_str!(` is not `tr!(`.
                if call == "tr!(" && text[..offset].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let mut args = rest;
                if call == "tr!(" {
                    // The language expression, then the text.
                    args = args.split_once(',').map_or("", |(_, after)| after);
                }
                let mut context = String::new();
                if with_context {
                    match literal(args) {
                        Some((c, after)) => {
                            context = unquote(c);
                            args = after.trim_start().strip_prefix(',').unwrap_or(after);
                        }
                        None => {
                            // The method's own definition takes a parameter, not a literal.
                            if !rest.starts_with("self") {
                                computed.push(format!("{name}:{line}"));
                            }
                            continue;
                        }
                    }
                }
                match literal(args) {
                    Some((english, _)) => {
                        found.entry((context, unquote(english))).or_insert(format!("{name}:{line}"));
                    }
                    // The methods' and the macro's own definitions pass their parameter on.
                    None if rest.starts_with("self") || rest.starts_with('$') || rest.starts_with("\"\", english)") => {}
                    None => computed.push(format!("{name}:{line}")),
                }
            }
        }
    }
    (found, computed)
}

fn placeholders(s: &str) -> BTreeSet<&str> {
    s.match_indices('{').filter_map(|(i, _)| s[i..].find('}').map(|j| &s[i..=i + j])).collect()
}

#[test]
fn every_text_has_its_indonesian_form_and_every_entry_is_used() {
    let (used, computed) = used();
    assert!(used.len() > 500, "the scan found only {} texts: is it still reading `src/`?", used.len());
    assert!(computed.is_empty(), "texts that are not literals cannot be checked: {computed:?}");
    let entries = parse_po(CATALOGUE_ID);
    let mut catalogue = BTreeMap::new();
    for e in &entries {
        let key = (e.context.clone(), e.english.clone());
        assert!(catalogue.insert(key, e).is_none(), "lang/id.po:{}: {:?} ({:?}) twice", e.line, e.english, e.context);
    }
    let mut missing = Vec::new();
    for ((context, english), at) in &used {
        match catalogue.get(&(context.clone(), english.clone())) {
            None => missing.push(format!("{at}: {english:?} (context {context:?})")),
            Some(e) if e.indonesian.trim().is_empty() => missing.push(format!("lang/id.po:{}: {english:?} is empty", e.line)),
            Some(e) => assert_eq!(
                placeholders(&e.indonesian),
                placeholders(english),
                "lang/id.po:{}: the Indonesian of {english:?} has other placeholders",
                e.line
            ),
        }
    }
    assert!(missing.is_empty(), "texts without their Indonesian form in lang/id.po:\n{}", missing.join("\n"));
    let unused: Vec<String> = entries
        .iter()
        .filter(|e| !used.contains_key(&(e.context.clone(), e.english.clone())))
        .map(|e| format!("lang/id.po:{}: {:?}", e.line, e.english))
        .collect();
    assert!(unused.is_empty(), "entries no text uses any more:\n{}", unused.join("\n"));
}

#[test]
fn the_catalogue_is_what_an_indonesian_page_shows() {
    let cases = [
        ("", "Late", "Terlambat"),
        ("", "May", "Mei"),
        ("report column", "Absent", "TK"),
        ("", "Absent", "Tanpa keterangan"),
    ];
    for (context, english, indonesian) in cases {
        assert_eq!(Lang::Id.tr_in(context, english), indonesian, "{english:?} in {context:?}");
        assert_eq!(Lang::En.tr_in(context, english), english);
    }
    // A text outside the catalogue shows as written rather than nothing.
    assert_eq!(Lang::Id.tr("not in the catalogue"), "not in the catalogue");
}

#[test]
fn po_entries_are_read_with_contexts_continuations_and_escapes() {
    let po = "# comment\nmsgid \"\"\nmsgstr \"\"\n\"Language: id\\n\"\n\n#: a.rs\nmsgid \"Say \\\"hi\\\"\"\nmsgstr \"Ucapkan \"\n\"\\\"hai\\\"\"\n\nmsgctxt \"c\"\nmsgid \"Time\"\nmsgstr \"Jam\"\n";
    let e = parse_po(po);
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!((e[0].context.as_str(), e[0].english.as_str(), e[0].indonesian.as_str(), e[0].line), ("", "Say \"hi\"", "Ucapkan \"hai\"", 7));
    assert_eq!((e[1].context.as_str(), e[1].english.as_str(), e[1].indonesian.as_str()), ("c", "Time", "Jam"));
}
