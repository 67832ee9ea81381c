//! The world: a deterministic simulation of a Kafka cluster and its clients (the sans-IO engine of
//! `shared/design/ARCHITECTURE.md`).
//!
//! ```text
//! let mut world = World::new(&spec, seed)?;        // validated spec in, typed errors out
//! world.apply(Action::KillBroker { broker: 2, lose_page_cache: false })?;
//! world.run_until(Tick(12_000));                    // bounded work per event; never blocks
//! while let Some(event) = world.poll_event() { … } // drain outputs after every input
//! let view = world.view();                          // read-only snapshot for inspectors
//! ```
//!
//! A run is a pure function of (spec, seed, timed actions): no clock, no I/O, ordered maps only.

pub mod action;
mod connections;
pub mod event;
pub mod spec;
mod validate;
pub mod view;

use crate::kafka::broker::Broker;
use crate::kafka::config::{Acks, BrokerConfig, ConsumerConfig, ProducerConfig, TopicConfig};
use crate::kafka::consumer::Consumer;
use crate::kafka::controller::Controller;
use crate::kafka::ids::{BrokerId, Node, PartitionIndex};
use crate::kafka::placement::{BrokerMetadata, assign_replicas_to_brokers};
use crate::kafka::producer::Producer;
use crate::kafka::producer::workload::WorkloadState;
use crate::kafka::protocol::Message;
use crate::kafka::record::Value;
use crate::kafka::invariants::{Breach, Ledger, State as LedgerState};
use crate::kafka::runtime::{Fact, Outbox, Timer};
use crate::sim::net::{LinkConfig, Network, Transit};
use crate::sim::queue::EventQueue;
use crate::sim::trace::TraceHasher;
use crate::sim::{Ratio, Rng, Tick};
pub use action::{Action, NodeRef, RunDefinition, SeekTarget, TimedAction};
pub use event::{DropReason, Event, EventKind, ViolationKind};
pub use spec::{ClusterSpec, ConsumerSpec, ProducerSpec, TopicSpec};
use std::collections::VecDeque;
use crate::sim::sorted::{SortedMap, SortedSet};
use std::rc::Rc;
pub use validate::{PRODUCE_COUNT_MAX, RATE_PER_SEC_MAX, SpecError};
pub use view::View;

/// At most this many events wait in the buffer; `run_until` stops early when it is full so a caller
/// that forgets to drain never runs out of memory (the bound TigerBeetle would assert).
pub const EVENT_BUFFER_MAX: usize = 1 << 20;

#[derive(Clone, Debug)]
enum Scheduled {
    Deliver { id: u64, from: Node, to: Node, message: Message },
    Timer { node: Node, incarnation: u64, timer: Timer },
    Start(Node),
    /// Boxed: actions are large and rare, queue entries small and many.
    Action(Box<Action>),
}

/// An action that names something the run does not have, or asks for something Kafka would refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionError(pub String);

impl std::fmt::Display for ActionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug)]
pub struct World {
    now: Tick,
    seed: u64,
    rng: Rng,
    queue: EventQueue<Scheduled>,
    net: Network,
    default_link: LinkConfig,
    broker_config: Rc<BrokerConfig>,
    spec: ClusterSpec,
    pub(crate) brokers: SortedMap<BrokerId, Broker>,
    pub(crate) controllers: Vec<Controller>,
    pub(crate) producers: Vec<Producer>,
    pub(crate) consumers: Vec<Consumer>,
    events: VecDeque<Event>,
    next_event_seq: u64,
    next_message_id: u64,
    trace: TraceHasher,
    outbox: Outbox,
    actions_applied: u64,
    /// Messages a network partition is holding, per cut: (id, from, sender's incarnation, to, message).
    held: SortedMap<u32, Vec<(u64, Node, u64, Node, Message)>>,
    ledger: Ledger,
    connections: connections::Connections,
    /// For each broker or controller process that died: the first message id sent after it died.
    /// A request sent later found no process to connect to; one sent earlier was on a connection
    /// that reset (see `Message::Disconnected`).
    died_before_message: SortedMap<Node, u64>,
    /// Consumers (by name) that keep their processed values.
    keep_values: SortedSet<String>,
}

impl World {
    /// Builds the cluster the spec describes at time 0, or says everything wrong with the spec.
    pub fn new(spec: &ClusterSpec, seed: u64) -> Result<World, Vec<SpecError>> {
        let broker_config = validate::validate(spec)?;
        let rng = Rng::new(seed);
        let broker_config = Rc::new(broker_config);
        let mut world = World {
            now: Tick::ZERO,
            seed,
            net: Network::new(spec.network, rng.child("network")),
            default_link: spec.network,
            queue: EventQueue::new(),
            broker_config: broker_config.clone(),
            spec: spec.clone(),
            brokers: SortedMap::new(),
            controllers: {
                let voters: Vec<u32> = (0..spec.controllers.max(1)).collect();
                voters.iter().map(|id| Controller::new(*id, voters.clone(), broker_config.clone(), rng.child(&format!("controller/{id}")))).collect()
            },
            producers: Vec::new(),
            consumers: Vec::new(),
            events: VecDeque::new(),
            next_event_seq: 0,
            next_message_id: 0,
            trace: TraceHasher::new(),
            outbox: Outbox::default(),
            actions_applied: 0,
            held: SortedMap::new(),
            ledger: Ledger::default(),
            connections: connections::Connections::default(),
            died_before_message: SortedMap::new(),
            keep_values: SortedSet::new(),
            rng,
        };
        let mut out = Outbox::default();
        // The run starts with controller 0 leading the quorum's first epoch.
        let controller = Node::Controller(0);
        let controller_ids: Vec<u32> = world.controllers.iter().map(|c| c.id).collect();
        for b in &spec.brokers {
            let id = BrokerId(b.id);
            let rack = b.rack.as_deref().map(Rc::from);
            let rng = world.rng.child(&format!("broker/{}", b.id));
            let broker = Broker::new(id, rack, broker_config.clone(), spec.disk, spec.page_cache_dirty_expire_ms, controller, controller_ids.clone(), rng);
            world.brokers.insert(id, broker);
        }
        let registrations: Vec<(BrokerId, Option<Rc<str>>)> = world.brokers.values().map(|b| (b.id, b.rack.clone())).collect();
        for c in &mut world.controllers {
            c.start(Tick::ZERO, &mut out);
        }
        world.controllers[0].bootstrap_as_leader(Tick::ZERO, &mut out);
        world.controllers[0].bootstrap(Tick::ZERO, &registrations, &mut out);
        for topic in &spec.topics {
            // Validation checked every topic, so creation cannot fail here.
            world.create_topic(topic, &mut out).map_err(|e| vec![SpecError { path: format!("topics.{}", topic.name), message: e.0 }])?;
        }
        if spec.consumers.iter().any(|c| c.group.is_some()) {
            world.ensure_offsets_topic(&mut out).map_err(|e| vec![SpecError { path: "broker_config".into(), message: e.0 }])?;
        }
        if spec.producers.iter().any(|p| p.config.contains_key("transactional.id")) {
            world.ensure_transaction_state_topic(&mut out).map_err(|e| vec![SpecError { path: "broker_config".into(), message: e.0 }])?;
        }
        // The other voters start with the leader's log, and the leader knows they have it.
        let leader = world.controllers[0].clone();
        for c in world.controllers.iter_mut().skip(1) {
            c.bootstrap_as_follower(Tick::ZERO, &leader, &mut out);
        }
        world.controllers[0].bootstrap_followers_caught_up(Tick::ZERO, &mut out);
        let image = Rc::new(world.controllers[0].committed.clone());
        let epochs: SortedMap<BrokerId, u64> = image.brokers.iter().map(|(id, b)| (*id, b.epoch)).collect();
        for broker in world.brokers.values_mut() {
            broker.start_registered(Tick::ZERO, epochs[&broker.id], image.clone(), &mut out);
        }
        for producer in &spec.producers {
            world.add_producer(producer, &mut out).map_err(|e| vec![SpecError { path: format!("producers.{}", producer.name), message: e.0 }])?;
        }
        for consumer in &spec.consumers {
            world.add_consumer(consumer, &mut out).map_err(|e| vec![SpecError { path: format!("consumers.{}", consumer.name), message: e.0 }])?;
        }
        world.flush(out);
        Ok(world)
    }

