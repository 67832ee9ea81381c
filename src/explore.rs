//! VOPR-style exploration: many seeds, each a keyed workload under a random fault schedule, then a
//! healing phase, with the guarantee ledger watching throughout.
//!
//! Two profiles, two fault models:
//! - `durable`: RF 3, acks=all, `min.insync.replicas=2`, clean elections, idempotent producers. The
//!   faults are those this setup is built to survive: at most one broker or controller down or cut
//!   off at a time (crashes with or without losing the page cache, partitions, lossy and slow links,
//!   slow disks, the active controller dying).
//!   Any violation is a bug in the engine (or in Kafka's design as simulated).
//! - `lossy`: acks=1 with unclean leader election allowed, and faults may overlap. Acknowledged
//!   records get lost here: the checker must find them, or it is not checking.

use crate::kafka::config::ConfigValue;
use crate::kafka::world::spec::{ClusterSpec, CommitMode, ConsumerSpec, KeyPattern, ProducerSpec, TopicSpec, ValuePattern, Workload};
use crate::kafka::world::{Action, Event, EventKind, NodeRef, RunDefinition, TimedAction, ViolationKind};
use crate::sim::{Rng, Tick};
use crate::sim::sorted::SortedMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Durable,
    Lossy,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Durable => "durable",
            Profile::Lossy => "lossy",
        }
    }

    pub fn from_name(name: &str) -> Option<Profile> {
        match name {
            "durable" => Some(Profile::Durable),
            "lossy" => Some(Profile::Lossy),
            _ => None,
        }
    }
}

/// Faults happen during this phase; then everything heals.
pub const FAULT_PHASE_MS: u64 = 30_000;
/// In the durable model a restarted broker counts as down until it is back in sync: its previous
/// session must expire (broker.session.timeout.ms, 9 s) before it may register, then it catches up.
pub const RECOVERY_MS: u64 = 15_000;
/// The run ends here, after a healing phase long enough for every replica to catch up.
pub const RUN_MS: u64 = 60_000;
const BROKERS: u32 = 3;
/// A quorum of three controllers: one may fail.
const CONTROLLERS: u32 = 3;

fn config(pairs: &[(&str, ConfigValue)]) -> SortedMap<String, ConfigValue> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// The cluster and workload every seed runs.
pub fn spec(profile: Profile) -> ClusterSpec {
    let (acks, unclean) = match profile {
        Profile::Durable => ("all", false),
        Profile::Lossy => ("1", true),
    };
    let producers = (1..=2)
        .map(|i| ProducerSpec {
            transactions: None,
            name: format!("p{i}"),
            topic: "events".into(),
            config: config(&[("acks", ConfigValue::from(acks)), ("delivery.timeout.ms", ConfigValue::Int(60_000))]),
            workload: Some(Workload {
                rate_per_sec: 100,
                keys: KeyPattern::Cycle { prefix: format!("p{i}-k"), count: 50 },
                values: ValuePattern::Bytes { size: 64 },
                stop_ms: Some(FAULT_PHASE_MS + 10_000),
                ..Workload::default()
            }),
        })
        .collect();
    ClusterSpec {
        brokers: (1..=BROKERS).map(|id| crate::kafka::world::spec::BrokerSpec { id, rack: None }).collect(),
        controllers: CONTROLLERS,
        broker_config: config(&[
            ("min.insync.replicas", ConfigValue::Int(2)),
            ("unclean.leader.election.enable", ConfigValue::Bool(unclean)),
            ("replica.lag.time.max.ms", ConfigValue::Int(10_000)),
        ]),
        topics: vec![TopicSpec { name: "events".into(), partitions: Some(6), replication_factor: Some(3), ..TopicSpec::default() }],
        producers,
        consumers: vec![ConsumerSpec {
            name: "reader".into(),
            assign: (0..6).map(|p| ("events".to_string(), p)).collect(),
            config: config(&[("auto.offset.reset", ConfigValue::from("earliest"))]),
            commit: CommitMode::Never,
            ..ConsumerSpec::default()
        }],
        ..ClusterSpec::default()
    }
}

fn broker(rng: &mut Rng) -> u32 {
    1 + rng.below(u64::from(BROKERS)) as u32
}

