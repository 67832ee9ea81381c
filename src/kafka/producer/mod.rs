//! A producer client: Kafka's `KafkaProducer` with its record accumulator and sender thread.
//!
//! `send` picks a partition (explicit, custom partitioner, key hash, or the built-in sticky
//! partitioner) and appends to that partition's queue of batches. The sender ships batches that are
//! full or have waited `linger.ms`, one produce request per leader, at most
//! `max.in.flight.requests.per.connection` at a time, and retries retriable failures after
//! `retry.backoff.ms` until `delivery.timeout.ms`.

pub mod retry;
pub mod sequence;
pub mod transaction;
pub mod workload;

use crate::kafka::config::{Acks, ProducerConfig};
use crate::kafka::ids::{BrokerId, Node, PartitionIndex, TopicIndex};
use crate::kafka::metadata::MetadataImage;
use crate::kafka::partitioner::{BuiltInPartitioner, RoundRobinPartitioner, partition_for_key};
use crate::kafka::partitioner::built_in::partition_load_stats;
use crate::kafka::protocol::{GroupRequest, GroupResponse, KafkaError, Message, ProduceBatch, ProduceRequest, ProduceResponse, TxnRequest, TxnResponse};
use crate::kafka::client_metadata::ClientMetadata;
use crate::kafka::reconnect::Reconnect;
use crate::kafka::record::{BatchBuilder, Header, ProducerStamp, Record, RecordId, Value};
use crate::kafka::runtime::{DeadlineTimer, Fact, Outbox, Timer};
use crate::kafka::world::event::EventKind;
use crate::sim::{Rng, Tick};
use std::collections::VecDeque;
use crate::sim::sorted::SortedMap;
use std::rc::Rc;
use retry::BatchRetry;
use sequence::{OutOfOrderAnswer, PartitionSequences, out_of_order_answer};
use transaction::{TransactionManager, TxnAnswer, TxnCall, TxnOutcome, TxnPhase};
use workload::WorkloadState;
pub use crate::kafka::world::spec::TransactionPlan;

/// Emptied batch builders, and emptied request batch lists, a producer keeps for reuse: at most
/// this many of each (a few cover what a producer has in flight at once).
const SPARES_MAX: usize = 32;

/// A batch in the accumulator or in flight.
#[derive(Clone, Debug)]
struct ProducerBatch {
    partition: PartitionIndex,
    builder: BatchBuilder,
    /// Set once the batch is closed for appends (drained, or full).
    sealed: Option<Rc<[Record]>>,
    size_bytes: u32,
    max_timestamp_ms: u64,
    created_at: Tick,
    retry: BatchRetry,
    base_sequence: Option<i32>,
    /// The producer id and epoch the batch's sequence belongs to (set with `base_sequence`): a batch
    /// is sent again with the pair it was numbered under, unless an epoch bump renumbers it.
    producer_id_epoch: Option<(i64, i16)>,
    /// An epoch bump renumbered the batch after it was first sent (Kafka's `sequenceHasBeenReset`).
    sequence_reset: bool,
    /// The batch reached batch.size (or a record did not fit): it is ready at once.
    full: bool,
}

impl ProducerBatch {
    fn record_count(&self) -> u32 {
        match &self.sealed {
            Some(records) => records.len() as u32,
            None => self.builder.len() as u32,
        }
    }

    fn seal(&mut self) -> Rc<[Record]> {
        if self.sealed.is_none() {
            let (records, size_bytes, max_timestamp_ms) = self.builder.finish_in_place();
            self.size_bytes = size_bytes;
            self.max_timestamp_ms = max_timestamp_ms;
            self.sealed = Some(records);
        }
        // Sealed just above when it was not.
        self.sealed.clone().expect("a sealed batch has records")
    }
}

#[derive(Clone, Debug)]
struct InFlight {
    broker: BrokerId,
    batches: Vec<ProducerBatch>,
    deadline: Tick,
}

/// A record the application sent before the producer knew the topic's partitions.
#[derive(Clone, Debug)]
struct PendingSend {
    key: Option<Rc<str>>,
    value: Value,
    partition: Option<u32>,
    created_at: Tick,
}

/// What a learner sees of a producer in the inspector and the charts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProducerStats {
    pub records_sent: u64,
    pub records_acked: u64,
    pub records_failed: u64,
    pub requests_sent: u64,
    pub batches_sent: u64,
    pub retries: u64,
    pub latency_ms_total: u64,
    pub latency_ms_max: u64,
}

#[derive(Clone, Debug)]
pub struct Producer {
    pub index: u32,
    pub name: Rc<str>,
    pub up: bool,
    pub incarnation: u64,
    pub config: ProducerConfig,
    pub topic_name: Rc<str>,
    pub workload: Option<WorkloadState>,
    pub running: bool,
    pub stats: ProducerStats,
    /// What it knows of the cluster, and its metadata requests.
    meta: ClientMetadata,
    /// The record accumulator: per partition (by index), its queue of batches.
    accumulator: Vec<VecDeque<ProducerBatch>>,
    /// Partitions that ever had a batch (Kafka's adaptive statistics count only those).
    ever_batched: Vec<bool>,
    /// Records in each partition's most recently sealed batch (a capacity hint for the next).
    last_batch_records: Vec<u32>,
    pending: VecDeque<PendingSend>,
    in_flight: SortedMap<u64, InFlight>,
    in_flight_per_broker: SortedMap<BrokerId, u32>,
    built_in: SortedMap<TopicIndex, BuiltInPartitioner>,
    round_robin: SortedMap<TopicIndex, RoundRobinPartitioner>,
    producer_id: Option<(i64, i16)>,
    init_pid_in_flight: Option<u64>,
    /// Per partition, its sequence numbers (only with enable.idempotence).
    sequences: SortedMap<PartitionIndex, PartitionSequences>,
    /// Partitions whose leader lost acknowledged records: the idempotent producer bumps its epoch
    /// and numbers their unfinished batches again from 0 at the sender's next run.
    epoch_bump_for: Vec<PartitionIndex>,
    drain_index: SortedMap<BrokerId, usize>,
    buffer_used: u64,
    next_record: u64,
    /// The first request id of the running process: a refusal of an earlier one is ignored.
    first_request_id: u64,
    next_request_id: u64,
    wake_at: Option<Tick>,
    generate_at: Option<Tick>,
    /// When the application's `send()` that is waiting now began to wait (`None` while the
    /// application is not blocked): max.block.ms runs from here.
    blocked_since: Option<Tick>,
    rng: Rng,
    /// Draws the retry backoff's jitter: its own stream, so retries never shift the partitioner's.
    retry_rng: Rng,
    /// Brokers whose connection failed, blacked out for the reconnect backoff.
    reconnect: Reconnect,
    /// Per topic, the partition numbers that have a leader (rebuilt when metadata arrives).
    available: SortedMap<TopicIndex, Rc<[u32]>>,
    /// Every record shares this empty header list.
    no_headers: Rc<[Header]>,
    /// The sender's scratch list of (leader, partition) ready to drain, reused between runs.
    ready_scratch: Vec<(BrokerId, PartitionIndex)>,
    /// The sender's scratch list of one leader's ready partitions, reused between runs.
    drain_scratch: Vec<PartitionIndex>,
    /// Builders of acknowledged batches, emptied: new batches reuse their memory instead of
    /// allocating (a steady workload makes hundreds of thousands of batches).
    spare_builders: Vec<BatchBuilder>,
    /// Emptied batch lists of answered requests, for the next requests' batches.
    spare_batch_lists: Vec<Vec<ProducerBatch>>,
    timeouts: DeadlineTimer,
    /// Something happened that may make a batch sendable (a batch was created or filled, a response
    /// freed a slot, metadata changed): the sender must look. Otherwise it only wakes on its timer.
    sender_dirty: bool,
    /// The earliest moment a queued batch can pass delivery.timeout.ms (`None`: check next run).
    expiry_check_at: Option<Tick>,
    /// With `transactional.id`: the transaction manager, and how the application uses transactions.
    pub txn: Option<TransactionManager>,
    pub txn_plan: TransactionPlan,
    /// Set when a transaction ended (committed or not) and not yet taken by the application glue
    /// (a stream processor waits for its commit before polling again).
    pub txn_ended: Option<bool>,
    /// The stream processor (a consumer, by index) whose results this producer writes: its
    /// transactions follow the processor's polls instead of the transaction plan.
    pub processor: Option<u32>,
}

