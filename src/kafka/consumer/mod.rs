//! A consumer client: Kafka's `KafkaConsumer` poll loop, its fetcher, and an application that takes
//! time to process what each poll returns.
//!
//! The fetcher keeps one fetch in flight per leader for assigned partitions with nothing buffered.
//! `poll` hands out up to `max.poll.records` buffered records and advances positions; the application
//! then works for `processing_ms_per_record` each before polling again. Positions start from a
//! committed offset or, failing that, from `auto.offset.reset` (through ListOffsets).

pub mod membership;

use crate::kafka::client_metadata::ClientMetadata;
use crate::kafka::reconnect::Reconnect;
use crate::kafka::config::{ConsumerConfig, IsolationLevel, OffsetReset};
use membership::{MemberState, Membership};
use crate::kafka::ids::{BrokerId, Node, PartitionIndex};
use crate::kafka::metadata::MetadataImage;
use crate::kafka::protocol::{FetchPartition, FetchRequest, FetchResponse, KafkaError, Message, OffsetSpec};
use crate::kafka::record::Batch;
use crate::kafka::runtime::{DeadlineTimer, Outbox, Timer};
use crate::kafka::world::action::SeekTarget;
use crate::kafka::world::event::{EventKind, ResetCause};
use crate::kafka::stream::{StreamRecord, Topology};
use crate::kafka::world::spec::CommitMode;
pub use membership::MemberState as GroupMemberState;
use crate::sim::Tick;
use std::collections::VecDeque;
use crate::sim::sorted::SortedMap;
use std::rc::Rc;

/// How long `poll` waits for records when none are buffered (`poll(Duration.ofMillis(100))`).
pub const POLL_TIMEOUT_MS: u64 = 100;

/// The fetch position of one assigned partition.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartitionPosition {
    /// The offset of the next record to fetch; `None` until known.
    pub position: Option<u64>,
    /// A ListOffsets request is resolving the position.
    pub resetting: Option<u64>,
    /// Why fetching stopped (auto.offset.reset=none and the offset was out of range).
    pub error: Option<KafkaError>,
    /// Records buffered from completed fetches, not yet returned by poll.
    buffered: VecDeque<Batch>,
    /// What caused the pending reset (for narration).
    reset_cause: Option<ResetCause>,
    /// read_committed: aborted transactions the leader reported, (producer id, first offset), not yet
    /// reached, in offset order.
    aborted_ahead: VecDeque<(i64, u64)>,
    /// read_committed: producers inside an aborted transaction at the current position.
    aborted_producers: crate::sim::sorted::SortedSet<i64>,
}

/// Records handed to the application by the last poll, still being processed.
#[derive(Clone, Debug)]
struct Processing {
    parts: Vec<(PartitionIndex, u64, u64, u32)>,
    /// With `keep_values`: the values being processed.
    values: Vec<crate::kafka::record::Value>,
    /// commitSync before processing (at-most-once): processing starts once the commit is answered.
    waiting_for_commit: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ConsumerStats {
    pub records_polled: u64,
    pub records_processed: u64,
    pub fetches_sent: u64,
}

#[derive(Clone, Debug)]
pub struct Consumer {
    pub index: u32,
    pub name: Rc<str>,
    pub up: bool,
    pub incarnation: u64,
    /// Down because its process died rather than closed: the picture tells a learner which.
    pub crashed: bool,
    pub config: ConsumerConfig,
    pub group: Option<Rc<str>>,
    pub topics: Vec<Rc<str>>,
    pub manual: Vec<(Rc<str>, u32)>,
    pub assignment: Vec<PartitionIndex>,
    pub positions: SortedMap<PartitionIndex, PartitionPosition>,
    pub processing_ms_per_record: u64,
    /// A fixed cost per poll's worth of records (one bulk database write, say).
    pub processing_ms_per_poll: u64,
    pub commit_mode: CommitMode,
    pub stats: ConsumerStats,
    pub membership: Membership,
    /// What it knows of the cluster, and its metadata requests.
    meta: ClientMetadata,
    /// Draws the retry backoff's jitter.
    retry_rng: crate::sim::Rng,
    /// Per leader: (request id, (partition, fetch offset) sent, deadline).
    fetches_in_flight: SortedMap<BrokerId, (u64, Vec<(PartitionIndex, u64)>, Tick)>,
    fetch_timeouts: DeadlineTimer,
    /// Brokers this client may not connect to yet (reconnect.backoff.ms, as the producer).
    reconnect: Reconnect,
    list_offsets_in_flight: SortedMap<u64, PartitionIndex>,
    processing: Option<Processing>,
    poll_at: Option<Tick>,
    waiting_for_data: bool,
    next_request_id: u64,
    /// A stream processor: what it does with each record, and where the results go.
    pub processor: Option<Processor>,
    /// Results (and, inside a transaction, the commit) the processor hands to its producer.
    pub handoffs: VecDeque<Handoff>,
    /// The processor waits for its transaction to end before it polls again.
    pub waiting_for_transaction: bool,
    /// The application asked to close while records were being processed: it closes once they are
    /// (Kafka's close() is called from the poll loop's own thread, between polls).
    closing: bool,
    /// A processor's copies of the records the current poll returned.
    copies: Vec<StreamRecord>,
    /// The application deletes what its group committed (AdminClient.deleteRecords), as a queue
    /// deletes acknowledged messages: nobody can read those records again.
    pub delete_committed: bool,
    /// Keep the values the application finished processing, in order (for lessons that ask what
    /// was processed: the log may have deleted them since).
    pub keep_values: bool,
    pub kept_values: Vec<crate::kafka::record::Value>,
    /// Where the last poll ran out of `max.poll.records`: the next one starts there.
    poll_cursor: Option<PartitionIndex>,
}

/// A consumer that is the input side of a stream processor (consume, transform, produce).
#[derive(Clone, Debug)]
pub struct Processor {
    pub topology: Topology,
    /// The producer (by index) that writes the results.
    pub producer: u32,
}

/// What a processor hands its producer, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Handoff {
    /// The results of the records just polled, sent as they are processed (inside the open
    /// transaction when the producer is transactional).
    Results(Vec<StreamRecord>),
    /// With commit = in_transaction, once the records are processed: commit the transaction with
    /// the group's new positions.
    Commit { group: Rc<str>, offsets: Vec<(PartitionIndex, u64)> },
}

