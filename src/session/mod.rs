//! A learner's session with one run: the heart of the lab, with no web types, so it is tested natively.
//!
//! A [`Session`] owns the run's definition (spec, seed, scripted actions), the learner's own actions,
//! the current [`World`], keyframes to rewind with, and the bounded data derived from the events:
//! narration, chart samples and the messages in flight. Everything in it is a function of
//! (definition, learner actions): a rewind restores the nearest keyframe and replays, and gets exactly
//! the world the learner saw at that moment.
//!
//! ## The learner's actions
//! An action the learner takes is recorded as a [`TimedAction`] at the current moment `t` and applied
//! *after* everything the run had due at `t` (the world has run up to `t`, then `World::apply`). A
//! replay does the same: run up to `t`, apply. (Scripted actions of the definition are scheduled at the
//! start, as `RunDefinition::start` does, so they run *before* other work due at their tick. See
//! [`replay`] for the reference semantics, and the report on the engine API for why the two differ.)
//!
//! ## The horizon
//! The session remembers how far this branch of the run has been simulated (the horizon) and keeps
//! narration and chart samples up to there. Rewinding does not throw that future away: play forward
//! again and it is the same. Only when the learner acts in the past does the future after that moment
//! go (a branch): learner actions after it, keyframes, narration and samples.

pub mod charts;
pub mod keyframes;
pub mod narrate;
pub mod presets;
pub mod scene;
pub mod tracked;

#[cfg(test)]
mod tests;

use crate::kafka::ids::BrokerId;
use crate::kafka::world::event::EventKind;
use crate::kafka::world::{Action, ActionError, RunDefinition, SpecError, TimedAction, View, World};
use crate::sim::Tick;
use charts::{Charts, SAMPLE_INTERVAL_MS, Sample};
use keyframes::{Keyframe, KeyframePolicy, Keyframes};
use narrate::{Category, Narration};
use tracked::Tracked;

/// The bounds a session keeps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    pub keyframes: KeyframePolicy,
    /// Narration lines kept per category.
    pub narration_per_category_max: usize,
    /// Chart samples kept (one per simulated second).
    pub chart_samples_max: usize,
    /// Messages in flight kept for the animation.
    pub flights_max: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            // About 30 ms of replay natively on the stress preset at worst, and never more than 96
            // worlds in memory.
            keyframes: KeyframePolicy { interval_ms: 2_000, events: 20_000, max: 96 },
            narration_per_category_max: 1_000,
            chart_samples_max: 3_600,
            flights_max: 20_000,
        }
    }
}

/// A run as a learner plays with it. See the module documentation.
#[derive(Debug)]
pub struct Session {
    base: RunDefinition,
    config: SessionConfig,
    learner: Vec<TimedAction>,
    world: World,
    /// `learner[..applied]` have been applied to `world`.
    applied: usize,
    keyframes: Keyframes,
    horizon: Tick,
    /// Events with `seq < folded` have been told (narration) and counted.
    folded: u64,
    /// Each partition's leader as of the last folded event (narration needs it at the event's time).
    leaders: Vec<Option<BrokerId>>,
    narration: Narration,
    charts: Charts,
    tracked: Tracked,
    structure_changed: bool,
    /// The guarantee ledger's findings on this branch: (event seq, moment, what broke).
    violations: Vec<(u64, Tick, String)>,
    /// How many times the learner started over ([`Session::restart`]): see [`RunMark`].
    starts: u64,
    /// Each of `learner`'s actions by a number never given twice in this session: a mark compares
    /// these, not the actions (comparing actions would ship every spec's equality in the wasm).
    learner_ids: Vec<u64>,
    next_learner_id: u64,
}

/// Which run a moment belongs to: equal marks for a moment mean the run up to it is the same one, so
/// what was read from it then (a checkpoint's reveal) still holds. A moment depends on the seed and
/// on the learner's actions up to it, its own tick included (a click runs after the tick's other work,
/// and a checkpoint is read after that). A restart counts as another run even with the same seed and
/// no actions: the learner asked to start over, and the lesson starts over with them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunMark {
    starts: u64,
    seed: u64,
    /// The learner's actions up to the moment, by their numbers: an action is only ever appended, or
    /// dropped with every later one when the learner acts in the past, so the same numbers are the
    /// same actions.
    actions: Vec<u64>,
}

impl Session {
    pub fn new(definition: RunDefinition) -> Result<Session, Vec<SpecError>> {
        Session::with_config(definition, SessionConfig::default())
    }