    pub fn now(&self) -> Tick {
        self.now
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn spec(&self) -> &ClusterSpec {
        &self.spec
    }

    /// These consumers (by name, including ones added later) keep the values they finish
    /// processing, for lessons that ask what was processed.
    pub fn keep_processed_values(&mut self, names: impl IntoIterator<Item = String>) {
        self.keep_values.extend(names);
        for c in &mut self.consumers {
            c.keep_values |= self.keep_values.contains(&*c.name);
        }
    }

    /// The trace hash of every event so far: equal hashes mean identical runs.
    pub fn trace_hash(&self) -> String {
        self.trace.hex()
    }

    /// How many events the run has produced (drained or not).
    pub fn event_count(&self) -> u64 {
        self.next_event_seq
    }

    pub fn view(&self) -> View<'_> {
        View::new(self)
    }

    /// The next output event, oldest first.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The earliest moment something is scheduled, if anything is.
    pub fn next_event_time(&self) -> Option<Tick> {
        self.queue.peek_time()
    }

    /// Applies an action now.
    pub fn apply(&mut self, action: Action) -> Result<(), ActionError> {
        let mut out = Outbox::default();
        let result = self.apply_action(action, &mut out);
        self.flush(out);
        result
    }

    /// Schedules an action for `at` (a lesson's timed actions): it runs before the other work due at
    /// `at`, as a script's action at that moment should.
    pub fn schedule(&mut self, at: Tick, action: Action) {
        self.queue.push(at.max(self.now), Scheduled::Action(Box::new(action)));
    }

    /// Schedules a learner's click for `at` (a share link replaying it): it runs after everything else
    /// due at `at`, exactly where the click landed in the lab (the session applies clicks once the
    /// tick's work is done), so the replayed run is the run the learner saw.
    pub fn schedule_click(&mut self, at: Tick, action: Action) {
        self.queue.push_end_of_tick(at.max(self.now), Scheduled::Action(Box::new(action)));
    }

    /// Runs every scheduled item due at or before `until`, then sets the clock to `until`.
    /// Stops early (clock at the last item run) if the event buffer reaches [`EVENT_BUFFER_MAX`].
    pub fn run_until(&mut self, until: Tick) {
        while self.events.len() < EVENT_BUFFER_MAX {
            let Some((at, item)) = self.queue.pop_until(until) else {
                self.now = self.now.max(until);
                return;
            };
            self.dispatch(at, item);
        }
    }

    /// Runs items until at least one event is produced or nothing is left before `limit`.
    /// Returns whether anything happened (the lab's "step" button).
    pub fn step(&mut self, limit: Tick) -> bool {
        let before = self.next_event_seq;
        while self.next_event_seq == before {
            let Some((at, item)) = self.queue.pop_until(limit) else { return false };
            self.dispatch(at, item);
        }
        true
    }

    fn dispatch(&mut self, at: Tick, item: Scheduled) {
        self.now = at;
        let mut out = std::mem::take(&mut self.outbox);
        match item {
            Scheduled::Deliver { id, from, to, message } => {
                self.deliver(id, from, to, message, &mut out);
                self.link_processor(to, &mut out);
            }
            Scheduled::Timer { node, incarnation, timer } => {
                if self.incarnation(node) == Some(incarnation) {
                    self.handle_timer(node, timer, &mut out);
                    self.link_processor(node, &mut out);
                }
            }
            Scheduled::Start(node) => {
                self.start_node(node, &mut out);
                self.link_processor(node, &mut out);
            }
            Scheduled::Action(action) => {
                // A scripted action that no longer applies (say, a producer already removed) is skipped.
                let _ = self.apply_action(*action, &mut out);
            }
        }
        self.flush(out);
    }

