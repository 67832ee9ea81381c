//! Keyframes: cloned worlds along the run, so a rewind restores the nearest one and replays only the
//! stretch after it.
//!
//! A keyframe is due when either enough simulated time or enough events passed since the last one.
//! The event count bounds the replay work (a busy run gets dense keyframes, a quiet one sparse), the
//! time bounds the gap on a quiet run. The count is bounded too: past `max`, every other keyframe goes
//! and both thresholds double, so memory stays bounded on any run and the keyframes stay evenly spread.
//! A world clone is cheap: logs share their record batches behind `Rc`.

use super::tracked::Tracked;
use crate::kafka::world::World;
use crate::sim::Tick;

#[derive(Clone, Debug)]
pub struct Keyframe {
    pub at: Tick,
    pub world: World,
    /// How many of the learner's actions this world has applied.
    pub applied: usize,
    pub tracked: Tracked,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyframePolicy {
    /// A keyframe at least this often (simulated time)…
    pub interval_ms: u64,
    /// …or after this many events, whichever comes first.
    pub events: u64,
    /// At most this many keyframes.
    pub max: usize,
}

#[derive(Clone, Debug)]
pub struct Keyframes {
    list: Vec<Keyframe>,
    policy: KeyframePolicy,
    /// The thresholds in force (they double when the list is thinned).
    interval_ms: u64,
    events: u64,
    /// Events folded since the newest keyframe.
    pub events_since: u64,
}

impl Keyframes {
    pub fn new(policy: KeyframePolicy, first: Keyframe) -> Keyframes {
        Keyframes { list: vec![first], interval_ms: policy.interval_ms.max(1), events: policy.events.max(1), policy, events_since: 0 }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn newest_at(&self) -> Tick {
        self.list.last().map_or(Tick::ZERO, |k| k.at)
    }

    /// Whether a keyframe is due at `now`.
    pub fn due(&self, now: Tick) -> bool {
        let last = self.newest_at();
        now > last && (now.since(last) >= self.interval_ms || self.events_since >= self.events)
    }

    pub fn push(&mut self, keyframe: Keyframe) {
        self.list.push(keyframe);
        self.events_since = 0;
        if self.list.len() > self.policy.max.max(2) {
            // Keep the first (time 0) and every other one after it.
            let mut i = 0;
            self.list.retain(|_| {
                let keep = i % 2 == 0;
                i += 1;
                keep
            });
            self.interval_ms = self.interval_ms.saturating_mul(2);
            self.events = self.events.saturating_mul(2);
        }
    }

    /// The newest keyframe at or before `at` (there is always one: time 0).
    pub fn at_or_before(&self, at: Tick) -> &Keyframe {
        let i = self.list.partition_point(|k| k.at <= at);
        &self.list[i.saturating_sub(1)]
    }

    /// Drops keyframes a branch at `now` made wrong: those after `now`, and those that applied learner
    /// actions the branch discarded. The first keyframe (time 0, no actions) always stays.
    pub fn truncate(&mut self, now: Tick, applied: usize) {
        let mut first = true;
        self.list.retain(|k| {
            let keep = first || (k.at <= now && k.applied <= applied);
            first = false;
            keep
        });
        self.events_since = 0;
    }

    /// The widest stretch of simulated time between two keyframes up to `horizon` (what a rewind may
    /// have to replay at worst).
    pub fn widest_gap_ms(&self, horizon: Tick) -> u64 {
        let mut widest = 0;
        let mut previous = Tick::ZERO;
        for k in &self.list {
            widest = widest.max(k.at.since(previous));
            previous = k.at;
        }
        widest.max(horizon.since(previous))
    }

    pub fn times(&self) -> impl Iterator<Item = Tick> + '_ {
        self.list.iter().map(|k| k.at)
    }
}
