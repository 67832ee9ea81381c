//! When a client (producer or consumer) may ask for cluster metadata again.
//!
//! Kafka's `Metadata.timeToAllowUpdate`: however urgently a client wants fresh metadata (a partition
//! without a leader, a leader that moved), it asks again at the earliest retry.backoff.ms after its
//! last answer or failure. Without it, a producer whose partition has no leader asks in a tight loop.

use crate::sim::Tick;

#[derive(Clone, Debug, Default)]
pub struct RefreshBackoff {
    /// When the last metadata answer (or failure) arrived: Kafka's `lastRefreshMs`.
    last_refresh: Option<Tick>,
    /// The moment a retry timer is already set for, so each wait arms one timer.
    timer_at: Option<Tick>,
}

impl RefreshBackoff {
    /// A metadata answer arrived, or the request failed.
    pub fn refreshed(&mut self, now: Tick) {
        self.last_refresh = Some(now);
    }

    /// `None`: the client may ask now. `Some((at, arm))`: it waits until `at`; `arm` says whether
    /// the caller must set a timer for that moment (false when one is already set).
    pub fn wait(&mut self, now: Tick, retry_backoff_ms: u64) -> Option<(Tick, bool)> {
        let at = self.last_refresh?.plus_ms(retry_backoff_ms);
        if at <= now {
            return None;
        }
        let arm = self.timer_at != Some(at);
        self.timer_at = Some(at);
        Some((at, arm))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_asks_for_metadata_again_only_after_retry_backoff_ms() {
        let mut backoff = RefreshBackoff::default();
        assert_eq!(backoff.wait(Tick(0), 100), None, "the first request goes at once");
        backoff.refreshed(Tick(10));
        assert_eq!(backoff.wait(Tick(12), 100), Some((Tick(110), true)), "too soon: wait, and set one timer");
        assert_eq!(backoff.wait(Tick(50), 100), Some((Tick(110), false)), "the timer is already set");
        assert_eq!(backoff.wait(Tick(110), 100), None, "the backoff has passed");
    }
}