    fn deliver(&mut self, id: u64, from: Node, to: Node, message: Message, out: &mut Outbox) {
        let kind = message.kind();
        if let Some(cut) = self.net.separating_cut(from.net_id(), to.net_id()) {
            // Cut while in flight: TCP keeps it, and it arrives after the partition heals.
            out.event(EventKind::MessageHeld { id, from, to, kind, cut });
            let incarnation = self.incarnation(from).unwrap_or(0);
            self.held.entry(cut).or_default().push((id, from, incarnation, to, message));
            return;
        }
        // Sent on a connection that has reset since: it never arrives.
        if let Some((requester, server)) = connection_of(from, to, &message)
            && self.connections.is_stale(requester, server, id)
        {
            out.event(EventKind::MessageDropped { id, from, to, kind, reason: DropReason::Network(crate::sim::net::LossReason::ConnectionReset) });
            return;
        }
        if let Some(request_id) = message.response_to()
            && !matches!(message, Message::Disconnected { .. })
        {
            self.connections.forget(to, from, request_id);
        }
        if self.incarnation(to).is_none() {
            // A request sent after the process died found no one to connect to; anything else was on
            // its way when it died.
            let refused = message.request_id().is_some() && self.died_before_message.get(&to).is_none_or(|first_after| id >= *first_after);
            out.event(EventKind::MessageDropped { id, from, to, kind, reason: if refused { DropReason::Refused } else { DropReason::NodeDown } });
            // The dead process's machine refuses the connection: the sender hears of it at once.
            if let Some(request_id) = message.request_id() {
                self.connections.forget(from, to, request_id);
                let reply = match message {
                    Message::Produce(request) if refused && request.acks == Acks::None => Message::ProduceRefused(request),
                    _ => Message::Disconnected { request_id, refused },
                };
                out.send(to, from, reply);
            }
            return;
        }
        let now = self.now;
        match to {
            Node::Broker(b) => {
                if let Some(broker) = self.brokers.get_mut(&b) {
                    broker.handle_message(now, from, message, out);
                }
            }
            Node::Controller(c) => {
                if let Some(controller) = self.controllers.get_mut(c as usize) {
                    controller.handle_message(now, from, message, out);
                }
            }
            Node::Producer(p) => {
                if let Some(producer) = self.producers.get_mut(p as usize) {
                    producer.handle_message(now, from, message, out);
                }
            }
            Node::Consumer(c) => {
                if let Some(consumer) = self.consumers.get_mut(c as usize) {
                    consumer.handle_message(now, from, message, out);
                }
            }
        }
    }

    fn handle_timer(&mut self, node: Node, timer: Timer, out: &mut Outbox) {
        let now = self.now;
        match node {
            Node::Broker(b) => {
                if let Some(broker) = self.brokers.get_mut(&b) {
                    broker.handle_timer(now, timer, out);
                }
            }
            Node::Controller(c) => {
                if let Some(controller) = self.controllers.get_mut(c as usize) {
                    controller.handle_timer(now, timer, out);
                }
            }
            Node::Producer(p) => {
                if let Some(producer) = self.producers.get_mut(p as usize) {
                    producer.handle_timer(now, timer, out);
                }
            }
            Node::Consumer(c) => {
                if let Some(consumer) = self.consumers.get_mut(c as usize) {
                    consumer.handle_timer(now, timer, out);
                }
            }
        }
    }

    /// A stream processor is one application with two clients: its consumer hands results to its
    /// producer, and waits for the producer's transaction to end before polling again.
    fn link_processor(&mut self, node: Node, out: &mut Outbox) {
        let now = self.now;
        // Its consumer's poll() threw (ConsumerFailed): the application died, and its producer, the
        // same process, with it (as CrashConsumer does).
        if let Node::Consumer(c) = node
            && let Some(dead) = self.consumers.get(c as usize).filter(|x| !x.up && x.crashed)
            && let Some(p) = dead.processor.as_ref().map(|p| p.producer as usize)
            && self.producers[p].up
        {
            self.producers[p].crash(out);
            return;
        }
        let consumer = match node {
            Node::Consumer(c) if self.consumers.get(c as usize).is_some_and(|x| !x.handoffs.is_empty()) => c as usize,
            Node::Producer(p) => match self.producers.get(p as usize).and_then(|x| x.processor) {
                Some(c) => c as usize,
                None => return,
            },
            _ => return,
        };
        let Some(producer) = self.consumers[consumer].processor.as_ref().map(|p| p.producer as usize) else { return };
        // Its producer fenced (say, the coordinator timed its transaction out while it was cut
        // off), the application does what Kafka Streams does with a TaskMigratedException: a new
        // producer, and the consumer rejoins to go on from the committed offsets.
        if self.producers[producer].up && self.producers[producer].is_fenced() && self.consumers[consumer].up {
            // Timers the old instances set in this dispatch die with them (flush would stamp them
            // with the new incarnation).
            let old = [Node::Consumer(consumer as u32), Node::Producer(producer as u32)];
            out.timers.retain(|(_, node, _)| !old.contains(node));
            self.consumers[consumer].rejoin_after_tasks_lost(now, out);
            self.producers[producer].reinitialize(now, out);
        }
        loop {
            if let Some(committed) = self.producers[producer].txn_ended.take() {
                self.consumers[consumer].on_transaction_ended(now, committed, out);
            }
            let Some(handoff) = self.consumers[consumer].handoffs.front() else { break };
            if !self.producers[producer].up || !self.producers[producer].accept_handoff(now, handoff, out) {
                break;
            }
            self.consumers[consumer].handoffs.pop_front();
        }
    }

    /// The node's current incarnation when it is up, `None` when it is down or unknown.
    fn incarnation(&self, node: Node) -> Option<u64> {
        match node {
            Node::Broker(b) => self.brokers.get(&b).filter(|x| x.up).map(|x| x.incarnation),
            Node::Controller(c) => self.controllers.get(c as usize).filter(|x| x.up).map(|x| x.incarnation),
            Node::Producer(p) => self.producers.get(p as usize).filter(|x| x.up).map(|x| x.incarnation),
            Node::Consumer(c) => self.consumers.get(c as usize).filter(|x| x.up).map(|x| x.incarnation),
        }
    }

    fn start_node(&mut self, node: Node, out: &mut Outbox) {
        let now = self.now;
        match node {
            Node::Producer(p) => {
                if let Some(producer) = self.producers.get_mut(p as usize).filter(|p| !p.up) {
                    producer.start(now, out);
                }
            }
            Node::Consumer(c) => {
                if let Some(consumer) = self.consumers.get_mut(c as usize).filter(|c| !c.up) {
                    consumer.start(now, out);
                }
            }
            _ => {}
        }
    }

    /// Carries out what handlers asked for: events (each checked by the guarantee ledger, with the
    /// facts that came with it), then messages, then timers.
    fn flush(&mut self, mut out: Outbox) {
        // Drained, not taken: the outbox keeps its capacity for the next handler.
        let mut facts = out.facts.drain(..).peekable();
        for (i, kind) in out.events.drain(..).enumerate() {
            let seq = self.emit(kind);
            self.check_last_event(seq);
            while let Some((_, fact)) = facts.next_if(|(index, _)| *index == i) {
                self.check_fact(seq, fact);
            }
        }
        drop(facts);
        for (from, to, message) in out.sends.drain(..) {
            self.transmit(from, to, message);
        }
        for (at, node, timer) in out.timers.drain(..) {
            if let Some(incarnation) = self.incarnation(node) {
                self.queue.push(at.max(self.now), Scheduled::Timer { node, incarnation, timer });
            }
        }
        self.outbox = out;
    }

