//! The simulated network: per-link latency, jitter, loss, bandwidth and ordering, and cuts between sets
//! of nodes that last until healed.
//!
//! The network does not carry payloads. The caller asks [`Network::send`] when a message of some size
//! would arrive (or whether it is lost), schedules its delivery itself, and asks [`Network::is_cut`]
//! again on arrival.
//!
//! Links behave like TCP connections: `loss` is packet loss, which TCP repairs by retransmitting
//! after a retransmission timeout (doubling each time), so the message arrives late and everything
//! behind it on the link waits (head-of-line blocking). `drop` is a connection reset: the message is
//! gone and the sender's connection broke.

use super::rng::{Ratio, Rng};
use super::time::Tick;
use serde::{Deserialize, Serialize};
use crate::sim::sorted::{SortedMap, SortedSet};

/// A node on the network (a broker, a controller or a client): the Kafka model numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodeId(pub u32);

/// How one direction of a link behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkConfig {
    /// One-way propagation delay; at least 1 ms in a scenario (the world's validation says why).
    pub latency_ms: u64,
    /// Extra delay drawn uniformly from `[0, jitter_ms]` per message.
    pub jitter_ms: u64,
    /// Probability that a transmission is lost and must be retransmitted (TCP repairs it, late).
    pub loss: Ratio,
    /// Probability that the connection resets while carrying the message: it is gone.
    pub drop: Ratio,
    /// Throughput; a message of `b` bytes occupies the link for `b / bandwidth` ms. 0 means unlimited.
    pub bandwidth_bytes_per_ms: u64,
}

impl Default for LinkConfig {
    /// A data-centre LAN: 1 ms one way, up to 1 ms jitter, no loss, 1 Gbit/s (125,000 bytes per ms).
    fn default() -> LinkConfig {
        LinkConfig { latency_ms: 1, jitter_ms: 1, loss: Ratio::NEVER, drop: Ratio::NEVER, bandwidth_bytes_per_ms: 125_000 }
    }
}

/// What happens to a message handed to the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transit {
    /// It arrives at `arrive_at`, after `retransmits` lost transmissions.
    Arrives { sent_at: Tick, arrive_at: Tick, retransmits: u8 },
    Lost(LossReason),
}

/// TCP's minimum retransmission timeout (Linux: 200 ms), doubled for each further loss.
pub const RETRANSMIT_TIMEOUT_MS: u64 = 200;
/// After this many lost transmissions in a row TCP gives up and the connection resets.
pub const RETRANSMITS_MAX: u8 = 6;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LossReason {
    /// A network partition separates the two nodes.
    Cut,
    /// The connection reset (the link's drop ratio), or TCP gave up after too many retransmissions.
    ConnectionReset,
}

/// A network partition: no message crosses between `side_a` and `side_b` until it is healed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cut {
    pub side_a: SortedSet<NodeId>,
    pub side_b: SortedSet<NodeId>,
}