impl Consumer {
    fn metadata_refresh_interval_ms(&self) -> u64 {
        crate::kafka::metadata_refresh::refresh_interval_ms(self.config.metadata_max_age_ms, self.config.retry_backoff_ms)
    }

    pub fn new(index: u32, name: &str, config: ConsumerConfig, bootstrap: Vec<BrokerId>, retry_rng: crate::sim::Rng) -> Consumer {
        Consumer {
            index,
            name: name.into(),
            up: false,
            incarnation: 0,
            crashed: false,
            config,
            group: None,
            topics: Vec::new(),
            manual: Vec::new(),
            assignment: Vec::new(),
            positions: SortedMap::new(),
            processing_ms_per_record: 0,
            processing_ms_per_poll: 0,
            commit_mode: CommitMode::Auto,
            stats: ConsumerStats::default(),
            membership: Membership::default(),
            meta: ClientMetadata::new(bootstrap),
            reconnect: Reconnect::new(retry_rng.child("reconnect-backoff")),
            retry_rng,
            fetches_in_flight: SortedMap::new(),
            fetch_timeouts: DeadlineTimer::default(),
            list_offsets_in_flight: SortedMap::new(),
            processing: None,
            poll_at: None,
            waiting_for_data: false,
            next_request_id: 1,
            processor: None,
            handoffs: VecDeque::new(),
            waiting_for_transaction: false,
            closing: false,
            copies: Vec::new(),
            delete_committed: false,
            keep_values: false,
            kept_values: Vec::new(),
            poll_cursor: None,
        }
    }

    pub fn node(&self) -> Node {
        Node::Consumer(self.index)
    }

    fn request_id(&mut self) -> u64 {
        let id = self.next_request_id;
        self.next_request_id += 1;
        id
    }

    pub fn start(&mut self, now: Tick, out: &mut Outbox) {
        out.event(EventKind::ConsumerStarted { consumer: self.index });
        self.begin(now, out);
    }

    /// Kafka Streams' answer to its producer being fenced (TaskMigratedException): the processor
    /// closes its tasks without committing, unsubscribes (a dynamic member leaves its group) and
    /// subscribes again as a new member, so it goes on from the offsets its last transaction
    /// committed. The process lives on, so no crash or start is announced.
    pub fn rejoin_after_tasks_lost(&mut self, now: Tick, out: &mut Outbox) {
        // Closing already (the learner stopped it while its transaction was open): with its tasks
        // lost there is nothing left to finish, so it closes now.
        if self.closing {
            self.shut_down(now, out);
            return;
        }
        self.leave_group(now, out);
        self.stop();
        self.begin(now, out);
    }

    /// A new process, or a new member of the group in the same process.
    fn begin(&mut self, now: Tick, out: &mut Outbox) {
        self.up = true;
        self.incarnation += 1;
        self.fetch_timeouts.reset();
        // A new process: a new member (a static member is recognised by its group.instance.id).
        self.membership = Membership { last_poll: now, next_auto_commit: now.plus_ms(self.config.auto_commit_interval_ms), ..Membership::default() };
        self.refresh_metadata(now, out);
        out.timer(now.plus_ms(self.metadata_refresh_interval_ms()), self.node(), Timer::MetadataRefresh);
        self.join_group(now, out);
        self.schedule_poll(now, out);
    }

