//! Kernel module selection: Debian's arm64 kernel ships ~290 MB of modules; the image takes
//! only the ones it names and what they depend on, read from `modules.dep` (which `depmod -b`
//! writes, since the package has none).

use std::collections::{BTreeMap, BTreeSet};

/// `modules.dep`, as a map from module name (`virtio_blk`) to its path and its dependencies'
/// paths (relative to `/lib/modules/VERSION`).
pub struct ModuleDeps {
    by_name: BTreeMap<String, (String, Vec<String>)>,
}

/// The module name of a path: `kernel/fs/ext4/ext4.ko` → `ext4`; `-` and `_` are the same
/// to modprobe, so names are normalised to `_`.
pub fn module_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split(".ko").next().unwrap_or(file);
    stem.replace('-', "_")
}

impl ModuleDeps {
    /// Parses the text of `modules.dep` (`path: dep dep ...` per line).
    pub fn parse(text: &str) -> Self {
        let by_name = text
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(path, deps)| {
                let deps = deps.split_whitespace().map(str::to_string).collect();
                (module_name(path), (path.to_string(), deps))
            })
            .collect();
        Self { by_name }
    }

    /// The paths of `wanted` and everything they need, sorted; the names not found (a module
    /// that is built into this kernel, or misspelt) are returned apart.
    pub fn closure(&self, wanted: &[&str]) -> (BTreeSet<String>, Vec<String>) {
        let mut paths = BTreeSet::new();
        let mut missing = Vec::new();
        for name in wanted {
            match self.by_name.get(&name.replace('-', "_")) {
                Some((path, deps)) => {
                    paths.insert(path.clone());
                    paths.extend(deps.iter().cloned());
                }
                None => missing.push((*name).to_string()),
            }
        }
        (paths, missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEP: &str = "\
kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
kernel/lib/crc16.ko:
kernel/fs/mbcache.ko:
kernel/fs/jbd2/jbd2.ko:
kernel/drivers/block/virtio_blk.ko:
kernel/drivers/media/test-drivers/vivid/vivid.ko: kernel/drivers/media/v4l2-core/videodev.ko kernel/drivers/media/mc/mc.ko
kernel/drivers/media/v4l2-core/videodev.ko: kernel/drivers/media/mc/mc.ko
kernel/drivers/media/mc/mc.ko:
kernel/crypto/crc32c-generic.ko:
";

    #[test]
    fn names_are_normalised() {
        for (path, name) in [
            ("kernel/fs/ext4/ext4.ko", "ext4"),
            ("kernel/crypto/crc32c-generic.ko", "crc32c_generic"),
            ("kernel/fs/squashfs/squashfs.ko.xz", "squashfs"),
        ] {
            assert_eq!(module_name(path), name);
        }
    }

    #[test]
    fn closure_takes_dependencies_and_reports_unknown_names() {
        let deps = ModuleDeps::parse(DEP);
        let cases: &[(&[&str], &[&str], &[&str])] = &[
            (&["virtio_blk"], &["kernel/drivers/block/virtio_blk.ko"], &[]),
            (
                &["ext4"],
                &["kernel/fs/ext4/ext4.ko", "kernel/fs/jbd2/jbd2.ko", "kernel/fs/mbcache.ko", "kernel/lib/crc16.ko"],
                &[],
            ),
            (
                &["vivid", "crc32c-generic", "nosuch"],
                &[
                    "kernel/crypto/crc32c-generic.ko",
                    "kernel/drivers/media/mc/mc.ko",
                    "kernel/drivers/media/test-drivers/vivid/vivid.ko",
                    "kernel/drivers/media/v4l2-core/videodev.ko",
                ],
                &["nosuch"],
            ),
        ];
        for (wanted, paths, missing) in cases {
            let (got, not_found) = deps.closure(wanted);
            assert_eq!(got.iter().map(String::as_str).collect::<Vec<_>>(), *paths, "{wanted:?}");
            assert_eq!(not_found, *missing, "{wanted:?}");
        }
    }
}