impl Cut {
    fn separates(&self, from: NodeId, to: NodeId) -> bool {
        (self.side_a.contains(&from) && self.side_b.contains(&to))
            || (self.side_b.contains(&from) && self.side_a.contains(&to))
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct LinkState {
    /// The link is busy sending earlier bytes until then (bandwidth).
    busy_until: Tick,
    /// The latest arrival scheduled on this link: nothing may overtake it (ordering).
    last_arrival: Tick,
}

/// The link `from → to` as one number.
fn link_key(from: NodeId, to: NodeId) -> u64 {
    (u64::from(from.0) << 32) | u64::from(to.0)
}

#[derive(Clone, Debug)]
pub struct Network {
    default_link: LinkConfig,
    overrides: SortedMap<(NodeId, NodeId), LinkConfig>,
    /// By [`link_key`]: every message looks its link up, and one integer compares faster than a
    /// pair. Only looked up, never iterated, so the key's order does not matter.
    links: SortedMap<u64, LinkState>,
    cuts: SortedMap<u32, Cut>,
    next_cut_id: u32,
    rng: Rng,
}

impl Network {
    pub fn new(default_link: LinkConfig, rng: Rng) -> Network {
        Network {
            default_link,
            overrides: SortedMap::new(),
            links: SortedMap::new(),
            cuts: SortedMap::new(),
            next_cut_id: 1,
            rng,
        }
    }

    /// The configuration of the link `from → to`.
    pub fn link(&self, from: NodeId, to: NodeId) -> LinkConfig {
        self.overrides.get(&(from, to)).copied().unwrap_or(self.default_link)
    }

    /// Changes one direction of a link (a slow follower, a lossy cable).
    pub fn set_link(&mut self, from: NodeId, to: NodeId, config: LinkConfig) {
        if config == self.default_link {
            self.overrides.remove(&(from, to));
        } else {
            self.overrides.insert((from, to), config);
        }
    }

    /// Restores every link to the default configuration.
    pub fn reset_links(&mut self) {
        self.overrides.clear();
    }

    /// Cuts every link between the two sides; returns the cut's id for [`Network::heal`].
    pub fn cut(&mut self, side_a: SortedSet<NodeId>, side_b: SortedSet<NodeId>) -> u32 {
        let id = self.next_cut_id;
        self.next_cut_id += 1;
        self.cuts.insert(id, Cut { side_a, side_b });
        id
    }

    /// Heals one cut; returns it if it existed.
    pub fn heal(&mut self, id: u32) -> Option<Cut> {
        self.cuts.remove(&id)
    }

    /// Heals every cut; returns how many there were.
    pub fn heal_all(&mut self) -> usize {
        let n = self.cuts.len();
        self.cuts.clear();
        n
    }

    pub fn cuts(&self) -> impl Iterator<Item = (u32, &Cut)> {
        self.cuts.iter().map(|(id, cut)| (*id, cut))
    }

    /// True when a partition separates the two nodes.
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.separating_cut(from, to).is_some()
    }

    /// The first cut (by id) that separates the two nodes, if any.
    pub fn separating_cut(&self, from: NodeId, to: NodeId) -> Option<u32> {
        if from == to {
            return None;
        }
        self.cuts.iter().find(|(_, cut)| cut.separates(from, to)).map(|(id, _)| *id)
    }

    /// Hands a message of `bytes` bytes to the link `from → to` at `now`.
    ///
    /// A message to oneself arrives at once. Otherwise it waits for the link to finish sending earlier
    /// bytes, takes `bytes / bandwidth` ms to transmit, then `latency + jitter` to propagate, and never
    /// arrives before a message sent earlier on the same link.
    pub fn send(&mut self, now: Tick, from: NodeId, to: NodeId, bytes: u64) -> Transit {
        if from == to {
            return Transit::Arrives { sent_at: now, arrive_at: now, retransmits: 0 };
        }
        if self.is_cut(from, to) {
            return Transit::Lost(LossReason::Cut);
        }
        let config = self.link(from, to);
        if self.rng.chance(config.drop) {
            return Transit::Lost(LossReason::ConnectionReset);
        }
        // Each lost transmission costs a retransmission timeout, doubling every time.
        let mut retransmits = 0u8;
        let mut retransmit_delay_ms = 0;
        while self.rng.chance(config.loss) {
            if retransmits == RETRANSMITS_MAX {
                return Transit::Lost(LossReason::ConnectionReset);
            }
            retransmit_delay_ms += RETRANSMIT_TIMEOUT_MS << retransmits;
            retransmits += 1;
        }
        let jitter_ms = if config.jitter_ms > 0 { self.rng.below(config.jitter_ms + 1) } else { 0 };
        let state = self.links.entry(link_key(from, to)).or_default();
        let start = now.max(state.busy_until);
        let transmit_ms = match config.bandwidth_bytes_per_ms {
            0 => 0,
            bandwidth => bytes / bandwidth,
        };
        state.busy_until = start.plus_ms(transmit_ms);
        let arrive_at = start.plus_ms(transmit_ms + config.latency_ms + jitter_ms + retransmit_delay_ms).max(state.last_arrival);
        state.last_arrival = arrive_at;
        Transit::Arrives { sent_at: now, arrive_at, retransmits }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: &[u32]) -> SortedSet<NodeId> {
        ids.iter().map(|&i| NodeId(i)).collect()
    }

    fn quiet_link() -> LinkConfig {
        LinkConfig { latency_ms: 5, jitter_ms: 0, loss: Ratio::NEVER, drop: Ratio::NEVER, bandwidth_bytes_per_ms: 1_000 }
    }

    #[test]
    fn a_large_batch_takes_longer_than_a_small_one() {
        let mut net = Network::new(quiet_link(), Rng::new(1));
        let small = net.send(Tick(0), NodeId(1), NodeId(2), 100);
        let large = net.send(Tick(0), NodeId(3), NodeId(4), 50_000);
        assert_eq!(small, Transit::Arrives { sent_at: Tick(0), arrive_at: Tick(5), retransmits: 0 });
        assert_eq!(large, Transit::Arrives { sent_at: Tick(0), arrive_at: Tick(55), retransmits: 0 });
    }

    #[test]
    fn messages_on_one_link_queue_behind_each_other_and_never_overtake() {
        let mut net = Network::new(LinkConfig { jitter_ms: 20, ..quiet_link() }, Rng::new(9));
        let mut last = Tick::ZERO;
        for i in 0..50 {
            match net.send(Tick(i), NodeId(1), NodeId(2), 2_000) {
                Transit::Arrives { arrive_at, .. } => {
                    assert!(arrive_at >= last, "message {i} overtook an earlier one");
                    // Each 2,000-byte message occupies the 1,000 bytes/ms link for 2 ms.
                    assert!(arrive_at >= Tick(2 * (i + 1) + 5));
                    last = arrive_at;
                }
                Transit::Lost(reason) => panic!("lost: {reason:?}"),
            }
        }
    }

    #[test]
    fn a_partition_cuts_both_directions_between_the_sides_until_healed() {
        let mut net = Network::new(quiet_link(), Rng::new(1));
        let id = net.cut(set(&[1]), set(&[2, 3]));
        assert_eq!(net.send(Tick(0), NodeId(1), NodeId(2), 10), Transit::Lost(LossReason::Cut));
        assert_eq!(net.send(Tick(0), NodeId(3), NodeId(1), 10), Transit::Lost(LossReason::Cut));
        assert!(matches!(net.send(Tick(0), NodeId(2), NodeId(3), 10), Transit::Arrives { .. }));
        assert!(net.heal(id).is_some());
        assert!(matches!(net.send(Tick(1), NodeId(1), NodeId(2), 10), Transit::Arrives { .. }));
    }

    #[test]
    fn drop_resets_about_the_configured_share() {
        let dropping = LinkConfig { drop: Ratio::new(1, 10).unwrap(), ..quiet_link() };
        let mut net = Network::new(dropping, Rng::new(4));
        let lost = (0..10_000)
            .filter(|&i| net.send(Tick(i * 10), NodeId(1), NodeId(2), 1) == Transit::Lost(LossReason::ConnectionReset))
            .count();
        assert!((800..1200).contains(&lost), "{lost}");
    }

    #[test]
    fn packet_loss_delays_by_retransmission_timeouts_and_blocks_what_follows() {
        // With 1 in 2 transmissions lost, about half the messages need at least one 200 ms retransmit.
        let lossy = LinkConfig { loss: Ratio::new(1, 2).unwrap(), ..quiet_link() };
        let mut net = Network::new(lossy, Rng::new(9));
        let mut late = 0;
        let mut last = Tick::ZERO;
        for i in 0..1000 {
            if let Transit::Arrives { arrive_at, retransmits, .. } = net.send(Tick(i * 1000), NodeId(1), NodeId(2), 1) {
                assert!(arrive_at >= last, "TCP delivers in order");
                if retransmits > 0 {
                    late += 1;
                    assert!(arrive_at.since(Tick(i * 1000)) >= 200 + 5);
                }
                last = arrive_at;
            }
        }
        assert!((400..600).contains(&late), "{late}");
    }

    #[test]
    fn a_slow_link_override_applies_to_one_direction_only() {
        let mut net = Network::new(quiet_link(), Rng::new(1));
        net.set_link(NodeId(1), NodeId(2), LinkConfig { latency_ms: 500, ..quiet_link() });
        assert_eq!(net.send(Tick(0), NodeId(1), NodeId(2), 1), Transit::Arrives { sent_at: Tick(0), arrive_at: Tick(500), retransmits: 0 });
        assert_eq!(net.send(Tick(0), NodeId(2), NodeId(1), 1), Transit::Arrives { sent_at: Tick(0), arrive_at: Tick(5), retransmits: 0 });
    }

    #[test]
    fn the_same_seed_gives_the_same_jitter() {
        let jittery = LinkConfig { jitter_ms: 50, ..quiet_link() };
        let run = || {
            let mut net = Network::new(jittery, Rng::new(77));
            (0..20).map(|i| net.send(Tick(i * 100), NodeId(1), NodeId(2), 1)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }
}