impl Producer {
    fn metadata_refresh_interval_ms(&self) -> u64 {
        crate::kafka::metadata_refresh::refresh_interval_ms(self.config.metadata_max_age_ms, self.config.retry_backoff_ms)
    }

    pub fn new(index: u32, name: &str, topic: &str, config: ProducerConfig, workload: Option<WorkloadState>, bootstrap: Vec<BrokerId>, rng: Rng) -> Producer {
        let mut producer = Producer {
            index,
            name: name.into(),
            up: false,
            incarnation: 0,
            running: workload.is_some(),
            config,
            topic_name: topic.into(),
            workload,
            stats: ProducerStats::default(),
            meta: ClientMetadata::new(bootstrap),
            accumulator: Vec::new(),
            ever_batched: Vec::new(),
            last_batch_records: Vec::new(),
            pending: VecDeque::new(),
            in_flight: SortedMap::new(),
            in_flight_per_broker: SortedMap::new(),
            built_in: SortedMap::new(),
            round_robin: SortedMap::new(),
            producer_id: None,
            init_pid_in_flight: None,
            sequences: SortedMap::new(),
            epoch_bump_for: Vec::new(),
            drain_index: SortedMap::new(),
            buffer_used: 0,
            next_record: 0,
            next_request_id: 1,
            first_request_id: 0,
            wake_at: None,
            generate_at: None,
            blocked_since: None,
            retry_rng: rng.child("retry-backoff"),
            reconnect: Reconnect::new(rng.child("reconnect-backoff")),
            rng,
            available: SortedMap::new(),
            no_headers: Rc::from([]),
            ready_scratch: Vec::new(),
            drain_scratch: Vec::new(),
            spare_builders: Vec::new(),
            spare_batch_lists: Vec::new(),
            timeouts: DeadlineTimer::default(),
            sender_dirty: true,
            expiry_check_at: None,
            txn: None,
            txn_plan: TransactionPlan::default(),
            txn_ended: None,
            processor: None,
        };
        // Known from the start (the application configured it), before the producer's first step.
        producer.txn = producer.new_transaction_manager();
        producer
    }

    fn new_transaction_manager(&self) -> Option<TransactionManager> {
        self.config.transactional_id.as_deref().map(|id| TransactionManager::new(Rc::from(id), self.config.transaction_timeout_ms))
    }

    pub fn node(&self) -> Node {
        Node::Producer(self.index)
    }

    fn request_id(&mut self) -> u64 {
        let id = self.next_request_id;
        self.next_request_id += 1;
        id
    }

    /// Records waiting in the accumulator or in flight (for the inspector).
    pub fn records_queued(&self) -> u64 {
        self.accumulator.iter().flatten().map(|b| u64::from(b.record_count())).sum::<u64>()
            + self.in_flight.values().flat_map(|f| &f.batches).map(|b| u64::from(b.record_count())).sum::<u64>()
            + self.pending.len() as u64
    }

    pub fn producer_id(&self) -> Option<(i64, i16)> {
        self.producer_id
    }

    pub fn start(&mut self, now: Tick, out: &mut Outbox) {
        self.up = true;
        self.incarnation += 1;
        self.timeouts.reset();
        // A new instance: a new producer id (and, with a transactional.id, a new epoch that fences
        // the previous instance).
        self.txn = self.new_transaction_manager();
        self.producer_id = None;
        self.sequences.clear();
        self.epoch_bump_for.clear();
        self.refresh_metadata(now, out);
        self.schedule_generate(now, out);
        out.timer(now.plus_ms(self.metadata_refresh_interval_ms()), self.node(), Timer::MetadataRefresh);
    }

    /// The producer's process dies: whatever it had not sent is gone, and so are its requests.
    pub fn crash(&mut self, out: &mut Outbox) {
        let lost: u64 = self.records_queued();
        self.stop();
        out.event(EventKind::ProducerCrashed { producer: self.index, records_lost: lost });
    }

    /// A fenced stream processor's new producer (Kafka Streams' `reInitializeProducer`): the old
    /// instance is closed with what it held, and a new one takes the same transactional.id.
    pub fn reinitialize(&mut self, now: Tick, out: &mut Outbox) {
        self.stop();
        self.restart(now, out);
    }

    /// A new instance started by the learner or a recovery, said as such (the scenario's own
    /// starts are not announced).
    pub fn restart(&mut self, now: Tick, out: &mut Outbox) {
        out.event(EventKind::ProducerStarted { producer: self.index });
        self.start(now, out);
    }

    /// Whether a newer epoch fenced this instance: it can write nothing more.
    pub fn is_fenced(&self) -> bool {
        self.txn.as_ref().is_some_and(|t| t.phase == TxnPhase::Fenced)
    }

    /// Drops everything the process held: queued and in-flight batches, requests, timers.
    fn stop(&mut self) {
        self.up = false;
        self.accumulator.clear();
        self.pending.clear();
        self.in_flight.clear();
        self.in_flight_per_broker.clear();
        self.buffer_used = 0;
        self.meta.crashed();
        self.init_pid_in_flight = None;
        self.wake_at = None;
        self.generate_at = None;
        self.blocked_since = None;
        self.txn_ended = None;
        self.reconnect.forget();
        self.first_request_id = self.next_request_id;
    }

    /// The application sends one record (Kafka's `send`).
    pub fn send(&mut self, now: Tick, key: Option<Rc<str>>, value: Value, partition: Option<u32>, out: &mut Outbox) {
        self.pending.push_back(PendingSend { key, value, partition, created_at: now });
        self.drain_pending();
        self.run_sender(now, out);
    }

    /// Sends records that were waiting for metadata, in order.
    fn drain_pending(&mut self) {
        let Some(image) = self.meta.image.clone() else { return };
        let Some(topic) = image.topic_index(&self.topic_name) else { return };
        // Partitions with a leader, worked out once per metadata version (the keyless partitioners
        // skip the others).
        let available = self
            .available
            .entry(topic)
            .or_insert_with(|| {
                image.topics[topic.get()].partitions.iter().enumerate().filter(|(_, p)| image.partition(**p).leader.is_some()).map(|(i, _)| i as u32).collect()
            })
            .clone();
        while !self.pending.is_empty() {
            if self.buffer_used >= self.config.buffer_memory {
                // buffer.memory is full: the application blocks until batches complete.
                break;
            }
            // A transactional application sends inside a transaction: it begins one when ready, and
            // waits while the previous one is committing.
            if let Some(txn) = &mut self.txn {
                if txn.phase == TxnPhase::Ready && self.processor.is_none() {
                    txn.begin();
                }
                // A processor's results all belong to the transaction it is committing.
                let open = txn.phase == TxnPhase::InTransaction || (self.processor.is_some() && txn.phase == TxnPhase::Committing);
                if !open {
                    break;
                }
            }
            let Some(send) = self.pending.pop_front() else { break };
            // This record's send() returns: the next one waits from now, if it has to.
            self.blocked_since = None;
            let partition = self.append(&image, topic, &available, send);
            if let Some(txn) = &mut self.txn {
                txn.on_record(partition);
                self.sender_dirty = true;
                let plan = self.txn_plan;
                if self.processor.is_none() && txn.records_in_transaction >= u64::from(plan.records_per_transaction.max(1)) {
                    let number = txn.committed + txn.aborted + 1;
                    if plan.abort_every.is_some_and(|k| k > 0 && number % u64::from(k) == 0) {
                        txn.abort(true);
                    } else {
                        txn.commit();
                    }
                }
            }
        }
    }

