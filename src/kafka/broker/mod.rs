//! A broker: hosts partition replicas, answers produce and fetch requests, follows leaders, heartbeats
//! to the controller, applies the metadata log, flushes and runs retention.
//!
//! Handlers never act directly: they update the broker's state and write messages, timers and events
//! into the [`Outbox`]. Produce handling is in `produce.rs`, fetch serving and following in `fetch.rs`,
//! becoming leader or follower and the ISR in `leadership.rs`.

mod fetch;
mod group;
pub mod internal_write;
mod leadership;
mod produce;
pub mod replica;
mod txn;

use crate::kafka::config::BrokerConfig;
use crate::kafka::ids::{BrokerId, Node, PartitionIndex};
use crate::kafka::metadata::{MetadataImage, MetadataRecord};
use crate::kafka::protocol::{FetchRequest, Message, ProduceRequest};
use crate::kafka::runtime::{DeadlineTimer, Outbox, Timer};
use crate::kafka::world::event::{EventKind, TruncateCause};
use crate::sim::disk::{Disk, DiskConfig, PageCache};
use crate::sim::{Rng, Tick};
use replica::Replica;
use std::collections::VecDeque;
use crate::sim::sorted::{SortedMap, SortedSet};
use std::rc::Rc;

/// How often the OS writeback thread looks for expired dirty pages (Linux: every 5 s).
const WRITEBACK_INTERVAL_MS: u64 = 5_000;
/// Brokers long-poll the controller for metadata like this (KRaft's fetch from the metadata log).
pub(crate) const METADATA_POLL_MAX_WAIT_MS: u64 = 500;
/// A request that got no answer at all is given up after this long (`request.timeout.ms`).
const INTER_BROKER_REQUEST_TIMEOUT_MS: u64 = 30_000;
/// A broker told "not the controller" asks again this much later.
const NOT_CONTROLLER_BACKOFF_MS: u64 = 50;
/// Requests to the controller quorum time out sooner (`controller.quorum.request.timeout.ms`).
pub(crate) const CONTROLLER_REQUEST_TIMEOUT_MS: u64 = 2_000;

/// A follower's fetch session with one leader.
#[derive(Clone, Debug, Default)]
struct Fetcher {
    partitions: SortedSet<PartitionIndex>,
    /// The fetch in flight and when it is given up.
    in_flight: Option<u64>,
    deadline: Tick,
    scheduled: bool,
}

/// A fetch waiting for data (Kafka's fetch purgatory).
#[derive(Clone, Debug)]
struct ParkedFetch {
    from: Node,
    request: Rc<FetchRequest>,
    deadline: Tick,
}

/// What to do once a parked write is replicated.
#[derive(Clone, Debug)]
enum Completion {
    /// Answer the producer's ProduceRequest.
    Produce,
    /// A coordinator write: send its reply (if any) and report its events.
    Group { reply: Option<(Node, u64, Rc<str>, crate::kafka::protocol::GroupResponse)>, events: Vec<EventKind> },
    /// A transaction state write: what the coordinator does once it is replicated.
    Txn { then: Vec<crate::kafka::txn::coordinator::TxnEffect> },
    /// Transaction markers: answer the coordinator that asked for them.
    Markers { producer_id: i64, commit: bool },
}

/// An acks=all produce (or a coordinator write) waiting for the high watermark (Kafka's purgatory).
#[derive(Clone, Debug)]
struct ParkedProduce {
    from: Node,
    request_id: u64,
    /// Per partition: (partition, required offset, base offset, outcome once known).
    parts: Vec<(PartitionIndex, u64, u64, Option<Result<u64, crate::kafka::protocol::KafkaError>>)>,
    /// Parts still waiting.
    pending: usize,
    deadline: Tick,
    completion: Completion,
}