    /// The application closes the consumer cleanly. It first finishes the records its last poll
    /// returned, with their commit (commitSync, or a processor's transaction): closing at once would
    /// commit positions past records nobody processed, and with auto-commit they would never be
    /// read again. Then it commits (with auto-commit), gives its partitions up, leaves its group and
    /// stops.
    pub fn close(&mut self, now: Tick, out: &mut Outbox) {
        if self.processing.is_some() || self.waiting_for_transaction || self.membership.commit_sync.is_some() {
            self.closing = true;
            return;
        }
        self.shut_down(now, out);
    }

    /// The close itself: commit (with auto-commit), give the partitions up, leave, stop.
    fn shut_down(&mut self, now: Tick, out: &mut Outbox) {
        let left_group = self.leave_group(now, out);
        self.stop();
        out.event(EventKind::ConsumerClosed { consumer: self.index, left_group });
    }

    /// The process dies: what it was processing is lost, and nothing is committed.
    pub fn crash(&mut self, out: &mut Outbox) {
        self.stop();
        self.crashed = true;
        out.event(EventKind::ConsumerCrashed { consumer: self.index });
    }

    /// `poll()` threw an error the application does not catch: the process dies as in a crash (it
    /// commits nothing more), but the narration names the error, which a restart alone will not cure.
    pub(super) fn fail(&mut self, error: KafkaError, out: &mut Outbox) {
        self.stop();
        self.crashed = true;
        out.event(EventKind::ConsumerFailed { consumer: self.index, error });
    }

    /// Drops everything the process held: positions, assignment, work in progress.
    fn stop(&mut self) {
        self.up = false;
        self.crashed = false;
        self.closing = false;
        self.processing = None;
        self.fetches_in_flight.clear();
        self.list_offsets_in_flight.clear();
        self.reconnect.forget();
        self.meta.crashed();
        self.poll_at = None;
        self.positions.clear();
        self.assignment.clear();
        self.handoffs.clear();
        self.waiting_for_transaction = false;
        if let Some(processor) = &mut self.processor {
            processor.topology.clear_state();
        }
    }

    /// Applies a new assignment; positions of kept partitions stay.
    pub fn assign(&mut self, partitions: Vec<PartitionIndex>) {
        self.positions.retain(|p, _| partitions.contains(p));
        for p in &partitions {
            self.positions.entry(*p).or_default();
        }
        self.assignment = partitions;
    }

    /// The manual assignment resolved against the metadata.
    fn resolve_manual_assignment(&mut self) {
        let Some(image) = &self.meta.image else { return };
        if self.group.is_some() || self.manual.is_empty() {
            return;
        }
        let partitions: Vec<PartitionIndex> =
            self.manual.iter().filter_map(|(topic, n)| image.topic_index(topic).and_then(|t| image.partition_of(t, *n))).collect();
        if partitions != self.assignment {
            self.assign(partitions);
        }
    }

    pub(super) fn schedule_poll(&mut self, at: Tick, out: &mut Outbox) {
        if self.poll_at.is_none_or(|t| at < t) {
            self.poll_at = Some(at);
            out.timer(at, self.node(), Timer::Poll);
        }
    }

