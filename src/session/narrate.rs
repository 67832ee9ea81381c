//! Narration: engine events told in plain language, with their causes.
//!
//! "orders-2's leader moved from broker 1 to broker 3 because broker 1 missed its heartbeats for 9 s."
//! Every line keeps the event's `seq` and time (so clicking it jumps the timeline there) and a
//! [`Category`] for filtering. Routine traffic (appends, fetches, acknowledgements) is left to the
//! animation and the charts; only what changes the story is told.
//!
//! The log is bounded per category, so a storm of one kind (retries during a failover) never pushes out
//! the line that explains it, and repeats of the same thing within a second fold into one line with a
//! count.

use crate::kafka::config::OffsetReset;
use crate::kafka::ids::{BrokerId, Node, PartitionIndex};
use crate::kafka::log::RollReason;
use crate::kafka::log::retention::RetentionReason;
use crate::kafka::metadata::{ChangeReason, is_internal_topic};
use crate::kafka::protocol::{KafkaError, MessageKind};
use crate::kafka::world::event::{DropReason, Event, EventKind, ResetCause, TruncateCause};
use crate::kafka::world::View;
use crate::sim::Tick;
use crate::sim::net::LossReason;
use std::collections::VecDeque;
use std::fmt::Write as _;

/// What a line is about; the narration panel filters on these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// Brokers starting, stopping, being fenced; the controller.
    Brokers,
    /// Leaders, ISRs, truncation: how copies of a partition agree.
    Replication,
    Producers,
    Consumers,
    /// Segments rolling and retention deleting them.
    Logs,
    /// Cuts, slow or lossy links, lost messages.
    Network,
    /// Topics created or grown, configs changed.
    Config,
}

impl Category {
    pub const ALL: [Category; 7] =
        [Category::Brokers, Category::Replication, Category::Producers, Category::Consumers, Category::Logs, Category::Network, Category::Config];

    pub fn label(self) -> &'static str {
        match self {
            Category::Brokers => "Brokers",
            Category::Replication => "Replication",
            Category::Producers => "Producers",
            Category::Consumers => "Consumers",
            Category::Logs => "Logs",
            Category::Network => "Network",
            Category::Config => "Config",
        }
    }

    /// A stable lower-case id (`data-category`, test selectors).
    pub fn id(self) -> &'static str {
        match self {
            Category::Brokers => "brokers",
            Category::Replication => "replication",
            Category::Producers => "producers",
            Category::Consumers => "consumers",
            Category::Logs => "logs",
            Category::Network => "network",
            Category::Config => "config",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// How much a line matters: warnings are things going wrong (a broker down, data lost, a failed send).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
}

/// One line of narration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The event's position in the run (the first one, when repeats were folded in).
    pub seq: u64,
    pub at: Tick,
    pub category: Category,
    pub severity: Severity,
    pub text: String,
    /// The partition the line is about, if one (the inspector opens it).
    pub partition: Option<PartitionIndex>,
    /// The seqs of the events folded into this line after its first (repeats within a second): after
    /// a rewind the line may be shown before some of them happen again, and it counts only those that
    /// have (see [`Line::repeats_before`]).
    folded: Vec<u64>,
    /// Events with equal keys within [`FOLD_WINDOW_MS`] fold together.
    fold_key: Option<String>,
}

impl Line {
    /// How many events this line stands for among those before `before_seq` (the present's: see
    /// [`Session::repeats_now`](super::Session::repeats_now)). Rewound to 5 s, a line folded from 11
    /// events of which 7 had happened by then said "+10 like it".
    pub fn repeats_before(&self, before_seq: u64) -> u32 {
        1 + self.folded.partition_point(|&s| s < before_seq) as u32
    }
}

impl super::Session {
    /// How many events a narration line stands for up to now (a line read after a rewind counts only
    /// the repeats that have happened again). Beside [`Line`], as the present's seq is what
    /// [`Session::narration_now`](super::Session::narration_now) shows lines before.
    pub fn repeats_now(&self, line: &Line) -> u32 {
        line.repeats_before(self.world().event_count())
    }
}

/// Repeats of the same thing closer than this fold into one line.
pub const FOLD_WINDOW_MS: u64 = 1_000;

/// A line before it is stored: what [`narrate`] makes of one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub category: Category,
    pub severity: Severity,
    pub text: String,
    pub partition: Option<PartitionIndex>,
    pub fold_key: Option<String>,
}

impl Draft {
    fn new(category: Category, severity: Severity, text: String) -> Draft {
        Draft { category, severity, text, partition: None, fold_key: None }
    }

    fn about(mut self, partition: PartitionIndex) -> Draft {
        self.partition = Some(partition);
        self
    }

    fn folding(mut self, key: String) -> Draft {
        self.fold_key = Some(key);
        self
    }
}

/// The narration so far: at most `per_category_max` lines per category, oldest dropped first.
#[derive(Clone, Debug)]
pub struct Narration {
    lanes: Vec<VecDeque<Line>>,
    per_category_max: usize,
    /// Lines ever added (dropped ones included), for the live region and tests.
    pub added: u64,
}

impl Narration {
    pub fn new(per_category_max: usize) -> Narration {
        Narration { lanes: Category::ALL.iter().map(|_| VecDeque::new()).collect(), per_category_max: per_category_max.max(1), added: 0 }
    }

    /// Adds the line for an event (folding it into the previous line of its category when it repeats).
    pub fn push(&mut self, seq: u64, at: Tick, draft: Draft) {
        let lane = &mut self.lanes[draft.category.slot()];
        if let (Some(key), Some(last)) = (&draft.fold_key, lane.back_mut())
            && last.fold_key.as_ref() == Some(key)
            && at.since(last.at) <= FOLD_WINDOW_MS
        {
            last.folded.push(seq);
            return;
        }
        lane.push_back(Line {
            seq,
            at,
            category: draft.category,
            severity: draft.severity,
            text: draft.text,
            partition: draft.partition,
            folded: Vec::new(),
            fold_key: draft.fold_key,
        });
        self.added += 1;
        while lane.len() > self.per_category_max {
            lane.pop_front();
        }
    }

