//! The disk's GUID partition table (512-byte sectors): reading the partitions by name, and
//! growing the last one to the end of a larger medium.
//!
//! The image is made for the smallest card; a technician writes it to a card of 8, 16 or
//! 32 GB. Without growing, the card's space past the image stays unused and the kiosk's data
//! (records, evidence photos, logs) has only the image's data partition. [`grow_last`] moves the
//! backup table to the medium's real end and extends the last partition to just before it; the
//! device then grows the filesystem inside, online, at its next start (`rcS`).
//!
//! It must not move a partition's start or touch any partition's bytes: only the tables (both
//! copies, with their checksums) and the protective MBR's size change.

use anyhow::{Context, Result, bail};
use std::io::{Read, Seek, SeekFrom, Write};

/// Bytes per logical block (what genimage writes and what SD cards and virtio disks use).
const SECTOR: u64 = 512;

/// Partition ends are kept on 1 MiB boundaries, as genimage (`align = 1M`) places them.
const ALIGN: u64 = 1024 * 1024 / SECTOR;

/// One GPT partition: name and byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// GPT partition name.
    pub name: String,
    /// Offset in bytes.
    pub offset: u64,
    /// Length in bytes.
    pub bytes: u64,
}

/// A partition grown by [`grow_last`]: its name and its size before and after, bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grown {
    /// The partition.
    pub name: String,
    /// Its length before.
    pub from: u64,
    /// Its length now.
    pub to: u64,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}

/// CRC-32 (IEEE 802.3, reflected), the checksum of GPT headers and entry arrays.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// One used entry of the table: its place in the array, its sectors (inclusive) and name.
struct Entry {
    index: usize,
    first: u64,
    last: u64,
    name: String,
}

/// The primary header (its `header size` bytes) and the entry array, read and checked.
struct Table {
    header: Vec<u8>,
    entries: Vec<u8>,
    entry_size: usize,
}

impl Table {
    fn read(disk: &mut (impl Read + Seek), check: bool) -> Result<Table> {
        let mut sector = [0u8; SECTOR as usize];
        disk.seek(SeekFrom::Start(SECTOR))?;
        disk.read_exact(&mut sector)?;
        if &sector[..8] != b"EFI PART" {
            bail!("no GPT header at sector 1");
        }
        let header_size = (u32_at(&sector, 12) as usize).clamp(92, SECTOR as usize);
        let header = sector[..header_size].to_vec();
        let count = u32_at(&header, 80).min(1024) as usize;
        let entry_size = u32_at(&header, 84) as usize;
        if entry_size < 128 {
            bail!("GPT entry size {entry_size} is too small");
        }
        let mut entries = vec![0u8; count * entry_size];
        disk.seek(SeekFrom::Start(u64_at(&header, 72) * SECTOR))?;
        disk.read_exact(&mut entries)?;
        if check {
            let mut zeroed = header.clone();
            zeroed[16..20].fill(0);
            if crc32(&zeroed) != u32_at(&header, 16) {
                bail!("the primary GPT header's checksum is wrong: not a table to change");
            }
            if crc32(&entries) != u32_at(&header, 88) {
                bail!("the GPT entries' checksum is wrong: not a table to change");
            }
        }
        Ok(Table { header, entries, entry_size })
    }

    /// The used entries (those with a partition type).
    fn used(&self) -> Vec<Entry> {
        self.entries
            .chunks(self.entry_size)
            .enumerate()
            .filter(|(_, e)| e[..16].iter().any(|&b| b != 0))
            .map(|(index, e)| {
                let name: Vec<u16> = e[56..128].chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|&c| c != 0).collect();
                Entry { index, first: u64_at(e, 32), last: u64_at(e, 40), name: String::from_utf16_lossy(&name) }
            })
            .collect()
    }

    /// The header with its checksums for the current entries, placed at `my_lba`.
    fn header_at(&self, my_lba: u64, alternate: u64, entries_lba: u64) -> Vec<u8> {
        let mut h = self.header.clone();
        h[24..32].copy_from_slice(&my_lba.to_le_bytes());
        h[32..40].copy_from_slice(&alternate.to_le_bytes());
        h[72..80].copy_from_slice(&entries_lba.to_le_bytes());
        h[88..92].copy_from_slice(&crc32(&self.entries).to_le_bytes());
        h[16..20].fill(0);
        let crc = crc32(&h);
        h[16..20].copy_from_slice(&crc.to_le_bytes());
        h
    }
}

