//! When a failed batch goes out again: Kafka's `RecordAccumulator.shouldBackoff` with the batch's
//! own bookkeeping (`ProducerBatch.attempts`, `currentLeaderEpoch`, `attemptsWhenLeaderLastChanged`).
//!
//! A failed batch waits an exponential backoff (KIP-580) so a struggling leader is not hammered:
//! about retry.backoff.ms after the first failure, twice as long after each next one, up to
//! retry.backoff.max.ms. But once the metadata names a new leader, the retry goes at once (KIP-951):
//! the backoff was for the old leader, and after a failover a batch that failed many times would
//! otherwise sit out up to a second while a healthy leader waits.

use crate::kafka::backoff::ExponentialBackoff;
use crate::sim::{Rng, Tick};

#[derive(Clone, Debug, Default)]
pub struct BatchRetry {
    /// Attempts that failed and were retried (Kafka's `attempts`).
    pub attempts: u32,
    /// The end of the current backoff.
    pub retry_at: Option<Tick>,
    /// The leader epoch the metadata named the last time the batch was looked at.
    leader_epoch: Option<i32>,
    /// `attempts` when that epoch last advanced.
    attempts_when_leader_changed: u32,
}

impl BatchRetry {
    /// The batch failed and will be retried: returns the end of its backoff.
    pub fn failed(&mut self, now: Tick, backoff: ExponentialBackoff, rng: &mut Rng) -> Tick {
        self.attempts += 1;
        let at = now.plus_ms(backoff.backoff_ms(self.attempts - 1, rng));
        self.retry_at = Some(at);
        at
    }

    /// The metadata names `latest` as the partition's leader epoch (Kafka's `maybeUpdateLeaderEpoch`,
    /// called whenever the accumulator looks at the batch).
    pub fn note_leader_epoch(&mut self, latest: i32) {
        if self.leader_epoch.is_none_or(|known| known < latest) {
            self.attempts_when_leader_changed = self.attempts;
            self.leader_epoch = Some(latest);
        }
    }

    /// Whether the batch still waits at `now`: during its backoff, unless its leader changed since
    /// it last failed (Kafka's `hasLeaderChangedForTheOngoingRetry`).
    pub fn backing_off(&self, now: Tick) -> bool {
        let leader_changed = self.attempts >= 1 && self.attempts == self.attempts_when_leader_changed;
        !leader_changed && self.retry_at.is_some_and(|at| at > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_twice_under_epoch_0() -> (BatchRetry, Tick) {
        let mut rng = Rng::new(1);
        let mut retry = BatchRetry::default();
        retry.note_leader_epoch(0);
        retry.failed(Tick(1_000), ExponentialBackoff::DEFAULT_CLIENT, &mut rng);
        retry.note_leader_epoch(0);
        let at = retry.failed(Tick(1_200), ExponentialBackoff::DEFAULT_CLIENT, &mut rng);
        (retry, at)
    }

    #[test]
    fn a_new_batch_never_backs_off() {
        let mut retry = BatchRetry::default();
        retry.note_leader_epoch(3);
        assert!(!retry.backing_off(Tick(0)));
    }

    #[test]
    fn a_retry_to_the_same_leader_waits_out_its_backoff() {
        let (retry, at) = failed_twice_under_epoch_0();
        // The second retry waits about 2 × retry.backoff.ms (160 to 240 ms with the jitter).
        assert!((Tick(1_360)..=Tick(1_440)).contains(&at), "{at:?}");
        assert!(retry.backing_off(Tick(1_300)));
        assert!(!retry.backing_off(at));
    }

    #[test]
    fn a_retry_to_a_new_leader_goes_at_once() {
        let (mut retry, _) = failed_twice_under_epoch_0();
        retry.note_leader_epoch(1);
        assert!(!retry.backing_off(Tick(1_201)), "the backoff was for the old leader");
    }

    #[test]
    fn an_older_or_equal_epoch_in_late_metadata_changes_nothing() {
        let (mut retry, _) = failed_twice_under_epoch_0();
        retry.note_leader_epoch(0);
        assert!(retry.backing_off(Tick(1_201)));
    }

    #[test]
    fn the_skip_is_for_one_attempt_only() {
        // Kafka: the attempt after the leader change counts; if it fails too, the next one backs
        // off again (attempts moved past attemptsWhenLeaderLastChanged).
        let (mut retry, _) = failed_twice_under_epoch_0();
        retry.note_leader_epoch(1);
        let mut rng = Rng::new(2);
        retry.failed(Tick(1_300), ExponentialBackoff::DEFAULT_CLIENT, &mut rng);
        retry.note_leader_epoch(1);
        assert!(retry.backing_off(Tick(1_301)));
    }
}