    /// Forgets every line of events at or after `seq` (a branch replaced that future), and the
    /// repeats of them folded into an earlier line (only a lane's last line takes repeats).
    pub fn truncate_from(&mut self, seq: u64) {
        for lane in &mut self.lanes {
            while lane.back().is_some_and(|l| l.seq >= seq) {
                lane.pop_back();
            }
            if let Some(last) = lane.back_mut() {
                let kept = last.folded.partition_point(|&s| s < seq);
                last.folded.truncate(kept);
            }
        }
    }

    pub fn clear(&mut self) {
        for lane in &mut self.lanes {
            lane.clear();
        }
    }

    /// How many lines are stored.
    pub fn len(&self) -> usize {
        self.lanes.iter().map(VecDeque::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The last `max` lines of the chosen categories with `seq < before_seq`, oldest first.
    pub fn recent(&self, categories: &[Category], before_seq: u64, max: usize) -> Vec<&Line> {
        // Each lane is in seq order: take from the newest end of every chosen lane, newest first,
        // then turn the result around (a merge, not a sort).
        let mut ends: Vec<(usize, usize)> = categories
            .iter()
            .map(|c| {
                let lane = &self.lanes[c.slot()];
                (c.slot(), lane.partition_point(|l| l.seq < before_seq))
            })
            .collect();
        let mut lines: Vec<&Line> = Vec::with_capacity(max.min(256));
        while lines.len() < max {
            let newest = ends.iter_mut().filter(|(_, end)| *end > 0).max_by_key(|(slot, end)| self.lanes[*slot][*end - 1].seq);
            let Some((slot, end)) = newest else { break };
            *end -= 1;
            lines.push(&self.lanes[*slot][*end]);
        }
        lines.reverse();
        lines
    }

    /// The first line of the chosen categories with `seq >= from_seq` (the "next" button).
    pub fn next_after(&self, categories: &[Category], from_seq: u64) -> Option<&Line> {
        categories
            .iter()
            .filter_map(|c| {
                let lane = &self.lanes[c.slot()];
                lane.get(lane.partition_point(|l| l.seq < from_seq))
            })
            .min_by_key(|l| l.seq)
    }
}

/// Names of things as a learner reads them.
pub fn partition_name(view: &View<'_>, partition: PartitionIndex) -> String {
    if view.metadata().partitions.get(partition.get()).is_some() { view.topic_partition(partition).to_string() } else { format!("partition #{}", partition.0) }
}

/// Partitions as a list a learner reads: "orders-0, orders-1".
fn partition_names(view: &View<'_>, partitions: &[PartitionIndex]) -> String {
    partitions.iter().map(|p| partition_name(view, *p)).collect::<Vec<_>>().join(", ")
}

pub fn node_name(view: &View<'_>, node: Node) -> String {
    match node {
        Node::Broker(b) => format!("broker {b}"),
        Node::Controller(c) => format!("controller {c}"),
        Node::Producer(p) => view.producers().get(p as usize).map_or_else(|| format!("producer #{p}"), |x| format!("producer {}", x.name)),
        Node::Consumer(c) => view.consumers().get(c as usize).map_or_else(|| format!("consumer #{c}"), |x| format!("consumer {}", x.name)),
    }
}

/// A link's new conditions, saying only what it does: "loses 0% of packets" told the learner about a
/// fault there was not.
fn link_sentence(from: &str, to: &str, latency_ms: u64, loss_percent: u32, drop_percent: u32) -> String {
    let loss = format!("loses {loss_percent}% of packets (TCP sends them again, late)");
    let faults = match (loss_percent, drop_percent) {
        (0, 0) => String::new(),
        (_, 0) => format!(" and {loss}"),
        (0, _) => format!(" and resets {drop_percent}% of connections"),
        _ => format!(", {loss} and resets {drop_percent}% of connections"),
    };
    format!("The link between {from} and {to} now takes {} one way{faults}.", duration(latency_ms))
}

fn producer_name(view: &View<'_>, index: u32) -> String {
    view.producers().get(index as usize).map_or_else(|| format!("producer #{index}"), |p| p.name.to_string())
}

fn producer_is_transactional(view: &View<'_>, index: u32) -> bool {
    view.producers().get(index as usize).is_some_and(|p| p.txn.is_some())
}

fn consumer_name(view: &View<'_>, index: u32) -> String {
    view.consumers().get(index as usize).map_or_else(|| format!("consumer #{index}"), |c| c.name.to_string())
}

fn brokers_list(brokers: &[BrokerId]) -> String {
    if brokers.is_empty() {
        return "no broker".into();
    }
    let ids: Vec<String> = brokers.iter().map(|b| b.to_string()).collect();
    format!("[{}]", ids.join(", "))
}

/// "9 s", "1.5 s", "250 ms": a duration as a learner says it.
pub fn duration(ms: u64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 && ms.is_multiple_of(1_000) {
        format!("{} s", ms / 1_000)
    } else if ms < 60_000 {
        // To the nearest tenth: a broker silent for 9,498 ms was silent 9.5 s, as a lesson reading the
        // same event says.
        let tenths = (ms + 50) / 100;
        if tenths.is_multiple_of(10) { format!("{} s", tenths / 10) } else { format!("{}.{} s", tenths / 10, tenths % 10) }
    } else if (ms % 60_000) / 1_000 == 0 {
        format!("{} min", ms / 60_000)
    } else {
        format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1_000)
    }
}

/// A moment of the run as the timeline shows it: `1:02.350`.
pub fn clock(at: Tick) -> String {
    let ms = at.ms();
    format!("{}:{:02}.{:03}", ms / 60_000, (ms / 1_000) % 60, ms % 1_000)
}

fn message_kind(kind: MessageKind) -> &'static str {
    match kind {
        MessageKind::Metadata => "metadata request",
        MessageKind::Produce => "produce request",
        MessageKind::ProduceResponse => "produce response",
        MessageKind::Fetch => "fetch request",
        MessageKind::ReplicaFetch => "replica fetch",
        MessageKind::FetchResponse => "fetch response",
        MessageKind::ReplicaFetchResponse => "replica fetch response",
        MessageKind::ListOffsets => "ListOffsets request",
        MessageKind::InitProducerId => "InitProducerId request",
        MessageKind::Disconnected => "connection reset",
        MessageKind::ControllerPlane => "controller message",
        MessageKind::Group => "group coordinator message",
        MessageKind::Transaction => "transaction message",
        MessageKind::Quorum => "controller quorum message",
    }
}

