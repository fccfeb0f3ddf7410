//! The check of the Buildroot external tree (`buildroot/`), run as unit tests in CI: Buildroot
//! itself is in no reachable registry, so the tree cannot be built here; instead its files
//! must parse, and every symbol the defconfig sets must be defined by the tree or be one of
//! Buildroot's own, listed in `buildroot/buildroot-symbols.txt` (derived from Buildroot's
//! sources; the file's header names the commit and the command).
//!
//! The parsing is deliberately small: line-based Kconfig as Buildroot's packages write it
//! (`config`, `bool`, `string`, `depends on`, `select`, `help` blocks, `if`/`menu` nesting,
//! `source`), `external.desc`, defconfig lines, and package `.mk` variables.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A problem found in the tree, with the file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem(pub String);

/// What a Kconfig file defines and refers to.
#[derive(Debug, Default)]
pub struct Kconfig {
    /// Symbols defined (`config X` / `menuconfig X`).
    pub defined: BTreeSet<String>,
    /// Symbols referred to in `depends on`, `select`, `if`, `default ... if`.
    pub referenced: BTreeSet<String>,
    /// Paths named by `source`.
    pub sources: Vec<String>,
}

/// Parses one Kconfig file's text; `name` is for messages.
pub fn parse_kconfig(name: &str, text: &str) -> Result<Kconfig, Problem> {
    let mut out = Kconfig::default();
    let mut nesting: Vec<&str> = Vec::new();
    let mut in_help = false;
    let mut help_indent = 0usize;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let trimmed = raw.trim();
        let indent = raw.len() - raw.trim_start().len() + raw.chars().take_while(|c| *c == '\t').count() * 7;
        if in_help {
            if trimmed.is_empty() || indent > help_indent {
                continue;
            }
            in_help = false;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (keyword, rest) = trimmed.split_once(char::is_whitespace).unwrap_or((trimmed, ""));
        let rest = rest.trim();
        let symbols_in = |expr: &str| -> Vec<String> {
            expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.starts_with("BR2_"))
                .map(str::to_string)
                .collect()
        };
        match keyword {
            "config" | "menuconfig" => {
                if !rest.starts_with("BR2_") || rest.contains(' ') {
                    return Err(Problem(format!("{name}:{line_no}: `{keyword}` needs one BR2_ symbol, got `{rest}`")));
                }
                out.defined.insert(rest.to_string());
            }
            "bool" | "string" | "int" | "hex" | "tristate" | "prompt" | "range" | "option" => {}
            "default" => out.referenced.extend(symbols_in(rest.split_once(" if ").map_or("", |(_, c)| c))),
            "depends" => {
                let expr = rest.strip_prefix("on").ok_or_else(|| Problem(format!("{name}:{line_no}: `depends` without `on`")))?;
                out.referenced.extend(symbols_in(expr.split('#').next().unwrap_or("")));
            }
            "select" | "imply" => out.referenced.extend(symbols_in(rest.split('#').next().unwrap_or(""))),
            "help" | "---help---" => {
                in_help = true;
                help_indent = indent;
            }
            "if" => {
                out.referenced.extend(symbols_in(rest));
                nesting.push("if");
            }
            "menu" | "choice" => nesting.push(if keyword == "menu" { "menu" } else { "choice" }),
            "endif" | "endmenu" | "endchoice" => {
                let want = &keyword[3..];
                if nesting.pop() != Some(want) {
                    return Err(Problem(format!("{name}:{line_no}: `{keyword}` does not close an open `{want}`")));
                }
            }
            "comment" | "mainmenu" => {}
            "source" | "rsource" | "osource" => out.sources.push(rest.trim_matches('"').to_string()),
            other => return Err(Problem(format!("{name}:{line_no}: unknown Kconfig keyword `{other}`"))),
        }
    }
    if let Some(open) = nesting.pop() {
        return Err(Problem(format!("{name}: `{open}` is never closed")));
    }
    Ok(out)
}

/// One defconfig line's meaning.
#[derive(Debug, PartialEq, Eq)]
pub enum DefconfigLine {
    /// `SYM=value`.
    Set(String, String),
    /// `# SYM is not set`.
    Unset(String),
    /// A comment or a blank line.
    Comment,
}

/// Parses a defconfig line.
pub fn parse_defconfig_line(line: &str) -> Result<DefconfigLine, String> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("# ") {
        if let Some(symbol) = rest.strip_suffix(" is not set")
            && symbol.starts_with("BR2_")
            && !symbol.contains(' ')
        {
            return Ok(DefconfigLine::Unset(symbol.to_string()));
        }
        return Ok(DefconfigLine::Comment);
    }
    if line.is_empty() || line.starts_with('#') {
        return Ok(DefconfigLine::Comment);
    }
    let (symbol, value) = line.split_once('=').ok_or_else(|| format!("`{line}` is not SYMBOL=value"))?;
    if !symbol.starts_with("BR2_") || !symbol.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("`{symbol}` is not a BR2_ symbol"));
    }
    let quoted = value.len() >= 2 && value.starts_with('"') && value.ends_with('"');
    let plain = matches!(value, "y" | "m") || value.parse::<i64>().is_ok() || value.starts_with("0x");
    if !(quoted || plain) {
        return Err(format!("{symbol}: value `{value}` is neither y, m, a number nor a quoted string"));
    }
    Ok(DefconfigLine::Set(symbol.to_string(), value.to_string()))
}