    /// A stream processor's results, or its commit. Results join the open transaction (beginning
    /// one if needed); a commit adds the processor's positions (sendOffsetsToTransaction) and
    /// commits. Returns false while the producer cannot take it yet (its id is not known, or the
    /// previous transaction is still ending): the processor hands it over again later.
    pub fn accept_handoff(&mut self, now: Tick, handoff: &crate::kafka::consumer::Handoff, out: &mut Outbox) -> bool {
        use crate::kafka::consumer::Handoff;
        match (handoff, &mut self.txn) {
            (Handoff::Results(records), txn) => {
                if records.is_empty() {
                    return true;
                }
                if let Some(txn) = txn {
                    if txn.phase == TxnPhase::Ready {
                        txn.begin();
                    }
                    if txn.phase != TxnPhase::InTransaction {
                        return false;
                    }
                }
                for record in records {
                    self.pending.push_back(PendingSend { key: record.key.clone(), value: record.value.clone(), partition: None, created_at: now });
                }
                self.drain_pending();
            }
            (Handoff::Commit { .. }, None) => self.txn_ended = Some(true),
            (Handoff::Commit { group, offsets }, Some(txn)) => {
                if txn.phase == TxnPhase::Ready {
                    txn.begin();
                }
                if txn.phase != TxnPhase::InTransaction {
                    return false;
                }
                if !offsets.is_empty() {
                    txn.send_offsets(group.clone(), offsets.clone());
                }
                txn.commit();
            }
        }
        self.sender_dirty = true;
        self.run_sender(now, out);
        true
    }

    /// The application commits (or aborts) the open transaction now.
    pub fn end_transaction(&mut self, now: Tick, commit: bool, out: &mut Outbox) {
        if let Some(txn) = &mut self.txn {
            if commit {
                txn.commit();
            } else {
                txn.abort(false);
            }
            self.sender_dirty = true;
            self.run_sender(now, out);
        }
    }

    /// `sendOffsetsToTransaction`: the consumer's positions become part of the open transaction.
    pub fn send_offsets_to_transaction(&mut self, group: Rc<str>, offsets: Vec<(PartitionIndex, u64)>) {
        if let Some(txn) = &mut self.txn {
            txn.send_offsets(group, offsets);
            self.sender_dirty = true;
        }
    }

    /// Picks the partition and appends to the accumulator (Kafka's `doSend` and `RecordAccumulator.append`).
    fn append(&mut self, image: &MetadataImage, topic: TopicIndex, available: &[u32], send: PendingSend) -> PartitionIndex {
        let partitions = &image.topics[topic.get()].partitions;
        let count = partitions.len() as u32;
        let id = RecordId { producer: self.index, sequence: self.next_record };
        self.next_record += 1;
        self.stats.records_sent += 1;
        let headers = self.no_headers.clone();
        let explicit = send.partition.filter(|p| *p < count);
        let keyed = send.key.as_ref().filter(|_| !self.config.partitioner_ignore_keys);
        let number = if let Some(p) = explicit {
            p
        } else if self.config.uses_round_robin_partitioner() {
            let first = self.round_robin.entry(topic).or_default().partition(&available, count);
            // Kafka calls a custom partitioner again when the record would start a new batch
            // (abortOnNewBatch), so round-robin skips a partition at every new batch.
            if self.needs_new_batch(partitions[first as usize], send.created_at.ms(), &send) {
                self.round_robin.entry(topic).or_default().partition(&available, count)
            } else {
                first
            }
        } else if let Some(key) = keyed {
            partition_for_key(key.as_bytes(), count)
        } else {
            self.built_in.entry(topic).or_default().current_partition(&mut self.rng, &available, count)
        };
        let partition = partitions[number as usize];
        let timestamp = send.created_at.ms();
        let batch_size = self.config.batch_size;
        if self.accumulator.len() <= partition.get() {
            self.accumulator.resize_with(partition.get() + 1, VecDeque::new);
            self.ever_batched.resize(partition.get() + 1, false);
            self.last_batch_records.resize(partition.get() + 1, 0);
        }
        self.ever_batched[partition.get()] = true;
        let deque = &mut self.accumulator[partition.get()];
        let open = deque.back().filter(|b| b.sealed.is_none() && !b.full);
        let size_in_open = open.map(|b| b.builder.next_record_size(timestamp, send.key.as_deref(), &send.value, &headers));
        let fits = match (open, size_in_open) {
            (Some(b), Some(size)) => b.builder.is_empty() || b.builder.size_bytes() + size <= batch_size,
            _ => false,
        };
        if !fits {
            self.sender_dirty = true;
            if let Some(last) = deque.back_mut() {
                last.full = true;
            }
            let deadline = send.created_at.plus_ms(self.config.delivery_timeout_ms);
            if self.expiry_check_at.is_some_and(|at| deadline < at) {
                self.expiry_check_at = Some(deadline);
            }
            // Room for as many records as this partition's last batch held: batches of a steady
            // workload are alike, so the builder rarely grows.
            let capacity = self.last_batch_records.get(partition.get()).map_or(4, |n| *n as usize + 1);
            let builder = match self.spare_builders.pop() {
                Some(spare) => spare.reuse(capacity),
                None => BatchBuilder::with_capacity(capacity),
            };
            deque.push_back(ProducerBatch {
                partition,
                builder,
                sealed: None,
                size_bytes: 0,
                max_timestamp_ms: 0,
                created_at: send.created_at,
                retry: BatchRetry::default(),
                base_sequence: None,
                producer_id_epoch: None,
                sequence_reset: false,
                full: false,
            });
        }
        let last = deque.back_mut().expect("a batch was just ensured at the back");
        let size = match size_in_open {
            Some(size) if fits => size,
            _ => last.builder.next_record_size(timestamp, send.key.as_deref(), &send.value, &headers),
        };
        let before = last.builder.size_bytes();
        last.builder.push_sized(id, timestamp, send.key.clone(), send.value, headers, size);
        let appended = last.builder.size_bytes() - if fits { before } else { 0 };
        if last.builder.size_bytes() >= batch_size {
            last.full = true;
            self.sender_dirty = true;
        }
        self.buffer_used += u64::from(appended);
        // The built-in partitioner switches after batch.size bytes when no batch is incomplete.
        if explicit.is_none() && keyed.is_none() && !self.config.uses_round_robin_partitioner() {
            let enable_switch = deque.back().is_none_or(|b| b.full);
            self.built_in.entry(topic).or_default().record_appended(appended, enable_switch, batch_size, &mut self.rng, &available, count);
        }
        partition
    }

    /// Would this record start a new batch on `partition`?
    fn needs_new_batch(&self, partition: PartitionIndex, timestamp: u64, send: &PendingSend) -> bool {
        match self.accumulator.get(partition.get()).and_then(|d| d.back()) {
            None => true,
            Some(b) => {
                b.sealed.is_some()
                    || b.full
                    || (!b.builder.is_empty() && b.builder.size_with(timestamp, send.key.as_deref(), &send.value, &[]) > self.config.batch_size)
            }
        }
    }