/// A short name for a message kind (legends, the step table).
pub fn message_kind_label(kind: MessageKind) -> &'static str {
    message_kind(kind)
}

fn is_internal(view: &View<'_>, partition: PartitionIndex) -> bool {
    view.metadata().partitions.get(partition.get()).is_some() && is_internal_topic(&view.topic_partition(partition).topic)
}

/// Leadership and ISR changes of an internal topic's partitions fold into one line per cause: when a
/// broker dies, 50 partitions of `__consumer_offsets` move with the learner's 3, and a line each
/// would bury the ones the learner is watching. Their first leaders at creation are not told at all:
/// the topic's creation line says it.
fn internal_change(view: &View<'_>, partition: PartitionIndex, reason: &ChangeReason) -> Option<Draft> {
    if matches!(reason, ChangeReason::Created) {
        return None;
    }
    let topic = view.topic_partition(partition).topic;
    let why = why_changed(reason);
    let text = format!("Partitions of the internal topic {topic} changed leader or ISR too, because {why}.");
    Some(Draft::new(Category::Replication, Severity::Info, text).about(partition).folding(format!("internal {topic}: {why}")))
}

fn why_changed(reason: &ChangeReason) -> String {
    match reason {
        ChangeReason::Created => "the partition was just created".into(),
        ChangeReason::BrokerFenced { broker, silent_ms } => {
            format!("broker {broker} missed its heartbeats for {} (broker.session.timeout.ms)", duration(*silent_ms))
        }
        ChangeReason::BrokerUnfenced { broker } => format!("broker {broker} is back and registered with the controller"),
        ChangeReason::AlterPartition { requested_by } => format!("leader broker {requested_by} asked the controller (AlterPartition)"),
        ChangeReason::PreferredElection => "leadership went back to the preferred (first assigned) replica".into(),
        ChangeReason::UncleanElection => {
            "no in-sync replica was alive, so an out-of-sync one was elected (unclean.leader.election.enable)".into()
        }
    }
}