/// Reads the GPT (512-byte sectors) from the start of a disk.
pub fn read(disk: &mut (impl Read + Seek)) -> Result<Vec<Partition>> {
    let table = Table::read(disk, false)?;
    Ok(table
        .used()
        .into_iter()
        .map(|e| Partition { name: e.name, offset: e.first * SECTOR, bytes: (e.last + 1 - e.first) * SECTOR })
        .collect())
}

/// Grows partition `name`, which must be the last on the disk, to the end of a medium of
/// `capacity` bytes (its end kept on a 1 MiB boundary), and writes the backup table at the
/// medium's end. `None` when there is less than 1 MiB to gain (a second run changes nothing).
///
/// The backup table is written first, then the primary: a power cut between the two leaves
/// the old primary, which still describes the disk as it was.
pub fn grow_last<D: Read + Write + Seek>(disk: &mut D, name: &str, capacity: u64) -> Result<Option<Grown>> {
    let mut table = Table::read(disk, true)?;
    let used = table.used();
    let grown = used.iter().find(|e| e.name == name).with_context(|| format!("the disk has no partition named {name}"))?;
    let (index, first, last) = (grown.index, grown.first, grown.last);
    if let Some(after) = used.iter().find(|e| e.first > last) {
        bail!("partition {name} is not the last one ({} comes after it): it cannot grow", after.name);
    }
    let last_lba = capacity / SECTOR - 1;
    let entry_sectors = (table.entries.len() as u64).div_ceil(SECTOR);
    // The backup entries and header take the medium's last sectors.
    let last_usable = last_lba.checked_sub(entry_sectors + 1).context("the medium is too small for a GPT")?;
    let end = (last_usable + 1) / ALIGN * ALIGN;
    if end < last + 1 + ALIGN {
        return Ok(None);
    }
    let at = index * table.entry_size;
    table.entries[at + 40..at + 48].copy_from_slice(&(end - 1).to_le_bytes());
    table.header[48..56].copy_from_slice(&last_usable.to_le_bytes());
    let backup_entries = last_lba - entry_sectors;
    let backup = table.header_at(last_lba, 1, backup_entries);
    let primary = table.header_at(1, last_lba, u64_at(&table.header, 72));

    disk.seek(SeekFrom::Start(backup_entries * SECTOR))?;
    disk.write_all(&table.entries)?;
    disk.seek(SeekFrom::Start(last_lba * SECTOR))?;
    disk.write_all(&padded(&backup))?;
    disk.flush()?;
    disk.seek(SeekFrom::Start(u64_at(&table.header, 72) * SECTOR))?;
    disk.write_all(&table.entries)?;
    disk.seek(SeekFrom::Start(SECTOR))?;
    disk.write_all(&padded(&primary))?;
    // The protective MBR's one partition covers the disk (at most 2³² − 1 sectors).
    let mut mbr = [0u8; SECTOR as usize];
    disk.seek(SeekFrom::Start(0))?;
    disk.read_exact(&mut mbr)?;
    if mbr[446 + 4] == 0xEE && mbr[510..512] == [0x55, 0xAA] {
        let sectors = u32::try_from(last_lba).unwrap_or(u32::MAX);
        mbr[446 + 12..446 + 16].copy_from_slice(&sectors.to_le_bytes());
        disk.seek(SeekFrom::Start(0))?;
        disk.write_all(&mbr)?;
    }
    disk.flush()?;
    Ok(Some(Grown { name: name.to_owned(), from: (last + 1 - first) * SECTOR, to: (end - first) * SECTOR }))
}