    /// The sender's loop (Kafka's `Sender.runOnce`): expire, find ready leaders, drain, send.
    pub fn run_sender(&mut self, now: Tick, out: &mut Outbox) {
        if !self.up {
            return;
        }
        self.sender_dirty = false;
        self.expire_batches(now, out);
        let Some(image) = self.meta.image.clone() else {
            self.refresh_metadata(now, out);
            return;
        };
        if self.txn.is_some() {
            self.drive_transaction(now, out);
            if self.producer_id.is_none() || self.is_fenced() {
                return;
            }
        } else if self.config.enable_idempotence {
            self.bump_epoch_if_needed(out);
            if self.producer_id.is_none() {
                self.init_producer_id(now, out);
                return;
            }
        }
        let linger_ms = self.config.linger_ms;
        let mut ready = std::mem::take(&mut self.ready_scratch);
        ready.clear();
        let mut next_check: Option<Tick> = None;
        let mut unknown_leader = false;
        for (index, deque) in self.accumulator.iter_mut().enumerate() {
            let deque_len = deque.len();
            let Some(first) = deque.front_mut() else { continue };
            let partition = &PartitionIndex(index as u32);
            if self.txn.as_ref().is_some_and(|t| !t.may_send(*partition)) {
                continue;
            }
            let part = image.partition(*partition);
            let Some(leader) = part.leader else {
                unknown_leader = true;
                continue;
            };
            first.retry.note_leader_epoch(part.leader_epoch);
            // Kafka's sender leaves out a leader it cannot connect to yet (`client.ready`).
            if let Some(until) = self.reconnect.blocked_until(leader, now) {
                next_check = Some(next_check.map_or(until, |t: Tick| t.min(until)));
                continue;
            }
            let backing_off = first.retry.backing_off(now);
            let wait_until = match first.retry.retry_at {
                Some(at) if backing_off => at,
                Some(_) => now,
                None => first.created_at.plus_ms(linger_ms),
            };
            let full = deque_len > 1 || first.full;
            if !backing_off && (full || wait_until <= now) {
                ready.push((leader, *partition));
            } else {
                next_check = Some(next_check.map_or(wait_until, |t: Tick| t.min(wait_until)));
            }
        }
        if self.config.partitioner_adaptive_partitioning_enable && !self.built_in.is_empty() {
            self.update_load_stats(&image);
        }
        if unknown_leader {
            self.refresh_metadata(now, out);
        }
        // Drain leader by leader, in broker order, each with its ready partitions in partition order.
        crate::sim::sorted::sort_by(&mut ready, |a, b| a.cmp(b));
        let mut i = 0;
        let mut partitions = std::mem::take(&mut self.drain_scratch);
        while i < ready.len() {
            let broker = ready[i].0;
            partitions.clear();
            while i < ready.len() && ready[i].0 == broker {
                partitions.push(ready[i].1);
                i += 1;
            }
            self.drain_and_send(now, broker, &partitions, out);
        }
        self.ready_scratch = ready;
        self.drain_scratch = partitions;
        if let Some(at) = next_check {
            self.schedule_wake(at.max(now), out);
        }
    }

    /// Adaptive partitioning: queue sizes per partition with a leader, once every partition of the
    /// topic has had a batch (Kafka's rule), become the keyless partitioner's weights.
    fn update_load_stats(&mut self, image: &MetadataImage) {
        let mut queue_sizes: SortedMap<TopicIndex, (Vec<u32>, Vec<u32>)> = SortedMap::new();
        // Kafka's batches map has an entry for every partition that ever had a batch (entries are
        // never removed), and only those count.
        for (index, deque) in self.accumulator.iter().enumerate().filter(|(i, _)| self.ever_batched.get(*i).copied().unwrap_or(false)) {
            let part = image.partition(PartitionIndex(index as u32));
            if part.leader.is_some() && self.built_in.contains_key(&part.topic) {
                let sizes = queue_sizes.entry(part.topic).or_default();
                sizes.0.push(deque.len() as u32);
                sizes.1.push(part.number);
            }
        }
        for (topic, (sizes, ids)) in queue_sizes {
            if sizes.len() >= image.topics[topic.get()].partitions.len() {
                self.built_in.entry(topic).or_default().set_load_stats(partition_load_stats(&sizes, &ids));
            }
        }
    }

    /// Collects at most one batch per ready partition for `broker`, up to max.request.size, and sends.
    fn drain_and_send(&mut self, now: Tick, broker: BrokerId, partitions: &[PartitionIndex], out: &mut Outbox) {
        let in_flight = self.in_flight_per_broker.get(&broker).copied().unwrap_or(0);
        if in_flight >= self.config.max_in_flight_requests_per_connection {
            return;
        }
        let start = self.drain_index.get(&broker).copied().unwrap_or(0) % partitions.len().max(1);
        // The batch list of an answered request, if one was kept (see `on_produce_response`).
        let mut batches = self.spare_batch_lists.pop().unwrap_or_default();
        batches.reserve(partitions.len());
        let mut bytes = 0u32;
        for i in 0..partitions.len() {
            let partition = partitions[(start + i) % partitions.len()];
            // With one request in flight, Kafka keeps a partition muted while its batch is out.
            if self.config.max_in_flight_requests_per_connection == 1
                && self.in_flight.values().any(|f| f.batches.iter().any(|b| b.partition == partition))
            {
                continue;
            }
            // After an epoch bump, a partition still finishing batches numbered under the old epoch
            // starts no new batch: numbered 0 in the new epoch, it could land before them.
            if self.config.enable_idempotence
                && self.accumulator.get(partition.get()).and_then(|d| d.front()).is_some_and(|b| b.base_sequence.is_none())
                && self.sequences.get(&partition).is_some_and(|s| Some(s.producer_id_epoch) != self.producer_id)
                && self.in_flight.values().any(|f| f.batches.iter().any(|b| b.partition == partition && b.base_sequence.is_some()))
            {
                continue;
            }
            let Some(deque) = self.accumulator.get_mut(partition.get()) else { continue };
            let Some(first) = deque.front_mut() else { continue };
            if first.retry.backing_off(now) {
                continue;
            }
            // A retried batch goes again only as its partition's lowest unanswered sequence: while an
            // idempotent producer retries, one batch per partition is out at a time, so the leader
            // gets them in order. Kafka then drains nothing more for this leader in this round
            // (`shouldStopDrainBatchesForPartition`).
            if let Some(seq) = first.base_sequence
                && self.in_flight.values().any(|f| f.batches.iter().any(|b| b.partition == partition && b.base_sequence.is_some_and(|s| s < seq)))
            {
                break;
            }
            first.seal();
            let sealed_records = first.record_count();
            if let Some(hint) = self.last_batch_records.get_mut(partition.get()) {
                *hint = sealed_records;
            }
            if !batches.is_empty() && bytes + first.size_bytes > self.config.max_request_size {
                break;
            }
            let Some(mut batch) = deque.pop_front() else { continue };
            if self.config.enable_idempotence && batch.base_sequence.is_none() {
                // run_sender drains only once the producer has its id; (-1, -1) is never stamped.
                let current = self.producer_id.unwrap_or((-1, -1));
                let sequences = self.sequences.entry(partition).or_insert_with(|| PartitionSequences::fresh(current));
                if sequences.producer_id_epoch != current {
                    // Numbered under an older epoch and with nothing of it left in flight (checked
                    // above): the partition starts again at 0 in the current one.
                    *sequences = PartitionSequences::fresh(current);
                }
                batch.base_sequence = Some(sequences.next_sequence);
                batch.producer_id_epoch = Some(current);
                sequences.next_sequence = sequences.next_sequence.wrapping_add(batch.record_count() as i32);
            }
            bytes += batch.size_bytes;
            batches.push(batch);
        }
        self.drain_index.insert(broker, start + 1);
        if batches.is_empty() {
            self.spare_batch_lists.push(batches);
            return;
        }
        // Each batch goes out under the id and epoch it was numbered with.
        let stamp = |b: &ProducerBatch| match (b.producer_id_epoch, b.base_sequence) {
            (Some((producer_id, producer_epoch)), Some(base_sequence)) => ProducerStamp { producer_id, producer_epoch, base_sequence },
            _ => ProducerStamp::NONE,
        };
        let request_id = self.request_id();
        let request = ProduceRequest {
            request_id,
            acks: self.config.acks,
            timeout_ms: self.config.request_timeout_ms,
            batches: batches
                .iter_mut()
                .map(|b| ProduceBatch {
                    partition: b.partition,
                    producer: stamp(b),
                    transactional: self.txn.is_some(),
                    records: b.seal(),
                    size_bytes: b.size_bytes,
                    max_timestamp_ms: b.max_timestamp_ms,
                })
                .collect(),
        };
        self.stats.requests_sent += 1;
        self.stats.batches_sent += batches.len() as u64;
        out.send(self.node(), Node::Broker(broker), Message::Produce(request));
        if self.config.acks == Acks::None {
            // Fire and forget: the batch is done the moment it is on the wire.
            for batch in batches {
                self.buffer_used = self.buffer_used.saturating_sub(u64::from(batch.size_bytes));
                out.event(EventKind::ProduceSentNoAck { producer: self.index, partition: batch.partition, records: batch.record_count() });
            }
            self.drain_pending();
            // No answer will wake the sender: a backlog (records held while a leader was out of
            // reach) goes on at once, as Kafka's sender loop drains again straight away.
            if partitions.iter().any(|p| self.accumulator.get(p.get()).is_some_and(|d| !d.is_empty())) {
                self.schedule_wake(now, out);
            }
            return;
        }
        *self.in_flight_per_broker.entry(broker).or_default() += 1;
        let deadline = now.plus_ms(self.config.request_timeout_ms);
        self.in_flight.insert(request_id, InFlight { broker, batches, deadline });
        if self.timeouts.arm(deadline) {
            out.timer(deadline, self.node(), Timer::ProduceTimeouts);
        }
    }

