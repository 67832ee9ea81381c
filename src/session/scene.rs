//! What the cluster picture shows, as plain data: the structure (brokers, partitions and their
//! replicas, clients, faults) read from the world, and where each thing sits on the picture.
//!
//! The structure changes rarely (a leader moves, a broker dies, a consumer gets partitions); the lab
//! re-renders its SVG only when [`Structure`] compares unequal. Everything that moves every frame (the
//! messages, HW and LEO marks) is drawn on a canvas at positions from [`Layout`]. Both are pure, so
//! they are tested natively.

use super::tracked::{CutState, Tracked};
use crate::kafka::ids::{BrokerId, Node, PartitionIndex};
// Internal topics have 50 partitions each by default; drawn like the learner's topics they would bury
// them, so the picture folds them into one line per broker.
use crate::kafka::metadata::is_internal_topic;
use crate::kafka::producer::Producer;
use crate::kafka::world::View;
use crate::kafka::world::spec::KeyPattern;
use crate::sim::Tick;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerState {
    pub id: BrokerId,
    /// The process is running.
    pub up: bool,
    /// The controller has it fenced (or never saw it): it leads nothing and is in no ISR.
    pub fenced: bool,
    pub rack: Option<String>,
    /// Partitions of the learner's topics with a replica assigned here, by index.
    pub hosts: Vec<PartitionIndex>,
    /// Replicas of Kafka's internal topics here (`__consumer_offsets`, `__transaction_state`), drawn
    /// as one line rather than 50 cells: `(replicas, of which leaders)`.
    pub internal_hosts: (usize, usize),
    /// The disk's slowdown factor (1 = healthy).
    pub disk_slowdown: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicState {
    pub name: String,
    /// One of Kafka's internal topics, which the picture folds away.
    pub internal: bool,
    /// A short label for replica cells (`o` for orders; longer when two topics share a letter).
    pub short: String,
    pub partitions: Vec<PartitionIndex>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionState {
    pub index: PartitionIndex,
    pub topic: usize,
    pub number: u32,
    /// `orders-2`.
    pub name: String,
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: i32,
}

/// How one replica of a partition stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaStatus {
    Leader,
    /// A follower in the ISR: it has everything the leader acknowledged.
    InSync,
    /// A follower out of the ISR: behind, or just back.
    OutOfSync,
    /// Its broker is down.
    Offline,
}

impl ReplicaStatus {
    /// A stable lower-case id (CSS classes, `data-status`).
    pub fn id(self) -> &'static str {
        match self {
            ReplicaStatus::Leader => "leader",
            ReplicaStatus::InSync => "in-sync",
            ReplicaStatus::OutOfSync => "out-of-sync",
            ReplicaStatus::Offline => "offline",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReplicaStatus::Leader => "leader",
            ReplicaStatus::InSync => "in-sync follower",
            ReplicaStatus::OutOfSync => "out-of-sync follower",
            ReplicaStatus::Offline => "offline (broker down)",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerState {
    pub index: u32,
    pub name: String,
    pub topic: String,
    pub up: bool,
    /// Whether it has started at all: before its start (the run's first moment, or a later
    /// `start_ms`) it is not up, but not down either.
    pub started: bool,
    pub running: bool,
    /// It writes a stream processor's results (it has no workload of its own).
    pub writes_results: bool,
    pub acks: String,
    pub linger_ms: u64,
    pub batch_size: u32,
    /// Records per second of its workload, if it has one.
    pub rate_per_sec: Option<u32>,
    /// Its workload sent all it was written to send (see [`workload_over`]).
    pub finished: bool,
    /// Its workload's keys in words ("order-0 … order-5 in turn").
    pub keys: String,
}

/// Whether a producer's workload is over: it sent the records it was told to (`count`), or its
/// `stop_ms` has passed. The engine still calls such a producer running (Stop would change nothing
/// it does), so the picture and the panel read this instead of saying it sends 20 records a second.
pub fn workload_over(producer: &Producer, now: Tick) -> bool {
    producer.workload.as_ref().is_some_and(|w| w.spec.count.is_some_and(|c| w.generated >= c) || w.spec.stop_ms.is_some_and(|s| now.ms() >= s))
}

impl ProducerState {
    /// What the producer is doing, in the words the cluster picture and the producer panel share.
    /// One that has not started yet is not down; a crashed producer is down whatever its workload
    /// says; a processor's producer has no workload but is busy; one without a workload sends only
    /// what the learner produces.
    pub fn activity(&self) -> &'static str {
        match (self.up, self.running) {
            (false, _) if !self.started => "not started",
            (false, _) => "down",
            // A workload halved down to nothing sends nothing, whatever it was told.
            (true, true) if self.rate_per_sec == Some(0) => "idle",
            (true, true) if self.finished => "finished",
            (true, true) => "sending",
            (true, false) if self.writes_results => "writes results",
            (true, false) if self.rate_per_sec.is_some() => "stopped",
            (true, false) => "idle",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerState {
    pub index: u32,
    pub name: String,
    /// The group it is shown in: its `group.id`, or for a consumer with manual assignment the name
    /// before its last `-` (`billing-2` → `billing`).
    pub group: String,
    /// Whether `group` is a real consumer group (`group.id`) rather than a set of manual consumers.
    pub in_group: bool,
    pub up: bool,
    /// Whether it has started at all (as a producer's `started`).
    pub started: bool,
    /// Down because its process died, not closed.
    pub crashed: bool,
    pub assignment: Vec<PartitionIndex>,
    pub processing_ms_per_record: u64,
}

impl ConsumerState {
    pub fn activity(&self) -> &'static str {
        consumer_activity(self.up, self.started, self.crashed, self.assignment.is_empty())
    }
}

/// How long a consumer's application works on what it polled, in words: a time per record, a time
/// per poll (a batch insert: `processing_ms_per_poll`), or both. A consumer that spends 500 ms per
/// poll used to read "processes each record in 0 ms".
pub fn processing_words(per_record_ms: u64, per_poll_ms: u64) -> String {
    match (per_record_ms, per_poll_ms) {
        (r, 0) => format!("processes each record in {r} ms"),
        (0, p) => format!("processes each poll's records in {p} ms"),
        (r, p) => format!("processes each poll's records in {p} ms plus {r} ms a record"),
    }
}

/// The action that brings a consumer that is down back, as its menu and its panel name it: before
/// its scheduled start there is nothing to restart, and the same action starts it early.
pub fn consumer_start_label(started: bool) -> &'static str {
    if started { "Restart" } else { "Start now" }
}

/// What a consumer is doing, in the words the cluster picture, the group table and the consumer
/// panel share. One that has not started yet is not stopped (a lesson's first moment would show
/// every consumer stopped); one whose process died is crashed, as the narration says, and one
/// closed cleanly is stopped.
pub fn consumer_activity(up: bool, started: bool, crashed: bool, nothing_assigned: bool) -> &'static str {
    match (up, started) {
        (false, false) => "not started",
        (false, true) if crashed => "crashed",
        (false, true) => "stopped",
        (true, _) if nothing_assigned => "idle",
        (true, _) => "reading",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupState {
    pub name: String,
    pub in_group: bool,
    /// Consumer indexes, in run order.
    pub members: Vec<u32>,
}

/// Everything the cluster picture draws that changes only now and then.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Structure {
    pub brokers: Vec<BrokerState>,
    pub controllers: u32,
    /// Each controller of the quorum, by id: (running, the active one). At most one is active: the
    /// leader of the highest epoch; none while the quorum has no leader.
    pub controller_states: Vec<(bool, bool)>,
    pub topics: Vec<TopicState>,
    pub partitions: Vec<PartitionState>,
    pub producers: Vec<ProducerState>,
    pub consumers: Vec<ConsumerState>,
    pub groups: Vec<GroupState>,
    pub cuts: Vec<CutState>,
}

/// The display group of a consumer without a `group.id`: its name up to a trailing `-<number>`.
pub fn manual_group_name(name: &str) -> String {
    match name.rsplit_once('-') {
        Some((prefix, suffix)) if !prefix.is_empty() && !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) => prefix.to_string(),
        _ => name.to_string(),
    }
}

fn keys_in_words(keys: &KeyPattern) -> String {
    match keys {
        KeyPattern::None => "no key (the partitioner spreads records)".into(),
        KeyPattern::Cycle { prefix, count } => format!("{prefix}0 … {prefix}{} in turn", count.saturating_sub(1)),
        KeyPattern::List { keys } => keys.join(", "),
        KeyPattern::Random { prefix, count } => format!("random among {prefix}0 … {prefix}{}", count.saturating_sub(1)),
        KeyPattern::Hot { hot_key, hot_percent, .. } => format!("{hot_key} for {hot_percent}% of records, others random"),
    }
}

fn short_names(names: &[String]) -> Vec<String> {
    // Initials first ("orders-log" o+l → "ol", "click-counts" → "cc"): two letters fit a small cell
    // where "orders-l0★" ran into its mark. Only when two topics share initials, prefixes instead.
    let initials: Vec<String> = names
        .iter()
        .map(|n| n.split(['-', '_', '.']).filter_map(|word| word.chars().next()).collect())
        .collect();
    let distinct = initials.iter().enumerate().all(|(i, a)| !a.is_empty() && initials.iter().enumerate().all(|(j, b)| i == j || a != b));
    if distinct {
        return initials;
    }
    (0..names.len())
        .map(|i| {
            let name: Vec<char> = names[i].chars().collect();
            // The shortest prefix no other topic starts with (whole name at worst).
            (1..=name.len())
                .map(|n| name[..n].iter().collect::<String>())
                .find(|prefix| names.iter().enumerate().all(|(j, other)| j == i || !other.starts_with(prefix.as_str())))
                .unwrap_or_else(|| names[i].clone())
        })
        .collect()
}

impl Structure {
    pub fn of(view: &View<'_>, tracked: &Tracked, controllers: u32) -> Structure {
        let metadata = view.metadata();
        // Cell labels tell apart the topics the picture draws; internal topics are folded away, so
        // with one topic of the learner's its cells read P0, P1, … as if it were alone.
        let topic_names: Vec<String> = metadata.topics.iter().filter(|t| !is_internal_topic(&t.name)).map(|t| t.name.to_string()).collect();
        let mut shorts = if topic_names.len() == 1 { vec![String::new()] } else { short_names(&topic_names) }.into_iter();
        let topics: Vec<TopicState> = metadata
            .topics
            .iter()
            .map(|t| {
                let internal = is_internal_topic(&t.name);
                let short = if internal { t.name.to_string() } else { shorts.next().unwrap_or_default() };
                TopicState { name: t.name.to_string(), internal, short, partitions: t.partitions.clone() }
            })
            .collect();
        let partitions: Vec<PartitionState> = metadata
            .partitions
            .iter()
            .enumerate()
            .map(|(i, p)| PartitionState {
                index: PartitionIndex(i as u32),
                topic: p.topic.get(),
                number: p.number,
                name: format!("{}-{}", metadata.topics[p.topic.get()].name, p.number),
                replicas: p.replicas.clone(),
                isr: p.isr.clone(),
                leader: p.leader,
                leader_epoch: p.leader_epoch,
            })
            .collect();
        let internal = |p: &PartitionState| topics.get(p.topic).is_some_and(|t: &TopicState| t.internal);
        let brokers = view
            .brokers()
            .map(|b| {
                let (internal_here, hosts): (Vec<&PartitionState>, Vec<&PartitionState>) =
                    partitions.iter().filter(|p| p.replicas.contains(&b.id)).partition(|p| internal(p));
                BrokerState {
                    id: b.id,
                    up: b.up,
                    fenced: metadata.brokers.get(&b.id).is_none_or(|r| r.fenced),
                    rack: b.rack.as_deref().map(str::to_string),
                    hosts: hosts.iter().map(|p| p.index).collect(),
                    internal_hosts: (internal_here.len(), internal_here.iter().filter(|p| p.leader == Some(b.id)).count()),
                    disk_slowdown: b.disk.config.slowdown_factor,
                }
            })
            .collect();
        let producers = view
            .producers()
            .iter()
            .map(|p| ProducerState {
                index: p.index,
                name: p.name.to_string(),
                topic: p.topic_name.to_string(),
                up: p.up,
                started: p.incarnation > 0,
                running: p.running,
                writes_results: p.processor.is_some(),
                acks: p.config.acks.to_string(),
                linger_ms: p.config.linger_ms,
                batch_size: p.config.batch_size,
                rate_per_sec: p.workload.as_ref().map(|w| w.spec.rate_per_sec),
                finished: workload_over(p, view.now()),
                keys: p.workload.as_ref().map_or_else(|| "keys you give".to_string(), |w| keys_in_words(&w.spec.keys)),
            })
            .collect();
        let consumers: Vec<ConsumerState> = view
            .consumers()
            .iter()
            .map(|c| ConsumerState {
                index: c.index,
                name: c.name.to_string(),
                group: c.group.as_deref().map_or_else(|| manual_group_name(&c.name), str::to_string),
                in_group: c.group.is_some(),
                up: c.up,
                started: c.incarnation > 0,
                crashed: c.crashed,
                assignment: c.assignment.clone(),
                processing_ms_per_record: c.processing_ms_per_record,
            })
            .collect();
        let mut groups: Vec<GroupState> = Vec::new();
        for c in &consumers {
            match groups.iter_mut().find(|g| g.name == c.group && g.in_group == c.in_group) {
                Some(g) => g.members.push(c.index),
                None => groups.push(GroupState { name: c.group.clone(), in_group: c.in_group, members: vec![c.index] }),
            }
        }
        let active = view.controllers().iter().filter(|c| c.is_leader()).max_by_key(|c| c.epoch).map(|c| c.id);
        let controller_states = (0..controllers.max(1))
            .map(|id| view.controllers().iter().find(|c| c.id == id).map_or((false, false), |c| (c.up, active == Some(id))))
            .collect();
        Structure {
            brokers,
            controllers: controllers.max(1),
            controller_states,
            topics,
            partitions,
            producers,
            consumers,
            groups,
            cuts: tracked.cuts.clone(),
        }
    }

    pub fn partition(&self, index: PartitionIndex) -> Option<&PartitionState> {
        self.partitions.get(index.get())
    }

    /// Whether the partition belongs to one of Kafka's internal topics.
    pub fn is_internal(&self, index: PartitionIndex) -> bool {
        self.partition(index).and_then(|p| self.topics.get(p.topic)).is_some_and(|t| t.internal)
    }

    pub fn broker(&self, id: BrokerId) -> Option<&BrokerState> {
        self.brokers.iter().find(|b| b.id == id)
    }

    pub fn replica_status(&self, broker: BrokerId, partition: PartitionIndex) -> ReplicaStatus {
        let up = self.broker(broker).is_some_and(|b| b.up);
        let Some(p) = self.partition(partition) else { return ReplicaStatus::Offline };
        if !up {
            ReplicaStatus::Offline
        } else if p.leader == Some(broker) {
            ReplicaStatus::Leader
        } else if p.isr.contains(&broker) {
            ReplicaStatus::InSync
        } else {
            ReplicaStatus::OutOfSync
        }
    }

    /// The cell label of a partition: `P2` with one topic, `o2` / `pa2` with several.
    pub fn cell_label(&self, partition: PartitionIndex) -> String {
        match self.partition(partition) {
            Some(p) => {
                let short = &self.topics[p.topic].short;
                if short.is_empty() { format!("P{}", p.number) } else { format!("{short}{}", p.number) }
            }
            None => "?".into(),
        }
    }

    /// Whether a node is on the cut-off side of a network cut in force: the smaller side (both, when
    /// they are the same size). Isolating broker 2 cuts it off from everyone else; marking everyone
    /// else "cut off" too would hide which one the learner isolated.
    pub fn is_cut_off(&self, node: Node) -> bool {
        self.cuts.iter().any(|c| {
            let (a, b) = (c.side_a.len(), c.side_b.len());
            (a <= b && c.side_a.contains(&node)) || (b <= a && c.side_b.contains(&node))
        })
    }
}

/// A rectangle in picture units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn center(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BrokerBox {
    pub id: BrokerId,
    pub rect: Rect,
    /// Replica cells, in partition order.
    pub cells: Vec<(PartitionIndex, Rect)>,
    /// The line under the cells that stands for the broker's internal-topic replicas, if it has any;
    /// their messages start and end there.
    pub internal: Option<Rect>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupBox {
    pub name: String,
    /// A consumer group; `false` for consumers reading partitions assigned by hand (no group).
    pub in_group: bool,
    pub rect: Rect,
    /// (consumer index, its row).
    pub members: Vec<(u32, Rect)>,
}

/// Where everything sits, in picture units (the SVG's viewBox; the canvas scales the same way).
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub controllers: Vec<Rect>,
    pub brokers: Vec<BrokerBox>,
    /// By producer index.
    pub producers: Vec<Rect>,
    pub groups: Vec<GroupBox>,
    /// Cell size (large for a few partitions, small for many).
    pub cell_w: f64,
    pub cell_h: f64,
}

/// The picture's width for a large cluster; a small one gets a narrower picture, so it shows bigger.
pub const LAYOUT_WIDTH: f64 = 1000.0;
pub const LAYOUT_WIDTH_SMALL: f64 = 780.0;
const MARGIN: f64 = 10.0;
const SIDE_W: f64 = 150.0;
const GAP: f64 = 12.0;
const BROKER_TITLE_H: f64 = 28.0;
const CELL_GAP: f64 = 4.0;
const PRODUCER_H: f64 = 50.0;
const GROUP_TITLE_H: f64 = 22.0;
const MEMBER_H: f64 = 30.0;
const CONTROLLER_H: f64 = 32.0;
const INTERNAL_H: f64 = 14.0;

impl Layout {
    pub fn of(structure: &Structure) -> Layout {
        let most_replicas = structure.brokers.iter().map(|b| b.hosts.len()).max().unwrap_or(0);
        let small = structure.brokers.len() <= 3 && most_replicas <= 8;
        let width = if small { LAYOUT_WIDTH_SMALL } else { LAYOUT_WIDTH };
        let middle_x = MARGIN + SIDE_W + 2.0 * GAP;
        let middle_w = width - 2.0 * (MARGIN + SIDE_W + 2.0 * GAP);
        // Controllers along the top of the middle column.
        let n_controllers = structure.controllers.max(1) as f64;
        let controller_w = 150.0f64.min((middle_w - (n_controllers - 1.0) * GAP) / n_controllers);
        let controllers_w = n_controllers * controller_w + (n_controllers - 1.0) * GAP;
        let controllers = (0..structure.controllers.max(1))
            .map(|i| Rect { x: middle_x + (middle_w - controllers_w) / 2.0 + i as f64 * (controller_w + GAP), y: MARGIN, w: controller_w, h: CONTROLLER_H })
            .collect();
        // Brokers in a grid below.
        let n = structure.brokers.len().max(1);
        let columns = match n {
            1..=3 => n,
            4 => 2,
            5..=6 => 3,
            _ => 4,
        };
        let broker_w = (middle_w - (columns as f64 - 1.0) * GAP) / columns as f64;
        let (cell_w, cell_h) = if small { (58.0, 46.0) } else { (27.0, 22.0) };
        let per_row = (((broker_w - 2.0 * 6.0 + CELL_GAP) / (cell_w + CELL_GAP)).floor() as usize).max(1);
        let rows_of_cells = most_replicas.div_ceil(per_row).max(1);
        let any_internal = structure.brokers.iter().any(|b| b.internal_hosts.0 > 0);
        let internal_h = if any_internal { INTERNAL_H } else { 0.0 };
        let broker_h = BROKER_TITLE_H + rows_of_cells as f64 * (cell_h + CELL_GAP) + internal_h + 6.0;
        let brokers_top = MARGIN + CONTROLLER_H + 22.0;
        let brokers: Vec<BrokerBox> = structure
            .brokers
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let rect = Rect {
                    x: middle_x + (i % columns) as f64 * (broker_w + GAP),
                    y: brokers_top + (i / columns) as f64 * (broker_h + GAP),
                    w: broker_w,
                    h: broker_h,
                };
                let cells = b
                    .hosts
                    .iter()
                    .enumerate()
                    .map(|(k, p)| {
                        let cell = Rect {
                            x: rect.x + 6.0 + (k % per_row) as f64 * (cell_w + CELL_GAP),
                            y: rect.y + BROKER_TITLE_H + (k / per_row) as f64 * (cell_h + CELL_GAP),
                            w: cell_w,
                            h: cell_h,
                        };
                        (*p, cell)
                    })
                    .collect();
                let internal = (b.internal_hosts.0 > 0).then(|| Rect {
                    x: rect.x + 6.0,
                    y: rect.y + rect.h - 6.0 - internal_h,
                    w: rect.w - 12.0,
                    h: internal_h,
                });
                BrokerBox { id: b.id, rect, cells, internal }
            })
            .collect();
        let brokers_bottom = brokers.iter().map(|b| b.rect.y + b.rect.h).fold(brokers_top, f64::max);
        // Producers down the left, starting level with the brokers.
        let producers: Vec<Rect> = (0..structure.producers.len())
            .map(|i| Rect { x: MARGIN, y: brokers_top + i as f64 * (PRODUCER_H + 10.0), w: SIDE_W, h: PRODUCER_H })
            .collect();
        // Consumer groups down the right.
        let mut y = MARGIN;
        let right_x = width - MARGIN - SIDE_W;
        let groups: Vec<GroupBox> = structure
            .groups
            .iter()
            .map(|g| {
                let h = GROUP_TITLE_H + g.members.len() as f64 * MEMBER_H + 4.0;
                let rect = Rect { x: right_x, y, w: SIDE_W, h };
                let members = g
                    .members
                    .iter()
                    .enumerate()
                    .map(|(k, c)| (*c, Rect { x: right_x + 4.0, y: y + GROUP_TITLE_H + k as f64 * MEMBER_H, w: SIDE_W - 8.0, h: MEMBER_H - 4.0 }))
                    .collect();
                y += h + 8.0;
                GroupBox { name: g.name.clone(), in_group: g.in_group, rect, members }
            })
            .collect();
        let bottom = [brokers_bottom, producers.last().map_or(0.0, |r| r.y + r.h), y].into_iter().fold(0.0, f64::max);
        Layout { width, height: bottom + MARGIN, controllers, brokers, producers, groups, cell_w, cell_h }
    }

    pub fn broker(&self, id: BrokerId) -> Option<&BrokerBox> {
        self.brokers.iter().find(|b| b.id == id)
    }

    pub fn cell(&self, broker: BrokerId, partition: PartitionIndex) -> Option<Rect> {
        self.broker(broker)?.cells.iter().find(|(p, _)| *p == partition).map(|(_, r)| *r)
    }

    pub fn consumer(&self, index: u32) -> Option<Rect> {
        self.groups.iter().flat_map(|g| &g.members).find(|(c, _)| *c == index).map(|(_, r)| *r)
    }

    /// Where a message to or from `node` about `partition` starts or ends: the replica cell when the
    /// node is a broker holding one, otherwise the edge of the node facing the cluster.
    pub fn anchor(&self, node: Node, partition: Option<PartitionIndex>) -> Option<(f64, f64)> {
        match node {
            Node::Broker(b) => {
                if let Some(cell) = partition.and_then(|p| self.cell(b, p)) {
                    return Some(cell.center());
                }
                let broker = self.broker(b)?;
                // A partition without a cell is an internal topic's: its line stands for it.
                if let (Some(_), Some(line)) = (partition, broker.internal) {
                    return Some(line.center());
                }
                // The top edge, not the title bar's middle: a dot resting there hid the broker's number.
                Some((broker.rect.x + broker.rect.w / 2.0, broker.rect.y))
            }
            Node::Controller(c) => self.controllers.get(c as usize).map(|r| (r.x + r.w / 2.0, r.y + r.h)),
            Node::Producer(p) => self.producers.get(p as usize).map(|r| (r.x + r.w, r.y + r.h / 2.0)),
            Node::Consumer(c) => self.consumer(c).map(|r| (r.x, r.y + r.h / 2.0)),
        }
    }
}

