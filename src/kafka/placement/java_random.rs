//! The random number generators Kafka's placement code draws from, reproduced bit for bit.
//!
//! `StripedReplicaPlacer` takes a `java.util.Random`. Production passes an unseeded one, so real
//! placements cannot be replayed; Kafka's own tests pass `MockRandom` (a fixed LCG), and the
//! conformance vectors were computed with it. Both share `java.util.Random`'s `nextInt(bound)` and
//! `Collections.shuffle`, which are written here on top of each generator's `next(bits)`.

/// A generator with `java.util.Random`'s interface: subclasses only change `next(bits)`, and every
/// other method is built on it exactly as the JDK builds it.
pub trait JavaRandom {
    /// `Random.next(bits)`: the next `bits` (1..=32) pseudorandom bits as a Java `int`.
    fn next(&mut self, bits: u32) -> i32;

    /// `Random.nextInt(bound)` (JDK 8 through 17, unchanged since): a uniform value in `[0, bound)`.
    ///
    /// A power-of-two bound takes the high bits of one 31-bit draw; any other bound takes the draw
    /// modulo `bound` and draws again when the draw fell in the final, incomplete stripe (detected, as
    /// in Java, by the 32-bit sum overflowing). `bound` must be positive: Java throws on anything else,
    /// and here a non-positive bound returns 0 without drawing (no caller passes one).
    fn next_int(&mut self, bound: i32) -> i32 {
        if bound <= 0 {
            return 0;
        }
        let mut r = self.next(31);
        let m = bound - 1;
        if bound & m == 0 {
            // (bound * r) >> 31 in 64 bits: the top log2(bound) bits of the draw.
            return ((i64::from(bound) * i64::from(r)) >> 31) as i32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            // Java's loop condition `u - r + m < 0` relies on int overflow to spot the last stripe.
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return r;
            }
            u = self.next(31);
        }
    }

    /// `Collections.shuffle(list, random)`: from the last position down to the second, swap each
    /// element with one drawn from the positions at or before it. Lists shorter than two draw nothing.
    fn shuffle<T>(&mut self, list: &mut [T])
    where
        Self: Sized,
    {
        let mut i = list.len();
        while i > 1 {
            // A list index fits Java's int: Kafka's lists are far shorter than 2^31.
            let j = self.next_int(i32::try_from(i).unwrap_or(i32::MAX)) as usize;
            list.swap(i - 1, j);
            i -= 1;
        }
    }
}

/// `java.util.Random` with an explicit seed: the 48-bit linear congruential generator
/// `seed = seed * 0x5DEECE66D + 0xB (mod 2^48)`, whose top bits are handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JavaUtilRandom {
    seed: i64,
}

impl JavaUtilRandom {
    const MULTIPLIER: i64 = 0x5_DEEC_E66D;
    const ADDEND: i64 = 0xB;
    const MASK: i64 = (1 << 48) - 1;

    /// `new Random(seed)`: the seed is scrambled with the multiplier before the first draw.
    pub fn new(seed: i64) -> JavaUtilRandom {
        JavaUtilRandom { seed: (seed ^ Self::MULTIPLIER) & Self::MASK }
    }

    /// `Random.nextInt()`: 32 random bits.
    pub fn next_int_unbounded(&mut self) -> i32 {
        self.next(32)
    }
}

impl JavaRandom for JavaUtilRandom {
    fn next(&mut self, bits: u32) -> i32 {
        self.seed = self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(Self::ADDEND) & Self::MASK;
        // The masked seed is non-negative, so the shift brings in zeros like Java's `>>>`.
        (self.seed >> (48 - bits)) as i32
    }
}

/// `org.apache.kafka.server.util.MockRandom`, the generator Kafka's placement tests use: a 64-bit
/// LCG `state = state * 2862933555777941757 + 3037000493` starting from 17, handing out its top bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockRandom {
    state: i64,
}

impl MockRandom {
    /// The state `new MockRandom()` starts from.
    pub const DEFAULT_STATE: i64 = 17;

    /// `new MockRandom()`, seeded with 17 as every Kafka placement test is.
    pub fn new() -> MockRandom {
        MockRandom::with_state(MockRandom::DEFAULT_STATE)
    }

    /// `new MockRandom(state)`: the state is used as given, without `java.util.Random`'s scrambling.
    pub fn with_state(state: i64) -> MockRandom {
        MockRandom { state }
    }
}

impl Default for MockRandom {
    fn default() -> MockRandom {
        MockRandom::new()
    }
}

impl JavaRandom for MockRandom {
    fn next(&mut self, bits: u32) -> i32 {
        self.state = self.state.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(3_037_000_493);
        // `>>>` is a logical shift: do it on the unsigned bit pattern, then keep the low 32 bits as Java's cast does.
        ((self.state as u64) >> (64 - bits)) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The expected values below were printed by a small Java 17 program of our own that calls
    // java.util.Random, a MockRandom-shaped subclass and Collections.shuffle with the same seeds.

    #[test]
    fn java_util_random_matches_the_jdk_for_seed_42() {
        let mut random = JavaUtilRandom::new(42);
        let raw: Vec<i32> = (0..3).map(|_| random.next_int_unbounded()).collect();
        assert_eq!(raw, [-1_170_105_035, 234_785_527, -1_360_544_799]);
        let modulo: Vec<i32> = (0..5).map(|_| random.next_int(10)).collect();
        assert_eq!(modulo, [4, 0, 5, 5, 8]);
        let power_of_two: Vec<i32> = (0..5).map(|_| random.next_int(16)).collect();
        assert_eq!(power_of_two, [10, 1, 14, 7, 5]);
    }

    #[test]
    fn next_int_redraws_in_the_last_incomplete_stripe_as_java_does() {
        // A bound just above 2^30 rejects about half of all draws, so five values exercise the redraw.
        let mut random = JavaUtilRandom::new(42);
        for _ in 0..13 {
            random.next(32);
        }
        let got: Vec<i32> = (0..5).map(|_| random.next_int((1 << 30) + 1)).collect();
        assert_eq!(got, [819_572_292, 592_164_476, 995_688_456, 326_327_863, 937_357_226]);
    }

    #[test]
    fn mock_random_is_kafkas_test_lcg_starting_at_17() {
        let mut random = MockRandom::new();
        let raw: Vec<i32> = (0..3).map(|_| random.next(31)).collect();
        assert_eq!(raw, [1_370_951_335, 1_457_695_759, 324_654_877]);
        let modulo: Vec<i32> = (0..5).map(|_| random.next_int(5)).collect();
        assert_eq!(modulo, [2, 0, 0, 2, 2]);
        let power_of_two: Vec<i32> = (0..5).map(|_| random.next_int(4)).collect();
        assert_eq!(power_of_two, [0, 3, 2, 3, 1]);
    }

    #[test]
    fn shuffle_swaps_from_the_back_like_collections_shuffle() {
        let mut list: Vec<i32> = (0..10).collect();
        JavaUtilRandom::new(7).shuffle(&mut list);
        assert_eq!(list, [0, 1, 9, 3, 7, 4, 8, 5, 2, 6]);
        let mut list: Vec<i32> = (0..10).collect();
        MockRandom::new().shuffle(&mut list);
        assert_eq!(list, [7, 2, 3, 8, 6, 0, 9, 1, 4, 5]);
    }

    #[test]
    fn shuffling_fewer_than_two_elements_draws_nothing() {
        let mut random = MockRandom::new();
        random.shuffle(&mut [5]);
        random.shuffle::<i32>(&mut []);
        assert_eq!(random, MockRandom::new());
    }
}