    /// The application's `poll()`: finish processing the last records, hand out buffered ones, fetch.
    fn poll(&mut self, now: Tick, out: &mut Outbox) {
        self.poll_at = None;
        if self.blocked_in_commit_sync(now, out) {
            // commitSync: the application waits for the answer.
            return;
        }
        self.membership.last_poll = now;
        if self.waiting_for_transaction {
            return;
        }
        if let Some(done) = self.processing.take() {
            self.kept_values.extend(done.values);
            for (partition, first_offset, last_offset, records) in done.parts {
                self.stats.records_processed += u64::from(records);
                out.event(EventKind::Processed { consumer: self.index, partition, first_offset, last_offset, records });
            }
            if self.processor.is_some() && self.commit_mode == CommitMode::InTransaction {
                // Kafka Streams' exactly-once loop: the new positions are committed in the same
                // transaction as the results, and nothing more is polled until it is.
                let group = self.group.clone().unwrap_or_else(|| Rc::from(""));
                self.handoffs.push_back(Handoff::Commit { group, offsets: self.current_positions() });
                self.waiting_for_transaction = true;
                return;
            }
            // At-least-once: commit what was processed before polling for more (commitSync waits
            // for the answer, commitAsync does not).
            let sync = self.commit_mode == CommitMode::AfterProcessing;
            if (sync || self.commit_mode == CommitMode::AfterProcessingAsync) && self.group.is_some() {
                let offsets = self.current_positions();
                if !offsets.is_empty() && self.membership.state == MemberState::Stable {
                    self.send_commit(now, offsets, sync, out);
                    if sync {
                        return;
                    }
                }
            }
        }
        if self.closing {
            self.close(now, out);
            return;
        }
        if self.group.is_some() {
            if self.membership.rejoin_needed || self.membership.left_for_poll_timeout || self.membership.state == MemberState::Unjoined {
                self.membership.left_for_poll_timeout = false;
                self.join_group(now, out);
            }
            if self.auto_commit_enabled() && now >= self.membership.next_auto_commit {
                self.membership.next_auto_commit = now.plus_ms(self.config.auto_commit_interval_ms);
                let offsets = self.current_positions();
                if self.membership.state == MemberState::Stable {
                    self.send_commit(now, offsets, false, out);
                }
            }
        }
        self.reset_missing_positions(now, out);
        let polled = self.take_records(out);
        self.send_fetches(now, out);
        if polled.is_empty() {
            self.waiting_for_data = true;
            self.schedule_poll(now.plus_ms(POLL_TIMEOUT_MS), out);
            return;
        }
        self.waiting_for_data = false;
        let records: u32 = polled.iter().map(|p| p.3).sum();
        // At-most-once: commit the new positions before processing the records.
        let commit_first = self.commit_mode == CommitMode::BeforeProcessing && self.group.is_some() && self.membership.state == MemberState::Stable;
        let values = if self.keep_values { self.copies.iter().map(|r| r.value.clone()).collect() } else { Vec::new() };
        if let Some(processor) = &mut self.processor {
            // Each result goes out as its record is processed (modelled as the poll's records
            // being sent at once, while their processing time runs).
            let results: Vec<StreamRecord> = self.copies.drain(..).filter_map(|r| processor.topology.process(r)).collect();
            self.handoffs.push_back(Handoff::Results(results));
        }
        self.processing = Some(Processing { parts: polled, values, waiting_for_commit: commit_first });
        if commit_first {
            let offsets = self.current_positions();
            self.send_commit(now, offsets, true, out);
        } else {
            self.schedule_poll(now.plus_ms(self.processing_ms(records)), out);
        }
    }

    /// A commitSync was answered (or given up): the application carries on.
    pub(crate) fn resume_after_commit(&mut self, now: Tick, out: &mut Outbox) {
        match &mut self.processing {
            Some(p) if p.waiting_for_commit => {
                p.waiting_for_commit = false;
                let records: u32 = p.parts.iter().map(|x| x.3).sum();
                self.schedule_poll(now.plus_ms(self.processing_ms(records)), out);
            }
            _ => self.schedule_poll(now, out),
        }
    }

    /// Up to max.poll.records buffered records, advancing each partition's position past them.
    /// Control records (transaction markers) are never returned; a read_committed consumer also skips
    /// aborted transactions' records. Each returned run of consecutive offsets is one Polled event.
    fn take_records(&mut self, out: &mut Outbox) -> Vec<(PartitionIndex, u64, u64, u32)> {
        let mut budget = self.config.max_poll_records;
        let mut polled = Vec::new();
        let read_committed = self.config.isolation_level == IsolationLevel::ReadCommitted;
        let collect = self.processor.is_some() || self.keep_values;
        self.copies.clear();
        // When the last poll ran out of max.poll.records, this one carries on where it stopped and
        // the partitions after it come next (Kafka hands out completed fetches in the order they
        // arrived, so no partition waits behind another for ever).
        let order: Vec<PartitionIndex> = match self.poll_cursor {
            Some(from) => self.positions.range(from..).chain(self.positions.range(..from)).map(|(p, _)| *p).collect(),
            None => self.positions.keys().copied().collect(),
        };
        self.poll_cursor = None;
        for partition in order {
            if budget == 0 {
                self.poll_cursor = Some(partition);
                break;
            }
            let Some(state) = self.positions.get_mut(&partition) else { continue };
            let partition = &partition;
            let Some(mut position) = state.position else { continue };
            let mut run: Option<(u64, u32)> = None;
            let mut emit = |run: &mut Option<(u64, u32)>, position: u64, polled: &mut Vec<_>, stats: &mut ConsumerStats| {
                if let Some((first_offset, count)) = run.take() {
                    stats.records_polled += u64::from(count);
                    out.event(EventKind::Polled { consumer: self.index, partition: *partition, first_offset, last_offset: position - 1, records: count });
                    polled.push((*partition, first_offset, position - 1, count));
                }
            };
            while budget > 0 {
                let Some(batch) = state.buffered.front() else { break };
                if batch.next_offset() <= position {
                    state.buffered.pop_front();
                    continue;
                }
                if skip_batch(batch, read_committed, &mut state.aborted_ahead, &mut state.aborted_producers) {
                    emit(&mut run, position, &mut polled, &mut self.stats);
                    position = batch.next_offset();
                    state.buffered.pop_front();
                    continue;
                }
                let take = ((batch.next_offset() - position) as u32).min(budget);
                if collect {
                    let from = (position - batch.base_offset) as usize;
                    self.copies.extend(batch.records[from..from + take as usize].iter().map(|r| StreamRecord { key: r.key.clone(), value: r.value.clone(), timestamp_ms: r.timestamp_ms }));
                }
                let entry = run.get_or_insert((position, 0));
                entry.1 += take;
                position += u64::from(take);
                budget -= take;
                if position >= batch.next_offset() {
                    state.buffered.pop_front();
                }
            }
            emit(&mut run, position, &mut polled, &mut self.stats);
            state.position = Some(position);
            if budget == 0 && !state.buffered.is_empty() {
                self.poll_cursor = Some(*partition);
            }
        }
        polled
    }

