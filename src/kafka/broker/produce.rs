//! Produce requests on the leader: append, then answer per `acks` (Kafka's `appendRecordsToLeader`
//! and the produce purgatory), and ListOffsets.

use super::replica::{Role, acks_all_outcome};
use super::{Broker, Completion, ParkedProduce};
use crate::kafka::config::{Acks, IsolationLevel};
use crate::kafka::ids::{Node, PartitionIndex};
use crate::kafka::protocol::{KafkaError, Message, OffsetSpec, ProducePartitionResult, ProduceRequest, ProduceResponse};
use crate::kafka::log::producer_state::SequenceCheck;
use crate::kafka::record::Batch;
use crate::kafka::runtime::{Outbox, Timer};
use crate::kafka::world::event::EventKind;
use crate::sim::Tick;

/// Answered parked produces a broker keeps for reuse, at most.
const SPARE_PARKED_MAX: usize = 16;

impl Broker {
    /// A produce request arrived: it is appended once the disk has taken it.
    pub(super) fn on_produce(&mut self, now: Tick, from: Node, request: ProduceRequest, out: &mut Outbox) {
        let bytes: u64 = request.batches.iter().map(|b| u64::from(b.size_bytes)).sum();
        let done = self.disk.append(now, bytes);
        if done <= now {
            self.append_produce(now, from, request, out);
        } else {
            let key = self.key();
            self.pending_appends.insert(key, (from, request));
            out.timer(done, self.node(), Timer::Append { key });
        }
    }

    /// Appends each batch to its partition's log as leader, then answers or parks the request.
    pub(super) fn append_produce(&mut self, now: Tick, from: Node, request: ProduceRequest, out: &mut Outbox) {
        // acks=all answers after replication (results hold only early failures); the others at once.
        let n = request.batches.len();
        let (mut results, mut waiting) = if request.acks == Acks::All {
            // The parts list of an answered parked produce, if one was kept (see `recycle_parked`).
            let mut waiting = self.spare_parked.last_mut().map(|b| std::mem::take(&mut b.parts)).unwrap_or_default();
            waiting.reserve(n);
            (Vec::new(), waiting)
        } else {
            (Vec::with_capacity(n), Vec::new())
        };
        for produced in &request.batches {
            let partition = produced.partition;
            let outcome = self.append_as_leader(now, produced, request.acks, out);
            match outcome {
                Ok((base_offset, required_offset)) => {
                    let replica = &self.replicas[&partition];
                    if request.acks == Acks::All && replica.log.high_watermark() < required_offset {
                        waiting.push((partition, required_offset, base_offset, None));
                    } else {
                        results.push(ProducePartitionResult { partition, result: Ok(base_offset) });
                    }
                }
                Err(error) => results.push(ProducePartitionResult { partition, result: Err(error) }),
            }
        }
        match request.acks {
            // acks=0: the producer never hears back, whatever happened.
            Acks::None => {}
            Acks::Leader => out.send(self.node(), from, Message::ProduceResponse(ProduceResponse { request_id: request.request_id, results })),
            Acks::All => {
                if waiting.is_empty() {
                    out.send(self.node(), from, Message::ProduceResponse(ProduceResponse { request_id: request.request_id, results }));
                    if let Some(spare) = self.spare_parked.last_mut() {
                        spare.parts = waiting;
                    }
                } else {
                    let key = self.key();
                    let pending = waiting.len();
                    for &(partition, required, _, _) in &waiting {
                        self.waiting_on.entry(partition).or_default().push_back((required, key));
                    }
                    let mut parts = waiting;
                    if !results.is_empty() {
                        parts.extend(results.into_iter().map(|r| (r.partition, 0, 0, Some(r.result))));
                    }
                    // A scratch list reused across requests (a nested use finds it taken and
                    // starts its own).
                    let mut partitions = std::mem::take(&mut self.partition_scratch);
                    partitions.clear();
                    partitions.extend(parts.iter().filter(|p| p.3.is_none()).map(|p| p.0));
                    let deadline = now.plus_ms(request.timeout_ms);
                    let parked = ParkedProduce { from, request_id: request.request_id, parts, pending, deadline, completion: Completion::Produce };
                    let parked = match self.spare_parked.pop() {
                        Some(mut spare) => {
                            *spare = parked;
                            spare
                        }
                        None => Box::new(parked),
                    };
                    self.parked_produces.insert(key, parked);
                    self.arm(now, deadline, Timer::ProduceExpiries, out);
                    // The ISR may already be just this leader.
                    for &partition in &partitions {
                        self.try_complete_parked_produces(now, partition, out);
                    }
                    self.partition_scratch = partitions;
                }
            }
        }
    }