/// A random fault schedule for `seed` under the profile's fault model, ending with a full heal.
pub fn faults(seed: u64, profile: Profile) -> Vec<TimedAction> {
    let mut rng = Rng::new(seed).child("explore/faults");
    let mut actions = Vec::new();
    let mut t = 1_000 + rng.below(3_000);
    while t < FAULT_PHASE_MS {
        let victim = broker(&mut rng);
        let duration = 2_000 + rng.below(8_000);
        let end = (t + duration).min(FAULT_PHASE_MS);
        let at = |at_ms, action| TimedAction::at(at_ms, action);
        let mut recovery_ms = 0;
        match rng.below(9) {
            0 | 1 => {
                let lose_page_cache = rng.below(2) == 0;
                actions.push(at(t, Action::KillBroker { broker: victim, lose_page_cache }));
                actions.push(at(end, Action::RestartBroker { broker: victim }));
                recovery_ms = RECOVERY_MS;
            }
            2 => {
                let others: Vec<NodeRef> = (1..=BROKERS).filter(|b| *b != victim).map(NodeRef::Broker).chain((0..CONTROLLERS).map(NodeRef::Controller)).collect();
                actions.push(at(t, Action::CutNetwork { side_a: vec![NodeRef::Broker(victim)], side_b: others }));
                actions.push(at(end, Action::HealNetwork { cut: None }));
                // Cut off longer than the session timeout, it was fenced and must catch up too.
                recovery_ms = RECOVERY_MS;
            }
            3 => {
                // Packet loss: TCP retransmits, so messages arrive late.
                let other = 1 + (victim % BROKERS);
                let loss = 5 + rng.below(30) as u32;
                let (from, to) = (NodeRef::Broker(victim), NodeRef::Broker(other));
                actions.push(at(t, Action::SetLink { from: from.clone(), to: to.clone(), latency_ms: None, loss_percent: Some(loss), drop_percent: None }));
                actions.push(at(end, Action::SetLink { from, to, latency_ms: None, loss_percent: Some(0), drop_percent: None }));
            }
            4 => {
                // A flaky link: connections reset, requests fail and are retried.
                let other = 1 + (victim % BROKERS);
                let drop = 5 + rng.below(30) as u32;
                let (from, to) = (NodeRef::Broker(victim), NodeRef::Broker(other));
                actions.push(at(t, Action::SetLink { from: from.clone(), to: to.clone(), latency_ms: None, loss_percent: None, drop_percent: Some(drop) }));
                actions.push(at(end, Action::SetLink { from, to, latency_ms: None, loss_percent: None, drop_percent: Some(0) }));
            }
            5 => {
                // A slow follower link.
                let other = 1 + (victim % BROKERS);
                let latency = 100 + rng.below(2_000);
                let (from, to) = (NodeRef::Broker(victim), NodeRef::Broker(other));
                actions.push(at(t, Action::SetLink { from: from.clone(), to: to.clone(), latency_ms: Some(latency), loss_percent: None, drop_percent: None }));
                actions.push(at(end, Action::SetLink { from, to, latency_ms: Some(1), loss_percent: None, drop_percent: None }));
            }
            6 => {
                actions.push(at(t, Action::SlowDisk { broker: victim, factor: 20 + rng.below(200) }));
                actions.push(at(end, Action::SlowDisk { broker: victim, factor: 1 }));
            }
            7 => {
                // A controller dies (often the active one: a new leader is elected).
                let controller = rng.below(u64::from(CONTROLLERS)) as u32;
                actions.push(at(t, Action::KillController { controller }));
                actions.push(at(end, Action::RestartController { controller }));
                recovery_ms = RECOVERY_MS;
            }
            _ => {
                // A controller cut off from everyone else.
                let controller = rng.below(u64::from(CONTROLLERS)) as u32;
                let others: Vec<NodeRef> = (1..=BROKERS).map(NodeRef::Broker).chain((0..CONTROLLERS).filter(|c| *c != controller).map(NodeRef::Controller)).collect();
                actions.push(at(t, Action::CutNetwork { side_a: vec![NodeRef::Controller(controller)], side_b: others }));
                actions.push(at(end, Action::HealNetwork { cut: None }));
                recovery_ms = RECOVERY_MS;
            }
        }
        // The durable fault model allows one fault at a time; the lossy one lets them overlap.
        t = match profile {
            Profile::Durable => end + recovery_ms + 500 + rng.below(3_000),
            Profile::Lossy => t + 500 + rng.below(4_000),
        };
    }
    // Healing phase: everything back, everyone restarted.
    actions.push(TimedAction::at(FAULT_PHASE_MS, Action::HealNetwork { cut: None }));
    for controller in 0..CONTROLLERS {
        actions.push(TimedAction::at(FAULT_PHASE_MS, Action::RestartController { controller }));
    }
    for b in 1..=BROKERS {
        actions.push(TimedAction::at(FAULT_PHASE_MS, Action::RestartBroker { broker: b }));
        actions.push(TimedAction::at(FAULT_PHASE_MS, Action::SlowDisk { broker: b, factor: 1 }));
    }
    actions.sort_by_key(|a| a.at_ms);
    actions
}