    /// Deletes the records below these committed offsets: one DeleteRecords request per leader.
    pub(crate) fn delete_records(&mut self, offsets: Vec<(PartitionIndex, u64)>, out: &mut Outbox) {
        let mut by_leader: SortedMap<BrokerId, Vec<(PartitionIndex, u64)>> = SortedMap::new();
        for (p, offset) in offsets {
            if let Some(leader) = self.leader_of(p) {
                by_leader.entry(leader).or_default().push((p, offset));
            }
        }
        for (leader, partitions) in by_leader {
            let request_id = self.request_id();
            out.send(self.node(), Node::Broker(leader), Message::DeleteRecords { request_id, partitions });
        }
    }

    /// `subscribe(topics)`: a new subscription; the member rejoins its group at its next poll.
    pub fn subscribe(&mut self, topics: Vec<Rc<str>>) {
        if self.topics != topics {
            self.topics = topics;
            self.membership.rejoin_needed = true;
        }
    }

    /// How long the application works on one poll's `records`.
    fn processing_ms(&self, records: u32) -> u64 {
        u64::from(records) * self.processing_ms_per_record + self.processing_ms_per_poll
    }

    /// The processor's transaction ended. Committed: carry on. Aborted: the results and offsets are
    /// void, so processing starts again from the committed offsets.
    pub fn on_transaction_ended(&mut self, now: Tick, committed: bool, out: &mut Outbox) {
        if !self.waiting_for_transaction {
            return;
        }
        self.waiting_for_transaction = false;
        if !committed {
            self.handoffs.clear();
            let assigned: Vec<PartitionIndex> = self.positions.keys().copied().collect();
            for state in self.positions.values_mut() {
                state.buffered.clear();
                state.aborted_ahead.clear();
                state.aborted_producers.clear();
            }
            self.fetch_committed(now, assigned, out);
        }
        self.schedule_poll(now, out);
    }

    /// Starts ListOffsets for partitions with no position (no committed offset to start from).
    fn reset_missing_positions(&mut self, now: Tick, out: &mut Outbox) {
        let missing: Vec<PartitionIndex> =
            self.positions.iter().filter(|(_, s)| s.position.is_none() && s.resetting.is_none() && s.error.is_none()).map(|(p, _)| *p).collect();
        for partition in missing {
            self.reset_position(now, partition, ResetCause::NoCommittedOffset, out);
        }
    }

    fn reset_position(&mut self, now: Tick, partition: PartitionIndex, cause: ResetCause, out: &mut Outbox) {
        let spec = match self.config.auto_offset_reset {
            OffsetReset::Earliest => OffsetSpec::Earliest,
            OffsetReset::Latest => OffsetSpec::Latest,
            OffsetReset::None => {
                // auto.offset.reset=none: the application gets an exception and this partition stops.
                let error = if matches!(cause, ResetCause::NoCommittedOffset) { KafkaError::NoOffsetForPartition } else { KafkaError::OffsetOutOfRange };
                if let Some(state) = self.positions.get_mut(&partition) {
                    state.error = Some(error);
                }
                out.event(EventKind::ConsumerError { consumer: self.index, partition, error });
                return;
            }
        };
        self.list_offsets(now, partition, spec, Some(cause), out);
    }

    fn list_offsets(&mut self, now: Tick, partition: PartitionIndex, spec: OffsetSpec, cause: Option<ResetCause>, out: &mut Outbox) {
        let Some(leader) = self.leader_of(partition) else {
            self.refresh_metadata(now, out);
            return;
        };
        let request_id = self.request_id();
        if let Some(state) = self.positions.get_mut(&partition) {
            state.resetting = Some(request_id);
            state.reset_cause = cause;
            state.buffered.clear();
            state.aborted_ahead.clear();
            state.aborted_producers.clear();
        }
        self.list_offsets_in_flight.insert(request_id, partition);
        out.send(self.node(), Node::Broker(leader), Message::ListOffsets { request_id, partition, spec, isolation: self.config.isolation_level });
        out.timer(now.plus_ms(self.config.request_timeout_ms), self.node(), Timer::ConsumerRequestTimeout { request_id });
    }