/// A header in a whole sector (the rest zero, as the specification asks).
fn padded(header: &[u8]) -> Vec<u8> {
    let mut sector = vec![0u8; SECTOR as usize];
    sector[..header.len()].copy_from_slice(header);
    sector
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A disk of `sectors` with a protective MBR and a valid GPT of 128 entries: (name, first,
    /// last) per partition, in entry order.
    fn disk(sectors: u64, parts: &[(&str, u64, u64)]) -> Vec<u8> {
        let mut d = vec![0u8; (sectors * SECTOR) as usize];
        d[446 + 4] = 0xEE;
        d[446 + 8..446 + 12].copy_from_slice(&1u32.to_le_bytes());
        d[446 + 12..446 + 16].copy_from_slice(&((sectors - 1) as u32).to_le_bytes());
        d[510] = 0x55;
        d[511] = 0xAA;
        let mut entries = vec![0u8; 128 * 128];
        for (i, (name, first, last)) in parts.iter().enumerate() {
            let e = &mut entries[i * 128..(i + 1) * 128];
            e[..16].copy_from_slice(&[0xaf; 16]);
            e[16..32].copy_from_slice(&[i as u8 + 1; 16]);
            e[32..40].copy_from_slice(&first.to_le_bytes());
            e[40..48].copy_from_slice(&last.to_le_bytes());
            for (j, c) in name.encode_utf16().enumerate() {
                e[56 + 2 * j..58 + 2 * j].copy_from_slice(&c.to_le_bytes());
            }
        }
        let mut header = vec![0u8; 92];
        header[..8].copy_from_slice(b"EFI PART");
        header[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
        header[12..16].copy_from_slice(&92u32.to_le_bytes());
        header[40..48].copy_from_slice(&34u64.to_le_bytes());
        header[48..56].copy_from_slice(&(sectors - 34).to_le_bytes());
        header[72..80].copy_from_slice(&2u64.to_le_bytes());
        header[80..84].copy_from_slice(&128u32.to_le_bytes());
        header[84..88].copy_from_slice(&128u32.to_le_bytes());
        let table = Table { header, entries, entry_size: 128 };
        let primary = table.header_at(1, sectors - 1, 2);
        let backup = table.header_at(sectors - 1, 1, sectors - 33);
        d[512..512 + 92].copy_from_slice(&primary);
        d[1024..1024 + table.entries.len()].copy_from_slice(&table.entries);
        let b = ((sectors - 33) * SECTOR) as usize;
        d[b..b + table.entries.len()].copy_from_slice(&table.entries);
        let h = ((sectors - 1) * SECTOR) as usize;
        d[h..h + 92].copy_from_slice(&backup);
        d
    }

    /// The header at `lba`, checked: its own checksum, its entries' checksum, where it says
    /// it is; returns (alternate LBA, last usable LBA, entries LBA).
    fn check_header(d: &[u8], lba: u64) -> (u64, u64, u64) {
        let h = &d[(lba * SECTOR) as usize..(lba * SECTOR) as usize + 92];
        assert_eq!(&h[..8], b"EFI PART", "header at {lba}");
        let mut zeroed = h.to_vec();
        zeroed[16..20].fill(0);
        assert_eq!(crc32(&zeroed), u32_at(h, 16), "header checksum at {lba}");
        assert_eq!(u64_at(h, 24), lba, "the header at {lba} names its own place");
        let entries_at = (u64_at(h, 72) * SECTOR) as usize;
        assert_eq!(crc32(&d[entries_at..entries_at + 128 * 128]), u32_at(h, 88), "entries of the header at {lba}");
        (u64_at(h, 32), u64_at(h, 48), u64_at(h, 72))
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn the_last_partition_grows_to_the_end_of_a_larger_medium() {
        // The image: rootfs-a, rootfs-b and data, 1 MiB apart, 8 MiB in all.
        let image = disk(16384, &[("rootfs-a", 2048, 4095), ("rootfs-b", 4096, 8191), ("data", 8192, 14335)]);
        let before = read(&mut Cursor::new(image.clone())).unwrap();
        // Written to a 16 MiB card.
        let mut card = image.clone();
        card.resize(32768 * SECTOR as usize, 0);
        let grown = grow_last(&mut Cursor::new(&mut card), "data", 32768 * SECTOR).unwrap().unwrap();
        // The end stays on a MiB boundary, before the backup table's 33 sectors.
        assert_eq!(grown, Grown { name: "data".into(), from: 6144 * SECTOR, to: (30720 - 8192) * SECTOR });
        let after = read(&mut Cursor::new(card.clone())).unwrap();
        assert_eq!(after[..2], before[..2], "the other partitions are unchanged");
        assert_eq!(after[2], Partition { name: "data".into(), offset: 8192 * SECTOR, bytes: grown.to });
        assert_eq!(check_header(&card, 1), (32767, 32767 - 33, 2));
        assert_eq!(check_header(&card, 32767), (1, 32767 - 33, 32767 - 32));
        assert_eq!(u32_at(&card, 446 + 12), 32767, "the protective MBR covers the card");
        // No partition's bytes moved: everything before the old backup table is as written.
        assert_eq!(card[1024 + 128 * 128..(16384 - 33) as usize * 512], image[1024 + 128 * 128..(16384 - 33) as usize * 512]);
        // Idempotent, and a medium no larger than the image changes nothing.
        assert_eq!(grow_last(&mut Cursor::new(&mut card), "data", 32768 * SECTOR).unwrap(), None);
        let mut same = image.clone();
        assert_eq!(grow_last(&mut Cursor::new(&mut same), "data", 16384 * SECTOR).unwrap(), None);
        assert_eq!(same, image);
    }

    #[test]
    fn refuses_what_it_cannot_grow_safely() {
        let image = disk(16384, &[("data", 2048, 4095), ("rootfs-a", 4096, 8191)]);
        let mut card = image.clone();
        card.resize(32768 * SECTOR as usize, 0);
        let e = grow_last(&mut Cursor::new(&mut card), "data", 32768 * SECTOR).unwrap_err().to_string();
        assert!(e.contains("not the last one (rootfs-a"), "{e}");
        let e = grow_last(&mut Cursor::new(&mut card), "logs", 32768 * SECTOR).unwrap_err().to_string();
        assert!(e.contains("no partition named logs"), "{e}");
        // A damaged primary table is never rewritten from.
        card[1024 + 40] ^= 1;
        let e = grow_last(&mut Cursor::new(&mut card), "rootfs-a", 32768 * SECTOR).unwrap_err().to_string();
        assert!(e.contains("entries' checksum"), "{e}");
        assert_eq!(card[512..1024], image[512..1024], "nothing was written");
    }

    #[test]
    fn reads_a_minimal_table() {
        // A minimal GPT: header at LBA 1, 4 entries of 128 bytes at LBA 2.
        let mut disk = vec![0u8; 512 * 8];
        disk[512..520].copy_from_slice(b"EFI PART");
        disk[512 + 72..512 + 80].copy_from_slice(&2u64.to_le_bytes());
        disk[512 + 80..512 + 84].copy_from_slice(&4u32.to_le_bytes());
        disk[512 + 84..512 + 88].copy_from_slice(&128u32.to_le_bytes());
        let entry = 1024 + 128; // the second entry; the first stays empty
        disk[entry] = 0xaf; // a non-zero type GUID
        disk[entry + 32..entry + 40].copy_from_slice(&2048u64.to_le_bytes());
        disk[entry + 40..entry + 48].copy_from_slice(&4095u64.to_le_bytes());
        for (i, c) in "data".encode_utf16().enumerate() {
            disk[entry + 56 + 2 * i..entry + 58 + 2 * i].copy_from_slice(&c.to_le_bytes());
        }
        let parts = read(&mut Cursor::new(disk)).unwrap();
        assert_eq!(parts, vec![Partition { name: "data".into(), offset: 2048 * 512, bytes: 2048 * 512 }]);
        assert!(read(&mut Cursor::new(vec![0u8; 4096])).is_err());
    }
}
