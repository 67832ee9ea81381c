//! Fetching: the leader serves followers and consumers (with Kafka's fetch purgatory), and a follower
//! fetches from its leaders, truncating where its log diverged.

use super::replica::Role;
use super::{Broker, ParkedFetch, request_deadline};
use crate::kafka::config::IsolationLevel;
use crate::kafka::ids::{BrokerId, Node, PartitionIndex};
use crate::kafka::protocol::{FetchPartition, FetchPartitionData, FetchRequest, FetchResponse, KafkaError, Message};
use crate::kafka::runtime::{Outbox, Timer};
use crate::kafka::world::event::{EventKind, TruncateCause};
use crate::sim::Tick;
use std::rc::Rc;

/// Emptied fetch response lists a broker keeps for reuse, at most.
const SPARE_FETCH_DATA_MAX: usize = 8;

impl Broker {
    /// A fetch arrived (from a follower or a consumer): record the follower's progress, then answer
    /// now if there is enough data, else park it until there is or `max_wait_ms` passes.
    pub(super) fn on_fetch(&mut self, now: Tick, from: Node, request: Rc<FetchRequest>, out: &mut Outbox) {
        let buffer = self.spare_fetch_data.pop().unwrap_or_default();
        let (data, bytes, must_answer) = self.read_fetch(&request, buffer);
        if let Some((follower, follower_epoch)) = request.replica {
            for (fp, pd) in request.partitions.iter().zip(&data) {
                if pd.error.is_none() && pd.diverging_epoch.is_none() {
                    self.record_follower_fetch(now, fp, follower, follower_epoch, out);
                }
            }
        }
        if must_answer || bytes >= request.min_bytes || request.max_wait_ms == 0 {
            self.respond_fetch(now, from, request.request_id, data, out);
        } else {
            let key = self.key();
            let deadline = now.plus_ms(request.max_wait_ms);
            self.parked_fetches.insert(key, ParkedFetch { from, request, deadline });
            self.arm(now, deadline, Timer::FetchExpiries, out);
        }
    }

    /// Reads every partition of a fetch. Returns the data, its bytes, and whether something (an error,
    /// a divergence) must be answered at once.
    /// `data` is an empty list to fill (its memory reused from an earlier response).
    fn read_fetch(&self, request: &FetchRequest, mut data: Vec<FetchPartitionData>) -> (Vec<FetchPartitionData>, u64, bool) {
        let mut total = 0u64;
        let mut must_answer = false;
        data.clear();
        data.reserve(request.partitions.len());
        for fp in &request.partitions {
            let budget = request.max_bytes.saturating_sub(total).min(request.max_partition_bytes);
            let pd = self.read_partition(fp, request.replica.is_some(), request.isolation, budget.max(1));
            total += pd.batches.iter().map(|b| u64::from(b.size_bytes)).sum::<u64>();
            must_answer |= pd.error.is_some() || pd.diverging_epoch.is_some();
            data.push(pd);
        }
        (data, total, must_answer)
    }