pub fn run_definition(seed: u64, profile: Profile) -> RunDefinition {
    RunDefinition { spec: spec(profile), seed, actions: faults(seed, profile) }
}

/// One seed's outcome.
#[derive(Clone, Debug, Default)]
pub struct SeedOutcome {
    pub seed: u64,
    pub violations: SortedMap<ViolationKind, u64>,
    /// The first violation event and the event that caused it.
    pub first: Option<(Event, Option<Event>)>,
    pub trace_hash: String,
}

pub fn run_seed(seed: u64, profile: Profile) -> SeedOutcome {
    // The explore spec is valid by construction (its tests check it).
    let mut world = run_definition(seed, profile).start().expect("the explore spec is valid");
    let mut outcome = SeedOutcome { seed, ..SeedOutcome::default() };
    let mut recent: std::collections::VecDeque<Event> = std::collections::VecDeque::new();
    let mut t = 0;
    while t < RUN_MS {
        t += 100;
        world.run_until(Tick(t));
        while let Some(event) = world.poll_event() {
            if let EventKind::Violation { caused_by, .. } = event.kind
                && outcome.first.is_none()
            {
                let cause = recent.iter().find(|e| e.seq == caused_by).cloned();
                outcome.first = Some((event.clone(), cause));
            }
            recent.push_back(event);
            if recent.len() > 256 {
                recent.pop_front();
            }
        }
    }
    outcome.violations = world.violations().clone();
    outcome.trace_hash = world.trace_hash();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_profiles_start() {
        for profile in [Profile::Durable, Profile::Lossy] {
            assert!(run_definition(1, profile).start().is_ok());
        }
    }

    #[test]
    fn the_durable_fault_model_keeps_faults_apart() {
        for seed in 0..50 {
            let actions = faults(seed, Profile::Durable);
            let kills: Vec<u64> = actions.iter().filter(|a| matches!(a.action, Action::KillBroker { .. })).map(|a| a.at_ms).collect();
            let restarts: Vec<u64> = actions.iter().filter(|a| matches!(a.action, Action::RestartBroker { .. }) && a.at_ms < FAULT_PHASE_MS).map(|a| a.at_ms).collect();
            for (k, r) in kills.iter().zip(&restarts) {
                assert!(k < r);
            }
            for w in kills.windows(2) {
                assert!(restarts.iter().any(|r| w[0] < *r && *r <= w[1]), "seed {seed}: a broker was killed while another was down");
            }
        }
    }
}

#[cfg(test)]
mod sweep_tests {
    use super::*;

    #[test]
    fn a_sample_of_durable_seeds_breaks_no_guarantee() {
        // `kafka-lab explore --seeds 1000` runs the full sweep; this sample keeps the suite quick.
        for seed in 1..=12 {
            let outcome = run_seed(seed, Profile::Durable);
            assert!(outcome.violations.is_empty(), "seed {seed}: {:?}; reproduce with kafka-lab explore --seeds 1 --start-seed {seed}", outcome.violations);
        }
    }

    #[test]
    fn the_ledger_finds_acknowledged_records_lost_with_acks_1_and_unclean_elections() {
        let lossy = (1..=12).filter(|&seed| run_seed(seed, Profile::Lossy).violations.contains_key(&ViolationKind::AckedRecordLost)).count();
        assert!(lossy >= 3, "only {lossy} of 12 lossy seeds lost acknowledged records");
    }
}