    /// Batches that waited longer than delivery.timeout.ms fail (Kafka's `expiredBatches`).
    fn expire_batches(&mut self, now: Tick, out: &mut Outbox) {
        // Nothing can have expired before the oldest queued batch's deadline.
        if self.expiry_check_at.is_some_and(|at| now < at) {
            return;
        }
        let timeout = self.config.delivery_timeout_ms;
        let mut expired = Vec::new();
        for deque in &mut self.accumulator {
            while deque.front().is_some_and(|b| now.since(b.created_at) >= timeout) {
                if let Some(batch) = deque.pop_front() {
                    expired.push(batch);
                }
            }
        }
        for batch in expired {
            self.fail_batch(batch, KafkaError::DeliveryTimeout, out);
        }
        self.expiry_check_at = self.accumulator.iter().filter_map(|d| d.front()).map(|b| b.created_at.plus_ms(timeout)).min();
    }

    fn fail_batch(&mut self, batch: ProducerBatch, error: KafkaError, out: &mut Outbox) {
        let records = batch.record_count();
        // A transaction missing a record must not commit.
        if let Some(txn) = &mut self.txn
            && matches!(txn.phase, TxnPhase::InTransaction | TxnPhase::Committing)
        {
            txn.abort_only = true;
            if txn.phase == TxnPhase::Committing {
                txn.abort(false);
            }
        }
        self.stats.records_failed += u64::from(records);
        self.buffer_used = self.buffer_used.saturating_sub(u64::from(batch.size_bytes.max(batch.builder.size_bytes())));
        out.event(EventKind::ProduceFailed { producer: self.index, partition: batch.partition, records, error, retrying: false });
        self.drain_pending();
    }

    /// Puts `batch` back in its partition's queue, after the batches with lower sequence numbers. One
    /// without a sequence goes first (a retry: Kafka's addFirst), or, `by_creation`, after the
    /// batches made no later than it (a refused batch, which was never sent).
    fn put_back(&mut self, batch: ProducerBatch, by_creation: bool) {
        let partition = batch.partition.get();
        if self.accumulator.len() <= partition {
            self.accumulator.resize_with(partition + 1, VecDeque::new);
        }
        let deque = &mut self.accumulator[partition];
        let at = match batch.base_sequence {
            Some(seq) => deque.iter().take_while(|b| b.base_sequence.is_some_and(|s| s < seq)).count(),
            None if by_creation => deque.iter().take_while(|b| b.created_at <= batch.created_at).count(),
            None => 0,
        };
        deque.insert(at, batch);
    }

    /// Puts a failed batch back, in sequence order at the front, for a retry after its backoff
    /// (see `retry`).
    fn reenqueue(&mut self, now: Tick, mut batch: ProducerBatch, error: KafkaError, out: &mut Outbox) {
        let retry_at = batch.retry.failed(now, self.config.retry_backoff(), &mut self.retry_rng);
        self.stats.retries += 1;
        // An older batch is queued again: its delivery deadline may come first.
        self.expiry_check_at = None;
        out.event(EventKind::ProduceFailed { producer: self.index, partition: batch.partition, records: batch.record_count(), error, retrying: true });
        self.put_back(batch, false);
        self.schedule_wake(retry_at, out);
    }

    fn complete_request(&mut self, request_id: u64) -> Option<InFlight> {
        let flight = self.in_flight.remove(&request_id)?;
        if let Some(count) = self.in_flight_per_broker.get_mut(&flight.broker) {
            *count = count.saturating_sub(1);
        }
        Some(flight)
    }

    fn on_produce_response(&mut self, now: Tick, response: ProduceResponse, out: &mut Outbox) {
        let Some(flight) = self.complete_request(response.request_id) else { return };
        let mut refresh = false;
        let mut batches = flight.batches;
        for batch in batches.drain(..) {
            let result = response.results.iter().find(|r| r.partition == batch.partition).map_or(Err(KafkaError::NetworkException), |r| r.result);
            match result {
                Ok(base_offset) => {
                    let records = batch.record_count();
                    let latency_ms = now.since(batch.created_at);
                    self.stats.records_acked += u64::from(records);
                    // Each record waited from its own send (its timestamp) until this acknowledgement.
                    self.stats.latency_ms_total += batch.sealed.as_ref().map_or(0, |rs| rs.iter().map(|r| now.ms().saturating_sub(r.timestamp_ms)).sum::<u64>());
                    self.stats.latency_ms_max = self.stats.latency_ms_max.max(latency_ms);
                    self.buffer_used = self.buffer_used.saturating_sub(u64::from(batch.size_bytes));
                    if let (Some(base), Some(sequences)) = (batch.base_sequence, self.sequences.get_mut(&batch.partition)) {
                        sequences.acked(base.wrapping_add(records as i32 - 1));
                    }
                    let fact = Fact::Acked { partition: batch.partition, base_offset, records: batch.sealed.clone().unwrap_or_else(|| Rc::from([])) };
                    out.event_with_fact(EventKind::ProduceAcked { producer: self.index, partition: batch.partition, base_offset, records, latency_ms }, fact);
                    if self.spare_builders.len() < SPARES_MAX {
                        self.spare_builders.push(batch.builder);
                    }
                }
                Err(KafkaError::InvalidProducerEpoch | KafkaError::ProducerFenced) if self.txn.is_some() => {
                    // A newer instance (or the coordinator, on a timeout) bumped the epoch.
                    self.fail_batch(batch, KafkaError::ProducerFenced, out);
                    self.fence(out);
                }
                Err(error) => {
                    refresh |= matches!(error, KafkaError::NotLeaderOrFollower | KafkaError::UnknownTopicOrPartition);
                    self.retry_or_fail(now, batch, error, out);
                }
            }
        }
        // Kept for the next request's batches.
        if self.spare_batch_lists.len() < SPARES_MAX {
            self.spare_batch_lists.push(batches);
        }
        if refresh {
            self.refresh_metadata(now, out);
        }
        self.drain_pending();
        self.run_sender(now, out);
    }

    fn retry_or_fail(&mut self, now: Tick, batch: ProducerBatch, error: KafkaError, out: &mut Outbox) {
        let within_delivery = now.since(batch.created_at) < self.config.delivery_timeout_ms;
        let may_try_again = batch.retry.attempts < self.config.retries && within_delivery;
        let retriable = match error {
            KafkaError::OutOfOrderSequenceNumber => self.on_out_of_order_sequence(&batch, may_try_again),
            _ => error.is_retriable_for_produce(),
        };
        if retriable && may_try_again {
            self.reenqueue(now, batch, error, out);
        } else {
            if error == KafkaError::OutOfOrderSequenceNumber && self.txn.is_some() && batch.retry.attempts < self.config.retries {
                self.give_back_sequences(&batch);
            }
            let error = if within_delivery { error } else { KafkaError::DeliveryTimeout };
            self.fail_batch(batch, error, out);
        }
    }

    /// A leader refused `batch` with OUT_OF_ORDER_SEQUENCE_NUMBER: whether it is tried again, and, when
    /// the leader has lost records the producer had acknowledged, an epoch bump for its partition.
    fn on_out_of_order_sequence(&mut self, batch: &ProducerBatch, may_try_again: bool) -> bool {
        let transactional = self.txn.is_some();
        let answer = match (batch.base_sequence, self.sequences.get(&batch.partition)) {
            // The engine does not keep Kafka's unresolved sequences (batches that expired after they
            // were sent): none is ever pending here.
            (Some(base), Some(sequences)) if may_try_again => out_of_order_answer(sequences, base, batch.sequence_reset, None, transactional),
            // Un-numbered by a new producer id: it is numbered afresh when sent again.
            (None, _) if may_try_again => OutOfOrderAnswer::Retry,
            _ => OutOfOrderAnswer::Fail,
        };
        // An idempotent producer bumps even when the batch is out of retries or time: the gap is in
        // the leader's log either way (Kafka's handleFailedBatch).
        if !transactional && matches!(answer, OutOfOrderAnswer::BumpEpochAndRetry | OutOfOrderAnswer::Fail) && !self.epoch_bump_for.contains(&batch.partition) {
            self.epoch_bump_for.push(batch.partition);
        }
        answer != OutOfOrderAnswer::Fail
    }

