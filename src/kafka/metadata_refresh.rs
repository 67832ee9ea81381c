//! When a client (producer or consumer) may ask for cluster metadata again.
//!
//! Kafka's `Metadata.timeToAllowUpdate`: however urgently a client wants fresh metadata (a partition
//! without a leader, a leader that moved), it waits an exponential backoff after its last answer or
//! failure (KIP-580): counted over the requests that failed in a row, and over the answers in a row
//! that brought nothing new (no leader epoch advanced). Without it, a producer whose partition has no
//! leader asks in a tight loop.

use crate::kafka::backoff::ExponentialBackoff;
use crate::kafka::ids::Node;
use crate::kafka::metadata::MetadataImage;
use crate::kafka::runtime::{Outbox, Timer};
use crate::sim::{Rng, Tick};

/// How long a client waits between its periodic metadata refreshes: Kafka's
/// `Metadata.timeToNextUpdate`, the larger of metadata.max.age.ms and the refresh backoff
/// (retry.backoff.ms), so `metadata.max.age.ms = 0`, which Kafka accepts, refreshes once per backoff.
/// At least 1 ms: a simulated timer that rearms itself at the same moment would never let time pass.
pub fn refresh_interval_ms(metadata_max_age_ms: u64, retry_backoff_ms: u64) -> u64 {
    metadata_max_age_ms.max(retry_backoff_ms).max(1)
}

#[derive(Clone, Debug, Default)]
pub struct RefreshBackoff {
    /// When the last metadata answer (or failure) arrived: Kafka's `lastRefreshMs`.
    last_refresh: Option<Tick>,
    /// When the last answer arrived: Kafka's `lastSuccessfulRefreshMs`.
    last_answer: Option<Tick>,
    /// Requests failed since the last answer: Kafka's `attempts`.
    failed_in_a_row: u32,
    /// Answers in a row that advanced no leader epoch: Kafka's `equivalentResponseCount`.
    equivalent_in_a_row: u32,
    /// The moment the next request is allowed, drawn once per wait (the backoff has jitter).
    allowed_at: Option<Tick>,
    /// The moment a retry timer is already set for, so each wait arms one timer.
    timer_at: Option<Tick>,
}

impl RefreshBackoff {
    /// An answer arrived. `progressed`: it told of a partition or a leader epoch not seen before.
    pub fn answered(&mut self, now: Tick, progressed: bool) {
        self.last_refresh = Some(now);
        self.last_answer = Some(now);
        self.failed_in_a_row = 0;
        self.equivalent_in_a_row = if progressed { 0 } else { self.equivalent_in_a_row + 1 };
        self.allowed_at = None;
    }

    /// The request failed (no answer, a broken connection).
    pub fn failed(&mut self, now: Tick) {
        self.last_refresh = Some(now);
        self.failed_in_a_row += 1;
        self.equivalent_in_a_row = 0;
        self.allowed_at = None;
    }

    /// Whether `node` must wait before asking; when it must, a `MetadataRetry` timer is set for the
    /// moment it may (once per wait).
    pub fn holds(&mut self, now: Tick, backoff: ExponentialBackoff, metadata_max_age_ms: u64, rng: &mut Rng, node: Node, out: &mut Outbox) -> bool {
        let Some((at, arm)) = self.wait(now, backoff, metadata_max_age_ms, rng) else { return false };
        if arm {
            out.timer(at, node, Timer::MetadataRetry);
        }
        true
    }

    /// Every broker the client knows refused it lately: it asks again at `at`, when the first
    /// blackout ends (one timer per wait, like `holds`).
    pub fn wait_for_connection(&mut self, at: Tick, node: Node, out: &mut Outbox) {
        if self.timer_at != Some(at) {
            self.timer_at = Some(at);
            out.timer(at, node, Timer::MetadataRetry);
        }
    }

