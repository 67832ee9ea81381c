//! One partition replica on a broker: its log, its leader epoch, and, when it leads, what it knows of
//! its followers (Kafka's `Partition` and `Replica`).

use crate::kafka::ids::BrokerId;
use crate::kafka::log::Log;
use crate::kafka::protocol::KafkaError;
use crate::kafka::replication::epoch_cache::LeaderEpochCache;

/// What the leader knows of one follower (Kafka's `ReplicaState`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FollowerState {
    /// The follower's log end offset, as its last fetch told; unknown after a leader change.
    pub leo: Option<u64>,
    pub log_start_offset: Option<u64>,
    /// The leader's LEO when the previous fetch arrived.
    pub last_fetch_leader_leo: Option<u64>,
    pub last_fetch_ms: u64,
    /// The last time the follower had everything the leader had (or caught up to the previous fetch).
    pub last_caught_up_ms: u64,
    pub broker_epoch: Option<u64>,
}

impl FollowerState {
    /// Kafka's `isCaughtUp`: the follower has the leader's LEO, or was caught up within the lag limit.
    pub fn is_caught_up(&self, leader_leo: u64, now_ms: u64, replica_lag_time_max_ms: u64) -> bool {
        self.leo == Some(leader_leo) || now_ms.saturating_sub(self.last_caught_up_ms) <= replica_lag_time_max_ms
    }

    /// Kafka's `updateFetchStateOrThrow`: a follower fetched at `fetch_offset` when the leader's LEO
    /// was `leader_leo`.
    pub fn record_fetch(&mut self, fetch_offset: u64, log_start_offset: u64, now_ms: u64, leader_leo: u64, broker_epoch: u64) {
        if fetch_offset >= leader_leo {
            self.last_caught_up_ms = self.last_caught_up_ms.max(now_ms);
        } else if self.last_fetch_leader_leo.is_some_and(|previous| fetch_offset >= previous) {
            self.last_caught_up_ms = self.last_caught_up_ms.max(self.last_fetch_ms);
        }
        self.leo = Some(fetch_offset);
        self.log_start_offset = Some(log_start_offset);
        self.last_fetch_leader_leo = Some(self.last_fetch_leader_leo.map_or(leader_leo, |p| p.max(leader_leo)));
        self.last_fetch_ms = now_ms;
        self.broker_epoch = Some(broker_epoch);
    }

    /// Kafka's `resetReplicaState` when this broker becomes leader (or is re-elected with a new epoch).
    pub fn reset(&mut self, now_ms: u64, leader_epoch_start_offset: u64, is_new_leader: bool, in_isr: bool) {
        let last_caught_up_ms = if in_isr { now_ms } else { 0 };
        if is_new_leader {
            *self = FollowerState { last_caught_up_ms, ..FollowerState::default() };
        } else {
            self.last_fetch_leader_leo = Some(leader_epoch_start_offset);
            self.last_fetch_ms = if in_isr { now_ms } else { 0 };
            self.last_caught_up_ms = last_caught_up_ms;
        }
    }
}

/// An ISR change the leader asked the controller for and is waiting on (Kafka's pending states).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PendingIsr {
    pub proposed: Vec<BrokerId>,
    pub request_id: u64,
    pub expansion: bool,
    /// Given up (and proposed again later) if the controller has not answered by then.
    pub deadline: crate::sim::Tick,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LeaderState {
    /// The committed ISR (this broker included).
    pub isr: Vec<BrokerId>,
    pub pending: Option<PendingIsr>,
    /// Every other assigned replica, in assignment order.
    pub followers: Vec<(BrokerId, FollowerState)>,
    pub epoch_start_offset: u64,
}

impl LeaderState {
    /// The "maximal" ISR: the committed ISR plus a pending expansion (KIP-497). The HW waits for it.
    pub fn maximal_isr(&self) -> &[BrokerId] {
        match &self.pending {
            Some(p) if p.expansion => &p.proposed,
            _ => &self.isr,
        }
    }

    pub fn follower(&self, broker: BrokerId) -> Option<&FollowerState> {
        self.followers.iter().find(|(b, _)| *b == broker).map(|(_, s)| s)
    }