    /// One batch onto one partition's log. Returns (base offset, offset after the batch).
    fn append_as_leader(
        &mut self,
        now: Tick,
        produced: &crate::kafka::protocol::ProduceBatch,
        acks: Acks,
        out: &mut Outbox,
    ) -> Result<(u64, u64), KafkaError> {
        let partition = produced.partition;
        let broker = self.id;
        let Some(replica) = self.replicas.get_mut(&partition) else { return Err(KafkaError::NotLeaderOrFollower) };
        let Role::Leader(state) = &replica.role else { return Err(KafkaError::NotLeaderOrFollower) };
        // Kafka refuses before writing anything when the ISR is too small for acks=all.
        if acks == Acks::All && state.isr.len() < replica.effective_min_isr() {
            return Err(KafkaError::NotEnoughReplicas);
        }
        // Idempotence: a retried batch already written is acknowledged again, not written twice.
        if let SequenceCheck::Duplicate { base_offset } = replica.log.producer_state.check(&produced.producer, produced.records.len() as u32)? {
            let required = replica.log.batch_at(base_offset).map_or(base_offset + 1, |b| b.next_offset());
            return Ok((base_offset, required));
        }
        let base_offset = replica.log.log_end_offset();
        let batch = Batch {
            base_offset,
            partition_leader_epoch: replica.leader_epoch,
            producer: produced.producer,
            transactional: produced.transactional,
            control: None,
            max_timestamp_ms: produced.max_timestamp_ms,
            size_bytes: produced.size_bytes,
            records: produced.records.clone(),
        };
        let last_offset = batch.last_offset();
        let records = u64::from(batch.record_count());
        if let Some(reason) = replica.log.append(batch, now) {
            out.event(EventKind::SegmentRolled { broker, partition, base_offset, reason });
            Self::flush_rolled(&mut self.disk, &mut self.page_cache, broker, partition, replica, base_offset, now, out);
        }
        let leader_epoch = replica.leader_epoch;
        self.page_cache.write(replica.file, last_offset + 1, now);
        replica.unflushed_records += records;
        out.event(EventKind::Appended { broker, partition, base_offset, last_offset, leader_epoch, as_leader: true });
        self.after_append(now, partition, out);
        Ok((base_offset, last_offset + 1))
    }

    /// What an append on the leader sets in motion: `flush.messages`, the HW (the ISR may be only the
    /// leader), and fetches waiting for data.
    pub(super) fn after_append(&mut self, now: Tick, partition: PartitionIndex, out: &mut Outbox) {
        let flush_messages = self.image.topics[self.image.partitions[partition.get()].topic.get()].config.flush_messages;
        if let Some(replica) = self.replicas.get_mut(&partition)
            && flush_messages != i64::MAX
            && replica.unflushed_records >= flush_messages as u64
        {
            Self::flush_replica(&mut self.disk, &mut self.page_cache, self.id, partition, replica, u64::MAX, now, out);
        }
        if !self.maybe_increment_hw(now, partition, out) {
            self.try_complete_parked_fetches(now, partition, out);
        }
    }

    /// Completes parked acks=all requests for `partition` whose offsets the HW has reached.
    pub(super) fn try_complete_parked_produces(&mut self, now: Tick, partition: PartitionIndex, out: &mut Outbox) {
        let Some(queue) = self.waiting_on.get_mut(&partition) else { return };
        let state = self.replicas.get(&partition).and_then(|r| match &r.role {
            Role::Leader(state) => Some((r.log.high_watermark(), state.maximal_isr().len(), r.effective_min_isr())),
            Role::Follower { .. } => None,
        });
        // A scratch list reused across calls (a nested call finds it taken and starts its own).
        let mut done = std::mem::take(&mut self.completed_scratch);
        done.clear();
        while let Some(&(required, key)) = queue.front() {
            let outcome = match state {
                Some((hw, maximal_isr, min_isr)) => match acks_all_outcome(hw, required, maximal_isr, min_isr) {
                    Some(outcome) => outcome,
                    // Later entries need a higher HW still.
                    None => break,
                },
                None => Err(KafkaError::NotLeaderOrFollower),
            };
            queue.pop_front();
            done.push((key, outcome));
        }
        for &(key, outcome) in &done {
            let Some(parked) = self.parked_produces.get_mut(&key) else { continue };
            if let Some(part) = parked.parts.iter_mut().find(|p| p.0 == partition && p.3.is_none()) {
                part.3 = Some(outcome.map(|()| part.2));
                parked.pending -= 1;
            }
            self.respond_parked_produce_if_done(now, key, out);
        }
        self.completed_scratch = done;
    }