    /// One partition of a fetch, as Kafka's `readRecords` answers it.
    fn read_partition(&self, fp: &FetchPartition, from_follower: bool, isolation: IsolationLevel, max_bytes: u64) -> FetchPartitionData {
        let mut pd = FetchPartitionData {
            partition: fp.partition,
            error: None,
            high_watermark: 0,
            last_stable_offset: 0,
            log_start_offset: 0,
            log_end_offset: 0,
            batches: Vec::new(),
            diverging_epoch: None,
            aborted_transactions: Vec::new(),
        };
        let Some(replica) = self.replicas.get(&fp.partition).filter(|r| r.is_leader()) else {
            pd.error = Some(KafkaError::NotLeaderOrFollower);
            return pd;
        };
        let log = &replica.log;
        pd.high_watermark = log.high_watermark();
        pd.last_stable_offset = log.last_stable_offset();
        pd.log_start_offset = log.log_start_offset();
        pd.log_end_offset = log.log_end_offset();
        if fp.current_leader_epoch < replica.leader_epoch {
            pd.error = Some(KafkaError::FencedLeaderEpoch);
            return pd;
        }
        if fp.current_leader_epoch > replica.leader_epoch {
            pd.error = Some(KafkaError::UnknownLeaderEpoch);
            return pd;
        }
        // A follower whose last batch is of the leader's latest epoch cannot have diverged.
        let latest_epoch = replica.epoch_cache.latest_epoch();
        if let Some(fetch_epoch) = fp.last_fetched_epoch.filter(|e| Some(*e) != latest_epoch || fp.fetch_offset > log.log_end_offset()) {
            let (epoch, end) = replica.epoch_cache.end_offset_for(fetch_epoch, log.log_end_offset() as i64);
            if epoch < 0 || end < 0 || fp.fetch_offset < log.log_start_offset() {
                pd.error = Some(KafkaError::OffsetOutOfRange);
                return pd;
            }
            if epoch < fetch_epoch || (end as u64) < fp.fetch_offset {
                pd.diverging_epoch = Some((epoch, end as u64));
                return pd;
            }
        }
        let upper = if from_follower {
            log.log_end_offset()
        } else {
            match isolation {
                IsolationLevel::ReadUncommitted => log.high_watermark(),
                // Nothing past the first transaction still open: it may yet abort.
                IsolationLevel::ReadCommitted => log.last_stable_offset(),
            }
        };
        if fp.fetch_offset >= upper && fp.fetch_offset <= log.log_end_offset() && fp.fetch_offset >= log.log_start_offset() {
            // Caught up: nothing to read (the usual case for an idle partition).
            return pd;
        }
        match log.read(fp.fetch_offset, max_bytes, upper) {
            Ok(batches) => pd.batches = batches,
            Err(_) => pd.error = Some(KafkaError::OffsetOutOfRange),
        }
        // A read_committed consumer learns which transactions in this range aborted, to skip them.
        if isolation == IsolationLevel::ReadCommitted && !from_follower {
            let end = pd.batches.last().map_or(fp.fetch_offset, |b| b.next_offset());
            pd.aborted_transactions = log.aborted_transactions(fp.fetch_offset, end).into_iter().map(|a| (a.producer_id, a.first_offset)).collect();
        }
        pd
    }

    /// Kafka's `updateFollowerFetchState`: the follower has everything below its fetch offset.
    fn record_follower_fetch(&mut self, now: Tick, fp: &FetchPartition, follower: BrokerId, follower_epoch: u64, out: &mut Outbox) {
        let Some(replica) = self.replicas.get_mut(&fp.partition) else { return };
        let leader_leo = replica.log.log_end_offset();
        let Role::Leader(state) = &mut replica.role else { return };
        let Some(state) = state.follower_mut(follower) else { return };
        let previous_leo = state.leo;
        state.record_fetch(fp.fetch_offset, fp.log_start_offset, now.ms(), leader_leo, follower_epoch);
        self.maybe_expand_isr(now, fp.partition, follower, out);
        if previous_leo != Some(fp.fetch_offset) {
            self.maybe_increment_hw(now, fp.partition, out);
        }
    }

    /// Answers a fetch once the disk has read the data (page-cache hits for the active segment).
    fn respond_fetch(&mut self, now: Tick, to: Node, request_id: u64, partitions: Vec<FetchPartitionData>, out: &mut Outbox) {
        let mut ready_at = now;
        for pd in &partitions {
            let bytes: u64 = pd.batches.iter().map(|b| u64::from(b.size_bytes)).sum();
            if bytes == 0 {
                continue;
            }
            let cached = self.replicas.get(&pd.partition).is_some_and(|r| {
                let active_base = r.log.segments().next_back().map_or(0, |s| s.base_offset());
                pd.batches.first().is_some_and(|b| b.base_offset >= active_base)
            });
            ready_at = ready_at.max(self.disk.read(now, bytes, cached));
        }
        self.send_at(now, ready_at, to, Message::FetchResponse(FetchResponse { request_id, partitions }), out);
    }