    fn transmit(&mut self, from: Node, to: Node, message: Message) {
        let id = self.next_message_id;
        self.next_message_id += 1;
        self.transmit_as(id, from, to, message);
    }

    /// Puts message `id` on the wire now, or holds it behind a network partition.
    fn transmit_as(&mut self, id: u64, from: Node, to: Node, message: Message) {
        let kind = message.kind();
        if let Some(request_id) = message.response_to()
            && !matches!(message, Message::Disconnected { .. })
            && !self.connections.is_open(to, from, request_id)
        {
            // Its request came on a connection that has reset: there is no one to answer.
            self.emit(EventKind::MessageDropped { id, from, to, kind, reason: DropReason::Network(crate::sim::net::LossReason::ConnectionReset) });
            return;
        }
        if let Some(request_id) = message.request_id()
            && expects_response(&message)
        {
            self.connections.on_request(from, to, request_id);
        }
        if let Some(cut) = self.net.separating_cut(from.net_id(), to.net_id()) {
            self.emit(EventKind::MessageHeld { id, from, to, kind, cut });
            let incarnation = self.incarnation(from).unwrap_or(0);
            self.held.entry(cut).or_default().push((id, from, incarnation, to, message));
            return;
        }
        let bytes = message.size_bytes();
        match self.net.send(self.now, from.net_id(), to.net_id(), bytes) {
            Transit::Arrives { sent_at, arrive_at, retransmits } => {
                self.emit(EventKind::MessageSent {
                    id,
                    from,
                    to,
                    kind,
                    sent_at,
                    arrive_at,
                    bytes,
                    records: message.record_count(),
                    partition: message.first_partition(),
                    retransmits,
                });
                self.queue.push(arrive_at, Scheduled::Deliver { id, from, to, message });
            }
            Transit::Lost(reason) => {
                self.emit(EventKind::MessageDropped { id, from, to, kind, reason: DropReason::Network(reason) });
                // The connection reset: both ends learn of it after a round trip, and every request
                // outstanding on it fails with a network error at its requester.
                if let Some((requester, server)) = connection_of(from, to, &message) {
                    let rtt = 2 * self.net.link(from.net_id(), to.net_id()).latency_ms.max(1);
                    let failed = self.connections.reset(requester, server, self.next_message_id);
                    for request_id in failed {
                        let reset_id = self.next_message_id;
                        self.next_message_id += 1;
                        self.queue.push(self.now.plus_ms(rtt), Scheduled::Deliver { id: reset_id, from: server, to: requester, message: Message::Disconnected { request_id, refused: false } });
                    }
                }
            }
        }
    }

    /// A healed cut lets what it held move on, in the order it was sent. A message whose sender died
    /// meanwhile is gone (its connection died with it); one still separated by another cut stays held.
    fn release_held(&mut self, cut: u32, out: &mut Outbox) {
        let Some(held) = self.held.remove(&cut) else { return };
        // Events first (the heal), then the released messages, in order.
        let pending = std::mem::take(&mut out.events);
        for kind in pending {
            self.emit(kind);
        }
        for (id, from, incarnation, to, message) in held {
            if self.incarnation(from) != Some(incarnation) {
                self.emit(EventKind::MessageDropped { id, from, to, kind: message.kind(), reason: DropReason::SenderDied });
                continue;
            }
            self.transmit_as(id, from, to, message);
        }
    }

    fn emit(&mut self, kind: EventKind) -> u64 {
        let seq = self.next_event_seq;
        let event = Event { seq, at: self.now, kind };
        self.next_event_seq += 1;
        self.trace.add(&event);
        self.events.push_back(event);
        seq
    }

    /// Runs the guarantee ledger on the event just emitted (as `seq`).
    fn check_last_event(&mut self, seq: u64) {
        let Some(event) = self.events.back() else { return };
        let state = LedgerState { brokers: &self.brokers, producers: &self.producers };
        let breaches = self.ledger.on_event(&event.kind, &state);
        self.report(breaches, seq);
    }

    fn check_fact(&mut self, seq: u64, fact: Fact) {
        let state = LedgerState { brokers: &self.brokers, producers: &self.producers };
        let breaches = match fact {
            Fact::Acked { partition, base_offset, records } => self.ledger.on_acked(partition, base_offset, &records, &state),
        };
        self.report(breaches, seq);
    }

    fn report(&mut self, breaches: Vec<Breach>, caused_by: u64) {
        for b in breaches {
            self.emit(EventKind::Violation { kind: b.kind, partition: b.partition, offset: b.offset, records: b.records, record: b.record, caused_by });
        }
    }

    /// Broken guarantees so far, by kind.
    pub fn violations(&self) -> &SortedMap<ViolationKind, u64> {
        &self.ledger.counts
    }

    /// The active controller (the quorum leader), for admin requests.
    fn active_controller(&mut self) -> Result<&mut Controller, ActionError> {
        self.controllers
            .iter_mut()
            .filter(|c| c.is_leader())
            .max_by_key(|c| c.epoch)
            .ok_or_else(|| ActionError("no active controller: the controller quorum has no leader right now (a majority of controllers must be up and connected)".into()))
    }

    /// The metadata as the quorum has committed it: the leader's view, or (with no leader) the most
    /// up-to-date controller's.
    pub fn metadata(&self) -> &crate::kafka::metadata::MetadataImage {
        let best = self
            .controllers
            .iter()
            .filter(|c| c.is_leader())
            .max_by_key(|c| c.epoch)
            .or_else(|| self.controllers.iter().max_by_key(|c| (c.high_watermark, c.epoch)));
        // There is always at least one controller (validation requires 1 to 5).
        &best.expect("a run has at least one controller").committed
    }

