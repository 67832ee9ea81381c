//! When a client may connect to a broker again after a connection failed: Kafka's
//! `ClusterConnectionStates`. Each failure blacks the broker out for an exponential backoff from
//! reconnect.backoff.ms (50 ms by default) up to reconnect.backoff.max.ms (1 s), ±20%; a connection that
//! works resets it. While a broker is blacked out the client sends it nothing: its batches wait in
//! the accumulator, unsent, instead of failing against a dead process over and over.

use crate::kafka::backoff::ExponentialBackoff;
use crate::kafka::ids::BrokerId;
use crate::sim::sorted::SortedMap;
use crate::sim::{Rng, Tick};

#[derive(Clone, Debug)]
pub struct Reconnect {
    /// Per broker whose last connection failed: the end of its blackout and the failures in a row.
    failed: SortedMap<BrokerId, (Tick, u32)>,
    /// Draws the backoff's jitter: the client's own stream for it, so that reconnecting never shifts
    /// the draws of its other backoffs.
    rng: Rng,
}

impl Reconnect {
    pub fn new(rng: Rng) -> Reconnect {
        Reconnect { failed: SortedMap::new(), rng }
    }

    /// A request to `broker` failed with its connection (refused, or reset): returns the end of its
    /// blackout. Requests that were on one connection fail one after another; like Kafka, which
    /// counts one failure per connection, a failure heard during the blackout adds nothing.
    /// `backoff`: the client's reconnect.backoff.ms and reconnect.backoff.max.ms, as configured now.
    pub fn disconnected(&mut self, broker: BrokerId, now: Tick, backoff: ExponentialBackoff) -> Tick {
        let failures = match self.failed.get(&broker) {
            Some((until, _)) if *until > now => return *until,
            Some((_, n)) => *n,
            None => 0,
        };
        let until = now.plus_ms(backoff.backoff_ms(failures, &mut self.rng));
        self.failed.insert(broker, (until, failures + 1));
        until
    }

    /// `broker` answered: the connection works.
    pub fn connected(&mut self, broker: BrokerId) {
        self.failed.remove(&broker);
    }

    /// The end of `broker`'s blackout, if it lasts past `now`.
    pub fn blocked_until(&self, broker: BrokerId, now: Tick) -> Option<Tick> {
        self.failed.get(&broker).map(|(until, _)| *until).filter(|until| *until > now)
    }

    /// The broker to ask for metadata: the first of `known`, counting round from `start`, that is not
    /// blacked out (Kafka's leastLoadedNode passes over those). `Err`: every one is, and this is when
    /// the first blackout ends. Kafka's client then sends nothing and looks again later: asking a
    /// broker it may not connect to would only be refused.
    pub fn pick(&self, known: &[BrokerId], start: usize, now: Tick) -> Result<BrokerId, Tick> {
        let at = |i: usize| known[(start + i) % known.len()];
        let mut first_free = None;
        for broker in (0..known.len()).map(at) {
            match self.blocked_until(broker, now) {
                None => return Ok(broker),
                Some(until) => first_free = Some(first_free.map_or(until, |t: Tick| t.min(until))),
            }
        }
        // An empty `known` has no blackout to wait for: the caller's own check keeps it from asking.
        Err(first_free.unwrap_or(now))
    }

    /// The client's process died: a new one starts with no connections and no failures.
    pub fn forget(&mut self) {
        self.failed.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's defaults: reconnect.backoff.ms 50, reconnect.backoff.max.ms 1000.
    const DEFAULT: ExponentialBackoff = ExponentialBackoff::new(50, 1_000);

    #[test]
    fn each_refused_connection_doubles_the_blackout_up_to_a_second() {
        let mut reconnect = Reconnect::new(Rng::new(4));
        let waits: Vec<u64> = (0..7).map(|n| reconnect.disconnected(BrokerId(1), Tick(n * 2_000), DEFAULT).ms() - n * 2_000).collect();
        let nominal = [50, 100, 200, 400, 800, 1_000, 1_000];
        for (wait, nominal) in waits.iter().zip(nominal) {
            assert!(*wait >= nominal * 8 / 10 && *wait <= nominal.min(1_000) * 12 / 10, "{waits:?}");
            assert!(*wait <= 1_000, "never past reconnect.backoff.max.ms: {waits:?}");
        }
    }

    #[test]
    fn metadata_goes_to_a_broker_the_client_may_connect_to_or_waits_for_the_first_blackout_to_end() {
        let mut reconnect = Reconnect::new(Rng::new(4));
        let known = [BrokerId(1), BrokerId(2), BrokerId(3)];
        assert_eq!(reconnect.pick(&known, 0, Tick(0)), Ok(BrokerId(1)));
        let one = reconnect.disconnected(BrokerId(1), Tick(0), DEFAULT);
        assert_eq!(reconnect.pick(&known, 0, Tick(0)), Ok(BrokerId(2)), "passes over the blacked-out broker");
        assert_eq!(reconnect.pick(&known, 4, Tick(0)), Ok(BrokerId(2)), "counting round from the cursor");
        let two = reconnect.disconnected(BrokerId(2), Tick(10), DEFAULT);
        let three = reconnect.disconnected(BrokerId(3), Tick(20), DEFAULT);
        assert_eq!(reconnect.pick(&known, 0, Tick(20)), Err(one.min(two).min(three)), "all refused lately: wait, do not ask");
        assert_eq!(reconnect.pick(&known, 0, one), Ok(BrokerId(1)), "broker 1's blackout is over first");
    }

    #[test]
    fn a_broker_is_blacked_out_until_its_backoff_ends_and_an_answer_clears_it() {
        let mut reconnect = Reconnect::new(Rng::new(4));
        let until = reconnect.disconnected(BrokerId(2), Tick(1_000), DEFAULT);
        assert_eq!(reconnect.blocked_until(BrokerId(2), Tick(1_000)), Some(until));
        assert_eq!(reconnect.disconnected(BrokerId(2), Tick(1_000), DEFAULT), until, "a second request failing with the same connection");
        assert_eq!(reconnect.disconnected(BrokerId(2), Tick(1_002), DEFAULT), until, "and a third, heard a moment later: one failure");
        assert_eq!(reconnect.blocked_until(BrokerId(2), until), None);
        assert_eq!(reconnect.blocked_until(BrokerId(3), Tick(1_000)), None, "other brokers are not affected");
        let next = reconnect.disconnected(BrokerId(2), until, DEFAULT);
        assert!(next.ms() - until.ms() >= 80, "the second failure doubles the wait");
        reconnect.connected(BrokerId(2));
        assert_eq!(reconnect.blocked_until(BrokerId(2), until), None);
        let again = reconnect.disconnected(BrokerId(2), Tick(5_000), DEFAULT);
        assert!(again.ms() - 5_000 <= 60, "after a working connection the backoff starts again at 50 ms");
    }
}
