//! The initramfs archive: the kernel's `newc` cpio format, written here so that building an
//! image needs no `cpio` program. Entries are added in the order given; the kernel creates
//! them in that order, so a directory must come before what it holds.
//!
//! Format (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte ASCII
//! header (`070701` and thirteen 8-digit hex fields), the NUL-terminated name padded to a
//! multiple of 4 bytes, the data padded to a multiple of 4, and a final `TRAILER!!!` entry.

/// What one archive entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A directory with its permission bits.
    Dir { mode: u32 },
    /// A regular file with its permission bits and contents.
    File { mode: u32, data: Vec<u8> },
    /// A symbolic link to `target`.
    Symlink { target: String },
    /// A character device node (e.g. `/dev/console`, 5:1), made without `mknod`.
    CharDev { mode: u32, major: u32, minor: u32 },
}

/// A `newc` archive being built in memory (an initramfs is a few MiB).
#[derive(Default)]
pub struct Archive {
    bytes: Vec<u8>,
    next_ino: u32,
}

impl Archive {
    /// Appends an entry named `name` (relative, no leading `/`), owned by root.
    pub fn add(&mut self, name: &str, entry: &Entry) {
        let (mode, data, rdev): (u32, &[u8], (u32, u32)) = match entry {
            Entry::Dir { mode } => (0o040000 | mode, &[], (0, 0)),
            Entry::File { mode, data } => (0o100000 | mode, data, (0, 0)),
            Entry::Symlink { target } => (0o120777, target.as_bytes(), (0, 0)),
            Entry::CharDev { mode, major, minor } => (0o020000 | mode, &[], (*major, *minor)),
        };
        self.next_ino += 1;
        let nlink = if matches!(entry, Entry::Dir { .. }) { 2 } else { 1 };
        self.header(name, self.next_ino, mode, nlink, data.len(), rdev);
        self.bytes.extend_from_slice(data);
        self.pad();
    }

    /// Ends the archive and returns its bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.header("TRAILER!!!", 0, 0, 1, 0, (0, 0));
        self.bytes
    }

    fn header(&mut self, name: &str, ino: u32, mode: u32, nlink: u32, size: usize, rdev: (u32, u32)) {
        let fields = [
            ino, mode, 0, 0, nlink, 0, size as u32, 0, 0, rdev.0, rdev.1, name.len() as u32 + 1, 0,
        ];
        self.bytes.extend_from_slice(b"070701");
        for field in fields {
            self.bytes.extend_from_slice(format!("{field:08X}").as_bytes());
        }
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(0);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(header: &[u8], index: usize) -> u32 {
        let start = 6 + index * 8;
        u32::from_str_radix(std::str::from_utf8(&header[start..start + 8]).unwrap(), 16).unwrap()
    }

    #[test]
    fn file_entry_layout_matches_newc() {
        let mut archive = Archive::default();
        archive.add("init", &Entry::File { mode: 0o755, data: b"#!/bin/sh\n".to_vec() });
        let bytes = archive.finish();
        assert_eq!(&bytes[..6], b"070701");
        assert_eq!(field(&bytes, 1), 0o100755, "mode");
        assert_eq!(field(&bytes, 6), 10, "file size");
        assert_eq!(field(&bytes, 11), 5, "name size counts the NUL");
        // 110-byte header + "init\0" = 115, padded to 116; data 10 bytes padded to 12.
        assert_eq!(&bytes[110..115], b"init\0");
        assert_eq!(&bytes[116..126], b"#!/bin/sh\n");
        assert_eq!(&bytes[128..134], b"070701", "trailer starts 4-aligned after the data");
        assert_eq!(&bytes[128 + 110..128 + 120], b"TRAILER!!!");
        assert!(bytes.len().is_multiple_of(4));
    }

    #[test]
    fn every_kind_of_entry_encodes_its_type_bits() {
        let cases: &[(Entry, u32, (u32, u32), usize)] = &[
            (Entry::Dir { mode: 0o755 }, 0o040755, (0, 0), 0),
            (Entry::Symlink { target: "busybox".into() }, 0o120777, (0, 0), 7),
            (Entry::CharDev { mode: 0o600, major: 5, minor: 1 }, 0o020600, (5, 1), 0),
        ];
        for (entry, mode, rdev, size) in cases {
            let mut archive = Archive::default();
            archive.add("x", entry);
            let bytes = archive.finish();
            assert_eq!(field(&bytes, 1), *mode, "{entry:?}");
            assert_eq!((field(&bytes, 9), field(&bytes, 10)), *rdev, "{entry:?}");
            assert_eq!(field(&bytes, 6) as usize, *size, "{entry:?}");
        }
    }
}