/// The line for one event, or `None` for routine traffic the animation and charts already show.
///
/// `leaders` is each partition's leader as of the event (the caller follows `LeaderChanged`), so a
/// line never depends on how far past the event the world had run when it was told.
pub fn narrate(event: &Event, view: &View<'_>, leaders: &[Option<BrokerId>]) -> Option<Draft> {
    use Category::*;
    use Severity::*;
    let draft = match &event.kind {
        EventKind::MessageSent { .. }
        | EventKind::Appended { .. }
        | EventKind::HighWatermark { .. }
        | EventKind::Flushed { .. }
        | EventKind::ProduceAcked { .. }
        | EventKind::ProduceSentNoAck { .. }
        | EventKind::ProduceUnsent { .. }
        | EventKind::Polled { .. }
        | EventKind::Processed { .. } => return None,

        EventKind::MessageDropped { from, to, kind, reason, .. } => {
            let (from_name, to_name) = (node_name(view, *from), node_name(view, *to));
            let (why, severity) = match reason {
                DropReason::Network(LossReason::Cut) => ("the network between them is cut".to_string(), Warning),
                DropReason::Network(LossReason::ConnectionReset) => ("the connection reset (a flaky link, or TCP gave up)".to_string(), Warning),
                DropReason::SenderDied => (format!("{from_name} died before the network could deliver it"), Info),
                // The consequence of a stopped process, told once when it stopped: not a warning again.
                DropReason::NodeDown => (format!("{to_name} is down"), Info),
                // Not lost: the sender keeps it. Told once a second per client, as it keeps trying.
                DropReason::Refused => (format!("refused {}", from.net_id().0), Info),
            };
            let text = match reason {
                DropReason::Refused => format!("{from_name} could not connect to {to_name}, which is down: its {} was not sent.", message_kind(*kind)),
                _ => format!("A {} from {from_name} to {to_name} was lost: {why}.", message_kind(*kind)),
            };
            // Everything lost on the way to one node for one reason within a second is one line.
            Draft::new(Network, severity, text).folding(format!("drop {} {why}", to.net_id().0))
        }
        EventKind::NetworkCut { cut, side_a, side_b } => {
            let a: Vec<String> = side_a.iter().map(|n| node_name(view, *n)).collect();
            let b: Vec<String> = side_b.iter().map(|n| node_name(view, *n)).collect();
            Draft::new(
                Network,
                Warning,
                format!("Network cut #{cut}: nothing crosses between {} and {} until it is healed.", a.join(", "), b.join(", ")),
            )
        }
        EventKind::NetworkHealed { cut } => Draft::new(Network, Info, format!("Network cut #{cut} healed: messages cross again.")),
        EventKind::LinkChanged { from, to, latency_ms, loss_percent, drop_percent } => {
            Draft::new(Network, Info, link_sentence(&node_name(view, *from), &node_name(view, *to), *latency_ms, *loss_percent, *drop_percent))
        }
        EventKind::DiskSlowed { broker, factor } => {
            if *factor <= 1 {
                Draft::new(Brokers, Info, format!("Broker {broker}'s disk is back to normal speed."))
            } else {
                Draft::new(Brokers, Warning, format!("Broker {broker}'s disk is now {factor}× slower: its appends, and the acks=all writes waiting on them, take longer."))
            }
        }

        EventKind::BrokerStopped { broker, lost_page_cache } => {
            let mut text = format!("Broker {broker} stopped.");
            if *lost_page_cache {
                text.push_str(" Its machine lost power: writes still in the page cache (not yet flushed to disk) are gone.");
            } else {
                text.push_str(" The controller notices only when its heartbeats stop arriving.");
            }
            Draft::new(Brokers, Warning, text)
        }
        EventKind::BrokerStarted { broker } => {
            Draft::new(Brokers, Info, format!("Broker {broker} started: it registers with the controller and catches up before it rejoins any ISR."))
        }
        EventKind::BrokerRegistered { broker, epoch } => {
            Draft::new(Brokers, Info, format!("Broker {broker} registered with the controller (broker epoch {epoch})."))
        }
        EventKind::BrokerFenced { broker, silent_ms } => Draft::new(
            Brokers,
            Warning,
            format!(
                "The controller fenced broker {broker}: no heartbeat for {} (broker.session.timeout.ms). It leaves every ISR and loses its leaderships.",
                duration(*silent_ms)
            ),
        ),
        EventKind::BrokerUnfenced { broker } => {
            Draft::new(Brokers, Info, format!("The controller unfenced broker {broker}: it heartbeats again and may lead partitions."))
        }
        EventKind::TopicCreated { name, partitions, replication_factor, .. } => Draft::new(
            Config,
            Info,
            format!("Topic {name} created with {partitions} partition{}, each kept on {replication_factor} broker{} (replication factor {replication_factor}).",
                if *partitions == 1 { "" } else { "s" }, if *replication_factor == 1 { "" } else { "s" }),
        ),
        EventKind::PartitionsAdded { topic, from, to } => {
            let name = view.metadata().topics.get(*topic as usize).map_or_else(|| format!("#{topic}"), |t| t.name.to_string());
            Draft::new(
                Config,
                Info,
                format!("Topic {name} grew from {from} to {to} partitions. Existing records stay where they are; keys may now hash to the new partitions. Producers and consumer groups use them once their next metadata refresh shows them (metadata.max.age.ms, 5 minutes by default)."),
            )
        }
        EventKind::ConfigChanged { target, key, value } => {
            let (kind, name) = target.split_once(':').unwrap_or(("", target.as_str()));
            let who = match kind {
                "producer" => format!("Producer {name}"),
                "consumer" => format!("Consumer {name}"),
                "topic" => format!("Topic {name}"),
                _ => target.clone(),
            };
            Draft::new(Config, Info, format!("{who} now has {key} = {}.", value.trim_matches('"')))
        }

        EventKind::LeaderChanged { partition, reason, .. } | EventKind::IsrChanged { partition, reason, .. } if is_internal(view, *partition) => {
            return internal_change(view, *partition, reason);
        }
        EventKind::LeaderChanged { partition, leader, previous, epoch, reason } => {
            let p = partition_name(view, *partition);
            let severity = if leader.is_none() || matches!(reason, ChangeReason::UncleanElection) { Warning } else { Info };
            let text = match (reason, leader, previous) {
                (ChangeReason::Created, Some(l), _) => format!("{p}'s first leader is broker {l} (leader epoch {epoch})."),
                (_, None, Some(old)) => format!(
                    "{p} has no leader: broker {old} lost it because {}, and no other in-sync replica is alive. Writes and reads of {p} stop until one comes back.",
                    why_changed(reason)
                ),
                (_, None, None) => format!("{p} has no leader because {}.", why_changed(reason)),
                (ChangeReason::UncleanElection, Some(l), _) => format!(
                    "{p} elected out-of-sync broker {l} as leader (epoch {epoch}): records only the old leader had are lost (unclean leader election)."
                ),
                (ChangeReason::PreferredElection, Some(l), Some(old)) => {
                    format!("{p}'s leadership moved from broker {old} back to its preferred replica, broker {l} (epoch {epoch}).")
                }
                (_, Some(l), Some(old)) if l != old => {
                    format!("{p}'s leader moved from broker {old} to broker {l} (epoch {epoch}) because {}.", why_changed(reason))
                }
                (_, Some(l), Some(_)) => format!("{p}'s leader stays broker {l} with a new leader epoch {epoch} because {}.", why_changed(reason)),
                (_, Some(l), None) => format!("{p} has a leader again: broker {l} (epoch {epoch}), because {}.", why_changed(reason)),
            };
            Draft::new(Replication, severity, text).about(*partition)
        }
        EventKind::IsrChanged { partition, isr, previous, reason } => {
            if matches!(reason, ChangeReason::Created) {
                return None;
            }
            let p = partition_name(view, *partition);
            let removed: Vec<BrokerId> = previous.iter().filter(|b| !isr.contains(b)).copied().collect();
            let added: Vec<BrokerId> = isr.iter().filter(|b| !previous.contains(b)).copied().collect();
            let list = brokers_list(isr);
            let text = match (reason, removed.is_empty(), added.is_empty()) {
                (ChangeReason::AlterPartition { requested_by }, false, true) => format!(
                    "{p}'s ISR shrank to {list}: leader broker {requested_by} saw {} fall behind for longer than replica.lag.time.max.ms.",
                    brokers_phrase(&removed)
                ),
                (ChangeReason::AlterPartition { requested_by }, true, false) => {
                    format!("{p}'s ISR grew to {list}: {} caught up with leader broker {requested_by}.", brokers_phrase(&added))
                }
                (_, false, true) => format!("{p}'s ISR shrank to {list} because {}.", why_changed(reason)),
                (_, true, false) => format!("{p}'s ISR grew to {list} because {}.", why_changed(reason)),
                _ => format!("{p}'s ISR is now {list} because {}.", why_changed(reason)),
            };
            // Below min.insync.replicas (at most the replication factor) the high watermark stops,
            // as in Kafka since 3.7 (maybeIncrementLeaderHW returns while the partition is under
            // min ISR): a learner who knows "the HW is the lowest LEO in the ISR" would otherwise
            // read the frozen HW as a bug. The HW is the leader's as the line is written.
            let leader = view.metadata().partitions.get(partition.0 as usize).and_then(|m| m.leader);
            let replica = leader.and_then(|l| view.broker(l)).and_then(|b| b.replicas.get(partition));
            let mut text = text;
            if let Some(replica) = replica {
                let min = replica.effective_min_isr();
                if isr.len() < min && previous.len() >= min {
                    let _ = write!(
                        text,
                        " That is fewer than the {min} in-sync replicas min.insync.replicas asks for: the high watermark stays at {} until the ISR grows back, so consumers read nothing newer; new acks=all writes are refused (NOT_ENOUGH_REPLICAS), and acks=1 writes are kept but stay unread.",
                        replica.log.high_watermark()
                    );
                } else if isr.len() >= min && previous.len() < min {
                    let _ = write!(text, " With the {min} in-sync replicas min.insync.replicas asks for, the high watermark can move on.");
                }
            }
            let severity = if isr.len() < previous.len() { Warning } else { Info };
            Draft::new(Replication, severity, text).about(*partition)
        }

        EventKind::Truncated { broker, partition, to_offset, removed_records, cause } => {
            if *removed_records == 0 {
                return None;
            }
            let p = partition_name(view, *partition);
            let n = records(*removed_records);
            let text = match cause {
                TruncateCause::DivergingEpoch { leader, epoch } => format!(
                    "Broker {broker} removed {n} from its copy of {p} (now ending at offset {to_offset}): new leader broker {leader} never had them; the logs diverge after leader epoch {epoch}."
                ),
                TruncateCause::BelowLeaderLogStart { leader } => format!(
                    "Broker {broker}'s copy of {p} fell below leader broker {leader}'s log start; it dropped {n} and restarts at offset {to_offset}."
                ),
                TruncateCause::LostPageCache => {
                    format!("Broker {broker} lost {n} of {p} that were only in the page cache; its log now ends at offset {to_offset}.")
                }
            };
            Draft::new(Replication, Warning, text).about(*partition)
        }
        EventKind::SegmentRolled { broker, partition, base_offset, reason } => {
            if !is_leader(leaders, *broker, *partition) {
                return None;
            }
            let why = match reason {
                RollReason::SegmentBytes => "the active one reached segment.bytes",
                RollReason::SegmentMs => "the active one is older than segment.ms",
                RollReason::IndexFull => "its index is full",
                RollReason::OffsetOverflow => "offsets would overflow the segment",
                RollReason::Retention => "retention expired the active segment",
            };
            let p = partition_name(view, *partition);
            Draft::new(Logs, Info, format!("{p} (leader broker {broker}) rolled a new segment at offset {base_offset}: {why}."))
                .about(*partition)
                .folding(format!("roll {why}"))
        }
        EventKind::SegmentDeleted { broker, partition, base_offset, next_offset, reason, log_start_offset } => {
            if !is_leader(leaders, *broker, *partition) {
                return None;
            }
            let why = match reason {
                RetentionReason::RetentionMs => "its newest record is older than retention.ms",
                RetentionReason::RetentionBytes => "the log is larger than retention.bytes",
                RetentionReason::LogStartOffset => "everything in it is below the log start offset",
            };
            let p = partition_name(view, *partition);
            Draft::new(
                Logs,
                Info,
                format!("Retention deleted {p}'s segment of offsets {base_offset} to {} ({why}): the log now starts at offset {log_start_offset}.", next_offset.saturating_sub(1)),
            )
            .about(*partition)
            .folding(format!("delete {why}"))
        }

        EventKind::ProduceFailed { producer, partition, records: n, error, retrying } => {
            let name = producer_name(view, *producer);
            let p = partition_name(view, *partition);
            let what = match (error, retrying) {
                // Why the leader refused it is told by the epoch bump that follows, when it is a loss.
                (KafkaError::OutOfOrderSequenceNumber, true) => "its sequence numbers do not follow the last ones the leader holds for this producer; it will retry",
                (KafkaError::OutOfOrderSequenceNumber, false) if producer_is_transactional(view, *producer) => {
                    "the leader's log does not continue where this producer's sequence numbers do, and a transaction cannot renumber its batches: these records are lost and the transaction must abort"
                }
                (_, true) => "it will retry",
                (_, false) => "it gave up: these records are lost",
            };
            Draft::new(Producers, Warning, format!("{name}'s batch of {} for {p} failed with {}; {what}.", records(u64::from(*n)), error.kafka_name()))
                .about(*partition)
                .folding(format!("fail {producer} {} {retrying}", error.kafka_name()))
        }

        EventKind::PositionReset { consumer, partition, offset, policy, cause } => {
            let name = consumer_name(view, *consumer);
            let p = partition_name(view, *partition);
            let policy = match policy {
                OffsetReset::Earliest => "earliest",
                OffsetReset::Latest => "latest",
                OffsetReset::None => "none",
            };
            let text = match cause {
                ResetCause::NoCommittedOffset => {
                    format!("{name} starts reading {p} at offset {offset}: no committed offset, so auto.offset.reset={policy} decides.")
                }
                ResetCause::OffsetOutOfRange { position } => format!(
                    "{name}'s position {position} in {p} is out of range (retention deleted it, or the log was truncated): auto.offset.reset={policy} moved it to {offset}."
                ),
            };
            let severity = if matches!(cause, ResetCause::OffsetOutOfRange { .. }) { Warning } else { Info };
            Draft::new(Consumers, severity, text).about(*partition).folding(format!("reset {consumer} {}", matches!(cause, ResetCause::NoCommittedOffset)))
        }
        EventKind::ConsumerError { consumer, partition, error } => {
            let name = consumer_name(view, *consumer);
            let p = partition_name(view, *partition);
            Draft::new(Consumers, Warning, format!("{name} got {} reading {p}.", error.kafka_name()))
                .about(*partition)
                .folding(format!("error {consumer} {}", error.kafka_name()))
        }
        EventKind::ConsumerCrashed { consumer } => Draft::new(
            Consumers,
            Warning,
            format!("{} crashed: the records it was processing are lost and it commits nothing more.", consumer_name(view, *consumer)),
        ),
        EventKind::ConsumerFailed { consumer, error } => {
            let name = consumer_name(view, *consumer);
            let c = view.consumers().get(*consumer as usize);
            let group = c.and_then(|c| c.group.as_deref()).unwrap_or("its group");
            let why = match error {
                KafkaError::InvalidSessionTimeout => {
                    let asked = c.map_or(String::new(), |c| format!(" of {}", duration(c.config.session_timeout_ms)));
                    let allowed = view.brokers().next().map_or(String::new(), |b| {
                        format!(" (the brokers allow {} to {})", duration(b.config.group_min_session_timeout_ms), duration(b.config.group_max_session_timeout_ms))
                    });
                    format!(
                        "{group}'s coordinator refused its JoinGroup with INVALID_SESSION_TIMEOUT: a session.timeout.ms{asked} is outside group.min.session.timeout.ms and group.max.session.timeout.ms{allowed}. Change session.timeout.ms, then restart it"
                    )
                }
                other => format!("it got {}", other.kafka_name()),
            };
            Draft::new(Consumers, Warning, format!("{name}'s poll() threw and the application died: {why}."))
        }
        EventKind::ConsumerStarted { consumer } => Draft::new(Consumers, Info, format!("{} started.", consumer_name(view, *consumer))),
        EventKind::ConsumerClosed { consumer, left_group } => {
            let name = consumer_name(view, *consumer);
            let c = view.consumers().get(*consumer as usize);
            let what = match (c.and_then(|c| c.group.as_deref()), c.is_some_and(|c| c.config.group_instance_id.is_some()), left_group) {
                (Some(group), _, true) => format!(": it left group {group}, so its partitions move now instead of after session.timeout.ms"),
                (Some(group), true, false) => format!(": a static member of group {group} sends no LeaveGroup, so its partitions wait for it until session.timeout.ms"),
                (Some(group), false, false) => format!(": it could not tell group {group}'s coordinator it was leaving, so its partitions move only after session.timeout.ms"),
                (None, _, _) => String::new(),
            };
            Draft::new(Consumers, Info, format!("{name} closed cleanly, once it had processed the records it held{what}."))
        }

        // Held messages are shown on the wire; the cut itself was told.
        EventKind::MessageHeld { .. } | EventKind::BecameLeader { .. } | EventKind::MarkerWritten { .. } => return None,
        EventKind::BrokerRegistrationRefused { broker, error } => Draft::new(
            Brokers,
            Info,
            format!(
                "Broker {broker} asked to register again but the controller refused ({}): its previous life's session has not expired yet. It retries at every heartbeat.",
                error.kafka_name()
            ),
        )
        .folding(format!("refused {broker}")),
        EventKind::Violation { kind, partition, offset, records: n, .. } => Draft::new(
            Replication,
            Warning,
            format!("Guarantee broken ({}): {} at offset {offset} of {}.", kind.name().replace('_', " "), records(u64::from(*n)), partition_name(view, *partition)),
        )
        .about(*partition)
        // One unclean election loses records at many offsets at once: 75 lines pushed its cause out
        // of the list. The same breach on the same partition within a second folds into one line.
        .folding(format!("violation {} {}", kind.name(), partition.0)),
        EventKind::RebalanceStarted { group, coordinator, generation, reason } => {
            let why = rebalance_reason(view, reason);
            Draft::new(Consumers, Info, format!("Group {group} starts rebalancing after generation {generation} because {why}. Coordinator: broker {coordinator}."))
        }
        EventKind::GenerationStarted { group, generation, protocol, leader, members } => {
            let names: Vec<String> = members.iter().map(|m| consumer_name(view, *m)).collect();
            let leader = leader.map(|l| consumer_name(view, l)).unwrap_or_else(|| "none".into());
            Draft::new(
                Consumers,
                Info,
                format!("Group {group} generation {generation}: members {}; {leader} leads and computes the assignment with {protocol}.", names.join(", ")),
            )
        }
        EventKind::GroupStable { group, generation } => {
            Draft::new(Consumers, Info, format!("Group {group} is stable in generation {generation}: every member has its partitions."))
        }
        EventKind::MemberRemoved { group, consumer, reason } => Draft::new(
            Consumers,
            Warning,
            format!("The coordinator removed {} from group {group}: {}.", consumer_name(view, *consumer), rebalance_reason(view, reason)),
        ),
        EventKind::AssignmentChanged { consumer, assigned, .. } => {
            let what = if assigned.is_empty() { "no partitions (an idle member)".to_string() } else { partition_names(view, assigned) };
            Draft::new(Consumers, Info, format!("{} now reads {what}.", consumer_name(view, *consumer)))
        }
        EventKind::PartitionsRevoked { consumer, partitions, .. } => {
            Draft::new(Consumers, Info, format!("{} gives up {} (onPartitionsRevoked) and stops reading them.", consumer_name(view, *consumer), partition_names(view, partitions)))
        }
        EventKind::PartitionsLost { consumer, group, partitions } => Draft::new(
            Consumers,
            Warning,
            format!(
                "{} loses {} (onPartitionsLost) in group {group}: it cannot commit what it read from them, so their next owner starts from the last committed offset.",
                consumer_name(view, *consumer),
                partition_names(view, partitions)
            ),
        ),
        EventKind::OffsetsCommitted { .. } | EventKind::PositionRestored { .. } => return None,
        EventKind::OffsetCommitFailed { group, consumer, error } => Draft::new(
            Consumers,
            Warning,
            format!("{}'s offset commit for group {group} failed with {}: after a crash it would read those records again.", consumer_name(view, *consumer), error.kafka_name()),
        )
        .folding(format!("commitfail {consumer}")),
        EventKind::CoordinatorLoaded { group, coordinator, generation } => Draft::new(
            Consumers,
            Info,
            format!("Broker {coordinator} took over as group {group}'s coordinator and loaded it from __consumer_offsets (generation {generation})."),
        ),
        EventKind::TransactionStateChanged { transactional_id, state, .. } => {
            use crate::kafka::txn::coordinator::TxnState;
            let text = match state {
                TxnState::Ongoing => format!("Transaction of {transactional_id} began: its partitions are added to it."),
                TxnState::PrepareCommit => format!("{transactional_id} commits: the coordinator wrote PrepareCommit and now writes a COMMIT marker into each partition."),
                TxnState::PrepareAbort => format!("{transactional_id}'s transaction aborts: ABORT markers go into each of its partitions."),
                TxnState::CompleteCommit => format!("{transactional_id}'s transaction is committed: read_committed consumers now see its records."),
                TxnState::CompleteAbort => format!("{transactional_id}'s transaction is aborted: read_committed consumers skip its records."),
                TxnState::Empty => return None,
            };
            Draft::new(Producers, Info, text)
        }
        EventKind::ProducerFenced { producer, producer_epoch } => {
            // A processor's producer is replaced at once (see World::link_processor).
            let then = match view.producers().get(*producer as usize).and_then(|p| p.processor) {
                Some(c) => format!(
                    "Like Kafka Streams, {} drops its tasks, makes a new producer and rejoins its group, going on from its last committed offsets.",
                    consumer_name(view, c)
                ),
                None => "It can write nothing more.".into(),
            };
            Draft::new(
                Producers,
                Warning,
                format!("{} was fenced: a newer instance with the same transactional.id (or a transaction timeout) bumped the epoch past {producer_epoch}. {then}", producer_name(view, *producer)),
            )
        }
        EventKind::ProducerEpochBumped { producer, producer_epoch, partitions } => Draft::new(
            Producers,
            Warning,
            format!(
                "{} learned that the leader of {} no longer holds records it had sent and been told were written: the leader refused the very next batch as out of order. It bumps its producer epoch to {producer_epoch} and numbers its unacknowledged batches there from 0 again, which the leader takes as a fresh start; the lost records stay lost.",
                producer_name(view, *producer),
                partition_names(view, partitions)
            ),
        ),
        EventKind::ProducerCrashed { producer, records_lost } => Draft::new(
            Producers,
            Warning,
            format!("{} crashed: {} it had not sent or not heard back about are gone with it.", producer_name(view, *producer), records(*records_lost)),
        ),
        EventKind::ProducerStarted { producer } => Draft::new(Producers, Info, format!("{} started (a new instance).", producer_name(view, *producer))),
        EventKind::SendTimedOut { producer, records: n, buffer_full } => {
            let name = producer_name(view, *producer);
            let waited = view.producers().get(*producer as usize).map_or_else(|| "max.block.ms".to_string(), |p| format!("max.block.ms ({})", duration(p.config.max_block_ms)));
            let why = if *buffer_full {
                "buffer.memory stayed full: the cluster takes records slower than the application makes them"
            } else {
                "the producer still had no metadata for its topic"
            };
            Draft::new(
                Producers,
                Warning,
                format!("{name}'s application waited {waited} inside send() because {why}; send() threw a TimeoutException and {} never reached the producer.", records(*n)),
            )
            .folding(format!("send timeout {producer} {buffer_full}"))
        }
        EventKind::ControllerElectionStarted { controller, epoch } => Draft::new(
            Brokers,
            Info,
            format!("Controller {controller} has no leader to follow, and a majority said in a pre-vote that they would vote for it: it stands for election in epoch {epoch} and asks for their votes."),
        ),
        EventKind::ControllerElected { controller, epoch } => Draft::new(
            Brokers,
            Info,
            format!("Controller {controller} won a majority of votes: it is the active controller for epoch {epoch}, and metadata changes now go through it."),
        ),
        EventKind::ControllerResigned { controller, epoch } => Draft::new(
            Brokers,
            Warning,
            format!("Controller {controller} no longer hears from a majority of the quorum: it stops acting as leader of epoch {epoch}."),
        ),
        EventKind::ControllerStopped { controller } => Draft::new(Brokers, Warning, format!("Controller {controller} stopped. Its metadata log is safe on disk.")),
        EventKind::ControllerStarted { controller } => Draft::new(Brokers, Info, format!("Controller {controller} started and rejoins the quorum.")),
        EventKind::RecordsDeleted { partition, log_start_offset, .. } => Draft::new(
            Logs,
            Info,
            format!("Records of {} below offset {log_start_offset} were deleted (DeleteRecords): no one can read them again.", partition_name(view, *partition)),
        )
        .about(*partition)
        .folding(format!("deleted {}", partition.0)),
    };
    Some(draft)
}