    pub fn follower_mut(&mut self, broker: BrokerId) -> Option<&mut FollowerState> {
        self.followers.iter_mut().find(|(b, _)| *b == broker).map(|(_, s)| s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Leader(LeaderState),
    /// Follows `leader` (None: the partition has no leader right now).
    Follower { leader: Option<BrokerId> },
}

#[derive(Clone, Debug)]
pub struct Replica {
    pub log: Log,
    pub epoch_cache: LeaderEpochCache,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
    pub replicas: Vec<BrokerId>,
    pub role: Role,
    pub min_insync_replicas: u32,
    /// The page cache file that holds this log.
    pub file: u64,
    /// Records appended since the last flush (for `flush.messages`).
    pub unflushed_records: u64,
    pub last_flush_ms: u64,
}

/// The effective min ISR: `min(min.insync.replicas, replication factor)` (KAFKA-15583 uses it for HW).
pub fn effective_min_isr(min_insync_replicas: u32, replication_factor: usize) -> usize {
    (min_insync_replicas as usize).min(replication_factor)
}

/// Kafka's `maybeIncrementLeaderHW` as a pure function: the HW the leader may advance to, or `None`
/// when it must not move. The HW is the smallest LEO among the leader, the maximal ISR, and any
/// out-of-ISR follower that is caught up and eligible; it never moves while the committed ISR is
/// smaller than the effective min ISR.
pub fn next_high_watermark(
    current_hw: u64,
    leader_leo: u64,
    followers: &[(BrokerId, FollowerState)],
    maximal_isr: &[BrokerId],
    committed_isr_size: usize,
    effective_min_isr: usize,
    now_ms: u64,
    replica_lag_time_max_ms: u64,
    is_eligible: impl Fn(BrokerId, &FollowerState) -> bool,
) -> Option<u64> {
    if committed_isr_size < effective_min_isr {
        return None;
    }
    let mut hw = Some(leader_leo);
    for (broker, state) in followers {
        let waits = maximal_isr.contains(broker)
            || (state.is_caught_up(leader_leo, now_ms, replica_lag_time_max_ms) && is_eligible(*broker, state));
        if waits {
            // An unknown LEO (just after a leader change) holds the HW where it is.
            hw = match (hw, state.leo) {
                (Some(h), Some(leo)) => Some(h.min(leo)),
                _ => None,
            };
        }
    }
    hw.filter(|&h| h > current_hw)
}

/// Kafka's `isFollowerInSync`, the test for joining the ISR: the follower has reached the high
/// watermark and everything this leader's epoch started with (so it holds no record of an older
/// epoch that the leader might have truncated away).
pub fn can_join_isr(follower_leo: u64, high_watermark: u64, epoch_start_offset: u64) -> bool {
    follower_leo >= high_watermark && follower_leo >= epoch_start_offset
}

/// Kafka's `checkEnoughReplicasReachOffset` for an acks=all request waiting for `required_offset`:
/// `None` while it must keep waiting, otherwise its outcome.
pub fn acks_all_outcome(high_watermark: u64, required_offset: u64, maximal_isr_size: usize, effective_min_isr: usize) -> Option<Result<(), KafkaError>> {
    if high_watermark < required_offset {
        return None;
    }
    if effective_min_isr <= maximal_isr_size {
        Some(Ok(()))
    } else {
        // Appended, but the ISR shrank below min.insync.replicas before it was acknowledged.
        Some(Err(KafkaError::NotEnoughReplicasAfterAppend))
    }
}

/// Kafka's out-of-sync check for the ISR shrink: followers in the committed ISR that are not caught up.
pub fn out_of_sync_followers(state: &LeaderState, leader_leo: u64, now_ms: u64, replica_lag_time_max_ms: u64) -> Vec<BrokerId> {
    if state.pending.is_some() {
        return Vec::new();
    }
    state
        .followers
        .iter()
        .filter(|(b, s)| state.isr.contains(b) && !s.is_caught_up(leader_leo, now_ms, replica_lag_time_max_ms))
        .map(|(b, _)| *b)
        .collect()
}

impl Replica {
    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader(_))
    }