    fn leader_of(&self, partition: PartitionIndex) -> Option<BrokerId> {
        self.meta.image.as_ref().and_then(|m| m.partitions.get(partition.get())).and_then(|p| p.leader)
    }

    /// One fetch per leader for positioned partitions with nothing buffered and no fetch in flight.
    fn send_fetches(&mut self, now: Tick, out: &mut Outbox) {
        let mut by_leader: SortedMap<BrokerId, Vec<FetchPartition>> = SortedMap::new();
        let mut unknown_leader = false;
        for (partition, state) in &self.positions {
            let Some(position) = state.position else { continue };
            if state.error.is_some() || !state.buffered.is_empty() || state.resetting.is_some() {
                continue;
            }
            let Some(image) = &self.meta.image else { continue };
            let part = image.partition(*partition);
            let Some(leader) = part.leader else {
                unknown_leader = true;
                continue;
            };
            if self.fetches_in_flight.contains_key(&leader) || self.reconnect.blocked_until(leader, now).is_some() {
                continue;
            }
            by_leader.entry(leader).or_default().push(FetchPartition {
                partition: *partition,
                fetch_offset: position,
                last_fetched_epoch: None,
                current_leader_epoch: part.leader_epoch,
                log_start_offset: 0,
            });
        }
        if unknown_leader {
            self.refresh_metadata(now, out);
        }
        for (leader, partitions) in by_leader {
            let request_id = self.request_id();
            let sent: Vec<(PartitionIndex, u64)> = partitions.iter().map(|p| (p.partition, p.fetch_offset)).collect();
            let deadline = now.plus_ms(self.config.request_timeout_ms + self.config.fetch_max_wait_ms);
            self.fetches_in_flight.insert(leader, (request_id, sent, deadline));
            self.stats.fetches_sent += 1;
            let request = FetchRequest {
                request_id,
                replica: None,
                max_wait_ms: self.config.fetch_max_wait_ms,
                min_bytes: self.config.fetch_min_bytes,
                max_bytes: self.config.fetch_max_bytes,
                max_partition_bytes: self.config.max_partition_fetch_bytes,
                isolation: self.config.isolation_level,
                partitions,
            };
            out.send(self.node(), Node::Broker(leader), Message::Fetch(Rc::new(request)));
            if self.fetch_timeouts.arm(deadline) {
                out.timer(deadline, self.node(), Timer::FetchTimeouts);
            }
        }
    }

    fn on_fetch_response(&mut self, now: Tick, from: BrokerId, response: FetchResponse, out: &mut Outbox) {
        // Taken, not cloned, once it is known to be this response's fetch.
        if self.fetches_in_flight.get(&from).is_none_or(|f| f.0 != response.request_id) {
            return;
        }
        let Some((_, sent, _)) = self.fetches_in_flight.remove(&from) else { return };
        let mut refresh = false;
        for pd in response.partitions {
            let fetch_offset = sent.iter().find(|(p, _)| *p == pd.partition).map(|(_, o)| *o);
            let Some(state) = self.positions.get_mut(&pd.partition) else { continue };
            // A seek or reset since the fetch was sent makes its data stale.
            if state.position != fetch_offset || state.resetting.is_some() {
                continue;
            }
            match pd.error {
                Some(KafkaError::OffsetOutOfRange) => {
                    let position = state.position.unwrap_or(0);
                    self.reset_position(now, pd.partition, ResetCause::OffsetOutOfRange { position }, out);
                }
                Some(_) => refresh = true,
                None => {
                    if self.config.isolation_level == IsolationLevel::ReadCommitted {
                        let known = state.aborted_ahead.back().map(|a| a.1);
                        state.aborted_ahead.extend(pd.aborted_transactions.iter().filter(|a| known.is_none_or(|k| a.1 > k)));
                    }
                    state.buffered.extend(pd.batches);
                }
            }
        }
        if refresh {
            self.refresh_metadata(now, out);
        }
        if self.waiting_for_data && self.processing.is_none() {
            self.schedule_poll(now, out);
        } else {
            self.send_fetches(now, out);
        }
    }