    /// `None`: the client may ask now. `Some((at, arm))`: it waits until `at`; `arm` says whether
    /// the caller must set a timer for that moment (false when one is already set).
    pub fn wait(&mut self, now: Tick, backoff: ExponentialBackoff, metadata_max_age_ms: u64, rng: &mut Rng) -> Option<(Tick, bool)> {
        let last = self.last_refresh?;
        // Kafka: once the metadata has expired (no answer for metadata.max.age.ms), answers that
        // brought nothing new stop counting; a periodic refresh is not a sign of being stuck.
        if self.equivalent_in_a_row > 0 && self.last_answer.is_some_and(|a| a.plus_ms(metadata_max_age_ms) <= now) {
            self.equivalent_in_a_row = 0;
            self.allowed_at = None;
        }
        let at = *self.allowed_at.get_or_insert_with(|| {
            let for_failures = backoff.backoff_ms(self.failed_in_a_row.saturating_sub(1), rng);
            let for_equivalent = if self.equivalent_in_a_row > 0 { backoff.backoff_ms(self.equivalent_in_a_row - 1, rng) } else { 0 };
            last.plus_ms(for_failures.max(for_equivalent))
        });
        if at <= now {
            return None;
        }
        let arm = self.timer_at != Some(at);
        self.timer_at = Some(at);
        Some((at, arm))
    }
}

/// Whether `new` tells of something `old` did not: a partition not seen before, or a leader epoch
/// that advanced (Kafka's `Metadata.updateLatestMetadata`).
pub fn progressed(old: Option<&MetadataImage>, new: &MetadataImage) -> bool {
    let Some(old) = old else { return true };
    new.partitions.len() > old.partitions.len() || new.partitions.iter().zip(&old.partitions).any(|(n, o)| n.leader_epoch > o.leader_epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETRY: ExponentialBackoff = ExponentialBackoff::DEFAULT_CLIENT;
    const MAX_AGE: u64 = 300_000;

    #[test]
    fn metadata_max_age_zero_refreshes_once_per_backoff_and_time_still_passes() {
        assert_eq!(refresh_interval_ms(300_000, 100), 300_000);
        assert_eq!(refresh_interval_ms(0, 100), 100);
        assert_eq!(refresh_interval_ms(0, 0), 1);
    }

    #[test]
    fn a_client_asks_for_metadata_again_only_after_the_backoff() {
        let (mut backoff, mut rng) = (RefreshBackoff::default(), Rng::new(1));
        assert_eq!(backoff.wait(Tick(0), RETRY, MAX_AGE, &mut rng), None, "the first request goes at once");
        backoff.answered(Tick(10), true);
        let (at, arm) = backoff.wait(Tick(12), RETRY, MAX_AGE, &mut rng).expect("too soon");
        assert!(arm && (90..=130).contains(&at.ms()), "about retry.backoff.ms after the answer: {at:?}");
        assert_eq!(backoff.wait(Tick(50), RETRY, MAX_AGE, &mut rng), Some((at, false)), "one timer per wait");
        assert_eq!(backoff.wait(at, RETRY, MAX_AGE, &mut rng), None, "the backoff has passed");
    }

    #[test]
    fn answers_that_bring_nothing_new_double_the_wait_up_to_retry_backoff_max_ms() {
        // A partition without a leader: every answer says the same, so the client asks less and less often.
        let (mut backoff, mut rng) = (RefreshBackoff::default(), Rng::new(2));
        let mut now = Tick(0);
        let mut waits = Vec::new();
        for _ in 0..7 {
            backoff.answered(now, false);
            let (at, _) = backoff.wait(now, RETRY, MAX_AGE, &mut rng).expect("a wait");
            waits.push(at.since(now));
            now = at;
        }
        for (wait, term) in waits.iter().zip([100, 200, 400, 800, 1000, 1000, 1000]) {
            assert!(*wait >= term * 8 / 10 && *wait <= (term * 12 / 10).min(1000), "{waits:?}");
        }
        backoff.answered(now, true);
        let (at, _) = backoff.wait(now, RETRY, MAX_AGE, &mut rng).unwrap();
        assert!(at.since(now) <= 120, "news resets the count: {}", at.since(now));
        // Answers keep the metadata fresh, so only metadata.max.age.ms without any answer resets it.
        backoff.answered(now, false);
        backoff.answered(now, false);
        let (at, _) = backoff.wait(now, RETRY, MAX_AGE, &mut rng).unwrap();
        assert!(at.since(now) >= 160, "two answers with nothing new: {}", at.since(now));
        backoff.failed(now.plus_ms(MAX_AGE));
        assert!(backoff.wait(now.plus_ms(MAX_AGE), RETRY, MAX_AGE, &mut rng).is_some(), "a failure waits retry.backoff.ms");
    }
}