impl ParkedProduce {
    /// The clients awaiting this write's answer, (client, request id), whose connections reset if
    /// the broker dies first. A coordinator's own write is parked under the broker's name; the client
    /// whose request it answers (an EndTxn, an OffsetCommit) is in its completion.
    fn awaiting(&self) -> Vec<(Node, u64)> {
        match &self.completion {
            Completion::Produce | Completion::Markers { .. } => vec![(self.from, self.request_id)],
            Completion::Group { reply, .. } => reply.iter().map(|(to, request_id, ..)| (*to, *request_id)).collect(),
            Completion::Txn { then } => then
                .iter()
                .filter_map(|effect| match effect {
                    crate::kafka::txn::coordinator::TxnEffect::Reply { to, request_id, .. } => Some((*to, *request_id)),
                    _ => None,
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Broker {
    pub id: BrokerId,
    pub rack: Option<Rc<str>>,
    pub up: bool,
    /// Bumps at every start: timers set by an earlier life are ignored.
    pub incarnation: u64,
    /// The broker epoch the controller gave at registration.
    pub epoch: u64,
    /// This incarnation is registered with the controller.
    pub registered: bool,
    pub image: Rc<MetadataImage>,
    pub replicas: replica::ReplicaTable,
    pub disk: Disk,
    pub page_cache: PageCache,
    pub config: Rc<BrokerConfig>,
    /// The controller this broker believes is active (the quorum leader).
    pub controller: Node,
    /// Every controller, to look for the active one when the one it knew stops answering.
    controller_ids: Vec<u32>,
    dirty_expire_ms: u64,
    next_request_id: u64,
    next_key: u64,
    fetchers: SortedMap<BrokerId, Fetcher>,
    parked_fetches: SortedMap<u64, ParkedFetch>,
    /// Boxed: the map moves its values around as it grows and shrinks.
    parked_produces: SortedMap<u64, Box<ParkedProduce>>,
    /// Per partition, the parked produces waiting on it, by required offset (appends come in offset
    /// order, so the HW reaches them in this order).
    waiting_on: SortedMap<PartitionIndex, VecDeque<(u64, u64)>>,
    pending_appends: SortedMap<u64, (Node, ProduceRequest)>,
    /// Scratch lists for produce completion, kept to reuse their memory (every acks=all produce
    /// uses them).
    partition_scratch: Vec<PartitionIndex>,
    completed_scratch: Vec<(u64, Result<(), crate::kafka::protocol::KafkaError>)>,
    /// Emptied partition lists of fetch responses this broker received, for the responses it sends.
    spare_fetch_data: Vec<Vec<crate::kafka::protocol::FetchPartitionData>>,
    /// Answered parked produces (emptied), for the next requests to park in.
    spare_parked: Vec<Box<ParkedProduce>>,
    delayed_sends: SortedMap<u64, (Node, Message)>,
    metadata_fetch_in_flight: Option<u64>,
    metadata_fetch_deadline: Tick,
    controller_timeouts: DeadlineTimer,
    registration_in_flight: Option<u64>,
    /// A restarted broker brings every replica in line with the metadata once it has caught up
    /// (Kafka's first publish of the image), not only the partitions whose records changed while it
    /// was down: its replicas forgot their leaders when it died.
    reconcile_all_pending: bool,
    /// The last heartbeat sent and not yet answered.
    heartbeat_in_flight: Option<u64>,
    next_producer_id: i64,
    rng: Rng,
    fetch_expiry: DeadlineTimer,
    produce_expiry: DeadlineTimer,
    replica_fetch_timeouts: DeadlineTimer,
    group_deadlines: DeadlineTimer,
    txn_check: DeadlineTimer,
    pub coordinator: crate::kafka::group::coordinator::GroupCoordinator,
    pub txn: crate::kafka::txn::coordinator::TxnCoordinator,
}

impl Broker {
    pub fn new(
        id: BrokerId,
        rack: Option<Rc<str>>,
        config: Rc<BrokerConfig>,
        disk: DiskConfig,
        dirty_expire_ms: u64,
        controller: Node,
        controller_ids: Vec<u32>,
        rng: Rng,
    ) -> Broker {
        let coordinator = crate::kafka::group::coordinator::GroupCoordinator::new(
            id,
            config.group_initial_rebalance_delay_ms,
            config.group_min_session_timeout_ms..=config.group_max_session_timeout_ms,
            rng.child("coordinator"),
        );
        let txn = crate::kafka::txn::coordinator::TxnCoordinator::new(id, config.transaction_max_timeout_ms);
        Broker {
            id,
            rack,
            up: false,
            incarnation: 0,
            epoch: 0,
            registered: false,
            image: Rc::new(MetadataImage::default()),
            replicas: replica::ReplicaTable::default(),
            disk: Disk::new(disk),
            page_cache: PageCache::default(),
            config,
            controller,
            controller_ids,
            dirty_expire_ms,
            next_request_id: 1,
            next_key: 1,
            fetchers: SortedMap::new(),
            parked_fetches: SortedMap::new(),
            parked_produces: SortedMap::new(),
            waiting_on: SortedMap::new(),
            pending_appends: SortedMap::new(),
            partition_scratch: Vec::new(),
            completed_scratch: Vec::new(),
            spare_fetch_data: Vec::new(),
            spare_parked: Vec::new(),
            delayed_sends: SortedMap::new(),
            metadata_fetch_in_flight: None,
            metadata_fetch_deadline: Tick::ZERO,
            controller_timeouts: DeadlineTimer::default(),
            registration_in_flight: None,
            reconcile_all_pending: false,
            heartbeat_in_flight: None,
            next_producer_id: i64::from(id.0) * 1_000_000 + 1,
            rng,
            fetch_expiry: DeadlineTimer::default(),
            produce_expiry: DeadlineTimer::default(),
            replica_fetch_timeouts: DeadlineTimer::default(),
            group_deadlines: DeadlineTimer::default(),
            txn_check: DeadlineTimer::default(),
            coordinator,
            txn,
        }
    }

    pub fn node(&self) -> Node {
        Node::Broker(self.id)
    }

    fn request_id(&mut self) -> u64 {
        let id = self.next_request_id;
        self.next_request_id += 1;
        id
    }

    fn key(&mut self) -> u64 {
        let key = self.next_key;
        self.next_key += 1;
        key
    }

    /// Starts a broker that is already registered with `epoch` and knows `image` (a run's first moment).
    pub fn start_registered(&mut self, now: Tick, epoch: u64, image: Rc<MetadataImage>, out: &mut Outbox) {
        self.up = true;
        self.incarnation += 1;
        self.epoch = epoch;
        self.registered = true;
        self.image = image;
        self.reconcile_all(now, out);
        self.start_timers(now, out);
        self.fetch_metadata(now, out);
    }

    fn start_timers(&mut self, now: Tick, out: &mut Outbox) {
        // The broker's scheduler starts with the process (the transaction timeout checks run from here).
        self.txn.started_at = now;
        self.fetch_expiry.reset();
        self.produce_expiry.reset();
        self.controller_timeouts.reset();
        self.group_deadlines.reset();
        self.txn_check.reset();
        self.replica_fetch_timeouts.reset();
        let me = self.node();
        out.timer(now.plus_ms(self.config.broker_heartbeat_interval_ms), me, Timer::BrokerHeartbeat);
        out.timer(now.plus_ms((self.config.replica_lag_time_max_ms / 2).max(1)), me, Timer::IsrCheck);
        out.timer(now.plus_ms(self.config.log_retention_check_interval_ms), me, Timer::RetentionCheck);
        out.timer(now.plus_ms(WRITEBACK_INTERVAL_MS), me, Timer::Writeback);
    }

    /// The broker process dies. Returns the (client, request id) pairs whose connections it held open,
    /// so the world can tell them the connection was reset.
    pub fn crash(&mut self, now: Tick, lose_page_cache: bool, out: &mut Outbox) -> Vec<(Node, u64)> {
        let mut reset = Vec::new();
        reset.extend(self.parked_fetches.values().map(|p| (p.from, p.request.request_id)));
        reset.extend(self.parked_produces.values().flat_map(|p| p.awaiting()));
        reset.extend(self.pending_appends.values().map(|(from, r)| (*from, r.request_id)));
        reset.extend(self.delayed_sends.values().filter_map(|(to, m)| response_id(m).map(|id| (*to, id))));
        reset.extend(self.coordinator.parked_requests().into_iter().map(|(consumer, id)| (Node::Consumer(consumer), id)));
        self.parked_fetches.clear();
        self.parked_produces.clear();
        self.waiting_on.clear();
        for partition in self.coordinator.led.clone() {
            // No replies from a dead broker: the parked requests' connections are reset above.
            let _unanswered = self.coordinator.unload(partition);
        }
        for partition in self.txn.led.clone() {
            self.txn.unload(partition);
        }
        self.pending_appends.clear();
        self.delayed_sends.clear();
        self.fetchers.clear();
        self.metadata_fetch_in_flight = None;
        self.registration_in_flight = None;
        self.up = false;
        self.disk.reset_queue();
        if lose_page_cache {
            // Power loss: only what reached the disk survives. Log recovery truncates the rest.
            let durable = self.page_cache.crash();
            for (partition, replica) in self.replicas.iter_mut() {
                // Recovery cannot go below the oldest segment: its file, named by its base offset, survives.
                let oldest = replica.log.segments().next().map_or(0, crate::kafka::log::Segment::base_offset);
                let keep = durable.get(&replica.file).copied().unwrap_or(0).max(oldest);
                let removed = replica.log.truncate_to(keep, now);
                if !removed.is_empty() {
                    replica.epoch_cache.truncate_from_end(keep as i64);
                    out.event(EventKind::Truncated {
                        broker: self.id,
                        partition,
                        to_offset: keep,
                        removed_records: removed.iter().map(|b| u64::from(b.record_count())).sum(),
                        cause: TruncateCause::LostPageCache,
                    });
                }
            }
        } else {
            // Only the process died: the operating system still holds and later writes its pages.
            self.page_cache.flush_all();
        }
        for replica in self.replicas.values_mut() {
            replica.role = replica::Role::Follower { leader: None };
        }
        reset
    }

    /// The broker process starts again: it registers with the controller for a new broker epoch and
    /// stays fenced until it has caught up with the metadata log.
    pub fn restart(&mut self, now: Tick, out: &mut Outbox) {
        self.up = true;
        self.incarnation += 1;
        self.registered = false;
        self.reconcile_all_pending = true;
        self.send_registration(out);
        self.start_timers(now, out);
    }

    pub fn handle_message(&mut self, now: Tick, from: Node, message: Message, out: &mut Outbox) {
        match message {
            Message::Produce(request) => self.on_produce(now, from, request, out),
            Message::Fetch(request) => self.on_fetch(now, from, request, out),
            Message::FetchResponse(response) => {
                if let Node::Broker(leader) = from {
                    self.on_fetch_response(now, leader, response, out);
                }
            }
            Message::MetadataRequest { request_id } => {
                out.send(self.node(), from, Message::MetadataResponse { request_id, image: self.image.clone() });
            }
            Message::ListOffsets { request_id, partition, spec, isolation } => {
                let result = self.list_offsets(partition, spec, isolation);
                out.send(self.node(), from, Message::ListOffsetsResponse { request_id, partition, result });
            }
            Message::Group { request_id, group, request } => self.on_group_request(now, from, request_id, group, *request, out),
            Message::Txn { request_id, transactional_id, request } => self.on_txn_request(now, from, request_id, transactional_id, *request, out),
            Message::WriteTxnMarkers { request_id, producer_id, producer_epoch, commit, partitions } => {
                self.on_write_txn_markers(now, from, request_id, producer_id, producer_epoch, commit, &partitions, out);
            }
            Message::WriteTxnMarkersResponse { request_id, results } => self.on_write_txn_markers_response(now, request_id, &results, out),
            Message::DeleteRecords { request_id, partitions } => {
                let results = partitions.iter().map(|&(p, offset)| (p, self.delete_records(p, offset, out))).collect();
                out.send(self.node(), from, Message::DeleteRecordsResponse { request_id, results });
            }
            Message::InitProducerId { request_id } => {
                let producer_id = self.next_producer_id;
                self.next_producer_id += 1;
                out.send(self.node(), from, Message::InitProducerIdResponse { request_id, producer_id, producer_epoch: 0 });
            }
            Message::MetadataFetchResponse { request_id, from_offset, records } => {
                if self.metadata_fetch_in_flight == Some(request_id) {
                    self.metadata_fetch_in_flight = None;
                    if from_offset == self.image.offset {
                        self.apply_metadata(now, &records, out);
                        if self.registered && std::mem::take(&mut self.reconcile_all_pending) {
                            self.reconcile_all(now, out);
                        }
                    }
                    self.fetch_metadata(now, out);
                }
            }
            Message::BrokerRegistrationResponse { request_id, result } => {
                if self.registration_in_flight != Some(request_id) {
                    return;
                }
                match result {
                    Ok(broker_epoch) => {
                        self.registration_in_flight = None;
                        self.registered = true;
                        self.epoch = broker_epoch;
                        out.event(EventKind::BrokerRegistered { broker: self.id, epoch: broker_epoch });
                        self.fetch_metadata(now, out);
                    }
                    // The controller still has a live session for this broker's previous life: the
                    // next heartbeat tick tries again, until that session expires.
                    Err(error) => {
                        out.event(EventKind::BrokerRegistrationRefused { broker: self.id, error });
                    }
                }
            }
            Message::BrokerHeartbeatResponse { request_id, .. } => {
                if self.heartbeat_in_flight == Some(request_id) {
                    self.heartbeat_in_flight = None;
                }
            }
            Message::NotController { request_id, leader } => {
                let named = match leader {
                    Some(l) if Node::Controller(l) != self.controller => {
                        self.controller = Node::Controller(l);
                        true
                    }
                    _ => {
                        self.next_controller();
                        false
                    }
                };
                // An answered heartbeat is not an unanswered one: left in flight, the next tick took
                // it for a silent controller and moved past the leader just named, so after a
                // failover the broker went round the controllers without ever reaching the new
                // leader and was fenced for good. Kafka's controller channel resends to the leader
                // it was told of.
                if self.heartbeat_in_flight == Some(request_id) {
                    self.heartbeat_in_flight = None;
                    if named {
                        self.send_heartbeat(out);
                    }
                }
                if self.metadata_fetch_in_flight == Some(request_id) {
                    self.metadata_fetch_in_flight = None;
                    out.timer(now.plus_ms(NOT_CONTROLLER_BACKOFF_MS), self.node(), Timer::MetadataFetch);
                }
                if self.registration_in_flight == Some(request_id) {
                    self.registration_in_flight = None;
                }
            }
            Message::AlterPartitionResponse { request_id, partition, result } => {
                self.on_alter_partition_response(now, request_id, partition, result, out);
            }
            Message::Disconnected { request_id, .. } => {
                // The controller it knew is gone: look for the active one.
                if [self.metadata_fetch_in_flight, self.registration_in_flight, self.heartbeat_in_flight].contains(&Some(request_id)) {
                    self.next_controller();
                }
                if self.heartbeat_in_flight == Some(request_id) {
                    self.heartbeat_in_flight = None;
                }
                if self.metadata_fetch_in_flight == Some(request_id) {
                    self.metadata_fetch_in_flight = None;
                    out.timer(now.plus_ms(self.config.replica_fetch_backoff_ms), self.node(), Timer::MetadataFetch);
                }
                if self.registration_in_flight == Some(request_id) {
                    self.registration_in_flight = None;
                }
                self.on_markers_disconnected(request_id);
                let leaders: Vec<BrokerId> =
                    self.fetchers.iter().filter(|(_, f)| f.in_flight == Some(request_id)).map(|(l, _)| *l).collect();
                for leader in leaders {
                    self.on_replica_fetch_failed(now, leader, out);
                }
            }
            _ => {}
        }
    }

    /// Moves on to the next controller in the quorum (looking for the active one).
    fn next_controller(&mut self) {
        if let Node::Controller(current) = self.controller
            && !self.controller_ids.is_empty()
        {
            let i = self.controller_ids.iter().position(|c| *c == current).map_or(0, |i| i + 1);
            self.controller = Node::Controller(self.controller_ids[i % self.controller_ids.len()]);
        }
    }

    fn send_heartbeat(&mut self, out: &mut Outbox) {
        let request_id = self.request_id();
        self.heartbeat_in_flight = Some(request_id);
        out.send(self.node(), self.controller, Message::BrokerHeartbeat { request_id, broker_epoch: self.epoch, metadata_offset: self.image.offset });
    }

    /// Registers this incarnation with the controller (retried at the heartbeat pace until accepted).
    fn send_registration(&mut self, out: &mut Outbox) {
        let request_id = self.request_id();
        self.registration_in_flight = Some(request_id);
        out.send(self.node(), self.controller, Message::BrokerRegistration { request_id, incarnation: self.incarnation });
    }

    pub fn handle_timer(&mut self, now: Tick, timer: Timer, out: &mut Outbox) {
        match timer {
            Timer::BrokerHeartbeat => {
                out.timer(now.plus_ms(self.config.broker_heartbeat_interval_ms), self.node(), Timer::BrokerHeartbeat);
                if !self.registered {
                    self.send_registration(out);
                    return;
                }
                // The last heartbeat went unanswered for a whole interval: that controller is not
                // (or no longer) reachable as the active one.
                if self.heartbeat_in_flight.is_some() {
                    self.next_controller();
                }
                self.send_heartbeat(out);
            }
            Timer::IsrCheck => {
                out.timer(now.plus_ms((self.config.replica_lag_time_max_ms / 2).max(1)), self.node(), Timer::IsrCheck);
                self.maybe_shrink_isrs(now, out);
            }
            Timer::RetentionCheck => {
                out.timer(now.plus_ms(self.config.log_retention_check_interval_ms), self.node(), Timer::RetentionCheck);
                self.run_retention(now, out);
            }
            Timer::Writeback => {
                out.timer(now.plus_ms(WRITEBACK_INTERVAL_MS), self.node(), Timer::Writeback);
                self.page_cache.writeback(now, self.dirty_expire_ms);
                self.flush_by_policy(now, out);
            }
            Timer::MetadataFetch => self.fetch_metadata(now, out),
            Timer::ReplicaFetch { leader } => {
                if let Some(fetcher) = self.fetchers.get_mut(&leader) {
                    fetcher.scheduled = false;
                }
                self.send_replica_fetch(now, leader, out);
            }
            Timer::GroupDeadlines => {
                if self.group_deadlines.fire(now) {
                    let effects = self.coordinator.expire(now);
                    self.apply_group_effects(now, effects, out);
                }
            }
            Timer::TxnCheck => {
                if self.txn_check.fire(now) {
                    self.on_txn_check(now, out);
                }
            }
            Timer::ControllerRequestTimeouts => {
                if self.controller_timeouts.fire(now) {
                    self.expire_controller_requests(now, out);
                }
            }
            Timer::ReplicaFetchTimeouts => {
                if self.replica_fetch_timeouts.fire(now) {
                    let expired: Vec<BrokerId> =
                        self.fetchers.iter().filter(|(_, f)| f.in_flight.is_some() && f.deadline <= now).map(|(l, _)| *l).collect();
                    for leader in expired {
                        self.on_replica_fetch_failed(now, leader, out);
                    }
                    if let Some(next) = self.fetchers.values().filter(|f| f.in_flight.is_some()).map(|f| f.deadline).min() {
                        self.arm(now, next, Timer::ReplicaFetchTimeouts, out);
                    }
                }
            }
            Timer::Append { key } => {
                if let Some((from, request)) = self.pending_appends.remove(&key) {
                    self.append_produce(now, from, request, out);
                }
            }
            Timer::FetchExpiries => {
                if self.fetch_expiry.fire(now) {
                    let expired: Vec<u64> = self.parked_fetches.iter().filter(|(_, p)| p.deadline <= now).map(|(k, _)| *k).collect();
                    for key in expired {
                        self.complete_parked_fetch(now, key, true, out);
                    }
                    if let Some(next) = self.parked_fetches.values().map(|p| p.deadline).min() {
                        self.arm(now, next, Timer::FetchExpiries, out);
                    }
                }
            }
            Timer::ProduceExpiries => {
                if self.produce_expiry.fire(now) {
                    let expired: Vec<u64> = self.parked_produces.iter().filter(|(_, p)| p.deadline <= now).map(|(k, _)| *k).collect();
                    for key in expired {
                        self.expire_parked_produce(now, key, out);
                    }
                    if let Some(next) = self.parked_produces.values().map(|p| p.deadline).min() {
                        self.arm(now, next, Timer::ProduceExpiries, out);
                    }
                }
            }
            Timer::SendLater { key } => {
                if let Some((to, message)) = self.delayed_sends.remove(&key) {
                    out.send(self.node(), to, message);
                }
            }
            _ => {}
        }
    }

    /// Arms the deadline timer behind `timer` for `deadline`.
    fn arm(&mut self, _now: Tick, deadline: Tick, timer: Timer, out: &mut Outbox) {
        let armed = match timer {
            Timer::FetchExpiries => self.fetch_expiry.arm(deadline),
            Timer::ProduceExpiries => self.produce_expiry.arm(deadline),
            Timer::ReplicaFetchTimeouts => self.replica_fetch_timeouts.arm(deadline),
            Timer::GroupDeadlines => self.group_deadlines.arm(deadline),
            Timer::TxnCheck => self.txn_check.arm(deadline),
            Timer::ControllerRequestTimeouts => self.controller_timeouts.arm(deadline),
            _ => true,
        };
        if armed {
            out.timer(deadline, self.node(), timer);
        }
    }

    /// Gives up on controller requests that got no answer (lost in a network partition): the
    /// metadata fetch is sent again, and a pending ISR change is dropped to be proposed again.
    fn expire_controller_requests(&mut self, now: Tick, out: &mut Outbox) {
        if self.metadata_fetch_in_flight.is_some() && self.metadata_fetch_deadline <= now {
            self.metadata_fetch_in_flight = None;
            // The active controller may be gone: ask the next one (it says who leads if it does not).
            self.next_controller();
            self.fetch_metadata(now, out);
        }
        let mut next = self.metadata_fetch_in_flight.map(|_| self.metadata_fetch_deadline);
        for (_, replica) in self.replicas.iter_mut() {
            if let replica::Role::Leader(state) = &mut replica.role
                && let Some(pending) = &state.pending
            {
                if pending.deadline <= now {
                    state.pending = None;
                } else {
                    next = Some(next.map_or(pending.deadline, |n: Tick| n.min(pending.deadline)));
                }
            }
        }
        if let Some(at) = next {
            self.arm(now, at, Timer::ControllerRequestTimeouts, out);
        }
    }

    /// Sends `message` to `to` once the disk is done at `ready_at` (now if it already is).
    fn send_at(&mut self, now: Tick, ready_at: Tick, to: Node, message: Message, out: &mut Outbox) {
        if ready_at <= now {
            out.send(self.node(), to, message);
        } else {
            let key = self.key();
            self.delayed_sends.insert(key, (to, message));
            out.timer(ready_at, self.node(), Timer::SendLater { key });
        }
    }

    /// Long-polls the controller for metadata records after the ones this broker has applied.
    fn fetch_metadata(&mut self, now: Tick, out: &mut Outbox) {
        if self.metadata_fetch_in_flight.is_some() || !self.registered {
            return;
        }
        let request_id = self.request_id();
        self.metadata_fetch_in_flight = Some(request_id);
        self.metadata_fetch_deadline = now.plus_ms(METADATA_POLL_MAX_WAIT_MS + CONTROLLER_REQUEST_TIMEOUT_MS);
        self.arm(now, self.metadata_fetch_deadline, Timer::ControllerRequestTimeouts, out);
        out.send(self.node(), self.controller, Message::MetadataFetch { request_id, from_offset: self.image.offset });
    }

    fn apply_metadata(&mut self, now: Tick, records: &[MetadataRecord], out: &mut Outbox) {
        if records.is_empty() {
            return;
        }
        let image = Rc::make_mut(&mut self.image);
        let mut changed = SortedSet::new();
        let mut all = false;
        for record in records {
            image.apply(record);
            match record {
                MetadataRecord::PartitionChange { partition, .. } => {
                    changed.insert(*partition);
                }
                MetadataRecord::CreatePartitions { .. } | MetadataRecord::TopicConfig { .. } => all = true,
                // A broker's fencing changes who may join an ISR; leaders re-check on their next fetch.
                _ => {}
            }
        }
        if all {
            self.reconcile_all(now, out);
        } else {
            for partition in changed {
                self.reconcile_partition(now, partition, out);
            }
        }
    }

    fn reconcile_all(&mut self, now: Tick, out: &mut Outbox) {
        let partitions: Vec<PartitionIndex> = (0..self.image.partitions.len() as u32).map(PartitionIndex).collect();
        for partition in partitions {
            self.reconcile_partition(now, partition, out);
        }
    }

    /// Runs retention on every replica (leaders and followers alike, as Kafka does).
    fn run_retention(&mut self, now: Tick, out: &mut Outbox) {
        for (partition, replica) in self.replicas.iter_mut() {
            for deleted in replica.log.delete_old_segments(now) {
                out.event(EventKind::SegmentDeleted {
                    broker: self.id,
                    partition,
                    base_offset: deleted.base_offset,
                    next_offset: deleted.next_offset,
                    reason: deleted.reason,
                    log_start_offset: replica.log.log_start_offset(),
                });
            }
        }
    }

    /// `flush.ms` and `flush.messages`: fsync the logs that are due.
    fn flush_by_policy(&mut self, now: Tick, out: &mut Outbox) {
        for (partition, replica) in self.replicas.iter_mut() {
            let config = self.image.topics.get(self.image.partitions[partition.get()].topic.get()).map(|t| t.config.clone());
            let Some(config) = config else { continue };
            let due_by_time = config.flush_ms != i64::MAX && now.ms().saturating_sub(replica.last_flush_ms) >= config.flush_ms as u64;
            if due_by_time && replica.unflushed_records > 0 {
                Self::flush_replica(&mut self.disk, &mut self.page_cache, self.id, partition, replica, u64::MAX, now, out);
            }
        }
    }

    /// An fsync of the replica's log up to offset `up_to` (`u64::MAX`: all of it).
    #[allow(clippy::too_many_arguments)]
    fn flush_replica(
        disk: &mut Disk,
        page_cache: &mut PageCache,
        broker: BrokerId,
        partition: PartitionIndex,
        replica: &mut Replica,
        up_to: u64,
        now: Tick,
        out: &mut Outbox,
    ) {
        disk.fsync(now);
        let offset = page_cache.flush_to(replica.file, up_to);
        replica.unflushed_records = 0;
        replica.last_flush_ms = now.ms();
        out.event(EventKind::Flushed { broker, partition, offset });
    }

    /// A segment rolled at `base_offset`: Kafka's `UnifiedLog.roll` schedules a flush of the log up to
    /// the new segment (`flushUptoOffsetExclusive`), so every rolled segment is fsynced, whatever
    /// `flush.messages` and `flush.ms` say. What is written after the roll stays in the page cache.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn flush_rolled(
        disk: &mut Disk,
        page_cache: &mut PageCache,
        broker: BrokerId,
        partition: PartitionIndex,
        replica: &mut Replica,
        base_offset: u64,
        now: Tick,
        out: &mut Outbox,
    ) {
        // Kafka flushes only past its recovery point: nothing to do when the rolled part is durable.
        if page_cache.durable(replica.file) < base_offset {
            Self::flush_replica(disk, page_cache, broker, partition, replica, base_offset, now, out);
        }
    }

    /// Where the page cache holds this broker's copy of `partition`.
    fn file_id(&self, partition: PartitionIndex) -> u64 {
        u64::from(partition.0)
    }
}

/// The request id a response answers (for resetting connections when its sender dies).
fn response_id(message: &Message) -> Option<u64> {
    message.response_to()
}

/// An inter-broker request's deadline.
fn request_deadline(now: Tick) -> Tick {
    now.plus_ms(INTER_BROKER_REQUEST_TIMEOUT_MS)
}