    pub fn leader(&self, me: BrokerId) -> Option<BrokerId> {
        match &self.role {
            Role::Leader(_) => Some(me),
            Role::Follower { leader } => *leader,
        }
    }

    pub fn effective_min_isr(&self) -> usize {
        effective_min_isr(self.min_insync_replicas, self.replicas.len())
    }

    /// The committed ISR when leading.
    pub fn isr(&self) -> Option<&[BrokerId]> {
        match &self.role {
            Role::Leader(l) => Some(&l.isr),
            Role::Follower { .. } => None,
        }
    }

    /// The epoch of the last batch in the log, for a follower's fetch (KIP-595 divergence check).
    pub fn last_fetched_epoch(&self) -> Option<i32> {
        self.epoch_cache.latest_epoch()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follower(leo: u64, caught_up_ms: u64) -> FollowerState {
        FollowerState { leo: Some(leo), last_caught_up_ms: caught_up_ms, ..FollowerState::default() }
    }

    const LAG_MS: u64 = 30_000;

    #[test]
    fn the_high_watermark_is_what_every_isr_member_has() {
        let followers = [(BrokerId(1), follower(7, 0)), (BrokerId(2), follower(9, 0))];
        let isr = [BrokerId(0), BrokerId(1), BrokerId(2)];
        assert_eq!(next_high_watermark(0, 10, &followers, &isr, 3, 1, 40_000, LAG_MS, |_, _| true), Some(7));
    }

    #[test]
    fn a_follower_outside_the_isr_does_not_hold_the_high_watermark_back_unless_caught_up() {
        let followers = [(BrokerId(1), follower(10, 0)), (BrokerId(2), follower(3, 0))];
        let isr = [BrokerId(0), BrokerId(1)];
        // At 40 s, broker 2 last caught up at 0 s: more than replica.lag.time.max.ms ago.
        assert_eq!(next_high_watermark(0, 10, &followers, &isr, 2, 1, 40_000, LAG_MS, |_, _| true), Some(10));
        // At 20 s it still counts as caught up, so the leader waits for it to join the ISR.
        assert_eq!(next_high_watermark(0, 10, &followers, &isr, 2, 1, 20_000, LAG_MS, |_, _| true), Some(3));
    }

    #[test]
    fn the_high_watermark_does_not_advance_while_the_isr_is_below_min_insync_replicas() {
        // PartitionTest#testHighWatermarkAdvanceShouldNotAdvanceWhenUnderMinISR: min.isr 3, ISR [0,1],
        // LEO 10: HW stays 0 even after both followers fetch to 10, until ISR [0,1,2] is committed.
        let followers = [(BrokerId(1), follower(10, 0)), (BrokerId(2), follower(10, 0))];
        let maximal = [BrokerId(0), BrokerId(1), BrokerId(2)];
        assert_eq!(next_high_watermark(0, 10, &followers, &maximal, 2, 3, 40_000, LAG_MS, |_, _| true), None);
        assert_eq!(next_high_watermark(0, 10, &followers, &maximal, 3, 3, 40_000, LAG_MS, |_, _| true), Some(10));
    }

    #[test]
    fn an_unknown_follower_leo_after_a_leader_change_holds_the_high_watermark() {
        let followers = [(BrokerId(1), FollowerState::default())];
        assert_eq!(next_high_watermark(4, 10, &followers, &[BrokerId(0), BrokerId(1)], 2, 1, 0, LAG_MS, |_, _| true), None);
    }

    #[test]
    fn the_high_watermark_only_moves_forward() {
        let followers = [(BrokerId(1), follower(5, 0))];
        assert_eq!(next_high_watermark(6, 10, &followers, &[BrokerId(0), BrokerId(1)], 2, 1, 0, LAG_MS, |_, _| true), None);
    }

    #[test]
    fn a_follower_that_keeps_fetching_to_the_previous_leo_stays_caught_up() {
        // Kafka's rule: reaching the leader's LEO as of the previous fetch counts as caught up then.
        let mut f = FollowerState::default();
        f.record_fetch(0, 0, 1_000, 5, 1);
        assert_eq!(f.last_caught_up_ms, 0);
        f.record_fetch(5, 0, 2_000, 9, 1);
        assert_eq!(f.last_caught_up_ms, 1_000, "offset 5 reached the LEO seen at the previous fetch");
        f.record_fetch(9, 0, 3_000, 9, 1);
        assert_eq!(f.last_caught_up_ms, 3_000);
    }

    #[test]
    fn acks_all_waits_for_the_high_watermark_and_checks_the_isr_when_it_gets_there() {
        assert_eq!(acks_all_outcome(4, 5, 3, 2), None);
        assert_eq!(acks_all_outcome(5, 5, 3, 2), Some(Ok(())));
        assert_eq!(acks_all_outcome(5, 5, 1, 2), Some(Err(KafkaError::NotEnoughReplicasAfterAppend)));
    }

    #[test]
    fn a_follower_joins_the_isr_only_once_it_has_the_high_watermark_and_the_epoch_start() {
        // Kafka's PartitionTest: a follower at offset 10 joins a leader whose epoch began at 10.
        assert!(can_join_isr(10, 0, 10));
        assert!(!can_join_isr(9, 0, 10), "short of the epoch start: it may hold an older epoch's records");
        assert!(!can_join_isr(10, 11, 0), "behind the high watermark");
    }

    #[test]
    fn a_stuck_follower_falls_out_of_sync_after_the_lag_time() {
        let state = LeaderState {
            isr: vec![BrokerId(0), BrokerId(1), BrokerId(2)],
            pending: None,
            followers: vec![(BrokerId(1), follower(10, 35_000)), (BrokerId(2), follower(4, 1_000))],
            epoch_start_offset: 0,
        };
        assert_eq!(out_of_sync_followers(&state, 10, 40_000, LAG_MS), vec![BrokerId(2)]);
        assert_eq!(out_of_sync_followers(&state, 10, 30_000, LAG_MS), vec![]);
    }
}

/// A broker's replicas, indexed by partition: O(1) lookups on every request, iteration in partition
/// order (the same order a map would give).
#[derive(Clone, Debug, Default)]
pub struct ReplicaTable {
    slots: Vec<Option<Replica>>,
}

impl ReplicaTable {
    pub fn get(&self, partition: &crate::kafka::ids::PartitionIndex) -> Option<&Replica> {
        self.slots.get(partition.get()).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, partition: &crate::kafka::ids::PartitionIndex) -> Option<&mut Replica> {
        self.slots.get_mut(partition.get()).and_then(Option::as_mut)
    }

