//! A small read-only reader for the LiteDB v5 data file (`cartracker.db`): the header
//! page's collection list, then every data page of a collection, its document blocks
//! followed across pages. No index is read: a checkpointed file (what LubeLogger's backup
//! copies) holds exactly the live documents in its data pages.
//!
//! Layout (LiteDB v5 `BasePage`/`HeaderPage`/`DataBlock`): 8 KiB pages; a 32-byte page
//! header (type at byte 4, collection page id at 19, highest slot index at 30); the slot
//! table at the page's end, 4 bytes per slot counted backwards (length, then position, as
//! u16); a data block is `extend: u8, next: (page u32, slot u8), bytes…`. The header
//! page holds "** This is a LiteDB file **" at 32, file version 8 at 59 and the
//! collections as a BSON document at 192.
//!
//! `vrc-get-litedb` (crates.io) reads the demo backup correctly but panicked on 9 of 300
//! mutated copies of it in a quick fuzz, and a backup reader must never panic on a
//! damaged file; this reader bounds-checks every access instead.

use super::bson::{self, Document, Value};

pub const PAGE: usize = 8192;
const HEADER_INFO: &[u8] = b"** This is a LiteDB file **";
const PAGE_HEADER: usize = 32;
const TYPE_HEADER: u8 = 1;
const TYPE_DATA: u8 = 4;
const NO_PAGE: u32 = u32::MAX;

pub struct LiteDb<'a> {
    data: &'a [u8],
    pages: usize,
    collections: Vec<(String, u32)>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

impl<'a> LiteDb<'a> {
    pub fn open(data: &'a [u8]) -> Result<LiteDb<'a>, String> {
        if data.len() < PAGE {
            return Err(format!(
                "the database is {} bytes, less than one LiteDB page",
                data.len()
            ));
        }
        let header = &data[..PAGE];
        if header.get(32..32 + HEADER_INFO.len()) != Some(HEADER_INFO) {
            return Err("not a LiteDB v5 database (encrypted with a password, or damaged)".into());
        }
        if header[4] != TYPE_HEADER {
            return Err("the LiteDB header page is damaged".into());
        }
        match header[59] {
            8 => {}
            v => {
                return Err(format!(
                    "LiteDB file version {v} (only version 8, LiteDB 5, is read)"
                ))
            }
        }
        let cols = bson::document(&header[192..])
            .map_err(|e| format!("the LiteDB collection list is damaged: {e}"))?;
        let collections = cols
            .0
            .iter()
            .filter_map(|(name, v)| match v {
                Value::Int32(p) if *p >= 0 => Some((name.clone(), *p as u32)),
                Value::Int64(p) if *p >= 0 && *p <= u32::MAX as i64 => {
                    Some((name.clone(), *p as u32))
                }
                _ => None,
            })
            .collect();
        Ok(LiteDb {
            data,
            pages: data.len() / PAGE,
            collections,
        })
    }

    #[cfg(test)]
    pub fn collection_names(&self) -> impl Iterator<Item = &str> {
        self.collections.iter().map(|(n, _)| n.as_str())
    }

    fn page(&self, id: u32) -> Option<&'a [u8]> {
        let i = id as usize;
        (i < self.pages).then(|| &self.data[i * PAGE..(i + 1) * PAGE])
    }

    /// The block at `slot` of a data page: (extend, next page, next slot, bytes).
    fn block(page: &'a [u8], slot: u8) -> Option<(bool, u32, u8, &'a [u8])> {
        let len_at = PAGE - (slot as usize + 1) * 4;
        let len = u16_at(page, len_at)? as usize;
        let pos = u16_at(page, len_at + 2)? as usize;
        if len == 0 && pos == 0 {
            return None;
        }
        if pos < PAGE_HEADER || len < 6 || pos + len > PAGE - 4 {
            return None;
        }
        let b = &page[pos..pos + len];
        Some((b[0] != 0, u32_at(b, 1)?, b[5], &b[6..]))
    }

    /// Every document of a collection, in page order; a collection that does not exist
    /// has none. A damaged block is an error naming the page.
    pub fn documents(&self, collection: &str) -> Result<Vec<Document>, String> {
        let Some(&(_, col_page)) = self.collections.iter().find(|(n, _)| n == collection) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for id in 1..self.pages as u32 {
            let Some(page) = self.page(id) else { break };
            if page[4] != TYPE_DATA || u32_at(page, 19) != Some(col_page) {
                continue;
            }
            let highest = page[30];
            if highest == u8::MAX {
                continue;
            }
            for slot in 0..=highest {
                let Some((extend, mut next, mut next_slot, bytes)) = Self::block(page, slot) else {
                    continue;
                };
                if extend {
                    continue; // a continuation, read from its first block
                }
                let mut buf = bytes.to_vec();
                let mut hops = 0usize;
                while next != NO_PAGE {
                    hops += 1;
                    // Every hop is to another block; more hops than blocks is a cycle.
                    if hops > self.pages * 256 {
                        return Err(format!("{collection}: page {id} has a looping document"));
                    }
                    let p = self
                        .page(next)
                        .filter(|p| p[4] == TYPE_DATA)
                        .ok_or_else(|| {
                            format!("{collection}: page {id} points at a missing page {next}")
                        })?;
                    let (ext, n, s, b) =
                        Self::block(p, next_slot).filter(|b| b.0).ok_or_else(|| {
                            format!("{collection}: page {next} slot {next_slot} is damaged")
                        })?;
                    let _ = ext;
                    buf.extend_from_slice(b);
                    next = n;
                    next_slot = s;
                    if buf.len() > 16 * 1024 * 1024 {
                        return Err(format!("{collection}: a document larger than 16 MiB"));
                    }
                }
                let doc = bson::document(&buf)
                    .map_err(|e| format!("{collection}: page {id} slot {slot}: {e}"))?;
                out.push(doc);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo backup's database: its collections and record counts (the same counts
    /// `vrc-get-litedb` reads from it).
    #[test]
    fn reads_the_demo_database() {
        let zip = std::fs::File::open(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/import/lubelogger/demo_default.zip"
        ))
        .unwrap();
        let mut z = zip::ZipArchive::new(zip).unwrap();
        let mut db = Vec::new();
        std::io::Read::read_to_end(&mut z.by_name("data/cartracker.db").unwrap(), &mut db).unwrap();
        let lite = LiteDb::open(&db).unwrap();
        assert!(lite.collection_names().any(|n| n == "gasrecords"));
        for (name, n) in [
            ("vehicles", 1),
            ("gasrecords", 109),
            ("servicerecords", 22),
            ("collisionrecords", 34),
            ("upgraderecords", 13),
            ("taxrecords", 3),
            ("supplyrecords", 10),
            ("odometerrecords", 110),
            ("reminderrecords", 1),
            ("nosuchcollection", 0),
        ] {
            assert_eq!(lite.documents(name).unwrap().len(), n, "{name}");
        }
        assert!(LiteDb::open(&db[..100]).is_err());
        assert!(LiteDb::open(&vec![0u8; PAGE]).is_err());
    }
}