fn rebalance_reason(view: &View<'_>, reason: &crate::kafka::world::event::RebalanceReason) -> String {
    use crate::kafka::world::event::RebalanceReason as R;
    match reason {
        R::MemberJoined { consumer } => format!("{} joined", consumer_name(view, *consumer)),
        R::MemberLeft { consumer } => format!("{} left", consumer_name(view, *consumer)),
        R::SessionTimeout { consumer, silent_ms } => {
            format!("{} sent no heartbeat for {} (session.timeout.ms)", consumer_name(view, *consumer), duration(*silent_ms))
        }
        R::PollTimeout { consumer } => format!("{} did not poll within max.poll.interval.ms", consumer_name(view, *consumer)),
        // The coordinator sees only that the member's metadata changed (Kafka: "Updating metadata for
        // member … during Stable"); the client's own reason (KIP-800) is one of these.
        R::SubscriptionChanged { consumer } => format!(
            "{} rejoined with changed metadata (its subscription, or the partitions it still owns after a cooperative revoke; a leader also rejoins when its topics gain partitions)",
            consumer_name(view, *consumer)
        ),
        R::RejoinTimeout { consumer } => format!("{} did not rejoin in time", consumer_name(view, *consumer)),
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    }
}

fn records(n: u64) -> String {
    if n == 1 { "1 record".into() } else { format!("{n} records") }
}