    pub fn contains_key(&self, partition: &crate::kafka::ids::PartitionIndex) -> bool {
        self.get(partition).is_some()
    }

    pub fn insert(&mut self, partition: crate::kafka::ids::PartitionIndex, replica: Replica) {
        if self.slots.len() <= partition.get() {
            self.slots.resize_with(partition.get() + 1, || None);
        }
        self.slots[partition.get()] = Some(replica);
    }

    pub fn iter(&self) -> impl Iterator<Item = (crate::kafka::ids::PartitionIndex, &Replica)> {
        self.slots.iter().enumerate().filter_map(|(i, r)| r.as_ref().map(|r| (crate::kafka::ids::PartitionIndex(i as u32), r)))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (crate::kafka::ids::PartitionIndex, &mut Replica)> {
        self.slots.iter_mut().enumerate().filter_map(|(i, r)| r.as_mut().map(|r| (crate::kafka::ids::PartitionIndex(i as u32), r)))
    }

    pub fn values(&self) -> impl Iterator<Item = &Replica> {
        self.slots.iter().flatten()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Replica> {
        self.slots.iter_mut().flatten()
    }

    pub fn len(&self) -> usize {
        self.values().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::ops::Index<&crate::kafka::ids::PartitionIndex> for ReplicaTable {
    type Output = Replica;
    fn index(&self, partition: &crate::kafka::ids::PartitionIndex) -> &Replica {
        // Callers index only partitions they just checked or appended to.
        self.get(partition).expect("the broker hosts this partition")
    }
}