    /// Creates a topic: Kafka's placement (start index drawn from the seed) unless assigned by hand.
    fn create_topic(&mut self, spec: &TopicSpec, out: &mut Outbox) -> Result<(), ActionError> {
        let now = self.now;
        if self.active_controller()?.image.topic_index(&spec.name).is_some() {
            return Err(ActionError(format!("topic '{}' already exists", spec.name)));
        }
        let mut config = TopicConfig::from_broker(&self.broker_config);
        config.apply_pairs(&spec.config).map_err(|e| ActionError(join_errors(&e)))?;
        let partitions = spec.partitions.unwrap_or(self.broker_config.num_partitions);
        let replication_factor = spec.replication_factor.unwrap_or(self.broker_config.default_replication_factor);
        let assignments = match &spec.assignment {
            Some(manual) => manual.iter().map(|r| r.iter().map(|b| BrokerId(*b)).collect()).collect(),
            None => {
                let brokers: Vec<BrokerMetadata> = self.brokers.values().map(|b| BrokerMetadata { id: b.id, rack: b.rack.as_deref().map(str::to_string) }).collect();
                let mut rng = self.rng.child(&format!("placement/{}", spec.name));
                let placed = assign_replicas_to_brokers(&brokers, partitions as i32, replication_factor as i32, -1, -1, &mut rng)
                    .map_err(|e| ActionError(e.to_string()))?;
                placed.into_values().collect()
            }
        };
        self.active_controller()?.create_topic(now, &spec.name, config, assignments, out).map_err(|_| ActionError("no active controller".into()))?;
        Ok(())
    }

    /// Creates `__consumer_offsets` the first time a group needs it (Kafka creates it on the first
    /// FindCoordinator): `offsets.topic.num.partitions` partitions, `offsets.topic.replication.factor`
    /// replicas, compacted.
    fn ensure_offsets_topic(&mut self, out: &mut Outbox) -> Result<(), ActionError> {
        if self.active_controller()?.image.topic_index(crate::kafka::group::coordinator::OFFSETS_TOPIC).is_some() {
            return Ok(());
        }
        let config = &self.broker_config;
        let spec = TopicSpec {
            name: crate::kafka::group::coordinator::OFFSETS_TOPIC.into(),
            partitions: Some(config.offsets_topic_num_partitions),
            replication_factor: Some(config.offsets_topic_replication_factor),
            config: [("cleanup.policy".to_string(), crate::kafka::config::ConfigValue::from("compact"))].into(),
            ..TopicSpec::default()
        };
        self.create_topic(&spec, out)
    }

    /// Creates `__transaction_state` the first time a transactional producer needs it:
    /// `transaction.state.log.num.partitions` partitions, `transaction.state.log.replication.factor`
    /// replicas, `transaction.state.log.min.isr`, compacted.
    fn ensure_transaction_state_topic(&mut self, out: &mut Outbox) -> Result<(), ActionError> {
        use crate::kafka::config::ConfigValue;
        use crate::kafka::txn::coordinator::TRANSACTION_STATE_TOPIC;
        if self.active_controller()?.image.topic_index(TRANSACTION_STATE_TOPIC).is_some() {
            return Ok(());
        }
        let config = &self.broker_config;
        let min_isr = config.transaction_state_log_min_isr.min(config.transaction_state_log_replication_factor);
        let spec = TopicSpec {
            name: TRANSACTION_STATE_TOPIC.into(),
            partitions: Some(config.transaction_state_log_num_partitions),
            replication_factor: Some(config.transaction_state_log_replication_factor),
            config: [
                ("cleanup.policy".to_string(), ConfigValue::from("compact")),
                ("min.insync.replicas".to_string(), ConfigValue::from(i64::from(min_isr))),
            ]
            .into(),
            ..TopicSpec::default()
        };
        self.create_topic(&spec, out)
    }

    fn add_producer(&mut self, spec: &ProducerSpec, out: &mut Outbox) -> Result<(), ActionError> {
        if self.producers.iter().any(|p| *p.name == *spec.name) {
            return Err(ActionError(format!("a producer named '{}' already exists", spec.name)));
        }
        let config = producer_config(spec)?;
        let index = self.producers.len() as u32;
        let rng = self.rng.child(&format!("producer/{}", spec.name));
        let workload = spec.workload.clone().map(|w| WorkloadState::new(w, rng.child("workload")));
        let bootstrap: Vec<BrokerId> = self.brokers.keys().copied().collect();
        let mut producer = Producer::new(index, &spec.name, &spec.topic, config, workload, bootstrap, rng);
        producer.txn_plan = spec.transactions.unwrap_or_default();
        self.producers.push(producer);
        let _ = out;
        self.queue.push(self.now, Scheduled::Start(Node::Producer(index)));
        Ok(())
    }

    fn add_consumer(&mut self, spec: &ConsumerSpec, out: &mut Outbox) -> Result<(), ActionError> {
        if self.consumers.iter().any(|c| *c.name == *spec.name) {
            return Err(ActionError(format!("a consumer named '{}' already exists", spec.name)));
        }
        let config = ConsumerConfig::from_pairs(&spec.config).map_err(|e| ActionError(join_errors(&e)))?;
        config.check().map_err(|e| ActionError(e.to_string()))?;
        let index = self.consumers.len() as u32;
        let bootstrap: Vec<BrokerId> = self.brokers.keys().copied().collect();
        let retry_rng = self.rng.child(&format!("consumer/{}/retry-backoff", spec.name));
        let mut consumer = Consumer::new(index, &spec.name, config, bootstrap, retry_rng);
        consumer.group = spec.group.as_deref().map(Rc::from);
        consumer.topics = spec.topics.iter().map(|t| Rc::from(t.as_str())).collect();
        consumer.manual = spec.assign.iter().map(|(t, p)| (Rc::from(t.as_str()), *p)).collect();
        consumer.processing_ms_per_record = spec.processing_ms_per_record;
        consumer.processing_ms_per_poll = spec.processing_ms_per_poll;
        consumer.commit_mode = spec.commit;
        consumer.delete_committed = spec.delete_committed;
        consumer.keep_values = self.keep_values.contains(&spec.name);
        if let Some(process) = &spec.process {
            let producer = self.producer_index(&process.output)?;
            if self.producers[producer].processor.is_some() {
                return Err(ActionError(format!("producer '{}' already writes another processor's results", process.output)));
            }
            let id = self.producers[producer].config.transactional_id.as_deref();
            let transactional = id.is_some();
            // A fenced processor makes a new producer (see link_processor): two that shared an id
            // would fence each other for ever. Kafka Streams gives every instance its own.
            if let Some(error) = self.transactional_id_taken(id) {
                return Err(error);
            }
            if transactional != (spec.commit == spec::CommitMode::InTransaction) {
                return Err(ActionError(format!(
                    "a processor commits in_transaction exactly when its output producer '{}' is transactional",
                    process.output
                )));
            }
            self.producers[producer].processor = Some(index);
            consumer.processor = Some(crate::kafka::consumer::Processor { topology: crate::kafka::stream::Topology::new(process.steps.clone()), producer: producer as u32 });
        }
        self.consumers.push(consumer);
        let _ = out;
        self.queue.push(self.now.max(Tick(spec.start_ms)), Scheduled::Start(Node::Consumer(index)));
        Ok(())
    }