    /// The batches neither acknowledged nor failed yet: queued in the accumulator (in partition order)
    /// and in flight.
    fn unfinished_batches_mut(&mut self) -> impl Iterator<Item = &mut ProducerBatch> {
        self.accumulator.iter_mut().flatten().chain(self.in_flight.values_mut().flat_map(|f| f.batches.iter_mut()))
    }

    /// Kafka's `adjustSequencesDueToFailedBatch`, for a transactional producer whose batch failed and
    /// will not be sent again: its sequence numbers are handed back, and the partition's later batches
    /// move down to close the gap (the next of them is then the next sequence, and fails at once
    /// instead of being retried as if an earlier batch were still on its way).
    fn give_back_sequences(&mut self, failed: &ProducerBatch) {
        let (Some(base), Some(sequences)) = (failed.base_sequence, self.sequences.get_mut(&failed.partition)) else { return };
        let count = failed.record_count() as i32;
        // Kafka treats a sequence going below 0 as a bug; it cannot, as the failed batch was numbered
        // from this partition's sequences.
        sequences.next_sequence = (sequences.next_sequence - count).max(0);
        let partition = failed.partition;
        for batch in self.unfinished_batches_mut() {
            if batch.partition == partition && let Some(later) = batch.base_sequence.filter(|s| *s >= base) {
                batch.base_sequence = Some((later - count).max(0));
            }
        }
    }

    /// Kafka's `bumpIdempotentEpochAndResetIdIfNeeded`: the idempotent producer raises its epoch by
    /// one itself (no request: a leader takes any higher epoch that starts at sequence 0) and numbers
    /// the unfinished batches of the partitions that lost records from 0 again, in their order.
    fn bump_epoch_if_needed(&mut self, out: &mut Outbox) {
        if self.epoch_bump_for.is_empty() {
            return;
        }
        let partitions = std::mem::take(&mut self.epoch_bump_for);
        // Without an id there is nothing to bump: the id InitProducerId brings starts every partition at 0.
        let Some((producer_id, epoch)) = self.producer_id else { return };
        if epoch == i16::MAX {
            // The epoch is used up: Kafka asks for a new producer id instead. Every batch is numbered
            // afresh under it when next sent.
            self.producer_id = None;
            self.sequences.clear();
            for batch in self.unfinished_batches_mut() {
                batch.base_sequence = None;
                batch.producer_id_epoch = None;
            }
            return;
        }
        let bumped = (producer_id, epoch + 1);
        self.producer_id = Some(bumped);
        for &partition in &partitions {
            let mut numbered: Vec<&mut ProducerBatch> =
                self.unfinished_batches_mut().filter(|b| b.partition == partition && b.base_sequence.is_some()).collect();
            crate::sim::sorted::sort_by(&mut numbered, |a, b| (a.producer_id_epoch, a.base_sequence).cmp(&(b.producer_id_epoch, b.base_sequence)));
            let mut next_sequence = 0i32;
            for batch in numbered {
                batch.base_sequence = Some(next_sequence);
                batch.producer_id_epoch = Some(bumped);
                batch.sequence_reset = true;
                next_sequence = next_sequence.wrapping_add(batch.record_count() as i32);
            }
            self.sequences.insert(partition, PartitionSequences { producer_id_epoch: bumped, next_sequence, last_acked_sequence: None });
        }
        out.event(EventKind::ProducerEpochBumped { producer: self.index, producer_epoch: bumped.1, partitions: partitions.into() });
    }

    /// The request got no answer in request.timeout.ms, or the connection reset: every batch in it
    /// is retried (it may still have been written: that is how duplicates happen without idempotence).
    fn fail_request(&mut self, now: Tick, request_id: u64, error: KafkaError, out: &mut Outbox) {
        let Some(flight) = self.complete_request(request_id) else { return };
        for batch in flight.batches {
            self.retry_or_fail(now, batch, error, out);
        }
        self.refresh_metadata(now, out);
        self.run_sender(now, out);
    }

    /// The broker's process was dead when `request_id` went out: a real client's connection attempt
    /// was refused and the request never left it. Its batches go back to the accumulator as they
    /// were (no attempt counted, no error for the application), each in its place among the batches
    /// queued since, to be sent once a connection works.
    fn requeue_unsent(&mut self, now: Tick, request_id: u64, out: &mut Outbox) {
        let Some(flight) = self.complete_request(request_id) else { return };
        self.requeue(now, flight.batches, out);
    }

    /// An acks=0 request refused the same way: the producer kept no copy, so its batches are made
    /// again from the request the refusal handed back. They hold the buffer memory they gave up when
    /// they went out.
    fn requeue_refused(&mut self, now: Tick, request: ProduceRequest, out: &mut Outbox) {
        let batches = request
            .batches
            .into_iter()
            .map(|b| {
                self.buffer_used += u64::from(b.size_bytes);
                out.event(EventKind::ProduceUnsent { producer: self.index, partition: b.partition, records: b.records.len() as u32 });
                ProducerBatch {
                    partition: b.partition,
                    builder: BatchBuilder::new(),
                    // A record's timestamp is its send time: the first is when the batch was made.
                    created_at: Tick(b.records.first().map_or(now.ms(), |r| r.timestamp_ms)),
                    sealed: Some(b.records),
                    size_bytes: b.size_bytes,
                    max_timestamp_ms: b.max_timestamp_ms,
                    retry: BatchRetry::default(),
                    base_sequence: None,
                    producer_id_epoch: None,
                    sequence_reset: false,
                    full: true,
                }
            })
            .collect();
        self.requeue(now, batches, out);
    }

    fn requeue(&mut self, now: Tick, batches: Vec<ProducerBatch>, out: &mut Outbox) {
        for batch in batches {
            self.put_back(batch, true);
        }
        self.expiry_check_at = None;
        self.sender_dirty = true;
        self.run_sender(now, out);
    }

