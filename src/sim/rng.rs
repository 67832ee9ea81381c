//! The run's own PRNG: xoshiro256** seeded through SplitMix64, value-stable forever.
//!
//! Every component draws from its own child stream (`Rng::child`), derived from the run seed and a
//! stable label. Extra randomness in one component then never shifts another's stream, which keeps old
//! share links replaying the same run after the code grows. Probabilities are integer ratios
//! ([`Ratio`]); no float ever decides a transition.

use serde::{Deserialize, Serialize};

/// SplitMix64's step: the seed expander recommended for xoshiro, and a good 64-bit mixer on its own.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over a label, so child seeds depend on a component's name, not on creation order. (Share
/// links fingerprint a lesson's run with it too.)
pub(crate) fn label_hash(label: &str) -> u64 {
    label.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// xoshiro256** (Blackman and Vigna), a small, fast generator with a 2^256 − 1 period.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rng {
    seed: u64,
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let s = [splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm), splitmix64(&mut sm)];
        Rng { seed, s }
    }

    /// The seed this stream was made from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// An independent stream for the component named `label` (for example `"net"` or `"producer/p1"`).
    /// It depends only on this stream's seed and the label, never on how much this stream has drawn.
    pub fn child(&self, label: &str) -> Rng {
        let mut mix = self.seed ^ label_hash(label).rotate_left(17);
        Rng::new(splitmix64(&mut mix))
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A uniform integer in `[0, bound)` (Lemire's multiply-and-reject, unbiased). `bound` 0 gives 0.
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        loop {
            let product = u128::from(self.next_u64()) * u128::from(bound);
            let low = product as u64;
            if low >= bound.wrapping_neg() % bound {
                return (product >> 64) as u64;
            }
        }
    }

    /// A uniform integer in `[low, high]`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        debug_assert!(low <= high);
        low + self.below(high - low + 1)
    }

    /// True with probability `ratio`.
    pub fn chance(&mut self, ratio: Ratio) -> bool {
        ratio.numerator > 0 && self.below(u64::from(ratio.denominator)) < u64::from(ratio.numerator)
    }
}

/// A probability as an integer ratio `numerator / denominator` (for example loss of 1 in 100).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ratio {
    pub numerator: u32,
    pub denominator: u32,
}

impl Ratio {
    pub const NEVER: Ratio = Ratio { numerator: 0, denominator: 1 };
    pub const ALWAYS: Ratio = Ratio { numerator: 1, denominator: 1 };

    /// `numerator / denominator`, or `None` when the denominator is 0 or the ratio exceeds 1.
    pub fn new(numerator: u32, denominator: u32) -> Option<Ratio> {
        (denominator > 0 && numerator <= denominator).then_some(Ratio { numerator, denominator })
    }

    /// `percent / 100`, for percentages 0..=100.
    pub fn percent(percent: u32) -> Option<Ratio> {
        Ratio::new(percent, 100)
    }

    pub fn is_never(self) -> bool {
        self.numerator == 0
    }
}

impl Default for Ratio {
    fn default() -> Ratio {
        Ratio::NEVER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_sequence() {
        // Reference values of SplitMix64 from seed 1234567 (Vigna's splitmix64.c).
        let mut state = 1_234_567;
        let got: Vec<u64> = (0..3).map(|_| splitmix64(&mut state)).collect();
        assert_eq!(got, [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423]);
    }

    #[test]
    fn the_stream_is_value_stable_so_old_links_replay_the_same_run() {
        // If this changes, every share link ever made replays a different run: never change it.
        let mut rng = Rng::new(42);
        let got: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        let mut again = Rng::new(42);
        assert_eq!(got, (0..4).map(|_| again.next_u64()).collect::<Vec<_>>());
        assert_eq!(got[0], Rng::new(42).next_u64());
    }

    #[test]
    fn children_are_independent_of_how_much_the_parent_drew() {
        let parent = Rng::new(7);
        let mut drawn = parent.clone();
        for _ in 0..100 {
            drawn.next_u64();
        }
        assert_eq!(parent.child("net").next_u64(), drawn.child("net").next_u64());
        assert_ne!(parent.child("net").next_u64(), parent.child("disk").next_u64());
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(1);
        let mut seen = [0u32; 6];
        for _ in 0..6000 {
            seen[rng.below(6) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn a_one_in_four_chance_happens_about_a_quarter_of_the_time() {
        let mut rng = Rng::new(3);
        let quarter = Ratio::new(1, 4).unwrap();
        let hits = (0..40_000).filter(|_| rng.chance(quarter)).count();
        assert!((9_000..11_000).contains(&hits), "{hits}");
        assert!(!rng.chance(Ratio::NEVER));
        assert!(rng.chance(Ratio::ALWAYS));
        assert_eq!(Ratio::new(3, 2), None);
        assert_eq!(Ratio::new(1, 0), None);
    }
}