    /// Refuses `id` for a processor's output producer when another processor already writes with it.
    fn transactional_id_taken(&self, id: Option<&str>) -> Option<ActionError> {
        let id = id?;
        let p = self.producers.iter().find(|p| p.processor.is_some() && p.config.transactional_id.as_deref() == Some(id))?;
        let other = &self.consumers[p.processor? as usize].name;
        Some(ActionError(format!("processor '{other}' already writes with transactional.id '{id}': each processor needs its own")))
    }

    fn producer_index(&self, name: &str) -> Result<usize, ActionError> {
        self.producers.iter().position(|p| &*p.name == name).ok_or_else(|| ActionError(format!("no producer named '{name}'")))
    }

    fn consumer_index(&self, name: &str) -> Result<usize, ActionError> {
        self.consumers.iter().position(|c| &*c.name == name).ok_or_else(|| ActionError(format!("no consumer named '{name}'")))
    }

    fn node_of(&self, node: &NodeRef) -> Result<Node, ActionError> {
        match node {
            NodeRef::Broker(id) if self.brokers.contains_key(&BrokerId(*id)) => Ok(Node::Broker(BrokerId(*id))),
            NodeRef::Broker(id) => Err(ActionError(format!("no broker {id}"))),
            NodeRef::Controller(id) if (*id as usize) < self.controllers.len() => Ok(Node::Controller(*id)),
            NodeRef::Controller(id) => Err(ActionError(format!("no controller {id}"))),
            NodeRef::Producer(name) => self.producer_index(name).map(|i| Node::Producer(i as u32)),
            NodeRef::Consumer(name) => self.consumer_index(name).map(|i| Node::Consumer(i as u32)),
        }
    }

    fn partition_of(&self, topic: &str, number: u32) -> Result<PartitionIndex, ActionError> {
        let image = self.metadata();
        let t = image.topic_index(topic).ok_or_else(|| ActionError(format!("no topic named '{topic}'")))?;
        image.partition_of(t, number).ok_or_else(|| ActionError(format!("topic '{topic}' has no partition {number}")))
    }

