//! A fast hasher for maps keyed by our own short strings and integers.

use std::hash::{BuildHasherDefault, Hasher};

/// The Fx hash (rustc's): a word at a time, rotate-xor-multiply. Names and the report
/// cache's keys are short values of our own making, so SipHash's flood resistance buys
/// nothing here while costing a noticeable share of budgets counted in nanoseconds.
#[derive(Default)]
pub struct Fx(u64);

/// A `BuildHasher` for maps on hot paths keyed by our own short strings and integers.
pub type FastHash = BuildHasherDefault<Fx>;

impl Fx {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}
