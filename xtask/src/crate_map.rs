//! The README's crate map (crate | path | purpose | depends on) checked against
//! `cargo metadata`, so that the map a newcomer reads first is never stale.

use crate::shell;
use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// A crate and the workspace crates it depends on (normal and build dependencies).
type Map = BTreeMap<String, Vec<String>>;

/// Fails, listing every difference, when the README's map and the workspace disagree.
pub fn check(root: &Path) -> Result<()> {
    let readme = std::fs::read_to_string(root.join("README.md")).context("reading README.md")?;
    let documented = from_readme(&readme)?;
    let actual = from_metadata(root)?;
    let problems = compare(&documented, &actual);
    if !problems.is_empty() {
        bail!("the README's crate map is stale:\n  {}", problems.join("\n  "));
    }
    println!("  the crate map lists all {} workspace crates with their dependencies", actual.len());
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    let unprofiled = without_dev_profile(&manifest, actual.keys());
    if !unprofiled.is_empty() {
        bail!(
            "Cargo.toml has no `[profile.dev.package.NAME]` block for {}: without one a crate \
             builds like the dependencies (opt-level 2, no line tables), slow to rebuild; add one \
             as the other crates have",
            unprofiled.join(", ")
        );
    }
    println!("  each has its own dev profile block in Cargo.toml");
    Ok(())
}

/// The crates without a `[profile.dev.package.NAME]` block in the workspace manifest: Cargo has
/// no pattern for "the workspace's own crates", so each says how it builds in dev by name.
fn without_dev_profile<'a>(manifest: &str, crates: impl Iterator<Item = &'a String>) -> Vec<String> {
    crates
        .filter(|name| !manifest.lines().any(|line| line.trim() == format!("[profile.dev.package.{name}]")))
        .cloned()
        .collect()
}

fn names(cell: &str) -> Vec<String> {
    let mut list: Vec<String> = cell
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    list.sort();
    list
}

/// Reads the table under the `## Crate map` heading.
fn from_readme(readme: &str) -> Result<Map> {
    let section = readme
        .split("\n## ")
        .find(|part| part.starts_with("Crate map"))
        .context("README.md has no `## Crate map` section")?;
    let mut map = Map::new();
    for line in section.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [name, _path, _purpose, depends] = cells[..] else {
            bail!("crate map row should have 4 cells: {line}");
        };
        let Some(name) = names(name).into_iter().next() else {
            continue; // the header and the separator row
        };
        map.insert(name, names(depends));
    }
    Ok(map)
}

fn from_metadata(root: &Path) -> Result<Map> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let json = shell::output(
        Command::new(cargo)
            .current_dir(root)
            .args(["metadata", "--format-version", "1", "--no-deps", "--locked"]),
    )?;
    let meta: serde_json::Value = serde_json::from_str(&json).context("parsing cargo metadata")?;
    let packages = meta["packages"].as_array().context("cargo metadata has no packages")?;
    let members: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut map = Map::new();
    for package in packages {
        let name = package["name"].as_str().context("a package without a name")?;
        let mut deps: Vec<String> = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].as_str() != Some("dev"))
            .filter_map(|d| d["name"].as_str())
            .filter(|d| members.contains(d))
            .map(str::to_string)
            .collect();
        deps.sort();
        deps.dedup();
        map.insert(name.to_string(), deps);
    }
    Ok(map)
}

fn compare(documented: &Map, actual: &Map) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, deps) in actual {
        match documented.get(name) {
            None => problems.push(format!("`{name}` is missing from the map")),
            Some(listed) if listed != deps => problems.push(format!(
                "`{name}` depends on {deps:?}, the map says {listed:?}"
            )),
            Some(_) => {}
        }
    }
    for name in documented.keys().filter(|n| !actual.contains_key(*n)) {
        problems.push(format!("`{name}` is in the map but not in the workspace"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const README: &str = "# x\n\n## Crate map\n\n| crate | path | purpose | depends on |\n| --- | --- | --- | --- |\n| `a` | `a/` | first | — |\n| `b` | `b/` | second | `a` |\n\n## Next\n| not | a | map | row |\n";

    #[test]
    fn reads_the_table_under_its_heading_only() {
        let map = from_readme(README).unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map["a"], Vec::<String>::new());
        assert_eq!(map["b"], vec!["a".to_string()]);
    }

    #[test]
    fn reports_missing_extra_and_wrong_dependencies() {
        let documented = from_readme(README).unwrap();
        let mut actual = Map::new();
        actual.insert("a".into(), vec!["c".into()]);
        actual.insert("c".into(), vec![]);
        let problems = compare(&documented, &actual);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("`c` is missing")));
        assert!(problems.iter().any(|p| p.contains("`a` depends on")));
        assert!(problems.iter().any(|p| p.contains("`b` is in the map but not")));
    }

    #[test]
    fn finds_crates_without_their_dev_profile_block() {
        let manifest = "[profile.dev]\nopt-level = 2\n\n[profile.dev.package.a]\nopt-level = 0\n# [profile.dev.package.b]\n";
        let crates = ["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(without_dev_profile(manifest, crates.iter()), vec!["b".to_string(), "c".to_string()]);
        assert!(without_dev_profile(manifest, crates[..1].iter()).is_empty());
    }

    #[test]
    fn the_real_readme_matches_the_workspace() {
        let root = shell::workspace_root().unwrap();
        check(&root).unwrap();
    }
}