    fn apply_action(&mut self, action: Action, out: &mut Outbox) -> Result<(), ActionError> {
        let now = self.now;
        self.actions_applied += 1;
        let commit_action = matches!(action, Action::CommitTransaction { .. });
        match action {
            Action::Produce { producer, key, value, partition, count } => {
                let i = self.producer_index(&producer)?;
                if let Some(count) = count.filter(|c| *c > PRODUCE_COUNT_MAX) {
                    return Err(ActionError(format!("count {count} is too many: a produce action sends at most {PRODUCE_COUNT_MAX} records")));
                }
                let count = count.unwrap_or(1).max(1);
                let p = &mut self.producers[i];
                for n in 0..count {
                    let value = match &value {
                        Some(v) if count > 1 => Value::Text(Rc::from(format!("{v}-{}", n + 1))),
                        Some(v) => Value::Text(Rc::from(v.as_str())),
                        None => Value::Opaque(100),
                    };
                    p.send(now, key.as_deref().map(Rc::from), value, partition, out);
                }
            }
            Action::StartProducer { producer } => {
                let i = self.producer_index(&producer)?;
                self.producers[i].set_running(now, true, out);
            }
            Action::StopProducer { producer } => {
                let i = self.producer_index(&producer)?;
                self.producers[i].set_running(now, false, out);
            }
            Action::SetProducerRate { producer, rate_per_sec } => {
                let i = self.producer_index(&producer)?;
                // The workload's own limit: a rate set later is no less a workload's rate.
                if rate_per_sec > RATE_PER_SEC_MAX {
                    return Err(ActionError(format!("rate_per_sec {rate_per_sec} is too high: at most {RATE_PER_SEC_MAX} records per second")));
                }
                self.producers[i].set_rate(now, rate_per_sec, out);
            }
            Action::SetProducerConfig { producer, key, value } => {
                let i = self.producer_index(&producer)?;
                let mut config = self.producers[i].config.clone();
                config.set(&key, &value).map_err(|e| ActionError(e.to_string()))?;
                config.resolve(&[key.as_str()]).map_err(|e| ActionError(join_errors(&e)))?;
                // The same rule as add_consumer's, for a processor's producer given another id.
                if self.producers[i].processor.is_some()
                    && config.transactional_id != self.producers[i].config.transactional_id
                    && let Some(error) = self.transactional_id_taken(config.transactional_id.as_deref())
                {
                    return Err(error);
                }
                self.producers[i].config = config;
                out.event(EventKind::ConfigChanged { target: format!("producer:{producer}"), key, value: value.to_string() });
            }
            Action::AddProducer { spec } => {
                validate::producer(&spec, &self.metadata()).map_err(|e| ActionError(join_spec_errors(&e)))?;
                if spec.config.contains_key("transactional.id") {
                    self.ensure_transaction_state_topic(out)?;
                }
                self.add_producer(&spec, out)?;
            }
            Action::AddConsumer { spec } => {
                validate::consumer(&spec, &self.metadata()).map_err(|e| ActionError(join_spec_errors(&e)))?;
                if spec.group.is_some() {
                    self.ensure_offsets_topic(out)?;
                }
                self.add_consumer(&spec, out)?;
            }
            Action::StopConsumer { consumer } => {
                let i = self.consumer_index(&consumer)?;
                if self.consumers[i].up {
                    self.consumers[i].close(now, out);
                }
            }
            Action::CrashProducer { producer } => {
                let i = self.producer_index(&producer)?;
                if self.producers[i].up {
                    self.producers[i].crash(out);
                }
                // A stream processor's consumer is the same process: left running, it would wait
                // for ever for the end of a transaction its dead producer will never send.
                if let Some(c) = self.producers[i].processor.map(|c| c as usize)
                    && self.consumers[c].up
                {
                    self.consumers[c].crash(out);
                }
            }
            Action::RestartProducer { producer } => {
                let i = self.producer_index(&producer)?;
                if !self.producers[i].up {
                    self.producers[i].restart(now, out);
                }
                if let Some(c) = self.producers[i].processor.map(|c| c as usize)
                    && !self.consumers[c].up
                {
                    self.consumers[c].start(now, out);
                }
            }
            Action::CommitTransaction { producer } | Action::AbortTransaction { producer } => {
                let commit = commit_action;
                let i = self.producer_index(&producer)?;
                if self.producers[i].txn.is_none() {
                    return Err(ActionError(format!("producer '{producer}' is not transactional: give it a transactional.id")));
                }
                self.producers[i].end_transaction(now, commit, out);
            }
            Action::CrashConsumer { consumer } => {
                let i = self.consumer_index(&consumer)?;
                if self.consumers[i].up {
                    self.consumers[i].crash(out);
                }
                // A stream processor's producer is the same process.
                if let Some(p) = self.consumers[i].processor.as_ref().map(|p| p.producer as usize)
                    && self.producers[p].up
                {
                    self.producers[p].crash(out);
                }
            }
            Action::RestartConsumer { consumer } => {
                let i = self.consumer_index(&consumer)?;
                if let Some(p) = self.consumers[i].processor.as_ref().map(|p| p.producer as usize)
                    && !self.producers[p].up
                {
                    self.producers[p].restart(now, out);
                }
                if !self.consumers[i].up {
                    self.consumers[i].start(now, out);
                }
                // Fenced while the consumer was down: the new process makes a new producer too.
                if let Some(p) = self.consumers[i].processor.as_ref().map(|p| p.producer as usize)
                    && self.producers[p].is_fenced()
                {
                    self.producers[p].reinitialize(now, out);
                }
            }
            Action::SetConsumerConfig { consumer, key, value } => {
                let i = self.consumer_index(&consumer)?;
                let mut config = self.consumers[i].config.clone();
                config.set(&key, &value).map_err(|e| ActionError(e.to_string()))?;
                config.check().map_err(|e| ActionError(e.to_string()))?;
                self.consumers[i].config = config;
                out.event(EventKind::ConfigChanged { target: format!("consumer:{consumer}"), key, value: value.to_string() });
            }
            Action::SetProcessingTime { consumer, processing_ms_per_record } => {
                let i = self.consumer_index(&consumer)?;
                self.consumers[i].processing_ms_per_record = processing_ms_per_record;
            }
            Action::Seek { consumer, topic, partition, to } => {
                let i = self.consumer_index(&consumer)?;
                let p = self.partition_of(&topic, partition)?;
                self.consumers[i].seek(now, p, to, out);
            }
            Action::AddBroker { id, rack } => {
                if self.brokers.contains_key(&BrokerId(id)) {
                    return Err(ActionError(format!("broker {id} already exists")));
                }
                let controller_ids: Vec<u32> = self.controllers.iter().map(|c| c.id).collect();
                let active = self.controllers.iter().find(|c| c.is_leader()).map_or(0, |c| c.id);
                let mut broker = Broker::new(
                    BrokerId(id),
                    rack.as_deref().map(Rc::from),
                    self.broker_config.clone(),
                    self.spec.disk,
                    self.spec.page_cache_dirty_expire_ms,
                    Node::Controller(active),
                    controller_ids,
                    self.rng.child(&format!("broker/{id}")),
                );
                broker.restart(now, out);
                self.brokers.insert(BrokerId(id), broker);
                out.event(EventKind::BrokerStarted { broker: BrokerId(id) });
            }
            Action::KillBroker { broker, lose_page_cache } => {
                let id = BrokerId(broker);
                let b = self.brokers.get_mut(&id).ok_or_else(|| ActionError(format!("no broker {broker}")))?;
                if b.up {
                    self.died_before_message.insert(Node::Broker(id), self.next_message_id);
                    let resets = b.crash(now, lose_page_cache, out);
                    out.event(EventKind::BrokerStopped { broker: id, lost_page_cache: lose_page_cache });
                    for (client, request_id) in resets {
                        out.send(Node::Broker(id), client, Message::Disconnected { request_id, refused: false });
                    }
                }
            }
            Action::RestartBroker { broker } => {
                let id = BrokerId(broker);
                let b = self.brokers.get_mut(&id).ok_or_else(|| ActionError(format!("no broker {broker}")))?;
                if !b.up {
                    b.restart(now, out);
                    out.event(EventKind::BrokerStarted { broker: id });
                }
            }
            Action::CutNetwork { side_a, side_b } => {
                let a: Vec<Node> = side_a.iter().map(|n| self.node_of(n)).collect::<Result<_, _>>()?;
                let b: Vec<Node> = side_b.iter().map(|n| self.node_of(n)).collect::<Result<_, _>>()?;
                if a.is_empty() || b.is_empty() {
                    return Err(ActionError("a network cut needs at least one node on each side".into()));
                }
                if let Some((i, _)) = side_a.iter().enumerate().find(|(i, _)| b.contains(&a[*i])) {
                    return Err(ActionError(format!("{} is on both sides of the cut: a node cannot be cut off from itself", side_a[i])));
                }
                let cut = self.net.cut(a.iter().map(|n| n.net_id()).collect::<SortedSet<_>>(), b.iter().map(|n| n.net_id()).collect::<SortedSet<_>>());
                out.event(EventKind::NetworkCut { cut, side_a: a.into(), side_b: b.into() });
            }
            Action::HealNetwork { cut } => {
                let cuts: Vec<u32> = match cut {
                    Some(cut) => {
                        self.net.heal(cut).ok_or_else(|| ActionError(format!("there is no network cut {cut}")))?;
                        vec![cut]
                    }
                    None => {
                        let cuts: Vec<u32> = self.net.cuts().map(|(id, _)| id).collect();
                        self.net.heal_all();
                        cuts
                    }
                };
                for cut in cuts {
                    out.event(EventKind::NetworkHealed { cut });
                    self.release_held(cut, out);
                }
            }
            Action::SetLink { from, to, latency_ms, loss_percent, drop_percent } => {
                let (a, b) = (self.node_of(&from)?, self.node_of(&to)?);
                if a == b {
                    return Err(ActionError(format!("from and to are both {from}: a link joins two different nodes")));
                }
                if latency_ms.is_some_and(|l| !(1..=validate::LATENCY_MS_MAX).contains(&l)) {
                    return Err(ActionError(format!("latency_ms {}", validate::LATENCY_RULE)));
                }
                let loss = match loss_percent {
                    Some(p) => Ratio::percent(p).ok_or_else(|| ActionError(format!("loss_percent {p} must be between 0 and 100")))?,
                    None => self.default_link.loss,
                };
                let drop = match drop_percent {
                    Some(p) => Ratio::percent(p).ok_or_else(|| ActionError(format!("drop_percent {p} must be between 0 and 100")))?,
                    None => self.default_link.drop,
                };
                let link = LinkConfig { latency_ms: latency_ms.unwrap_or(self.default_link.latency_ms), loss, drop, ..self.default_link };
                self.net.set_link(a.net_id(), b.net_id(), link);
                self.net.set_link(b.net_id(), a.net_id(), link);
                out.event(EventKind::LinkChanged {
                    from: a,
                    to: b,
                    latency_ms: link.latency_ms,
                    loss_percent: loss_percent.unwrap_or(0),
                    drop_percent: drop_percent.unwrap_or(0),
                });
            }
            Action::SlowDisk { broker, factor } => {
                let id = BrokerId(broker);
                let b = self.brokers.get_mut(&id).ok_or_else(|| ActionError(format!("no broker {broker}")))?;
                if factor == 0 {
                    return Err(ActionError("a disk slowdown factor is at least 1 (1 restores it)".into()));
                }
                b.disk.config.slowdown_factor = factor;
                out.event(EventKind::DiskSlowed { broker: id, factor });
            }
            Action::CreateTopic { spec } => {
                validate::topic(&spec, &self.broker_config, self.brokers.len() as u32, "topic").map_err(|e| ActionError(join_spec_errors(&e)))?;
                self.create_topic(&spec, out)?;
            }
            Action::AddPartitions { topic, total } => self.add_partitions(&topic, total, out)?,
            Action::SetTopicConfig { topic, key, value } => {
                let controller = self.active_controller()?;
                let image = &controller.image;
                let t = image.topic_index(&topic).ok_or_else(|| ActionError(format!("no topic named '{topic}'")))?;
                let mut config = (*image.topics[t.get()].config).clone();
                config.set(&key, &value).map_err(|e| ActionError(e.to_string()))?;
                controller.set_topic_config(now, t, config, out).map_err(|_| ActionError("no active controller".into()))?;
                out.event(EventKind::ConfigChanged { target: format!("topic:{topic}"), key, value: value.to_string() });
            }
            Action::ElectPreferredLeaders => self.active_controller()?.elect_preferred_leaders(now, out),
            Action::Subscribe { consumer, topics } => {
                let i = self.consumer_index(&consumer)?;
                if self.consumers[i].group.is_none() {
                    return Err(ActionError(format!("consumer '{consumer}' has no group: only a group member subscribes (give it a group)")));
                }
                if topics.is_empty() {
                    return Err(ActionError("subscribe to at least one topic".into()));
                }
                self.consumers[i].subscribe(topics.iter().map(|t| Rc::from(t.as_str())).collect());
            }
            Action::KillController { controller } => {
                let c = self.controllers.get_mut(controller as usize).ok_or_else(|| ActionError(format!("no controller {controller}")))?;
                if c.up {
                    self.died_before_message.insert(Node::Controller(controller), self.next_message_id);
                    c.crash();
                    out.event(EventKind::ControllerStopped { controller });
                }
            }
            Action::RestartController { controller } => {
                let c = self.controllers.get_mut(controller as usize).ok_or_else(|| ActionError(format!("no controller {controller}")))?;
                if !c.up {
                    out.event(EventKind::ControllerStarted { controller });
                    c.start(now, out);
                }
            }
        }
        Ok(())
    }