    pub fn with_config(definition: RunDefinition, config: SessionConfig) -> Result<Session, Vec<SpecError>> {
        let world = definition.start()?;
        let tracked = Tracked::new(config.flights_max);
        let first = Keyframe { at: Tick::ZERO, world: world.clone(), applied: 0, tracked: tracked.clone() };
        let mut session = Session {
            base: definition,
            config,
            learner: Vec::new(),
            keyframes: Keyframes::new(config.keyframes, first),
            world,
            applied: 0,
            horizon: Tick::ZERO,
            folded: 0,
            leaders: Vec::new(),
            narration: Narration::new(config.narration_per_category_max),
            charts: Charts::new(config.chart_samples_max),
            tracked,
            structure_changed: true,
            violations: Vec::new(),
            starts: 0,
            learner_ids: Vec::new(),
            next_learner_id: 0,
        };
        // World::new already told of the topics it created: fold those events.
        session.drain();
        // The run's own work at 0 ms (producers and consumers starting) is done before the learner can
        // click, as at any later moment: a click at 0 ms then lands where a share link replays it,
        // after that work (`World::schedule_click`), and finds the producers running. Rewinding to
        // 0 ms comes back to this world.
        session.settle_tick();
        let first = Keyframe { at: Tick::ZERO, world: session.world.clone(), applied: 0, tracked: session.tracked.clone() };
        session.keyframes = Keyframes::new(config.keyframes, first);
        session.after_tick(false);
        Ok(session)
    }

    // ----- reading -----

    pub fn now(&self) -> Tick {
        self.world.now()
    }

    /// How far this branch of the run has been simulated.
    pub fn horizon(&self) -> Tick {
        self.horizon
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn view(&self) -> View<'_> {
        self.world.view()
    }

