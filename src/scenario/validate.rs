//! The rules a scenario follows beyond its shape. Every problem is reported with its path and the rule
//! it breaks; nothing is repaired.
//!
//! The cluster is checked by the engine itself (`World::new`), so a scenario file and the engine can
//! never disagree about what a valid cluster is. Timed actions are checked the same way: they are
//! applied, in time order, to a throwaway world built from the cluster, and whatever the engine refuses
//! is a problem (during a run the engine would skip them silently). Checkpoint probes are then resolved
//! against that world, which holds everything the actions add, and so is what each checkpoint
//! expects: an answer its probe can never give (a broker the cluster never has, a group state the
//! engine never reports) is a problem.

use super::checkpoint::{expect_problems, probe_problems};
use super::format::{Checkpoint, FORMAT_VERSION, Scenario};
use super::problem::{Problem, Problems, index_path};
use crate::kafka::world::{ClusterSpec, World};
use crate::sim::sorted::SortedSet;

/// A run lasts at most an hour of simulated time.
pub const DURATION_MS_MAX: u64 = 3_600_000;
pub const ACTIONS_MAX: usize = 10_000;
pub const STEPS_MAX: usize = 1_000;
pub const CHOICES_MAX: usize = 20;
/// Seeds stay within TOML's integers, so every scenario can be written as a file.
pub const SEED_MAX: u64 = i64::MAX as u64;

/// Every problem in the scenario, or `Ok`.
pub fn validate(scenario: &Scenario) -> Result<(), Problems> {
    let problems = problems(scenario);
    if problems.is_empty() { Ok(()) } else { Err(Problems(problems)) }
}

/// The cluster's problems as the engine reports them, under `cluster.`.
pub fn cluster_problems(cluster: &ClusterSpec) -> Vec<Problem> {
    match World::new(cluster, 0) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|e| Problem::new(e.path, e.message).under("cluster")).collect(),
    }
}

/// `id`: what course pages link to, so it stays URL-safe and readable.
pub fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() || id.len() > 64 {
        return Some("an id has 1 to 64 characters".into());
    }
    if !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') || id.starts_with('-') {
        return Some(format!("'{id}' is not an id: use lowercase letters, digits and '-' (like leader-failover)"));
    }
    None
}

fn problems(s: &Scenario) -> Vec<Problem> {
    let mut problems = Vec::new();
    let add = |problems: &mut Vec<Problem>, path: String, rule: String| problems.push(Problem::new(path, rule));
    if s.version != FORMAT_VERSION {
        add(&mut problems, "version".into(), format!("this kafka-lab reads version {FORMAT_VERSION} after migration, not {}", s.version));
    }
    if let Some(rule) = id_problem(&s.id) {
        add(&mut problems, "id".into(), rule);
    }
    if s.title.trim().is_empty() {
        add(&mut problems, "title".into(), "a scenario needs a title".into());
    }
    if s.seed > SEED_MAX {
        add(&mut problems, "seed".into(), format!("at most {SEED_MAX} (TOML's largest integer)"));
    }
    if s.duration_ms == 0 || s.duration_ms > DURATION_MS_MAX {
        add(&mut problems, "duration_ms".into(), format!("a run lasts 1 to {DURATION_MS_MAX} ms (got {})", s.duration_ms));
    }
    if s.actions.len() > ACTIONS_MAX {
        add(&mut problems, "actions".into(), format!("at most {ACTIONS_MAX} timed actions (got {})", s.actions.len()));
    }
    if s.steps.len() > STEPS_MAX {
        add(&mut problems, "steps".into(), format!("at most {STEPS_MAX} steps (got {})", s.steps.len()));
    }
    for (i, action) in s.actions.iter().enumerate() {
        if action.at_ms > s.duration_ms {
            add(&mut problems, format!("actions[{i}].at_ms"), format!("{} is after the run ends (duration_ms {})", action.at_ms, s.duration_ms));
        }
    }
    let mut previous = 0;
    for (i, step) in s.steps.iter().enumerate() {
        let path = index_path("steps", i);
        if step.at_ms > s.duration_ms {
            add(&mut problems, format!("{path}.at_ms"), format!("{} is after the run ends (duration_ms {})", step.at_ms, s.duration_ms));
        }
        if step.at_ms < previous {
            add(&mut problems, format!("{path}.at_ms"), format!("steps are in time order: {} comes before the previous step's {previous}", step.at_ms));
        }
        previous = previous.max(step.at_ms);
        if step.text.trim().is_empty() {
            add(&mut problems, format!("{path}.text"), "a step says something".into());
        }
        if let Some(checkpoint) = &step.checkpoint {
            for problem in checkpoint_shape_problems(checkpoint) {
                problems.push(problem.under(&format!("{path}.checkpoint")));
            }
        }
    }
    let cluster = cluster_problems(&s.cluster);
    if !cluster.is_empty() {
        // Actions and probes name the cluster's parts: with a broken cluster there is nothing to check them against.
        problems.extend(cluster);
        return problems;
    }
    let Ok(mut world) = World::new(&s.cluster, s.seed) else { return problems };
    let mut order: Vec<usize> = (0..s.actions.len()).collect();
    crate::sim::sorted::sort_by(&mut order, |&a, &b| s.actions[a].at_ms.cmp(&s.actions[b].at_ms));
    for i in order {
        if let Err(e) = world.apply(s.actions[i].action.clone()) {
            problems.push(Problem::new(index_path("actions", i), format!("the engine refuses this action: {e}")));
        }
    }
    let view = world.view();
    for (i, step) in s.steps.iter().enumerate() {
        if let Some(checkpoint) = &step.checkpoint {
            let path = format!("{}.checkpoint", index_path("steps", i));
            let probe = probe_problems(&checkpoint.probe, &view);
            // An expectation is checked against what the probe names only once those names exist.
            let expect = if probe.is_empty() { expect_problems(&checkpoint.probe, &checkpoint.expect, &view) } else { Vec::new() };
            problems.extend(probe.into_iter().map(|p| p.under(&format!("{path}.probe"))));
            problems.extend(expect.into_iter().map(|p| p.under(&path)));
        }
    }
    problems
}

/// A checkpoint's own rules: a question, an expectation of the probe's kind, sensible choices.
fn checkpoint_shape_problems(c: &Checkpoint) -> Vec<Problem> {
    let mut problems = Vec::new();
    let kind = c.probe.value_kind();
    if c.question.trim().is_empty() {
        problems.push(Problem::new("question", "a checkpoint asks a question"));
    }
    if !kind.accepts(&c.expect) {
        problems.push(Problem::new("expect", format!("this probe answers with {}, not {}", kind.describe(), c.expect)));
    }
    if c.choices.is_empty() {
        return problems;
    }
    if c.choices.len() < 2 || c.choices.len() > CHOICES_MAX {
        problems.push(Problem::new("choices", format!("offer 2 to {CHOICES_MAX} choices, or none")));
    }
    let mut seen = SortedSet::new();
    for (i, choice) in c.choices.iter().enumerate() {
        if !kind.accepts(choice) {
            problems.push(Problem::new(index_path("choices", i), format!("this probe answers with {}, not {choice}", kind.describe())));
        }
        if !seen.insert(choice) {
            problems.push(Problem::new(index_path("choices", i), format!("{choice} is offered twice")));
        }
    }
    if !c.choices.contains(&c.expect) {
        problems.push(Problem::new("choices", format!("the expected answer {} is not among the choices", c.expect)));
    }
    problems
}
