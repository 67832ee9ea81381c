//! Becoming leader or follower as the metadata says, keeping the ISR (shrink and expand through
//! AlterPartition), and moving the high watermark.

use super::Broker;
use super::replica::{FollowerState, LeaderState, PendingIsr, Replica, Role, can_join_isr, next_high_watermark, out_of_sync_followers};
use crate::kafka::ids::{BrokerId, PartitionIndex};
use crate::kafka::log::Log;
use crate::kafka::protocol::{AlterPartitionError, Message};
use crate::kafka::replication::epoch_cache::LeaderEpochCache;
use crate::kafka::runtime::{Outbox, Timer};
use crate::kafka::world::event::EventKind;
use crate::sim::Tick;

impl Broker {
    /// Brings one partition's local replica in line with the metadata image.
    pub(super) fn reconcile_partition(&mut self, now: Tick, partition: PartitionIndex, out: &mut Outbox) {
        let image = self.image.partition(partition).clone();
        if !image.replicas.contains(&self.id) {
            return;
        }
        let topic_config = self.image.topics[image.topic.get()].config.clone();
        if !self.replicas.contains_key(&partition) {
            let rng = self.rng.child(&format!("log/{}", partition.0));
            let log = Log::new(topic_config.log_config(), now, rng);
            self.replicas.insert(
                partition,
                Replica {
                    log,
                    epoch_cache: LeaderEpochCache::new(),
                    leader_epoch: -1,
                    partition_epoch: -1,
                    replicas: image.replicas.clone(),
                    role: Role::Follower { leader: None },
                    min_insync_replicas: topic_config.min_insync_replicas,
                    file: self.file_id(partition),
                    unflushed_records: 0,
                    last_flush_ms: now.ms(),
                },
            );
        }
        // Topic configs apply to the log from now on.
        if let Some(replica) = self.replicas.get_mut(&partition) {
            replica.log.set_config(topic_config.log_config());
            replica.min_insync_replicas = topic_config.min_insync_replicas;
            replica.replicas.clone_from(&image.replicas);
        }
        let Some(replica) = self.replicas.get(&partition) else { return };
        let was_leader = replica.is_leader();
        if image.leader == Some(self.id) {
            if !was_leader || image.leader_epoch > replica.leader_epoch {
                self.become_leader(now, partition, &image.isr, image.leader_epoch, image.partition_epoch, out);
            } else if image.partition_epoch >= replica.partition_epoch {
                self.commit_isr(now, partition, image.isr.clone(), image.partition_epoch, out);
            }
        } else if was_leader || image.leader_epoch > replica.leader_epoch || replica.leader(self.id) != image.leader {
            self.become_follower(now, partition, image.leader, image.leader_epoch, image.partition_epoch, out);
        } else if let Some(replica) = self.replicas.get_mut(&partition) {
            replica.partition_epoch = replica.partition_epoch.max(image.partition_epoch);
        }
    }

    /// Kafka's `makeLeader`: with a new epoch, record where it starts and reset what the leader knows
    /// of its followers.
    fn become_leader(&mut self, now: Tick, partition: PartitionIndex, isr: &[BrokerId], epoch: i32, partition_epoch: i32, out: &mut Outbox) {
        self.stop_following(partition);
        let me = self.id;
        let Some(replica) = self.replicas.get_mut(&partition) else { return };
        let is_new_leader = !replica.is_leader();
        let is_new_epoch = epoch > replica.leader_epoch;
        let leo = replica.log.log_end_offset();
        let mut state = match std::mem::replace(&mut replica.role, Role::Follower { leader: None }) {
            Role::Leader(state) => state,
            Role::Follower { .. } => LeaderState {
                isr: isr.to_vec(),
                pending: None,
                followers: replica.replicas.iter().filter(|b| **b != me).map(|b| (*b, FollowerState::default())).collect(),
                epoch_start_offset: leo,
            },
        };
        state.isr = isr.to_vec();
        state.pending = None;
        // Followers follow the assignment (replicas may have changed).
        let mut followers: Vec<(BrokerId, FollowerState)> = Vec::new();
        for b in replica.replicas.iter().filter(|b| **b != me) {
            let existing = state.followers.iter().find(|(f, _)| f == b).map(|(_, s)| *s).unwrap_or_default();
            followers.push((*b, existing));
        }
        state.followers = followers;
        if is_new_epoch {
            // Successive elections: followers may hold later epochs, so the new epoch is cached at once.
            let _ = replica.epoch_cache.assign(epoch, leo as i64);
            state.epoch_start_offset = leo;
            for (broker, follower) in &mut state.followers {
                follower.reset(now.ms(), leo, is_new_leader, isr.contains(broker));
            }
            replica.leader_epoch = epoch;
            out.event(EventKind::BecameLeader { broker: me, partition, epoch, log_end_offset: leo });
        }
        replica.partition_epoch = partition_epoch;
        replica.role = Role::Leader(state);
        self.maybe_increment_hw(now, partition, out);
        if self.is_offsets_partition(partition) && !self.coordinator.led.contains(&partition) {
            self.load_groups(now, partition, out);
        }
        if self.is_txn_state_partition(partition) && !self.txn.led.contains(&partition) {
            self.load_transactions(now, partition, out);
        }
    }