/// Buildroot's own symbols from the committed list (comment lines skipped).
pub fn buildroot_symbols(text: &str) -> BTreeSet<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

/// `NAME = value` assignments of a package `.mk` file.
pub fn make_variables(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('\t') && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = ").or_else(|| l.split_once(" += ")))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// The tree's root: `<workspace>/buildroot`.
pub fn tree_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("buildroot")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn read(path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every Kconfig file of the tree, starting at Config.in and following `source`.
    fn tree_kconfig() -> Kconfig {
        let root = tree_root();
        let mut all = Kconfig::default();
        let mut queue = vec![root.join("Config.in")];
        while let Some(path) = queue.pop() {
            let parsed = parse_kconfig(&path.display().to_string(), &read(&path)).unwrap_or_else(|p| panic!("{}", p.0));
            for source in &parsed.sources {
                let rel = source
                    .strip_prefix("$BR2_EXTERNAL_HADIR_PATH/")
                    .unwrap_or_else(|| panic!("{}: source `{source}` must start with $BR2_EXTERNAL_HADIR_PATH/", path.display()));
                let target = root.join(rel);
                assert!(target.is_file(), "{}: sourced file {} does not exist", path.display(), target.display());
                queue.push(target);
            }
            all.defined.extend(parsed.defined);
            all.referenced.extend(parsed.referenced);
        }
        all
    }

    #[test]
    fn kconfig_parser_accepts_buildroot_style_and_rejects_mistakes() {
        let good = "config BR2_PACKAGE_FOO\n\tbool \"foo\"\n\tdepends on BR2_USE_MMU # fork\n\tselect BR2_PACKAGE_BAR if BR2_X\n\thelp\n\t  Text.\n\n\t  More text: config is a word here.\n\nif BR2_PACKAGE_FOO\nconfig BR2_PACKAGE_FOO_OPT\n\tstring \"opt\"\nendif\n";
        let k = parse_kconfig("t", good).unwrap();
        assert_eq!(k.defined.iter().collect::<Vec<_>>(), ["BR2_PACKAGE_FOO", "BR2_PACKAGE_FOO_OPT"]);
        assert!(k.referenced.contains("BR2_USE_MMU") && k.referenced.contains("BR2_PACKAGE_BAR") && k.referenced.contains("BR2_X"));
        for (bad, why) in [
            ("if BR2_A\nconfig BR2_B\n\tbool \"b\"\n", "never closed"),
            ("menu \"m\"\nendif\n", "does not close"),
            ("config FOO\n", "needs one BR2_ symbol"),
            ("confg BR2_A\n", "unknown Kconfig keyword"),
        ] {
            let err = parse_kconfig("t", bad).unwrap_err();
            assert!(err.0.contains(why), "{bad:?}: {}", err.0);
        }
    }

    #[test]
    fn defconfig_lines_parse_by_kind() {
        let cases: &[(&str, Result<DefconfigLine, ()>)] = &[
            ("BR2_aarch64=y", Ok(DefconfigLine::Set("BR2_aarch64".into(), "y".into()))),
            ("BR2_X=\"a b\"", Ok(DefconfigLine::Set("BR2_X".into(), "\"a b\"".into()))),
            ("BR2_N=120", Ok(DefconfigLine::Set("BR2_N".into(), "120".into()))),
            ("# BR2_TARGET_GENERIC_GETTY is not set", Ok(DefconfigLine::Unset("BR2_TARGET_GENERIC_GETTY".into()))),
            ("# any comment", Ok(DefconfigLine::Comment)),
            ("", Ok(DefconfigLine::Comment)),
            ("BR2_X=unquoted words", Err(())),
            ("FOO=y", Err(())),
            ("BR2_X", Err(())),
        ];
        for (line, want) in cases {
            assert_eq!(parse_defconfig_line(line).map_err(|_| ()), *want, "{line:?}");
        }
    }

    #[test]
    fn external_desc_names_the_tree() {
        let text = read(&tree_root().join("external.desc"));
        let name = text.lines().find_map(|l| l.strip_prefix("name: ")).expect("external.desc has a `name: ` line");
        assert_eq!(name.trim(), "HADIR");
        assert!(name.trim().chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        let desc = text.lines().find_map(|l| l.strip_prefix("desc: ")).expect("external.desc has a `desc: ` line");
        assert!(desc.len() <= 40, "desc should stay under ~40 characters (Buildroot manual)");
        assert!(read(&tree_root().join("external.mk")).contains("$(BR2_EXTERNAL_HADIR_PATH)/package/*/*.mk"));
    }

    #[test]
    fn every_symbol_the_defconfig_sets_is_defined() {
        let root = tree_root();
        let list = read(&root.join("buildroot-symbols.txt"));
        assert!(list.starts_with("# Buildroot's own Kconfig symbols"), "the list must say where it comes from");
        let buildroot = buildroot_symbols(&list);
        assert!(buildroot.len() > 5000, "buildroot-symbols.txt looks truncated ({} symbols)", buildroot.len());
        let tree = tree_kconfig();
        let defconfig = root.join("configs/hadir_rpi4_64_defconfig");
        let mut seen = BTreeSet::new();
        let mut unknown = Vec::new();
        for (index, line) in read(&defconfig).lines().enumerate() {
            let parsed = parse_defconfig_line(line).unwrap_or_else(|e| panic!("{}:{}: {e}", defconfig.display(), index + 1));
            let (symbol, value) = match parsed {
                DefconfigLine::Set(s, v) => (s, v),
                DefconfigLine::Unset(s) => (s, String::new()),
                DefconfigLine::Comment => continue,
            };
            assert!(seen.insert(symbol.clone()), "{symbol} is set twice in the defconfig");
            if !tree.defined.contains(&symbol) && !buildroot.contains(&symbol) {
                unknown.push(format!("line {}: {symbol}", index + 1));
            }
            // Paths into this tree must exist.
            for part in value.split("$(BR2_EXTERNAL_HADIR_PATH)/").skip(1) {
                let rel = part.split(['"', ' ']).next().unwrap_or("");
                assert!(root.join(rel).exists(), "{symbol} names {rel}, which is not in buildroot/");
            }
        }
        assert!(unknown.is_empty(), "defconfig symbols defined neither by the tree nor by Buildroot: {unknown:?}");
        for symbol in &tree.referenced {
            assert!(
                tree.defined.contains(symbol) || buildroot.contains(symbol),
                "the tree's Config.in refers to {symbol}, which nobody defines"
            );
        }
        for package in ["BR2_PACKAGE_HADIR_KIOSK", "BR2_PACKAGE_HADIR_MODELS"] {
            assert!(seen.contains(package), "the defconfig does not enable {package}");
            assert!(!buildroot.contains(package), "{package} clashes with a Buildroot symbol");
        }
    }

    #[test]
    fn packages_have_config_and_makefile_that_agree() {
        let packages = tree_root().join("package");
        let kconfig = tree_kconfig();
        let mut count = 0;
        for entry in fs::read_dir(&packages).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let upper = name.to_uppercase().replace('-', "_");
            assert!(kconfig.defined.contains(&format!("BR2_PACKAGE_{upper}")), "{name}: no BR2_PACKAGE_{upper} in its Config.in");
            let mk = read(&entry.path().join(format!("{name}.mk")));
            let vars = make_variables(&mk);
            for suffix in ["VERSION", "SITE", "LICENSE"] {
                assert!(vars.contains_key(&format!("{upper}_{suffix}")), "{name}.mk sets no {upper}_{suffix}");
            }
            let last = mk.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
            assert!(
                last.starts_with("$(eval $(") && last.ends_with("-package))"),
                "{name}.mk must end with $(eval $(<kind>-package)), ends with `{last}`"
            );
            count += 1;
        }
        assert!(count >= 2);
        // The kiosk package builds the kiosk crate of this workspace with cargo.
        let mk = read(&packages.join("hadir-kiosk/hadir-kiosk.mk"));
        assert!(mk.contains("$(eval $(cargo-package))"));
        let subdir = make_variables(&mk).get("HADIR_KIOSK_SUBDIR").cloned().unwrap_or_default();
        assert!(tree_root().join("..").join(&subdir).join("Cargo.toml").is_file(), "HADIR_KIOSK_SUBDIR `{subdir}` has no Cargo.toml");
    }

    #[test]
    fn model_sums_match_setup() {
        let text = read(&tree_root().join("package/hadir-models/models.sha256"));
        let listed: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| l.split_once("  "))
            .map(|(sum, name)| (name.to_string(), sum.to_string()))
            .collect();
        let expected: Vec<(String, String)> =
            crate::setup::face_models::FILES.iter().map(|(n, s)| (n.to_string(), s.to_string())).collect();
        assert_eq!(listed, expected, "models.sha256 must list the models and sums of xtask/src/setup.rs");
    }

    #[test]
    fn board_files_are_in_place_and_no_console_login() {
        use std::os::unix::fs::PermissionsExt;
        let board = tree_root().join("board/rpi4-64");
        for script in ["post-build.sh", "post-image.sh"] {
            let mode = fs::metadata(board.join(script)).unwrap().permissions().mode();
            assert!(mode & 0o111 != 0, "{script} must be executable");
        }
        let genimage = read(&board.join("genimage.cfg.in"));
        let init = read(&tree_root().join("initramfs/init"));
        for part in ["rootfs-a", "rootfs-b", "data"] {
            assert!(genimage.contains(&format!("partition {part} {{")), "board genimage lacks {part}");
        }
        assert!(init.contains("part data") && init.contains("rootfs-$slot"));
        let inittab = read(&tree_root().join("overlay/etc/inittab"));
        for line in inittab.lines().filter(|l| !l.starts_with('#')) {
            assert!(!line.contains("getty") && !line.contains("login"), "inittab starts a login: {line}");
        }
    }
}