    /// Data or a leadership change on `partition`: parked fetches that include it may be answerable.
    pub(super) fn try_complete_parked_fetches(&mut self, now: Tick, partition: PartitionIndex, out: &mut Outbox) {
        let keys: Vec<u64> = self
            .parked_fetches
            .iter()
            .filter(|(_, p)| p.request.partitions.iter().any(|fp| fp.partition == partition))
            .map(|(k, _)| *k)
            .collect();
        for key in keys {
            self.complete_parked_fetch(now, key, false, out);
        }
    }

    /// Whether a parked fetch may be answerable, without reading it (Kafka's DelayedFetch checks
    /// accumulated bytes; with fetch.min.bytes = 1 any new data, or any change of leadership, does).
    fn may_complete(&self, request: &FetchRequest) -> bool {
        if request.min_bytes > 1 {
            return true;
        }
        request.partitions.iter().any(|fp| match self.replicas.get(&fp.partition) {
            Some(r) if r.is_leader() && r.leader_epoch == fp.current_leader_epoch => {
                let upper = match (request.replica, request.isolation) {
                    (Some(_), _) => r.log.log_end_offset(),
                    (None, IsolationLevel::ReadUncommitted) => r.log.high_watermark(),
                    (None, IsolationLevel::ReadCommitted) => r.log.last_stable_offset(),
                };
                upper > fp.fetch_offset || fp.fetch_offset < r.log.log_start_offset()
            }
            // Leadership moved, or the epoch differs: the fetcher must hear about it.
            _ => true,
        })
    }

    /// Answers a parked fetch when it has enough data, something changed, or it `expired`.
    pub(super) fn complete_parked_fetch(&mut self, now: Tick, key: u64, expired: bool, out: &mut Outbox) {
        let Some(parked) = self.parked_fetches.get(&key) else { return };
        if !expired && !self.may_complete(&parked.request) {
            return;
        }
        let buffer = self.spare_fetch_data.pop().unwrap_or_default();
        let (data, bytes, must_answer) = self.read_fetch(&parked.request, buffer);
        if expired || must_answer || bytes >= parked.request.min_bytes {
            let Some(parked) = self.parked_fetches.remove(&key) else { return };
            self.respond_fetch(now, parked.from, parked.request.request_id, data, out);
        } else {
            self.recycle_fetch_data(data);
        }
    }

    /// Sends this follower's fetch for every partition it follows on `leader`.
    pub(super) fn send_replica_fetch(&mut self, now: Tick, leader: BrokerId, out: &mut Outbox) {
        let partitions: Vec<FetchPartition> = match self.fetchers.get(&leader) {
            Some(f) if f.in_flight.is_none() => {
                // Sized once: collecting a filter grows the Vec step by step.
                let mut partitions = Vec::with_capacity(f.partitions.len());
                partitions.extend(f.partitions.iter().filter_map(|p| {
                    let r = self.replicas.get(p)?;
                    matches!(r.role, Role::Follower { leader: Some(l) } if l == leader).then(|| FetchPartition {
                        partition: *p,
                        fetch_offset: r.log.log_end_offset(),
                        last_fetched_epoch: r.last_fetched_epoch(),
                        current_leader_epoch: r.leader_epoch,
                        log_start_offset: r.log.log_start_offset(),
                    })
                }));
                partitions
            }
            _ => return,
        };
        if partitions.is_empty() {
            return;
        }
        let request_id = self.request_id();
        let request = FetchRequest {
            request_id,
            replica: Some((self.id, self.epoch)),
            max_wait_ms: self.config.replica_fetch_wait_max_ms,
            min_bytes: self.config.replica_fetch_min_bytes,
            max_bytes: 10 * self.config.replica_fetch_max_bytes,
            max_partition_bytes: self.config.replica_fetch_max_bytes,
            isolation: IsolationLevel::ReadUncommitted,
            partitions,
        };
        let deadline = request_deadline(now).plus_ms(self.config.replica_fetch_wait_max_ms);
        if let Some(fetcher) = self.fetchers.get_mut(&leader) {
            fetcher.in_flight = Some(request_id);
            fetcher.deadline = deadline;
        }
        out.send(self.node(), Node::Broker(leader), Message::Fetch(Rc::new(request)));
        self.arm(now, deadline, Timer::ReplicaFetchTimeouts, out);
    }

