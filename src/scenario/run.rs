//! Running a scenario headless (the CLI, tests) or moment by moment (the lesson player): the world
//! runs to each step's moment, every event is drained and tallied, and each checkpoint is evaluated
//! there.

use super::checkpoint::{CheckpointResult, check};
use super::format::{Probe, Scenario, Step};
use super::problem::{Problem, Problems};
use super::tally::{Metrics, Tally};
use super::validate::DURATION_MS_MAX;
use crate::kafka::world::{Event, EventKind, World};
use crate::sim::Tick;
use serde::Serialize;

/// A guarantee the run broke, as the engine's guarantee ledger reported it (`EventKind::Violation`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ViolationReport {
    pub at_ms: u64,
    /// The invariant's name (`acked_record_lost`), as `explore` and the events name it.
    pub invariant: String,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CheckpointSummary {
    pub passed: usize,
    pub failed: usize,
    /// Checkpoints after the moment the run stopped.
    pub not_reached: usize,
    pub results: Vec<CheckpointResult>,
}

/// What a headless run found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub scenario: String,
    pub seed: u64,
    pub until_ms: u64,
    pub checkpoints: CheckpointSummary,
    /// Every violation the guarantee ledger recorded, in time order. Some lessons break a guarantee on
    /// purpose (acks=1 losing records), so violations are reported, not failed: a course author's
    /// checkpoint asks about them when the lesson depends on them.
    pub violations: Vec<ViolationReport>,
    pub metrics: Metrics,
    pub trace_hash: String,
}

impl RunReport {
    /// Whether every checkpoint reached passed (the CLI's exit status).
    pub fn all_passed(&self) -> bool {
        self.checkpoints.failed == 0
    }
}

/// A scenario being played: the world, the tally of its events, and the checkpoints reached so far.
#[derive(Clone, Debug)]
pub struct ScenarioRun {
    scenario: Scenario,
    world: World,
    tally: Tally,
    next_step: usize,
    results: Vec<CheckpointResult>,
    /// The guarantee ledger's `Violation` events so far.
    violations: Vec<Event>,
}

impl ScenarioRun {
    /// The world at time 0 with the scenario's timed actions scheduled. The scenario should come from
    /// [`crate::scenario::parse_scenario`] (checked); a cluster the engine refuses is reported anyway.
    pub fn start(scenario: Scenario) -> Result<ScenarioRun, Problems> {
        let mut world = scenario
            .run_definition()
            .start()
            .map_err(|errors| Problems(errors.into_iter().map(|e| Problem::new(e.path, e.message).under("cluster")).collect()))?;
        let tracked = processed_value_consumers(&scenario);
        world.keep_processed_values(tracked.iter().cloned());
        let tally = Tally::tracking(tracked);
        Ok(ScenarioRun { scenario, world, tally, next_step: 0, results: Vec::new(), violations: Vec::new() })
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The world, for views and the lab's own actions (`world_mut().apply(…)`).
    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    pub fn now_ms(&self) -> u64 {
        self.world.now().ms()
    }

    /// The checkpoints evaluated so far.
    pub fn results(&self) -> &[CheckpointResult] {
        &self.results
    }

    /// The next step the run has not reached.
    pub fn next_step(&self) -> Option<(usize, &Step)> {
        self.scenario.steps.get(self.next_step).map(|s| (self.next_step, s))
    }

    /// Runs forward to `until_ms` (a moment in the past does nothing), stopping at every step on the
    /// way to evaluate its checkpoint, and hands each event to `on_event` after tallying it.
    /// Returns the indexes of the steps reached.
    pub fn advance_to(&mut self, until_ms: u64, mut on_event: impl FnMut(&Event)) -> Vec<usize> {
        let mut reached = Vec::new();
        while let Some(step) = self.scenario.steps.get(self.next_step) {
            if step.at_ms > until_ms {
                break;
            }
            let at = step.at_ms;
            self.run_and_drain(Tick(at), &mut on_event);
            while let Some(step) = self.scenario.steps.get(self.next_step).filter(|s| s.at_ms <= at) {
                if let Some(checkpoint) = &step.checkpoint {
                    self.results.push(check(checkpoint, self.next_step, &self.world.view(), &self.tally));
                }
                reached.push(self.next_step);
                self.next_step += 1;
            }
        }
        self.run_and_drain(Tick(until_ms), &mut on_event);
        reached
    }

    fn run_and_drain(&mut self, until: Tick, on_event: &mut impl FnMut(&Event)) {
        loop {
            self.world.run_until(until);
            while let Some(event) = self.world.poll_event() {
                self.tally.observe(&event, &self.world.view());
                // Kept as the event: the report words it (the web app never asks for a report).
                if let EventKind::Violation { .. } = &event.kind {
                    self.violations.push(event.clone());
                }
                on_event(&event);
            }
            // run_until stops early only when the event buffer filled up: drain and go on.
            if self.world.next_event_time().is_none_or(|t| t > until) {
                return;
            }
        }
    }

    /// The report as of now.
    pub fn report(&self) -> RunReport {
        let passed = self.results.iter().filter(|r| r.passed).count();
        let with_checkpoint = self.scenario.steps.iter().filter(|s| s.checkpoint.is_some()).count();
        let mut metrics = self.tally.metrics.clone();
        metrics.records_produced = self.world.view().producers().iter().map(|p| p.stats.records_sent).sum();
        RunReport {
            scenario: self.scenario.id.clone(),
            seed: self.scenario.seed,
            until_ms: self.now_ms(),
            checkpoints: CheckpointSummary {
                passed,
                failed: self.results.len() - passed,
                not_reached: with_checkpoint - self.results.len(),
                results: self.results.clone(),
            },
            violations: self.violations.iter().filter_map(|e| violation_report(e, &self.world)).collect(),
            metrics,
            trace_hash: self.world.trace_hash(),
        }
    }
}

fn violation_report(event: &Event, world: &World) -> Option<ViolationReport> {
    let EventKind::Violation { kind, partition, offset, records, .. } = &event.kind else { return None };
    let noun = if *records == 1 { "record" } else { "records" };
    Some(ViolationReport {
        at_ms: event.at.ms(),
        invariant: kind.name().into(),
        message: format!("{records} {noun} at offset {offset} of {}", world.view().topic_partition(*partition)),
    })
}

/// Consumers whose processed values a checkpoint asks about (the tally keeps only theirs).
fn processed_value_consumers(scenario: &Scenario) -> Vec<String> {
    scenario
        .checkpoint_steps()
        .filter_map(|(_, _, c)| match &c.probe {
            Probe::ProcessedValues { consumers, .. } | Probe::DuplicateValues { consumers } | Probe::DistinctValues { consumers } => Some(consumers.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Runs a checked scenario headless to `until_ms` (default: its `duration_ms`).
pub fn run_scenario(scenario: &Scenario, until_ms: Option<u64>) -> Result<RunReport, Problems> {
    let until = until_ms.unwrap_or(scenario.duration_ms);
    if until > DURATION_MS_MAX {
        return Err(Problems::one("until_ms", format!("a run lasts at most {DURATION_MS_MAX} ms")));
    }
    let mut run = ScenarioRun::start(scenario.clone())?;
    run.advance_to(until, |_| {});
    Ok(run.report())
}