    /// Grows a topic to `total` partitions, placing the new ones as Kafka's AdminUtils would (they
    /// continue the existing pattern from the next partition id).
    fn add_partitions(&mut self, topic: &str, total: u32, out: &mut Outbox) -> Result<(), ActionError> {
        let now = self.now;
        let image = self.metadata();
        let t = image.topic_index(topic).ok_or_else(|| ActionError(format!("no topic named '{topic}'")))?;
        let existing = image.topics[t.get()].partitions.len() as u32;
        // The same limit as a topic in a scenario file: ten thousand partitions froze the page for
        // seconds, and past i32 the placement's count wrapped into a wrong complaint.
        if total > validate::PARTITIONS_MAX {
            return Err(ActionError(format!("{total} partitions is too many: a topic has at most {} in the lab", validate::PARTITIONS_MAX)));
        }
        if total <= existing {
            return Err(ActionError(format!(
                "topic '{topic}' already has {existing} partitions: Kafka can only add partitions (InvalidPartitionsException)"
            )));
        }
        let replication_factor = image.partition(image.topics[t.get()].partitions[0]).replicas.len();
        let brokers: Vec<BrokerMetadata> = self.brokers.values().map(|b| BrokerMetadata { id: b.id, rack: b.rack.as_deref().map(str::to_string) }).collect();
        let mut rng = self.rng.child(&format!("placement/{topic}/{existing}"));
        let placed = assign_replicas_to_brokers(&brokers, (total - existing) as i32, replication_factor as i32, -1, existing as i32, &mut rng)
            .map_err(|e| ActionError(e.to_string()))?;
        self.active_controller()?.add_partitions(now, t, placed.into_values().collect(), out).map_err(|_| ActionError("no active controller".into()))?;
        out.event(EventKind::PartitionsAdded { topic: t.0, from: existing, to: total });
        Ok(())
    }
}

/// The (requester, server) connection a message travels on, if it is a request or a response.
fn connection_of(from: Node, to: Node, message: &Message) -> Option<(Node, Node)> {
    if matches!(message, Message::Disconnected { .. }) {
        return None;
    }
    if message.request_id().is_some() {
        Some((from, to))
    } else if message.response_to().is_some() {
        Some((to, from))
    } else {
        None
    }
}

/// Requests that get an answer (an acks=0 produce request gets none).
fn expects_response(message: &Message) -> bool {
    match message {
        Message::Produce(r) => r.acks != crate::kafka::config::Acks::None,
        _ => true,
    }
}

fn producer_config(spec: &ProducerSpec) -> Result<ProducerConfig, ActionError> {
    let mut config = ProducerConfig::from_pairs(&spec.config).map_err(|e| ActionError(join_errors(&e)))?;
    let explicit: Vec<&str> = spec.config.keys().map(String::as_str).collect();
    config.resolve(&explicit).map_err(|e| ActionError(join_errors(&e)))?;
    Ok(config)
}

fn join_errors(errors: &[crate::kafka::config::ConfigError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

fn join_spec_errors(errors: &[SpecError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_transactions;
#[cfg(test)]
mod tests_quorum;
#[cfg(test)]
mod tests_backpressure;