    fn is_offsets_partition(&self, partition: PartitionIndex) -> bool {
        let topic = self.image.partition(partition).topic;
        &*self.image.topics[topic.get()].name == crate::kafka::group::coordinator::OFFSETS_TOPIC
    }

    /// Kafka's `makeFollower`: follow the new leader; truncation happens through the first fetch.
    fn become_follower(&mut self, now: Tick, partition: PartitionIndex, leader: Option<BrokerId>, epoch: i32, partition_epoch: i32, out: &mut Outbox) {
        self.stop_following(partition);
        if self.coordinator.led.contains(&partition) {
            let replies = self.coordinator.unload(partition);
            self.apply_group_effects(now, replies, out);
        }
        if self.txn.led.contains(&partition) {
            self.txn.unload(partition);
        }
        let Some(replica) = self.replicas.get_mut(&partition) else { return };
        replica.role = Role::Follower { leader };
        // Parked acks=all requests learn that this broker no longer leads.
        self.fail_parked_produces_for(now, partition, out);
        let Some(replica) = self.replicas.get_mut(&partition) else { return };
        replica.leader_epoch = replica.leader_epoch.max(epoch);
        replica.partition_epoch = replica.partition_epoch.max(partition_epoch);
        if let Some(leader) = leader.filter(|l| *l != self.id) {
            self.fetchers.entry(leader).or_default().partitions.insert(partition);
            self.schedule_replica_fetch(now, leader, now, out);
        }
        // Requests parked for this partition learn that it moved.
        self.try_complete_parked_fetches(now, partition, out);
    }

    fn stop_following(&mut self, partition: PartitionIndex) {
        for fetcher in self.fetchers.values_mut() {
            fetcher.partitions.remove(&partition);
        }
    }

    /// The controller committed an ISR (through metadata or an AlterPartition answer).
    pub(super) fn commit_isr(&mut self, now: Tick, partition: PartitionIndex, isr: Vec<BrokerId>, partition_epoch: i32, out: &mut Outbox) {
        let Some(replica) = self.replicas.get_mut(&partition) else { return };
        if partition_epoch < replica.partition_epoch {
            return;
        }
        replica.partition_epoch = partition_epoch;
        if let Role::Leader(state) = &mut replica.role {
            state.isr = isr;
            state.pending = None;
        }
        // A smaller ISR can let the HW move; a larger one can lift it above min.insync.replicas.
        self.maybe_increment_hw(now, partition, out);
        self.try_complete_parked_produces(now, partition, out);
    }

    /// Leaders drop followers that fell behind for replica.lag.time.max.ms (Kafka's `maybeShrinkIsr`).
    pub(super) fn maybe_shrink_isrs(&mut self, now: Tick, out: &mut Outbox) {
        let lag_ms = self.config.replica_lag_time_max_ms;
        let mut proposals = Vec::new();
        for (partition, replica) in self.replicas.iter() {
            if let Role::Leader(state) = &replica.role {
                let stale = out_of_sync_followers(state, replica.log.log_end_offset(), now.ms(), lag_ms);
                if !stale.is_empty() {
                    let new_isr: Vec<BrokerId> = state.isr.iter().copied().filter(|b| !stale.contains(b)).collect();
                    proposals.push((partition, new_isr));
                }
            }
        }
        for (partition, new_isr) in proposals {
            self.submit_alter_partition(now, partition, new_isr, false, out);
        }
    }

