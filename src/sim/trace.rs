//! The trace hash: one number that says "this run happened exactly like that one".
//!
//! Events are fed through `std::hash::Hash` into [`TraceHasher`], a 64-bit FNV-1a whose `usize` and
//! `isize` writes are widened to 64 bits. That makes the hash identical on 64-bit native targets and on
//! 32-bit wasm, which the golden-hash test checks.

use std::hash::{Hash, Hasher};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceHasher {
    state: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher { state: FNV_OFFSET }
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
        format!("{:016x}", self.state)
    }
}

impl Hasher for TraceHasher {
    fn finish(&self) -> u64 {
        self.state
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.state = (self.state ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
    }

    fn write_usize(&mut self, i: usize) {
        self.write(&(i as u64).to_le_bytes());
    }

    fn write_isize(&mut self, i: isize) {
        self.write(&(i as i64).to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_reference_values() {
        let mut h = TraceHasher::new();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
        let mut h = TraceHasher::new();
        h.write(b"foobar");
        assert_eq!(h.finish(), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn usize_hashes_like_u64_so_wasm_and_native_agree() {
        let mut a = TraceHasher::new();
        a.add(&7usize);
        let mut b = TraceHasher::new();
        b.add(&7u64);
        assert_eq!(a, b);
    }
}