    pub fn handle_message(&mut self, now: Tick, from: Node, message: Message, out: &mut Outbox) {
        if let Node::Broker(broker) = from {
            match message {
                // The connection failed: the client stays away from the broker for a while.
                Message::Disconnected { .. } | Message::ProduceRefused(_) => {
                    self.reconnect.disconnected(broker, now, self.config.reconnect_backoff());
                }
                _ => self.reconnect.connected(broker),
            }
        }
        match message {
            Message::ProduceResponse(response) => self.on_produce_response(now, response, out),
            // Refused while an earlier process of this producer ran: those records died with it.
            Message::ProduceRefused(request) if request.request_id < self.first_request_id => {}
            Message::ProduceRefused(request) => {
                self.requeue_refused(now, request, out);
                self.refresh_metadata(now, out);
            }
            Message::TxnResponse { request_id, response, .. } => {
                let result = match *response {
                    TxnResponse::FindCoordinator(r) => r.map(TxnAnswer::Coordinator),
                    TxnResponse::InitProducerId(r) => r.map(|(producer_id, producer_epoch)| TxnAnswer::ProducerId { producer_id, producer_epoch }),
                    TxnResponse::AddPartitions(r) | TxnResponse::AddOffsets(r) | TxnResponse::EndTxn(r) => r.map(|()| TxnAnswer::Done),
                };
                self.on_txn_answer(now, request_id, result, out);
            }
            Message::GroupResponse { request_id, response, .. } => {
                let result = match *response {
                    GroupResponse::FindCoordinator(r) => r.map(TxnAnswer::Coordinator),
                    GroupResponse::TxnOffsetCommit(r) => r.map(|()| TxnAnswer::Done),
                    _ => return,
                };
                self.on_txn_answer(now, request_id, result, out);
            }
            Message::MetadataResponse { request_id, image } => {
                if let Some(image) = self.meta.answered(request_id, now, image) {
                    let grew = self.meta.image.as_ref().is_some_and(|m| m.partitions.len() != image.partitions.len());
                    if grew {
                        // New partitions: keyed records may map elsewhere; the sticky choice restarts.
                        for p in self.built_in.values_mut() {
                            p.reset();
                        }
                    }
                    self.meta.image = Some(image);
                    self.available.clear();
                    self.drain_pending();
                    self.run_sender(now, out);
                }
            }
            Message::InitProducerIdResponse { request_id, producer_id, producer_epoch } => {
                if self.init_pid_in_flight == Some(request_id) {
                    self.init_pid_in_flight = None;
                    self.producer_id = Some((producer_id, producer_epoch));
                    self.run_sender(now, out);
                }
            }
            Message::Disconnected { request_id, refused } => {
                if self.meta.failed(request_id, now) {
                    self.refresh_metadata(now, out);
                } else if self.init_pid_in_flight == Some(request_id) {
                    self.init_pid_in_flight = None;
                    self.meta.cursor += 1;
                    out.timer(now.plus_ms(self.config.retry_backoff_ms), self.node(), Timer::SenderWake);
                } else if self.txn.as_ref().is_some_and(|t| t.in_flight.as_ref().is_some_and(|f| f.0 == request_id)) {
                    self.meta.cursor += 1;
                    self.on_txn_answer(now, request_id, Err(KafkaError::NetworkException), out);
                } else if refused {
                    self.requeue_unsent(now, request_id, out);
                    self.refresh_metadata(now, out);
                } else {
                    self.fail_request(now, request_id, KafkaError::NetworkException, out);
                    // Kafka's client asks for fresh metadata on any disconnect (an acks=0 request
                    // has nothing in flight to fail, but the leader it went to may be gone).
                    self.refresh_metadata(now, out);
                }
            }
            _ => {}
        }
    }

    pub fn handle_timer(&mut self, now: Tick, timer: Timer, out: &mut Outbox) {
        match timer {
            Timer::Generate => {
                self.generate_at = None;
                self.generate(now, out);
            }
            Timer::SenderWake => {
                if self.wake_at.is_some_and(|at| at <= now) {
                    self.wake_at = None;
                }
                self.run_sender(now, out);
            }
            Timer::ProduceTimeouts => {
                if self.timeouts.fire(now) {
                    let expired: Vec<u64> = self.in_flight.iter().filter(|(_, f)| f.deadline <= now).map(|(id, _)| *id).collect();
                    for request_id in expired {
                        self.fail_request(now, request_id, KafkaError::RequestTimedOut, out);
                    }
                    if let Some(next) = self.in_flight.values().map(|f| f.deadline).min()
                        && self.timeouts.arm(next)
                    {
                        out.timer(next, self.node(), Timer::ProduceTimeouts);
                    }
                }
            }
            Timer::RequestTimeout { request_id } => {
                if self.txn.as_ref().is_some_and(|t| t.in_flight.as_ref().is_some_and(|f| f.0 == request_id)) {
                    self.meta.cursor += 1;
                    self.on_txn_answer(now, request_id, Err(KafkaError::RequestTimedOut), out);
                } else if self.meta.failed(request_id, now) {
                    self.refresh_metadata(now, out);
                    self.run_sender(now, out);
                } else if self.init_pid_in_flight == Some(request_id) {
                    self.init_pid_in_flight = None;
                    self.meta.cursor += 1;
                    self.run_sender(now, out);
                }
            }
            Timer::MetadataRetry => self.refresh_metadata(now, out),
            // metadata.max.age.ms: even with nothing wrong, metadata is refreshed (new partitions,
            // moved leaders).
            Timer::MetadataRefresh => {
                out.timer(now.plus_ms(self.metadata_refresh_interval_ms()), self.node(), Timer::MetadataRefresh);
                self.refresh_metadata(now, out);
            }
            _ => {}
        }
    }

    /// Whether the application is inside a `send()` that cannot return yet: a record it sent still
    /// waits (for its topic's metadata, for room in buffer.memory, or for its transaction to open),
    /// or buffer.memory is full while it has a record to send.
    fn application_blocked(&self, has_due: bool) -> bool {
        !self.pending.is_empty() || (has_due && self.buffer_used >= self.config.buffer_memory)
    }

    /// What the blocked `send()` waits for, when max.block.ms bounds it (Kafka's `waitOnMetadata` and
    /// `BufferPool.allocate`): `Some(true)` for buffer memory, `Some(false)` for metadata. `None`
    /// while it waits for its transaction to open, which max.block.ms does not bound here.
    fn blocked_on(&self) -> Option<bool> {
        let metadata = self.meta.image.as_ref().is_some_and(|m| m.topic_index(&self.topic_name).is_some());
        if !metadata {
            Some(false)
        } else if self.buffer_used >= self.config.buffer_memory {
            Some(true)
        } else {
            None
        }
    }

    /// The workload's records that are due now. The application calls `send()` for one record at a
    /// time, and `send()` blocks while the record cannot be taken (Kafka's `KafkaProducer.send`): the
    /// application makes nothing more meanwhile and catches up on what fell due once it returns.
    /// So a producer faster than its cluster holds at most buffer.memory of records, not an ever
    /// longer queue. A `send()` that waited max.block.ms throws a TimeoutException: its record is
    /// lost, and the application goes on to the next one.
    fn generate(&mut self, now: Tick, out: &mut Outbox) {
        if self.running && self.workload.is_some() {
            let mut timed_out = (0, false);
            while let Some(due) = self.workload.as_ref().map(|w| w.due(now)) {
                if !self.application_blocked(due > 0) {
                    self.blocked_since = None;
                    if due == 0 {
                        break;
                    }
                    let Some(workload) = &mut self.workload else { break };
                    let partition = workload.spec.partition;
                    let (key, value) = workload.next_record();
                    self.pending.push_back(PendingSend { key, value, partition, created_at: now });
                    self.drain_pending();
                    continue;
                }
                let since = *self.blocked_since.get_or_insert(now);
                let Some(buffer_full) = self.blocked_on() else {
                    self.blocked_since = None;
                    break;
                };
                if now.since(since) < self.config.max_block_ms {
                    break;
                }
                // The send() that waited max.block.ms throws: the record it was sending is never
                // handed over (the first waiting one, or the due one that found buffer.memory full).
                let Some(workload) = &mut self.workload else { break };
                if self.pending.pop_front().is_none() {
                    workload.skip(1);
                }
                timed_out = (timed_out.0 + 1, buffer_full);
                self.blocked_since = Some(now);
                if self.config.max_block_ms == 0 {
                    // Every send() that would block throws at once: so does the rest of what is due.
                    let rest = workload.due(now);
                    workload.skip(rest);
                    timed_out.0 += rest;
                    break;
                }
            }
            if timed_out.0 > 0 {
                self.stats.records_failed += timed_out.0;
                out.event(EventKind::SendTimedOut { producer: self.index, records: timed_out.0, buffer_full: timed_out.1 });
            }
            // Records joining a batch that is neither full nor due change nothing the sender sees.
            if self.sender_dirty || self.wake_at.is_none_or(|at| at <= now) {
                self.run_sender(now, out);
            }
        }
        self.schedule_generate(now, out);
    }

    fn schedule_generate(&mut self, now: Tick, out: &mut Outbox) {
        if !self.running {
            return;
        }
        let Some(at) = self.workload.as_ref().and_then(|w| w.next_due(now)) else { return };
        // A blocked application tries again a little later (its send() may have returned), and at
        // the latest when its send() has waited max.block.ms, to throw.
        let at = if self.application_blocked(true) {
            let deadline = self.blocked_since.filter(|_| self.blocked_on().is_some()).map(|since| since.plus_ms(self.config.max_block_ms));
            deadline.map_or(at, |d| at.min(d)).max(now.plus_ms(1))
        } else {
            at
        };
        if self.generate_at.is_none_or(|t| at < t) {
            self.generate_at = Some(at);
            out.timer(at, self.node(), Timer::Generate);
        }
    }