    /// Adds a follower that caught up to the HW within the current epoch (Kafka's `maybeExpandIsr`).
    pub(super) fn maybe_expand_isr(&mut self, now: Tick, partition: PartitionIndex, follower: BrokerId, out: &mut Outbox) {
        let Some(replica) = self.replicas.get(&partition) else { return };
        let Role::Leader(state) = &replica.role else { return };
        let Some(fetched) = state.follower(follower) else { return };
        if state.pending.is_some() || state.isr.contains(&follower) || !self.image.is_isr_eligible(follower, fetched.broker_epoch) {
            return;
        }
        let Some(leo) = fetched.leo else { return };
        if can_join_isr(leo, replica.log.high_watermark(), state.epoch_start_offset) {
            let mut new_isr = state.isr.clone();
            new_isr.push(follower);
            self.submit_alter_partition(now, partition, new_isr, true, out);
        }
    }

    fn submit_alter_partition(&mut self, now: Tick, partition: PartitionIndex, new_isr: Vec<BrokerId>, expansion: bool, out: &mut Outbox) {
        let request_id = self.request_id();
        let (me, controller, epoch) = (self.node(), self.controller, self.epoch);
        let deadline = now.plus_ms(super::CONTROLLER_REQUEST_TIMEOUT_MS);
        let Some(replica) = self.replicas.get_mut(&partition) else { return };
        let Role::Leader(state) = &mut replica.role else { return };
        state.pending = Some(PendingIsr { proposed: new_isr.clone(), request_id, expansion, deadline });
        out.send(
            me,
            controller,
            Message::AlterPartition {
                request_id,
                partition,
                leader_epoch: replica.leader_epoch,
                partition_epoch: replica.partition_epoch,
                new_isr,
                broker_epoch: epoch,
            },
        );
        self.arm(now, deadline, Timer::ControllerRequestTimeouts, out);
    }

    pub(super) fn on_alter_partition_response(
        &mut self,
        now: Tick,
        request_id: u64,
        partition: PartitionIndex,
        result: Result<(Vec<BrokerId>, i32, i32), AlterPartitionError>,
        out: &mut Outbox,
    ) {
        let Some(replica) = self.replicas.get_mut(&partition) else { return };
        let Role::Leader(state) = &mut replica.role else { return };
        if state.pending.as_ref().is_none_or(|p| p.request_id != request_id) {
            return;
        }
        match result {
            Ok((isr, leader_epoch, partition_epoch)) if leader_epoch == replica.leader_epoch => {
                self.commit_isr(now, partition, isr, partition_epoch, out);
            }
            // Refused or stale: drop the proposal; the next check or fetch proposes again.
            _ => state.pending = None,
        }
    }

    /// Recomputes the leader's HW; when it moves, completes what waited for it.
    pub(super) fn maybe_increment_hw(&mut self, now: Tick, partition: PartitionIndex, out: &mut Outbox) -> bool {
        let lag_ms = self.config.replica_lag_time_max_ms;
        let image = &self.image;
        let Some(replica) = self.replicas.get_mut(&partition) else { return false };
        let Role::Leader(state) = &replica.role else { return false };
        let next = next_high_watermark(
            replica.log.high_watermark(),
            replica.log.log_end_offset(),
            &state.followers,
            state.maximal_isr(),
            state.isr.len(),
            replica.effective_min_isr(),
            now.ms(),
            lag_ms,
            |b, fetched| image.is_isr_eligible(b, fetched.broker_epoch),
        );
        let Some(hw) = next else { return false };
        replica.log.set_high_watermark(hw);
        out.event(EventKind::HighWatermark { broker: self.id, partition, offset: hw });
        self.try_complete_parked_produces(now, partition, out);
        self.try_complete_parked_fetches(now, partition, out);
        true
    }

    /// Sends the follower's next fetch to `leader` at `at` unless one is in flight or already set.
    pub(super) fn schedule_replica_fetch(&mut self, now: Tick, leader: BrokerId, at: Tick, out: &mut Outbox) {
        let me = self.node();
        let Some(fetcher) = self.fetchers.get_mut(&leader) else { return };
        if fetcher.in_flight.is_some() || fetcher.scheduled || fetcher.partitions.is_empty() {
            return;
        }
        fetcher.scheduled = true;
        out.timer(at.max(now), me, Timer::ReplicaFetch { leader });
    }
}
