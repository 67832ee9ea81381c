//! Kafka's `ExponentialBackoff` (`org.apache.kafka.common.utils`), which the clients use between
//! retries since KIP-580 (Kafka 3.7): attempt n waits
//! `random(1 - jitter, 1 + jitter) × retry.backoff.ms × 2^n`, never more than retry.backoff.max.ms.
//!
//! In integers, so a run is the same natively and in wasm: with Kafka's multiplier of 2, the term
//! `initial × 2^min(n, log2(max / initial))` is `initial × 2^n` until that reaches `max`, and `max`
//! from then on; the jitter is drawn in thousandths.

use crate::sim::Rng;

/// Kafka's `CommonClientConfigs.RETRY_BACKOFF_JITTER`: ±20%.
const JITTER_PERMILLE: u64 = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExponentialBackoff {
    initial_ms: u64,
    max_ms: u64,
}

impl ExponentialBackoff {
    /// The clients' defaults: retry.backoff.ms 100, retry.backoff.max.ms 1000.
    pub const DEFAULT_CLIENT: ExponentialBackoff = ExponentialBackoff { initial_ms: 100, max_ms: 1000 };

    /// The first wait and the longest (retry.backoff.ms and retry.backoff.max.ms; reconnect.backoff.ms
    /// and reconnect.backoff.max.ms). As in Kafka, a maximum below the initial interval caps it, and
    /// then every wait is that maximum.
    pub const fn new(initial_ms: u64, max_ms: u64) -> ExponentialBackoff {
        ExponentialBackoff { initial_ms: if initial_ms < max_ms { initial_ms } else { max_ms }, max_ms }
    }

    /// How long to wait before attempt `attempts + 1` (0: the first retry).
    pub fn backoff_ms(&self, attempts: u32, rng: &mut Rng) -> u64 {
        // Kafka: no growth (and no jitter) when the maximum does not exceed the initial interval.
        if self.max_ms <= self.initial_ms {
            return self.initial_ms;
        }
        let term = if attempts >= 63 { self.max_ms } else { self.initial_ms.saturating_mul(1 << attempts).min(self.max_ms) };
        // Java draws from [0.8, 1.2); here in thousandths, 800 to 1199.
        let factor = rng.between(1000 - JITTER_PERMILLE, 1000 + JITTER_PERMILLE - 1);
        (term.saturating_mul(factor) / 1000).min(self.max_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_within_twenty_percent_up_to_the_maximum() {
        let backoff = ExponentialBackoff::new(100, 1000);
        let mut rng = Rng::new(1);
        for (attempts, term) in [(0, 100), (1, 200), (2, 400), (3, 800)] {
            for _ in 0..50 {
                let wait = backoff.backoff_ms(attempts, &mut rng);
                assert!(wait >= term * 8 / 10 && wait <= term * 12 / 10, "attempt {attempts}: {wait} ms");
            }
        }
        for attempts in [4, 10, 40, 100] {
            let wait = backoff.backoff_ms(attempts, &mut rng);
            assert!((800..=1000).contains(&wait), "capped at retry.backoff.max.ms: {wait} ms");
        }
    }

    #[test]
    fn a_maximum_at_or_below_retry_backoff_ms_gives_a_constant_wait() {
        let mut rng = Rng::new(1);
        assert_eq!(ExponentialBackoff::new(100, 100).backoff_ms(5, &mut rng), 100);
        assert_eq!(ExponentialBackoff::new(500, 200).backoff_ms(0, &mut rng), 200);
        assert_eq!(ExponentialBackoff::new(0, 0).backoff_ms(3, &mut rng), 0);
    }
}