    pub fn seed(&self) -> u64 {
        self.base.seed
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The definition the session started from (spec, seed, scripted actions).
    pub fn base(&self) -> &RunDefinition {
        &self.base
    }

    /// The learner's recorded actions, oldest first (those after `now` are still there until a branch).
    pub fn learner_actions(&self) -> &[TimedAction] {
        &self.learner
    }

    /// The whole run as one definition: scripted and learner actions, by time. (Learner actions replay
    /// exactly through [`replay`]; see the module documentation.)
    pub fn definition(&self) -> RunDefinition {
        let mut actions = self.base.actions.clone();
        actions.extend(self.learner.iter().cloned());
        crate::sim::sorted::sort_by(&mut actions, |a, b| a.at_ms.cmp(&b.at_ms));
        RunDefinition { spec: self.base.spec.clone(), seed: self.base.seed, actions }
    }

    /// The run the moment `at` belongs to (see [`RunMark`]). Rewinding and replaying keep it; acting
    /// at or before `at`, restarting and a new seed change it.
    pub fn mark_until(&self, at: Tick) -> RunMark {
        let actions = self.learner.iter().zip(&self.learner_ids).filter(|(a, _)| a.at_ms <= at.ms()).map(|(_, id)| *id).collect();
        RunMark { starts: self.starts, seed: self.base.seed, actions }
    }

    /// The guarantees broken on this branch so far (as told), oldest first: (moment, what broke).
    pub fn violations(&self) -> impl Iterator<Item = (Tick, &str)> {
        self.violations.iter().map(|(_, at, what)| (*at, what.as_str()))
    }

    pub fn narration(&self) -> &Narration {
        &self.narration
    }

    /// Narration up to now: the last `max` lines of the chosen categories, oldest first.
    pub fn narration_now(&self, categories: &[Category], max: usize) -> Vec<&narrate::Line> {
        self.narration.recent(categories, self.world.event_count(), max)
    }

    pub fn charts(&self) -> &Charts {
        &self.charts
    }

    /// Messages on the wire now (sent, not yet arrived), in the order they were sent.
    pub fn flights(&self) -> &[tracked::Flight] {
        &self.tracked.flights
    }

    pub fn tracked(&self) -> &Tracked {
        &self.tracked
    }

    pub fn keyframes(&self) -> &Keyframes {
        &self.keyframes
    }

    /// Whether something structural (a leader, an ISR, a broker, a consumer) may have changed since the
    /// last call. The lab re-renders its cluster picture only then.
    pub fn take_structure_changed(&mut self) -> bool {
        std::mem::take(&mut self.structure_changed)
    }

    // ----- moving through time -----

    /// Plays forward to `target` (nothing happens if it is not after now). Work is proportional to the
    /// simulated stretch: callers bound it per frame.
    pub fn advance_to(&mut self, target: Tick) {
        loop {
            let now = self.world.now();
            while let Some(timed) = self.learner.get(self.applied).filter(|a| a.at_ms <= now.ms()) {
                // The action succeeded when it was recorded on this very state, so it succeeds again.
                let _ = self.world.apply(timed.action.clone());
                self.applied += 1;
                self.settle_tick();
                self.structure_changed = true;
            }
            if now >= target {
                return;
            }
            let mut stop = target.min(Tick((now.ms() / SAMPLE_INTERVAL_MS + 1) * SAMPLE_INTERVAL_MS));
            if let Some(next) = self.learner.get(self.applied) {
                stop = stop.min(Tick(next.at_ms));
            }
            // run_until stops early only when the event buffer is full; draining and looping resumes it.
            self.world.run_until(stop);
            self.drain();
            let now = self.world.now();
            let extending = now > self.horizon;
            self.horizon = self.horizon.max(now);
            self.after_tick(extending);
        }
    }

    pub fn advance_by(&mut self, ms: u64) {
        self.advance_to(self.now().plus_ms(ms));
    }

    /// Runs to the next moment anything happens (the next engine event), at most to `limit`.
    /// Returns whether an event happened.
    pub fn step_event(&mut self, limit: Tick) -> bool {
        let before = self.world.event_count();
        while self.world.event_count() == before {
            let now = self.now();
            let next = [self.world.next_event_time(), self.learner.get(self.applied).map(|a| Tick(a.at_ms))].into_iter().flatten().min();
            match next {
                // Work due at `now` itself (after an action) runs with the next tick, as in any advance.
                Some(t) if t <= limit && now < limit => self.advance_to(t.max(now.plus_ms(1)).min(limit)),
                _ => {
                    self.advance_to(limit);
                    return self.world.event_count() != before;
                }
            }
        }
        true
    }

    /// Runs until the narration has something new to tell (of the chosen categories), at most to
    /// `limit`. Returns the time of that line, if one came.
    pub fn step_narrated(&mut self, categories: &[Category], limit: Tick) -> Option<Tick> {
        let from = self.world.event_count();
        if let Some(line) = self.narration.next_after(categories, from) {
            // Already simulated on this branch: jump straight there.
            let at = line.at;
            if at <= limit {
                self.seek(at);
                return Some(at);
            }
            return None;
        }
        while self.now() < limit {
            if !self.step_event(limit) {
                break;
            }
            if let Some(line) = self.narration.next_after(categories, from) {
                return Some(line.at);
            }
        }
        None
    }

    /// Moves to any moment: back (restore the nearest keyframe and replay) or forward (replay or, past
    /// the horizon, simulate). Learner actions stay; only acting in the past branches.
    pub fn seek(&mut self, target: Tick) {
        let now = self.now();
        if target == now {
            return;
        }
        let keyframe_at = self.keyframes.at_or_before(target).at;
        if target < now || keyframe_at > now {
            let keyframe = self.keyframes.at_or_before(target);
            self.world = keyframe.world.clone();
            self.applied = keyframe.applied;
            self.tracked = keyframe.tracked.clone();
            self.structure_changed = true;
        }
        self.advance_to(target);
        self.structure_changed = true;
    }

    /// Starts over at time 0 with `seed` (the same or a new one). The learner's actions go: a restart is
    /// a fresh run of the definition. (To keep them, seek to 0 instead.)
    pub fn restart(&mut self, seed: u64) -> Result<(), Vec<SpecError>> {
        let mut definition = self.base.clone();
        definition.seed = seed;
        let starts = self.starts + 1;
        *self = Session::with_config(definition, self.config)?;
        self.starts = starts;
        Ok(())
    }

    // ----- acting -----

    /// Applies the learner's action now and records it at this moment. An action Kafka would refuse
    /// (an unknown broker, an invalid config value) changes nothing and says why. Acting in the past
    /// branches: the learner's later actions and everything derived after now are dropped.
    pub fn act(&mut self, action: Action) -> Result<(), ActionError> {
        // Try it on a copy first, so a refused action leaves no trace at all in the run.
        let mut tried = self.world.clone();
        tried.apply(action.clone())?;
        if self.now() < self.horizon || self.applied < self.learner.len() {
            self.branch();
        }
        self.world = tried;
        self.learner.push(TimedAction::click(self.now().ms(), action));
        self.learner_ids.push(self.next_learner_id);
        self.next_learner_id += 1;
        self.applied = self.learner.len();
        self.settle_tick();
        self.after_tick(true);
        self.structure_changed = true;
        Ok(())
    }

    /// Runs what an action set off within its own tick, draining as it goes. A share link replays the
    /// click as a scheduled action, which runs after the tick's other work and is followed by its own
    /// fallout in that tick: the same order as here.
    fn settle_tick(&mut self) {
        let now = self.world.now();
        loop {
            self.world.run_until(now);
            self.drain();
            if self.world.next_event_time().is_none_or(|t| t > now) {
                return;
            }
        }
    }

    /// Forgets the future after now: this branch continues differently.
    fn branch(&mut self) {
        let now = self.now();
        let seq = self.world.event_count();
        self.learner.truncate(self.applied);
        self.learner_ids.truncate(self.applied);
        self.keyframes.truncate(now, self.applied);
        self.narration.truncate_from(seq);
        self.violations.retain(|(s, _, _)| *s < seq);
        // The sample at `now` itself is taken again after the action.
        self.charts.truncate_from(now);
        self.horizon = now;
        self.folded = seq;
        self.leaders = self.world.view().metadata().partitions.iter().map(|p| p.leader).collect();
    }

    // ----- bookkeeping -----

    /// Takes every event out of the world: the animation follows all of them; narration and keyframe
    /// accounting only the new ones (replays after a rewind were told the first time).
    fn drain(&mut self) {
        while let Some(event) = self.world.poll_event() {
            self.tracked.observe(&event);
            if is_structural(&event.kind) {
                self.structure_changed = true;
            }
            if event.seq < self.folded {
                continue;
            }
            self.folded = event.seq + 1;
            self.keyframes.events_since += 1;
            if let EventKind::Violation { kind, partition, offset, .. } = &event.kind {
                let name = narrate::partition_name(&self.world.view(), *partition);
                self.violations.push((event.seq, event.at, format!("{} at offset {offset} of {name}", kind.name().replace('_', " "))));
            }
            if let EventKind::LeaderChanged { partition, leader, .. } = &event.kind {
                if self.leaders.len() <= partition.get() {
                    self.leaders.resize(partition.get() + 1, None);
                }
                self.leaders[partition.get()] = *leader;
            }
            let view = self.world.view();
            if let Some(draft) = narrate::narrate(&event, &view, &self.leaders) {
                self.narration.push(event.seq, event.at, draft);
            }
        }
        self.tracked.retire(self.world.now());
    }

    /// At each whole second, a chart sample (once per branch); while extending the horizon, a keyframe
    /// when one is due.
    fn after_tick(&mut self, extending: bool) {
        let now = self.now();
        if now.ms().is_multiple_of(SAMPLE_INTERVAL_MS) && self.charts.last_at().is_none_or(|last| last < now) {
            self.charts.push(Sample::of(&self.world.view()));
        }
        if extending && self.keyframes.due(now) {
            self.keyframes.push(Keyframe { at: now, world: self.world.clone(), applied: self.applied, tracked: self.tracked.clone() });
        }
    }
}

fn is_structural(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::BrokerStopped { .. }
            | EventKind::BrokerStarted { .. }
            | EventKind::BrokerRegistered { .. }
            | EventKind::BrokerFenced { .. }
            | EventKind::BrokerUnfenced { .. }
            | EventKind::TopicCreated { .. }
            | EventKind::PartitionsAdded { .. }
            | EventKind::ConfigChanged { .. }
            | EventKind::LeaderChanged { .. }
            | EventKind::IsrChanged { .. }
            | EventKind::ConsumerCrashed { .. }
            | EventKind::ConsumerFailed { .. }
            | EventKind::ConsumerClosed { .. }
            | EventKind::ConsumerStarted { .. }
            | EventKind::NetworkCut { .. }
            | EventKind::NetworkHealed { .. }
            | EventKind::LinkChanged { .. }
            | EventKind::DiskSlowed { .. }
            | EventKind::PositionReset { .. }
    )
}