    /// The fetch got no answer (the leader died or the network lost it): back off, then try again.
    pub(super) fn on_replica_fetch_failed(&mut self, now: Tick, leader: BrokerId, out: &mut Outbox) {
        if let Some(fetcher) = self.fetchers.get_mut(&leader) {
            fetcher.in_flight = None;
        }
        let backoff = now.plus_ms(self.config.replica_fetch_backoff_ms);
        self.schedule_replica_fetch(now, leader, backoff, out);
    }

    /// The leader answered this follower's fetch: truncate, append, follow the HW, fetch again.
    pub(super) fn on_fetch_response(&mut self, now: Tick, leader: BrokerId, response: FetchResponse, out: &mut Outbox) {
        match self.fetchers.get_mut(&leader) {
            Some(f) if f.in_flight == Some(response.request_id) => f.in_flight = None,
            _ => return,
        }
        let mut ready_at = now;
        let mut backoff = false;
        let mut partitions = response.partitions;
        for pd in partitions.drain(..) {
            let partition = pd.partition;
            let follows = self
                .replicas
                .get(&partition)
                .is_some_and(|r| matches!(r.role, Role::Follower { leader: Some(l) } if l == leader));
            if !follows {
                continue;
            }
            if let Some(error) = pd.error {
                if error == KafkaError::OffsetOutOfRange {
                    self.follower_out_of_range(now, leader, partition, pd.log_start_offset, pd.log_end_offset, out);
                } else {
                    // Fenced or unknown epoch: wait for the metadata to catch up.
                    backoff = true;
                }
                continue;
            }
            if let Some((epoch, end)) = pd.diverging_epoch {
                self.truncate_diverged(now, leader, partition, epoch, end, out);
                continue;
            }
            ready_at = ready_at.max(self.append_as_follower(now, partition, &pd, out));
        }
        self.recycle_fetch_data(partitions);
        let at = if backoff { now.plus_ms(self.config.replica_fetch_backoff_ms) } else { ready_at };
        self.schedule_replica_fetch(now, leader, at, out);
    }

    /// Keeps an emptied fetch response's partition list for a later response. Replica fetches cover
    /// every followed partition (the 50 of `__consumer_offsets` too), so each response's list is a
    /// few KB: allocating one per fetch made the allocator consolidate its free lists every time.
    /// Brokers both answer and receive replica fetches, so the lists circulate.
    fn recycle_fetch_data(&mut self, mut data: Vec<FetchPartitionData>) {
        if self.spare_fetch_data.len() < SPARE_FETCH_DATA_MAX && data.capacity() > 0 {
            data.clear();
            self.spare_fetch_data.push(data);
        }
    }

    /// Appends what the leader sent; returns when the disk is done with it.
    fn append_as_follower(&mut self, now: Tick, partition: PartitionIndex, pd: &FetchPartitionData, out: &mut Outbox) -> Tick {
        let broker = self.id;
        let Some(replica) = self.replicas.get_mut(&partition) else { return now };
        let mut first_offset = None;
        let mut last_offset = 0;
        let mut bytes = 0u64;
        for batch in &pd.batches {
            let leo = replica.log.log_end_offset();
            if batch.base_offset != leo {
                // Overlapping or out of order: the next fetch starts from our LEO again.
                if batch.base_offset < leo {
                    continue;
                }
                break;
            }
            if replica.epoch_cache.latest_epoch().is_none_or(|e| batch.partition_leader_epoch > e) {
                let _ = replica.epoch_cache.assign(batch.partition_leader_epoch, batch.base_offset as i64);
            }
            if let Some(reason) = replica.log.append(batch.clone(), now) {
                out.event(EventKind::SegmentRolled { broker, partition, base_offset: batch.base_offset, reason });
                // The batches before this one are in the page cache already (written as one below).
                self.page_cache.write(replica.file, batch.base_offset, now);
                Self::flush_rolled(&mut self.disk, &mut self.page_cache, broker, partition, replica, batch.base_offset, now, out);
            }
            first_offset.get_or_insert(batch.base_offset);
            last_offset = batch.last_offset();
            bytes += u64::from(batch.size_bytes);
            replica.unflushed_records += u64::from(batch.record_count());
        }
        let leo = replica.log.log_end_offset();
        replica.log.set_high_watermark(pd.high_watermark.min(leo).max(replica.log.high_watermark().min(leo)));
        replica.log.maybe_increment_log_start_offset(pd.log_start_offset);
        let Some(base_offset) = first_offset else { return now };
        let leader_epoch = replica.leader_epoch;
        self.page_cache.write(replica.file, leo, now);
        out.event(EventKind::Appended { broker, partition, base_offset, last_offset, leader_epoch, as_leader: false });
        let done = self.disk.append(now, bytes);
        self.after_follower_append(now, partition, out);
        done
    }