    pub fn handle_message(&mut self, now: Tick, from: Node, message: Message, out: &mut Outbox) {
        if let Node::Broker(broker) = from {
            match message {
                // The connection failed, whatever the request: the client stays away for a while.
                Message::Disconnected { .. } => {
                    self.reconnect.disconnected(broker, now, self.config.reconnect_backoff());
                }
                // Any answer (metadata, a group's, an offset's, a fetch's) means the connection works,
                // and its failures in a row start again from none, as the producer's do.
                _ => self.reconnect.connected(broker),
            }
        }
        match message {
            Message::FetchResponse(response) => {
                if let Node::Broker(broker) = from {
                    self.on_fetch_response(now, broker, response, out);
                }
            }
            Message::ListOffsetsResponse { request_id, partition, result } => {
                if self.list_offsets_in_flight.remove(&request_id).is_none() {
                    return;
                }
                let policy = self.config.auto_offset_reset;
                let Some(state) = self.positions.get_mut(&partition).filter(|s| s.resetting == Some(request_id)) else { return };
                state.resetting = None;
                match result {
                    Ok(Some(offset)) => {
                        state.position = Some(offset);
                        if let Some(cause) = state.reset_cause.take() {
                            out.event(EventKind::PositionReset { consumer: self.index, partition, offset, policy, cause });
                        }
                    }
                    // No record at or after the timestamp: seek to the end (Kafka's offsetsForTimes null).
                    Ok(None) => {
                        state.reset_cause = None;
                        self.list_offsets(now, partition, OffsetSpec::Latest, None, out);
                    }
                    Err(_) => {
                        state.reset_cause = None;
                        self.refresh_metadata(now, out);
                    }
                }
                self.send_fetches(now, out);
            }
            Message::MetadataResponse { request_id, image } => {
                if let Some(image) = self.meta.answered(request_id, now, image) {
                    // The leader notices subscribed topics gaining partitions and rebalances.
                    let grew = self.membership.is_leader
                        && self.meta.image.as_ref().is_some_and(|old| {
                            self.topics.iter().any(|t| {
                                let count = |m: &MetadataImage| m.topic_index(t).map_or(0, |i| m.topics[i.get()].partitions.len());
                                count(old) != count(&image)
                            })
                        });
                    self.meta.image = Some(image);
                    if grew {
                        self.membership.rejoin_needed = true;
                    }
                    self.resolve_manual_assignment();
                    self.reset_missing_positions(now, out);
                    self.send_fetches(now, out);
                }
            }
            Message::GroupResponse { request_id, response, .. } => self.on_group_response(now, request_id, *response, out),
            Message::Disconnected { request_id, .. } => {
                if !self.on_group_request_lost(now, request_id, out) {
                    self.on_request_failed(now, request_id, out);
                }
            }
            _ => {}
        }
    }

    fn on_request_failed(&mut self, now: Tick, request_id: u64, out: &mut Outbox) {
        // A failed connection to a broker is not retried at once (Kafka's reconnect.backoff.ms).
        let failed_leader = self.fetches_in_flight.iter().find(|(_, f)| f.0 == request_id).map(|(l, _)| *l);
        if let Some(leader) = failed_leader {
            let until = self.reconnect.disconnected(leader, now, self.config.reconnect_backoff());
            self.schedule_poll(until, out);
        }
        if self.meta.failed(request_id, now) {
            // Asks the next broker once the backoff for a failed request has passed.
            self.refresh_metadata(now, out);
            return;
        }
        if let Some(partition) = self.list_offsets_in_flight.remove(&request_id) {
            if let Some(state) = self.positions.get_mut(&partition) {
                state.resetting = None;
            }
        }
        self.fetches_in_flight.retain(|_, (id, _, _)| *id != request_id);
        self.refresh_metadata(now, out);
    }

    pub fn handle_timer(&mut self, now: Tick, timer: Timer, out: &mut Outbox) {
        match timer {
            Timer::Poll => {
                if self.poll_at.is_some_and(|t| t <= now) {
                    self.poll(now, out);
                }
            }
            Timer::ConsumerRequestTimeout { request_id } => {
                let pending = self.meta.awaits(request_id)
                    || self.list_offsets_in_flight.contains_key(&request_id)
                    || self.fetches_in_flight.values().any(|(id, _, _)| *id == request_id);
                if pending {
                    self.on_request_failed(now, request_id, out);
                }
            }
            Timer::FetchTimeouts => {
                if self.fetch_timeouts.fire(now) {
                    let expired: Vec<u64> = self.fetches_in_flight.values().filter(|f| f.2 <= now).map(|f| f.0).collect();
                    for request_id in expired {
                        self.on_request_failed(now, request_id, out);
                    }
                    if let Some(next) = self.fetches_in_flight.values().map(|f| f.2).min()
                        && self.fetch_timeouts.arm(next)
                    {
                        out.timer(next, self.node(), Timer::FetchTimeouts);
                    }
                }
            }
            Timer::MetadataRetry => self.refresh_metadata(now, out),
            Timer::MetadataRefresh => {
                out.timer(now.plus_ms(self.metadata_refresh_interval_ms()), self.node(), Timer::MetadataRefresh);
                self.refresh_metadata(now, out);
            }
            Timer::GroupHeartbeat => self.on_heartbeat_timer(now, out),
            Timer::GroupRetry => {
                self.retry_coordinator_work(now, out);
                // Rejoining happens inside poll(): an application busy with its records rejoins
                // when it polls next (and revokes, under eager rebalancing, only then).
                let in_poll = self.processing.is_none();
                if in_poll && self.membership.state == MemberState::Unjoined && (self.membership.rejoin_needed || self.membership.coordinator.is_none()) {
                    self.join_group(now, out);
                }
            }
            // A group request's deadline passed: given up if it still awaits its answer (only
            // `request_id`'s own: a timer outliving its answered request must not fail a newer one).
            Timer::GroupRequestTimeout { request_id } => {
                self.on_group_request_lost(now, request_id, out);
            }
            _ => {}
        }
    }