fn brokers_phrase(brokers: &[BrokerId]) -> String {
    let mut text = String::new();
    for (i, b) in brokers.iter().enumerate() {
        if i > 0 {
            text.push_str(if i + 1 == brokers.len() { " and " } else { ", " });
        }
        let _ = write!(text, "broker {b}");
    }
    text
}

fn is_leader(leaders: &[Option<BrokerId>], broker: BrokerId, partition: PartitionIndex) -> bool {
    leaders.get(partition.get()).is_some_and(|l| *l == Some(broker))
}

/// Lines a screen reader is given at once, at most: more would be read for longer than the run takes
/// to make the next ones.
const ANNOUNCED_MAX: usize = 3;

/// What the live region reads for the lines that came since it last spoke (oldest first): all of them
/// when few; else the ones that matter most (warnings, then brokers, replication and config before
/// clients and the network's chatter), in their order, and how many more there are. Reading only the
/// newest line lost "Broker 1 stopped" and every new leader behind a reconnect attempt.
pub fn announcement(new: &[&Line]) -> String {
    // 0 matters most: warnings, then by category; 13 least.
    let rank = |l: &Line| {
        let of_category = match l.category {
            Category::Brokers => 0,
            Category::Replication => 1,
            Category::Config => 2,
            Category::Consumers => 3,
            Category::Producers => 4,
            Category::Logs => 5,
            Category::Network => 6,
        };
        if l.severity == Severity::Warning { of_category } else { 7 + of_category }
    };
    // Rank by rank, earlier lines first within one (no sort: 14 short passes).
    let mut said = vec![false; new.len()];
    let mut count = 0;
    for wanted in 0..14 {
        for (i, line) in new.iter().enumerate() {
            if count < ANNOUNCED_MAX && rank(line) == wanted {
                said[i] = true;
                count += 1;
            }
        }
    }
    let mut text = new.iter().zip(&said).filter(|(_, said)| **said).map(|(l, _)| l.text.as_str()).collect::<Vec<_>>().join(" ");
    let more = new.len() - count;
    if more > 0 {
        let _ = write!(text, " And {more} more line{} in What happened.", if more == 1 { "" } else { "s" });
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(seq: u64, category: Category, severity: Severity, text: &str) -> Line {
        Line { seq, at: Tick(seq), category, severity, text: text.into(), partition: None, folded: Vec::new(), fold_key: None }
    }

    #[test]
    fn the_live_region_reads_a_broker_stopping_and_a_new_leader_before_reconnect_chatter() {
        let lines = [
            line(1, Category::Network, Severity::Info, "broker 3 could not connect to broker 1."),
            line(2, Category::Brokers, Severity::Warning, "Broker 1 stopped."),
            line(3, Category::Network, Severity::Info, "broker 2 could not connect to broker 1."),
            line(4, Category::Replication, Severity::Info, "orders-0's leader is now broker 2."),
            line(5, Category::Producers, Severity::Info, "shop sent a batch."),
            line(6, Category::Replication, Severity::Info, "orders-1's leader is now broker 3."),
        ];
        let new: Vec<&Line> = lines.iter().collect();
        assert_eq!(
            announcement(&new),
            "Broker 1 stopped. orders-0's leader is now broker 2. orders-1's leader is now broker 3. And 3 more lines in What happened."
        );
        // A few lines are all read, in their order.
        assert_eq!(announcement(&new[..2]), "broker 3 could not connect to broker 1. Broker 1 stopped.");
        assert_eq!(announcement(&[]), "");
    }

    fn draft(text: &str, key: Option<&str>) -> Draft {
        Draft { category: Category::Producers, severity: Severity::Info, text: text.into(), partition: None, fold_key: key.map(String::from) }
    }

    #[test]
    fn repeats_within_a_second_fold_into_one_line_with_a_count() {
        let mut n = Narration::new(10);
        n.push(1, Tick(100), draft("a failed", Some("k")));
        n.push(2, Tick(600), draft("a failed", Some("k")));
        n.push(3, Tick(2_000), draft("a failed", Some("k")));
        let lines = n.recent(&Category::ALL, u64::MAX, 10);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].repeats_before(u64::MAX), 2);
        assert_eq!(lines[1].repeats_before(u64::MAX), 1);
    }

    #[test]
    fn a_folded_line_read_after_a_rewind_counts_only_the_repeats_that_have_happened() {
        // kafka-vs-queue rewound to 5 s: the top line said "+10 like it" where 7 events had happened.
        let mut n = Narration::new(10);
        for seq in [4, 5, 7, 9, 12] {
            n.push(seq, Tick(100 + seq), draft("a failed", Some("k")));
        }
        let line = n.recent(&Category::ALL, 8, 10)[0];
        assert_eq!(line.repeats_before(8), 3, "seqs 4, 5 and 7 happened before seq 8; 9 and 12 not yet");
        assert_eq!(line.repeats_before(5), 1, "only the first");
        assert_eq!(line.repeats_before(13), 5);
        // A branch at seq 9 replaces that future: its repeats are forgotten, not counted later.
        n.truncate_from(9);
        n.push(10, Tick(111), draft("a failed", Some("k")));
        assert_eq!(n.recent(&Category::ALL, u64::MAX, 10)[0].repeats_before(u64::MAX), 4, "4, 5, 7 and the new branch's 10");
    }

    #[test]
    fn each_category_keeps_its_own_bounded_lane() {
        let mut n = Narration::new(3);
        for seq in 0..10 {
            n.push(seq, Tick(seq * 2_000), draft("noise", None));
        }
        n.push(10, Tick(30_000), Draft { category: Category::Brokers, ..draft("the cause", None) });
        assert_eq!(n.len(), 4, "3 producer lines and the broker line");
        let brokers = n.recent(&[Category::Brokers], u64::MAX, 10);
        assert_eq!(brokers[0].text, "the cause");
    }

    #[test]
    fn recent_hides_the_future_and_truncation_forgets_it() {
        let mut n = Narration::new(10);
        for seq in 0..5 {
            n.push(seq * 10, Tick(seq * 2_000), draft(&format!("line {seq}"), None));
        }
        let shown: Vec<_> = n.recent(&Category::ALL, 25, 10).iter().map(|l| l.seq).collect();
        assert_eq!(shown, [0, 10, 20]);
        assert_eq!(n.next_after(&Category::ALL, 25).map(|l| l.seq), Some(30));
        n.truncate_from(25);
        assert_eq!(n.len(), 3);
    }

    #[test]
    fn a_changed_link_says_only_the_faults_it_has() {
        // "loses 0% of packets … and resets 0% of connections" told of faults there were not.
        let (a, b) = ("broker 1", "broker 2");
        assert_eq!(link_sentence(a, b, 200, 0, 0), "The link between broker 1 and broker 2 now takes 200 ms one way.");
        assert_eq!(link_sentence(a, b, 5, 10, 0), "The link between broker 1 and broker 2 now takes 5 ms one way and loses 10% of packets (TCP sends them again, late).");
        assert_eq!(link_sentence(a, b, 5, 0, 3), "The link between broker 1 and broker 2 now takes 5 ms one way and resets 3% of connections.");
        assert_eq!(
            link_sentence(a, b, 5, 10, 3),
            "The link between broker 1 and broker 2 now takes 5 ms one way, loses 10% of packets (TCP sends them again, late) and resets 3% of connections."
        );
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(250), "250 ms");
        assert_eq!(duration(9_000), "9 s");
        assert_eq!(duration(1_500), "1.5 s");
        assert_eq!(duration(9_498), "9.5 s", "rounded, not cut: leader-failover's broker 1 was silent 9,498 ms");
        assert_eq!(duration(9_960), "10 s");
        assert_eq!(duration(125_000), "2 min 5 s");
        assert_eq!(duration(1_800_000), "30 min", "group.max.session.timeout.ms, not \"30 min 0 s\"");
        assert_eq!(clock(Tick(62_350)), "1:02.350");
    }
}