    pub fn set_running(&mut self, now: Tick, running: bool, out: &mut Outbox) {
        self.running = running && self.workload.is_some();
        if self.running {
            if let Some(w) = &mut self.workload {
                let rate = w.spec.rate_per_sec;
                w.set_rate(now, rate);
            }
            self.schedule_generate(now, out);
        }
    }

    pub fn set_rate(&mut self, now: Tick, rate_per_sec: u32, out: &mut Outbox) {
        if let Some(w) = &mut self.workload {
            w.set_rate(now, rate_per_sec);
        }
        self.generate_at = None;
        self.schedule_generate(now, out);
    }

    fn schedule_wake(&mut self, at: Tick, out: &mut Outbox) {
        if self.wake_at.is_none_or(|t| at < t) {
            self.wake_at = Some(at);
            out.timer(at, self.node(), Timer::SenderWake);
        }
    }

    /// Asks a broker for metadata, if the client may now.
    fn refresh_metadata(&mut self, now: Tick, out: &mut Outbox) {
        let node = self.node();
        let Some(broker) = self.meta.broker_to_ask(now, self.config.metadata_refresh(), &self.reconnect, &mut self.retry_rng, node, out) else { return };
        let request_id = self.request_id();
        self.meta.sent(request_id);
        out.send(self.node(), Node::Broker(broker), Message::MetadataRequest { request_id });
        out.timer(now.plus_ms(self.config.request_timeout_ms), self.node(), Timer::RequestTimeout { request_id });
    }

    fn init_producer_id(&mut self, now: Tick, out: &mut Outbox) {
        if self.init_pid_in_flight.is_some() {
            return;
        }
        let Some(broker) = self.any_live_broker(now, out) else { return };
        let request_id = self.request_id();
        self.init_pid_in_flight = Some(request_id);
        out.send(self.node(), Node::Broker(broker), Message::InitProducerId { request_id });
        out.timer(now.plus_ms(self.config.request_timeout_ms), self.node(), Timer::RequestTimeout { request_id });
    }

    /// A broker for a request any broker can answer (a producer id, where a coordinator is):
    /// `ClientMetadata::least_loaded`. If every one is blacked out, the sender wakes when the first
    /// blackout ends.
    fn any_live_broker(&mut self, now: Tick, out: &mut Outbox) -> Option<BrokerId> {
        match self.meta.least_loaded(&self.reconnect, now)? {
            Ok(broker) => Some(broker),
            Err(at) => {
                self.schedule_wake(at, out);
                None
            }
        }
    }

    /// Sends the transaction manager's next request, if it has one (one at a time, like Kafka's).
    fn drive_transaction(&mut self, now: Tick, out: &mut Outbox) {
        let Some(txn) = &mut self.txn else { return };
        if let Some(committed) = txn.end_untouched() {
            self.txn_ended = Some(committed);
            self.drain_pending();
        }
        let Some(txn) = &self.txn else { return };
        if txn.drops_unsent() {
            // abortTransaction: what was not sent yet never will be.
            let dropped: Vec<ProducerBatch> = self.accumulator.iter_mut().flat_map(|d| d.drain(..)).collect();
            for batch in dropped {
                self.fail_batch(batch, KafkaError::TransactionAborted, out);
            }
        }
        let in_flight_produce = !self.in_flight.is_empty();
        // A processor's pending results are part of the transaction; a plan's are the next one's.
        let pending_in_transaction = self.processor.is_some() && !self.pending.is_empty();
        let unfinished = in_flight_produce || pending_in_transaction || self.accumulator.iter().any(|d| !d.is_empty());
        let Some(txn) = &mut self.txn else { return };
        if let Some(at) = txn.retry_at.filter(|at| *at > now) {
            self.schedule_wake(at, out);
            return;
        }
        let Some(call) = txn.next_call(now, unfinished, in_flight_produce) else { return };
        let transactional_id = txn.transactional_id.clone();
        let (producer_id, producer_epoch) = self.producer_id.unwrap_or((-1, -1));
        let any_broker = if matches!(call, TxnCall::FindCoordinator | TxnCall::FindGroupCoordinator { .. }) { self.any_live_broker(now, out) } else { None };
        let Some(txn) = &self.txn else { return };
        let coordinator = txn.coordinator;
        let request_id = self.request_id();
        let txn_message = |request: TxnRequest| Message::Txn { request_id, transactional_id: transactional_id.clone(), request: Box::new(request) };
        let (to, message) = match &call {
            TxnCall::FindCoordinator => (any_broker, txn_message(TxnRequest::FindCoordinator)),
            TxnCall::InitProducerId => (coordinator, txn_message(TxnRequest::InitProducerId { timeout_ms: self.config.transaction_timeout_ms })),
            TxnCall::AddPartitions(partitions) => (coordinator, txn_message(TxnRequest::AddPartitions { producer_id, producer_epoch, partitions: partitions.clone() })),
            TxnCall::AddOffsets { group } => (coordinator, txn_message(TxnRequest::AddOffsets { producer_id, producer_epoch, group: group.clone() })),
            TxnCall::EndTxn { commit } => (coordinator, txn_message(TxnRequest::EndTxn { producer_id, producer_epoch, commit: *commit })),
            TxnCall::FindGroupCoordinator { group } => {
                (any_broker, Message::Group { request_id, group: group.clone(), request: Box::new(GroupRequest::FindCoordinator) })
            }
            TxnCall::TxnOffsetCommit { group, coordinator, offsets } => (
                Some(*coordinator),
                Message::Group { request_id, group: group.clone(), request: Box::new(GroupRequest::TxnOffsetCommit { producer_id, producer_epoch, offsets: offsets.clone() }) },
            ),
        };
        let Some(to) = to else { return };
        let deadline = now.plus_ms(self.config.request_timeout_ms);
        let Some(txn) = &mut self.txn else { return };
        txn.in_flight = Some((request_id, call, deadline));
        out.send(self.node(), Node::Broker(to), message);
        out.timer(deadline, self.node(), Timer::RequestTimeout { request_id });
    }

    /// A coordinator answered the transaction manager (or the request failed).
    fn on_txn_answer(&mut self, now: Tick, request_id: u64, result: Result<TxnAnswer, KafkaError>, out: &mut Outbox) {
        let backoff = self.config.retry_backoff_ms;
        let Some(txn) = &mut self.txn else { return };
        let Some((_, call, _)) = txn.in_flight.take_if(|f| f.0 == request_id) else { return };
        match txn.on_answer(now, &call, result, backoff) {
            TxnOutcome::Continue => {}
            TxnOutcome::Initialized { producer_id, producer_epoch, aborted } => {
                self.producer_id = Some((producer_id, producer_epoch));
                self.sequences.clear();
                if aborted {
                    self.txn_ended = Some(false);
                }
            }
            TxnOutcome::Ended { committed } => self.txn_ended = Some(committed),
            TxnOutcome::Fenced => self.fenced(out),
        }
        self.drain_pending();
        self.sender_dirty = true;
        self.run_sender(now, out);
    }

    /// A produce answer said a newer epoch took over this `transactional.id` (any later answer
    /// saying it again changes nothing).
    fn fence(&mut self, out: &mut Outbox) {
        let Some(txn) = &mut self.txn else { return };
        if txn.phase == TxnPhase::Fenced {
            return;
        }
        txn.phase = TxnPhase::Fenced;
        self.fenced(out);
    }

    /// Fenced, by a produce answer or by the coordinator (whose answer the transaction manager
    /// took as its own move to Fenced): the producer fails what it holds, says so and stops.
    fn fenced(&mut self, out: &mut Outbox) {
        let epoch = self.producer_id.map_or(-1, |p| p.1);
        out.event(EventKind::ProducerFenced { producer: self.index, producer_epoch: epoch });
        let queued: Vec<ProducerBatch> = self.accumulator.iter_mut().flat_map(|d| d.drain(..)).collect();
        for batch in queued {
            self.fail_batch(batch, KafkaError::ProducerFenced, out);
        }
        self.pending.clear();
        self.running = false;
    }
}