/// The reference semantics of a session, written as plainly as possible: the world of `base` with the
/// learner's `actions` (sorted by time) at `until`. Each learner action runs after everything due at
/// its tick; actions at the same tick run back to back. Tests check every rewind against this.
pub fn replay(base: &RunDefinition, actions: &[TimedAction], until: Tick) -> Result<World, Vec<SpecError>> {
    let mut world = base.start()?;
    let drain = |w: &mut World| while w.poll_event().is_some() {};
    for timed in actions.iter().take_while(|a| a.at_ms <= until.ms()) {
        if Tick(timed.at_ms) > world.now() {
            run_draining(&mut world, Tick(timed.at_ms));
        }
        // Everything else due at the tick first (at 0 ms too), then the action and its own fallout
        // within the tick, as a scheduled click's.
        settle(&mut world, drain);
        let _ = world.apply(timed.action.clone());
        settle(&mut world, drain);
    }
    if until > world.now() {
        run_draining(&mut world, until);
    }
    // 0 ms included: the world at a moment has done that moment's work.
    settle(&mut world, drain);
    Ok(world)
}

/// Runs everything due at the world's present tick, draining events as they come: `run_until` stops
/// early when the event buffer is full.
fn settle(world: &mut World, drain: impl Fn(&mut World)) {
    let now = world.now();
    loop {
        world.run_until(now);
        drain(world);
        if world.next_event_time().is_none_or(|t| t > now) {
            return;
        }
    }
}

/// `run_until` in steps, draining events so the buffer never fills on a long run.
fn run_draining(world: &mut World, until: Tick) {
    let mut t = world.now();
    while t < until {
        t = until.min(t.plus_ms(1_000));
        world.run_until(t);
        while world.poll_event().is_some() {}
    }
}