    /// Moves the position of an assigned partition (Kafka's `seek`, `seekToBeginning`, `seekToEnd`,
    /// `offsetsForTimes` + `seek`).
    pub fn seek(&mut self, now: Tick, partition: PartitionIndex, to: SeekTarget, out: &mut Outbox) {
        let Some(state) = self.positions.get_mut(&partition) else { return };
        state.buffered.clear();
        state.aborted_ahead.clear();
        state.aborted_producers.clear();
        state.error = None;
        match to {
            SeekTarget::Offset(offset) => {
                state.position = Some(offset);
                state.resetting = None;
            }
            SeekTarget::Beginning => self.list_offsets(now, partition, OffsetSpec::Earliest, None, out),
            SeekTarget::End => self.list_offsets(now, partition, OffsetSpec::Latest, None, out),
            SeekTarget::Timestamp(t) => self.list_offsets(now, partition, OffsetSpec::Timestamp(t), None, out),
        }
        self.send_fetches(now, out);
    }

    /// Asks a broker for metadata, if the client may now.
    fn refresh_metadata(&mut self, now: Tick, out: &mut Outbox) {
        if !self.up {
            return;
        }
        let node = self.node();
        let Some(broker) = self.meta.broker_to_ask(now, self.config.metadata_refresh(), &self.reconnect, &mut self.retry_rng, node, out) else { return };
        let request_id = self.request_id();
        self.meta.sent(request_id);
        out.send(self.node(), Node::Broker(broker), Message::MetadataRequest { request_id });
        out.timer(now.plus_ms(self.config.request_timeout_ms), self.node(), Timer::ConsumerRequestTimeout { request_id });
    }

    /// The partitions' positions, for the inspector (lag = leader HW − position).
    pub fn position(&self, partition: PartitionIndex) -> Option<u64> {
        self.positions.get(&partition).and_then(|s| s.position)
    }
}

/// Kafka's `CompletedFetch` rules for one batch: markers are never returned, and under
/// read_committed neither are the records of a transaction the leader reported as aborted (from its
/// first offset until its abort marker).
fn skip_batch(batch: &Batch, read_committed: bool, aborted_ahead: &mut VecDeque<(i64, u64)>, aborted_producers: &mut crate::sim::sorted::SortedSet<i64>) -> bool {
    if read_committed && batch.producer.is_idempotent() {
        while let Some(&(producer_id, first_offset)) = aborted_ahead.front() {
            if first_offset > batch.last_offset() {
                break;
            }
            aborted_producers.insert(producer_id);
            aborted_ahead.pop_front();
        }
        if batch.control == Some(crate::kafka::record::ControlKind::Abort) {
            aborted_producers.remove(&batch.producer.producer_id);
        } else if batch.transactional && batch.control.is_none() && aborted_producers.contains(&batch.producer.producer_id) {
            return true;
        }
    }
    batch.control.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::metadata::MetadataImage;
    use crate::sim::Rng;

    /// How long the consumer stays away from broker 1 after a refusal at `now`.
    fn refused(consumer: &mut Consumer, now: Tick, out: &mut Outbox) -> u64 {
        consumer.handle_message(now, Node::Broker(BrokerId(1)), Message::Disconnected { request_id: 99, refused: true }, out);
        consumer.reconnect.blocked_until(BrokerId(1), now).map_or(0, |until| until.ms() - now.ms())
    }

    #[test]
    fn any_answer_from_a_broker_means_its_connection_works_and_its_next_refusal_waits_the_shortest_backoff() {
        let mut consumer = Consumer::new(0, "c", ConsumerConfig::default(), vec![BrokerId(1)], Rng::new(3));
        let mut out = Outbox::default();
        // reconnect.backoff.ms 50, doubling, ±20%.
        assert!((40..=60).contains(&refused(&mut consumer, Tick(0), &mut out)));
        assert!((80..=120).contains(&refused(&mut consumer, Tick(1_000), &mut out)), "a second refusal in a row waits twice as long");
        // Broker 1 answers a metadata request: not a fetch, but the connection works all the same.
        let answer = Message::MetadataResponse { request_id: 7, image: Rc::new(MetadataImage::default()) };
        consumer.handle_message(Tick(2_000), Node::Broker(BrokerId(1)), answer, &mut out);
        assert_eq!(consumer.reconnect.blocked_until(BrokerId(1), Tick(2_000)), None);
        assert!((40..=60).contains(&refused(&mut consumer, Tick(3_000), &mut out)), "failures in a row start again from none");
    }
}