    fn after_follower_append(&mut self, now: Tick, partition: PartitionIndex, out: &mut Outbox) {
        let flush_messages = self.image.topics[self.image.partitions[partition.get()].topic.get()].config.flush_messages;
        if let Some(replica) = self.replicas.get_mut(&partition)
            && flush_messages != i64::MAX
            && replica.unflushed_records >= flush_messages as u64
        {
            Self::flush_replica(&mut self.disk, &mut self.page_cache, self.id, partition, replica, u64::MAX, now, out);
        }
    }

    /// KIP-320/595: the leader said this follower's log diverged at (epoch, end offset). Truncate as
    /// Kafka's `getOffsetTruncationState` decides.
    fn truncate_diverged(&mut self, now: Tick, leader: BrokerId, partition: PartitionIndex, leader_epoch: i32, leader_end: u64, out: &mut Outbox) {
        let Some(replica) = self.replicas.get_mut(&partition) else { return };
        let leo = replica.log.log_end_offset();
        let (follower_epoch, follower_end) = replica.epoch_cache.end_offset_for(leader_epoch, leo as i64);
        let target = if follower_epoch < 0 || follower_end < 0 {
            leader_end.min(leo)
        } else if follower_epoch != leader_epoch {
            // An epoch this follower never saw: truncate to the end of its own earlier epoch, ask again.
            (follower_end as u64).min(leo)
        } else {
            (follower_end as u64).min(leader_end).min(leo)
        };
        self.truncate_replica(now, partition, target, TruncateCause::DivergingEpoch { leader, epoch: leader_epoch }, out);
    }

    /// The follower's fetch offset is outside the leader's log (Kafka's `fetchOffsetAndTruncate`).
    fn follower_out_of_range(&mut self, now: Tick, leader: BrokerId, partition: PartitionIndex, leader_start: u64, leader_end: u64, out: &mut Outbox) {
        let Some(replica) = self.replicas.get_mut(&partition) else { return };
        let leo = replica.log.log_end_offset();
        if leader_end < leo {
            // The leader has less than we do (an unclean election): truncate to its end.
            self.truncate_replica(now, partition, leader_end, TruncateCause::DivergingEpoch { leader, epoch: -1 }, out);
        } else {
            let removed = replica.log.truncate_fully_and_start_at(leader_start, now);
            replica.epoch_cache.clear();
            self.page_cache.truncate(replica.file, 0);
            out.event(EventKind::Truncated {
                broker: self.id,
                partition,
                to_offset: leader_start,
                removed_records: removed.iter().map(|b| u64::from(b.record_count())).sum(),
                cause: TruncateCause::BelowLeaderLogStart { leader },
            });
        }
    }

    fn truncate_replica(&mut self, now: Tick, partition: PartitionIndex, target: u64, cause: TruncateCause, out: &mut Outbox) {
        let Some(replica) = self.replicas.get_mut(&partition) else { return };
        let removed = replica.log.truncate_to(target, now);
        replica.epoch_cache.truncate_from_end(target as i64);
        self.page_cache.truncate(replica.file, target);
        out.event(EventKind::Truncated {
            broker: self.id,
            partition,
            to_offset: target,
            removed_records: removed.iter().map(|b| u64::from(b.record_count())).sum(),
            cause,
        });
    }
}