/// The Okabe–Ito palette: eight colours told apart with every common colour-vision deficiency.
pub const OKABE_ITO: [&str; 8] = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"];

/// The colour of a partition's records: by partition number within its topic, so `orders-2` and
/// `payments-2` share a colour and a topic's partitions are told apart.
pub fn partition_colour(structure: &Structure, partition: PartitionIndex) -> &'static str {
    let number = structure.partition(partition).map_or(partition.0, |p| p.number);
    // Black is kept for text; the seven colours cycle.
    OKABE_ITO[(number % 7) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::presets;

    #[test]
    fn consumers_assigned_by_hand_are_boxed_apart_from_consumer_groups() {
        // hot-partition's readers have partitions assigned by hand: their box was drawn as a group's,
        // which rebalances; the demo's are real groups.
        let boxes = |world: &crate::kafka::world::World| {
            let structure = Structure::of(&world.view(), &Tracked::default(), 1);
            Layout::of(&structure).groups.iter().map(|g| (g.name.clone(), g.in_group)).collect::<Vec<_>>()
        };
        let lesson = crate::scenario::library::preset("hot-partition").unwrap();
        assert_eq!(boxes(&lesson.run_definition().start().unwrap()), [("reader".to_string(), false)]);
        assert!(boxes(&presets::demo().start().unwrap()).iter().all(|(_, in_group)| *in_group));
    }

    #[test]
    fn a_producer_that_has_not_started_yet_is_not_drawn_down_and_a_crashed_one_is() {
        // At a lesson's first moment, before the run begins, the producers had read "down".
        let mut world = presets::demo().start().unwrap();
        let before: Vec<&str> = Structure::of(&world.view(), &Tracked::default(), 1).producers.iter().map(|p| p.activity()).collect();
        assert!(before.iter().all(|a| *a == "not started"), "{before:?}");
        world.run_until(crate::sim::Tick(2_000));
        let name = world.view().producers()[0].name.to_string();
        world.apply(crate::kafka::world::Action::CrashProducer { producer: name }).unwrap();
        let after = Structure::of(&world.view(), &Tracked::default(), 1);
        assert_eq!(after.producers[0].activity(), "down");
    }

    #[test]
    fn a_consumer_that_has_not_started_yet_is_not_drawn_stopped_a_crashed_one_is_drawn_crashed_and_a_closed_one_stopped() {
        // At a lesson's first moment the consumers had read "✕ stopped", as if someone had stopped them.
        let mut world = presets::demo().start().unwrap();
        let before: Vec<&str> = Structure::of(&world.view(), &Tracked::default(), 1).consumers.iter().map(|c| c.activity()).collect();
        assert!(!before.is_empty() && before.iter().all(|a| *a == "not started"), "{before:?}");
        world.run_until(crate::sim::Tick(10_000));
        let running = Structure::of(&world.view(), &Tracked::default(), 1);
        assert!(running.consumers.iter().all(|c| matches!(c.activity(), "reading" | "idle")), "{:?}", running.consumers);
        let name = world.view().consumers()[0].name.to_string();
        world.apply(crate::kafka::world::Action::CrashConsumer { consumer: name }).unwrap();
        let after = Structure::of(&world.view(), &Tracked::default(), 1);
        assert_eq!(after.consumers[0].activity(), "crashed", "the narration says it crashed; the picture must not say someone stopped it");
        world.apply(crate::kafka::world::Action::RestartConsumer { consumer: world.view().consumers()[0].name.to_string() }).unwrap();
        world.run_until(crate::sim::Tick(12_000));
        world.apply(crate::kafka::world::Action::StopConsumer { consumer: world.view().consumers()[0].name.to_string() }).unwrap();
        world.run_until(crate::sim::Tick(14_000));
        let closed = Structure::of(&world.view(), &Tracked::default(), 1);
        assert_eq!(closed.consumers[0].activity(), "stopped", "closed cleanly");
    }

    #[test]
    fn isolating_one_broker_marks_only_that_broker_cut_off() {
        // Everyone else sits on the other side of the cut, but it is broker 2 that was cut off.
        use crate::kafka::ids::{BrokerId, Node};
        use crate::kafka::world::{Action, NodeRef};
        let mut world = presets::demo().start().unwrap();
        world.run_until(crate::sim::Tick(1_000));
        let rest: Vec<NodeRef> = world.view().brokers().filter(|b| b.id != BrokerId(2)).map(|b| NodeRef::Broker(b.id.0)).chain([NodeRef::Controller(0)]).collect();
        world.apply(Action::CutNetwork { side_a: vec![NodeRef::Broker(2)], side_b: rest }).unwrap();
        let mut tracked = Tracked::new(100);
        std::iter::from_fn(|| world.poll_event()).for_each(|e| tracked.observe(&e));
        let s = Structure::of(&world.view(), &tracked, 1);
        let cut: Vec<u32> = s.brokers.iter().filter(|b| s.is_cut_off(Node::Broker(b.id))).map(|b| b.id.0).collect();
        assert_eq!(cut, vec![2]);
        assert!(!s.is_cut_off(Node::Controller(0)));
    }

    #[test]
    fn manual_consumers_group_by_the_name_before_their_number() {
        assert_eq!(manual_group_name("billing-2"), "billing");
        assert_eq!(manual_group_name("audit"), "audit");
        assert_eq!(manual_group_name("a-b"), "a-b");
    }

    #[test]
    fn topics_get_the_shortest_distinct_prefix() {
        let names = vec!["orders".to_string(), "payments".to_string(), "payouts".to_string()];
        assert_eq!(short_names(&names), ["o", "paym", "payo"]);
    }

    #[test]
    fn topics_with_distinct_initials_get_their_initials() {
        let names: Vec<String> = ["orders-log", "orders-queue"].iter().map(|s| s.to_string()).collect();
        assert_eq!(short_names(&names), ["ol", "oq"]);
        let names: Vec<String> = ["page-events", "clicks", "click-counts"].iter().map(|s| s.to_string()).collect();
        assert_eq!(short_names(&names), ["pe", "c", "cc"]);
    }

    #[test]
    fn internal_topics_fold_into_one_line_per_broker_so_the_learners_topics_stay_in_view() {
        // The demo's groups make Kafka create __consumer_offsets with its default 50 partitions.
        let mut world = presets::demo().start().unwrap();
        world.run_until(crate::sim::Tick(5_000));
        let structure = Structure::of(&world.view(), &Tracked::default(), 1);
        assert!(structure.topics.iter().any(|t| t.internal && t.name == "__consumer_offsets"));
        let orders_0 = structure.topics.iter().find(|t| t.name == "orders").unwrap().partitions[0];
        assert_eq!(structure.cell_label(orders_0), "P0", "orders is the only topic drawn, so its cells need no topic letter");
        let layout = Layout::of(&structure);
        for b in &layout.brokers {
            assert_eq!(b.cells.len(), 3, "only orders-0..2 get cells on broker {}", b.id);
            let line = b.internal.expect("each broker holds __consumer_offsets replicas");
            assert!(line.y + line.h <= b.rect.y + b.rect.h, "the line sits inside broker {}", b.id);
        }
        let (replicas, _) = structure.brokers[0].internal_hosts;
        assert_eq!(replicas, 50, "replication factor 3 on 3 brokers: every broker holds all 50");
        let offsets = structure.topics.iter().find(|t| t.internal).unwrap().partitions[0];
        let leader = structure.partition(offsets).unwrap().leader.unwrap();
        let line = layout.broker(leader).unwrap().internal.unwrap();
        assert_eq!(layout.anchor(Node::Broker(leader), Some(offsets)), Some(line.center()), "commits fly to the line");
    }

    #[test]
    fn the_picture_marks_the_controller_the_quorum_elected_not_always_the_first() {
        // The KRaft lesson kills controller 0 at 3 s; by 10 s another controller leads the quorum.
        let mut world = crate::scenario::preset("kraft-metadata").unwrap().run_definition().start().unwrap();
        let at_start = Structure::of(&world.view(), &Tracked::default(), 3);
        assert_eq!(at_start.controller_states.iter().filter(|(_, active)| *active).count(), 1);
        world.run_until(crate::sim::Tick(10_000));
        let structure = Structure::of(&world.view(), &Tracked::default(), 3);
        assert_eq!(structure.controller_states[0], (false, false), "controller 0 is down and leads nothing");
        let active: Vec<usize> = structure.controller_states.iter().enumerate().filter(|(_, (_, a))| *a).map(|(i, _)| i).collect();
        assert_eq!(active.len(), 1, "{:?}", structure.controller_states);
        assert_ne!(active[0], 0);
    }

    #[test]
    fn the_stress_picture_places_every_replica_inside_its_broker_and_every_client() {
        let world = presets::stress().start().unwrap();
        let structure = Structure::of(&world.view(), &Tracked::default(), 1);
        assert_eq!(structure.brokers.len(), 6);
        assert_eq!(structure.partitions.iter().filter(|p| !structure.is_internal(p.index)).count(), 36);
        assert_eq!(structure.groups.len(), 4);
        let layout = Layout::of(&structure);
        let cells: usize = layout.brokers.iter().map(|b| b.cells.len()).sum();
        assert_eq!(cells, 108, "36 partitions × 3 replicas");
        for b in &layout.brokers {
            for (_, c) in &b.cells {
                assert!(c.x >= b.rect.x && c.x + c.w <= b.rect.x + b.rect.w + 0.01, "cell inside broker {}", b.id);
                assert!(c.y >= b.rect.y && c.y + c.h <= b.rect.y + b.rect.h + 0.01);
            }
        }
        for i in 0..structure.consumers.len() as u32 {
            assert!(layout.anchor(Node::Consumer(i), None).is_some());
        }
        assert!(layout.height < 1000.0, "fits a laptop screen at width 1000 (height {})", layout.height);
    }

    #[test]
    fn a_producer_whose_workload_sent_its_records_reads_finished_not_sending() {
        // idempotent-producer's producers send 200 records each and stop: they kept reading
        // "sending · 20/s" with nothing queued.
        let lesson = crate::scenario::library::preset("idempotent-producer").unwrap();
        let mut world = lesson.run_definition().start().unwrap();
        // Drained as it goes: a full event buffer stops `run_until` early.
        let run_to = |world: &mut crate::kafka::world::World, ms: u64| {
            while world.now().ms() < ms {
                world.run_until(crate::sim::Tick(ms));
                while world.poll_event().is_some() {}
            }
        };
        run_to(&mut world, 2_000);
        let early = Structure::of(&world.view(), &Tracked::default(), 1);
        assert!(early.producers.iter().all(|p| p.activity() == "sending"), "{:?}", early.producers);
        run_to(&mut world, 15_000);
        let late = Structure::of(&world.view(), &Tracked::default(), 1);
        assert!(late.producers.iter().all(|p| p.activity() == "finished"), "{:?}", late.producers);
    }

    #[test]
    fn a_consumer_says_its_processing_time_per_poll_and_per_record() {
        assert_eq!(processing_words(0, 500), "processes each poll's records in 500 ms", "a bulk insert per poll read \"each record in 0 ms\"");
        assert_eq!(processing_words(20, 0), "processes each record in 20 ms");
        assert_eq!(processing_words(20, 500), "processes each poll's records in 500 ms plus 20 ms a record");
        assert_eq!(processing_words(0, 0), "processes each record in 0 ms");
    }
}