    pub(super) fn respond_parked_produce_if_done(&mut self, now: Tick, key: u64, out: &mut Outbox) {
        if self.parked_produces.get(&key).is_none_or(|p| p.pending > 0) {
            return;
        }
        let Some(mut parked) = self.parked_produces.remove(&key) else { return };
        let completion = std::mem::replace(&mut parked.completion, Completion::Produce);
        match completion {
            Completion::Produce => {
                let results = parked
                    .parts
                    .iter()
                    .map(|part| ProducePartitionResult { partition: part.0, result: part.3.unwrap_or(Err(KafkaError::RequestTimedOut)) })
                    .collect();
                out.send(self.node(), parked.from, Message::ProduceResponse(ProduceResponse { request_id: parked.request_id, results }));
            }
            Completion::Group { reply, events } => {
                let error = parked.parts.iter().find_map(|p| p.3.and_then(Result::err));
                if error.is_none() {
                    for event in events {
                        out.event(event);
                    }
                }
                if let Some((to, request_id, group, response)) = reply {
                    // The coordinator lost leadership or the write timed out: the client retries.
                    let response = match error {
                        None => response,
                        Some(KafkaError::NotLeaderOrFollower) => super::group::failed(response, KafkaError::NotCoordinator),
                        Some(_) => super::group::failed(response, KafkaError::CoordinatorNotAvailable),
                    };
                    out.send(self.node(), to, Message::GroupResponse { request_id, group, response: Box::new(response) });
                }
            }
            Completion::Txn { then } => {
                let error = parked.parts.iter().find_map(|p| p.3.and_then(Result::err));
                self.complete_txn_write(now, error, then, out);
            }
            Completion::Markers { producer_id, commit } => {
                let results = parked.parts.iter().map(|p| (p.0, p.3.unwrap_or(Err(KafkaError::RequestTimedOut)).map(|_| ()))).collect();
                self.complete_markers(now, parked.from, parked.request_id, producer_id, commit, results, out);
            }
        }
        self.recycle_parked(parked);
    }

    /// Keeps an answered parked produce's box and parts list for the next one: every acks=all
    /// produce parks, and allocating both per request kept the allocator on its slow path.
    fn recycle_parked(&mut self, mut parked: Box<ParkedProduce>) {
        if self.spare_parked.len() < SPARE_PARKED_MAX {
            parked.parts.clear();
            self.spare_parked.push(parked);
        }
    }

    /// request.timeout.ms passed: what is still waiting times out (the data stays in the log).
    pub(super) fn expire_parked_produce(&mut self, now: Tick, key: u64, out: &mut Outbox) {
        if let Some(parked) = self.parked_produces.get_mut(&key) {
            for part in parked.parts.iter_mut().filter(|p| p.3.is_none()) {
                part.3 = Some(Err(KafkaError::RequestTimedOut));
            }
            // Its entries in `waiting_on` are skipped when reached: the request is gone.
            parked.pending = 0;
            self.respond_parked_produce_if_done(now, key, out);
        }
    }

    /// Leadership moved away: everything waiting on this partition fails (the next check sees that
    /// this broker no longer leads it).
    pub(super) fn fail_parked_produces_for(&mut self, now: Tick, partition: PartitionIndex, out: &mut Outbox) {
        self.try_complete_parked_produces(now, partition, out);
    }

    /// DeleteRecords on the leader: the log start moves up to `offset` (never past the high
    /// watermark); reads below it fail with OFFSET_OUT_OF_RANGE, and retention deletes the segments
    /// wholly below it. Followers follow through their fetches.
    pub(super) fn delete_records(&mut self, partition: PartitionIndex, offset: u64, out: &mut Outbox) -> Result<u64, KafkaError> {
        let broker = self.id;
        let replica = self.replicas.get_mut(&partition).filter(|r| r.is_leader()).ok_or(KafkaError::NotLeaderOrFollower)?;
        if replica.log.maybe_increment_log_start_offset(offset) {
            out.event(EventKind::RecordsDeleted { broker, partition, log_start_offset: replica.log.log_start_offset() });
        }
        Ok(replica.log.log_start_offset())
    }

    /// ListOffsets on the leader: the log start, the end a consumer may read to, or the first offset at
    /// or after a timestamp (through the time index).
    pub(super) fn list_offsets(&self, partition: PartitionIndex, spec: OffsetSpec, isolation: IsolationLevel) -> Result<Option<u64>, KafkaError> {
        let replica = self.replicas.get(&partition).ok_or(KafkaError::NotLeaderOrFollower)?;
        if !replica.is_leader() {
            return Err(KafkaError::NotLeaderOrFollower);
        }
        let readable_end = match isolation {
            IsolationLevel::ReadUncommitted => replica.log.high_watermark(),
            IsolationLevel::ReadCommitted => replica.log.last_stable_offset(),
        };
        Ok(match spec {
            OffsetSpec::Earliest => Some(replica.log.log_start_offset()),
            OffsetSpec::Latest => Some(readable_end),
            OffsetSpec::Timestamp(t) => replica.log.offset_for_timestamp(t).filter(|&o| o < readable_end),
        })
    }
}
