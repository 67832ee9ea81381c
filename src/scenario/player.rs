//! The lesson player's rules, apart from any screen: which step a moment of the run has reached, where
//! playing stops next, how a learner's typed answer reads, and the reveal: the checkpoint evaluated
//! against the learner's own run (their clicks included), so the engine, not the script, says what
//! is true.

use super::checkpoint::CheckpointResult;
use super::format::{Probe, ProbeValue, Scenario, Step, ValueKind};
use super::run::ScenarioRun;
use crate::kafka::world::RunDefinition;

/// The last step whose moment the run has reached (`None` before the first).
pub fn step_reached(steps: &[Step], now_ms: u64) -> Option<usize> {
    steps.iter().rposition(|s| s.at_ms <= now_ms)
}

/// The step a player shows when it opens at `now_ms` (a share link's moment, `?at=`): the one the
/// run has reached, so the step and the clock agree. Of steps sharing that very moment, the first:
/// the others wait for Continue there, as they do when playing reaches them. Once the run is past
/// that moment, every one of them was passed, so the last is shown (a link at 27.5 s into
/// acks1-data-loss opened on the first of its two 17.5 s steps, a question the sharer had answered).
pub fn opening_step(steps: &[Step], now_ms: u64) -> usize {
    match step_reached(steps, now_ms) {
        None => 0,
        Some(r) if steps[r].at_ms < now_ms => r,
        Some(r) => steps.iter().position(|s| s.at_ms == steps[r].at_ms).unwrap_or(r),
    }
}

/// The moment playing stops next: `now_ms` itself while the step after `current` is due, else the
/// first step after `current` that lies after `now_ms`, else the lesson's end (`duration_ms`), where its last step's words stop being true. Every step stops: one
/// that played on was unreadable at Max speed, and one 16 ms before the next showed for 16 ms, while
/// such steps often tell the lesson's key event. Pressing Play after the end plays on, for a learner
/// who wants to keep experimenting.
pub fn next_stop_ms(lesson: &Scenario, current: Option<usize>, now_ms: u64) -> Option<u64> {
    let from = current.map_or(0, |c| c + 1);
    // The step after the one shown is already due (it shares the shown step's moment): playing stops
    // at once, so the player moves on to it instead of running past it unseen.
    if current.is_some() && lesson.steps.get(from).is_some_and(|s| s.at_ms <= now_ms) {
        return Some(now_ms);
    }
    let step = lesson.steps.iter().skip(from).find(|s| s.at_ms > now_ms).map(|s| s.at_ms);
    step.or((lesson.duration_ms > now_ms).then_some(lesson.duration_ms))
}

/// A typed answer read as the kind of value the question expects: `2`, `true`, `orders-4`, or a list
/// written `orders-4, orders-5` (brackets and quotes optional).
pub fn parse_answer(text: &str, kind: ValueKind) -> Result<ProbeValue, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("type an answer: {}", kind.describe()));
    }
    let int = |t: &str| t.trim().parse::<i64>().map(ProbeValue::Int).map_err(|_| format!("'{}' is not a whole number", t.trim()));
    let word = |t: &str| ProbeValue::Text(t.trim().trim_matches(|c| c == '"' || c == '\'').to_string());
    match kind {
        ValueKind::Int => int(text),
        ValueKind::Bool => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" => Ok(ProbeValue::Bool(true)),
            "false" | "no" => Ok(ProbeValue::Bool(false)),
            _ => Err(format!("'{text}' is not true or false")),
        },
        ValueKind::Text => Ok(word(text)),
        ValueKind::IntList | ValueKind::TextList => {
            let inner = text.trim_start_matches('[').trim_end_matches(']');
            // Numbers never hold a space, so `1 2 3` is a list too. Text items can ("dave: lamp",
            // "<commit marker>"): a text list typed without commas is split later, by
            // `answer_matches`, only when the engine's own items have no spaces.
            let separators: &[char] = if kind == ValueKind::IntList { &[',', ' ', '\t'] } else { &[','] };
            let items = inner.split(separators).map(str::trim).filter(|t| !t.is_empty());
            let list: Result<Vec<ProbeValue>, String> =
                if kind == ValueKind::IntList { items.map(int).collect() } else { Ok(items.map(word).collect()) };
            list.map(ProbeValue::List)
        }
    }
}

/// Whether a learner's answer is the engine's: letters in any case, and for answers that are sets in
/// Kafka (an ISR, a group's members, a consumer's assignment) in any order; the log prints an ISR as
/// `[3, 2]`, and a learner copying it is right.
/// A text list typed with spaces instead of commas (`M2 M5`) reads as a list when none of the engine's
/// items holds a space, so splitting on spaces cannot cut one of them in two.
pub fn answer_matches(probe: &Probe, given: &ProbeValue, actual: &ProbeValue) -> bool {
    let as_set = matches!(probe, Probe::Isr { .. } | Probe::GroupMembers { .. } | Probe::ConsumerAssignment { .. });
    // Names (`stable`, `not_enough_replicas`, `Orders-4`) are the same whatever their case; a record's
    // value is not: stream-processing asks whether the values came out upper-cased.
    let exact_case = matches!(probe, Probe::RecordValues { .. } | Probe::ProcessedValues { .. });
    let rule = Rule { as_set, exact_case };
    rule.same(given, actual) || split_on_spaces(given, actual).is_some_and(|given| rule.same(&given, actual))
}

/// `given` as a list split on spaces, when it is one typed text item with spaces and the engine's
/// answer is a list of texts without any.
fn split_on_spaces(given: &ProbeValue, actual: &ProbeValue) -> Option<ProbeValue> {
    let (ProbeValue::List(given), ProbeValue::List(actual)) = (given, actual) else { return None };
    let [ProbeValue::Text(typed)] = given.as_slice() else { return None };
    let spaced = |v: &ProbeValue| matches!(v, ProbeValue::Text(t) if t.contains(' '));
    if !typed.contains(' ') || actual.iter().any(spaced) {
        return None;
    }
    Some(ProbeValue::List(typed.split_whitespace().map(|t| ProbeValue::Text(t.to_string())).collect()))
}

/// How a typed answer is compared with the engine's: a list in any order (`as_set`), text in its exact
/// case (`exact_case`).
#[derive(Clone, Copy)]
struct Rule {
    as_set: bool,
    exact_case: bool,
}

impl Rule {
    fn same(self, a: &ProbeValue, b: &ProbeValue) -> bool {
        match (a, b) {
            (ProbeValue::Text(x), ProbeValue::Text(y)) if self.exact_case => x == y,
            (ProbeValue::Text(x), ProbeValue::Text(y)) => x.eq_ignore_ascii_case(y),
            (ProbeValue::List(xs), ProbeValue::List(ys)) if xs.len() == ys.len() => {
                if !self.as_set {
                    return xs.iter().zip(ys).all(|(x, y)| self.same(x, y));
                }
                let key = |v: &ProbeValue| match v {
                    ProbeValue::Text(t) if !self.exact_case => ProbeValue::Text(t.to_ascii_lowercase()),
                    other => other.clone(),
                };
                let (mut xs, mut ys): (Vec<ProbeValue>, Vec<ProbeValue>) = (xs.iter().map(key).collect(), ys.iter().map(key).collect());
                xs.sort();
                ys.sort();
                xs == ys
            }
            _ => a == b,
        }
    }
}

/// The checkpoint of `step` evaluated in the learner's run: the lesson's cluster and steps with the
/// run's seed and actions (the lesson's own and the learner's clicks), run headless to the step's
/// moment. `None` when the step has no checkpoint or the run cannot start.
pub fn reveal(lesson: &Scenario, run: &RunDefinition, step: usize) -> Option<CheckpointResult> {
    let at_ms = lesson.steps.get(step)?.at_ms;
    lesson.steps[step].checkpoint.as_ref()?;
    let mut scenario = lesson.clone();
    scenario.cluster = run.spec.clone();
    scenario.seed = run.seed;
    scenario.actions = run.actions.clone();
    let mut played = ScenarioRun::start(scenario).ok()?;
    played.advance_to(at_ms, |_| {});
    played.results().iter().find(|r| r.step == step).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::world::{Action, TimedAction};
    use crate::scenario::library::preset;

    #[test]
    fn a_typed_answer_reads_as_the_kind_the_question_expects() {
        assert_eq!(parse_answer(" 2 ", ValueKind::Int), Ok(ProbeValue::Int(2)));
        assert_eq!(parse_answer("Yes", ValueKind::Bool), Ok(ProbeValue::Bool(true)));
        assert_eq!(parse_answer("\"orders-4\"", ValueKind::Text), Ok(ProbeValue::Text("orders-4".into())));
        assert_eq!(
            parse_answer("[orders-4, 'orders-5']", ValueKind::TextList),
            Ok(ProbeValue::List(vec![ProbeValue::Text("orders-4".into()), ProbeValue::Text("orders-5".into())]))
        );
        assert_eq!(parse_answer("1,2", ValueKind::IntList), Ok(ProbeValue::List(vec![ProbeValue::Int(1), ProbeValue::Int(2)])));
        assert_eq!(parse_answer("[]", ValueKind::IntList), Ok(ProbeValue::List(vec![])));
        assert_eq!(parse_answer("two", ValueKind::Int), Err("'two' is not a whole number".to_string()));
        assert_eq!(parse_answer("  ", ValueKind::Bool), Err("type an answer: true or false".to_string()));
    }

    #[test]
    fn an_isr_typed_in_another_order_or_case_is_still_right() {
        let isr = Probe::Isr { topic: "orders".into(), partition: 0 };
        let engine = ProbeValue::List(vec![ProbeValue::Int(2), ProbeValue::Int(3)]);
        assert!(answer_matches(&isr, &parse_answer("3, 2", ValueKind::IntList).unwrap(), &engine));
        let replicas = Probe::Replicas { topic: "orders".into(), partition: 0 };
        assert!(!answer_matches(&replicas, &parse_answer("3, 2", ValueKind::IntList).unwrap(), &engine), "replica order is the preferred leader's: it counts");
        let error = Probe::LastProduceError { producer: "bank".into() };
        assert!(answer_matches(&error, &ProbeValue::Text("not_enough_replicas".into()), &ProbeValue::Text("NOT_ENOUGH_REPLICAS".into())));
        assert!(!answer_matches(&error, &ProbeValue::Text("none".into()), &ProbeValue::Text("NOT_ENOUGH_REPLICAS".into())));
    }

    #[test]
    fn a_list_typed_with_spaces_instead_of_commas_is_still_read_as_a_list() {
        let isr = Probe::Isr { topic: "orders".into(), partition: 0 };
        let engine = ProbeValue::List(vec![ProbeValue::Int(2), ProbeValue::Int(3)]);
        assert!(answer_matches(&isr, &parse_answer("3 2", ValueKind::IntList).unwrap(), &engine));
        // round-robin-no-key asks which values a partition holds: `M2 M5` is the list M2, M5.
        let values = Probe::RecordValues { topic: "orders".into(), partition: 1, broker: None };
        let texts = |items: &[&str]| ProbeValue::List(items.iter().map(|t| ProbeValue::Text(t.to_string())).collect());
        let typed = |t: &str| parse_answer(t, ValueKind::TextList).unwrap();
        assert!(answer_matches(&values, &typed("M2 M5"), &texts(&["M2", "M5"])));
        assert!(!answer_matches(&values, &typed("M5 M2"), &texts(&["M2", "M5"])), "a partition's records keep their offset order");
        // When the engine's items hold spaces, only commas separate: "dave: lamp" stays one record.
        assert!(answer_matches(&values, &typed("dave: lamp, frank: desk"), &texts(&["dave: lamp", "frank: desk"])));
        // stream-processing: the values before mapValues upper-cased them are not the values after.
        assert!(!answer_matches(&values, &typed("click /home, click /cart"), &texts(&["CLICK /HOME", "CLICK /CART"])));
        assert!(answer_matches(&values, &typed("CLICK /HOME, CLICK /CART"), &texts(&["CLICK /HOME", "CLICK /CART"])));
        // A name is the same name in any case.
        let state = Probe::GroupState { group: "g".into() };
        assert!(answer_matches(&state, &parse_answer("stable", ValueKind::Text).unwrap(), &ProbeValue::Text("Stable".into())));
        assert!(!answer_matches(&values, &typed("dave: lamp frank: desk"), &texts(&["dave: lamp", "frank: desk"])));
    }

    #[test]
    fn playing_stops_at_every_step_and_at_the_lessons_end() {
        let mut lesson = preset("leader-failover").unwrap();
        let steps = lesson.steps.clone();
        assert_eq!(step_reached(&steps, 0), Some(0));
        assert_eq!(step_reached(&steps, 3_999), Some(0));
        // Each step waits for Continue, whether or not it asks a question.
        assert_eq!(next_stop_ms(&lesson, Some(0), 0), Some(steps[1].at_ms));
        // After the last step, playing runs to the lesson's end and stops there; after it, it plays on.
        let last = steps.len() - 1;
        lesson.duration_ms = steps[last].at_ms + 5_000;
        assert_eq!(next_stop_ms(&lesson, Some(last), steps[last].at_ms), Some(lesson.duration_ms));
        assert_eq!(next_stop_ms(&lesson, Some(last), lesson.duration_ms), None);
    }

    #[test]
    fn a_link_opens_on_the_step_its_moment_has_reached() {
        // leader-failover has steps sharing 14 s. A link at exactly 14 s opens on the first of them
        // (the others wait for Continue); one a little later has passed them all and opens on the last.
        let steps = preset("leader-failover").unwrap().steps;
        let first = steps.iter().position(|s| s.at_ms == 14_000).unwrap();
        let last = steps.iter().rposition(|s| s.at_ms == 14_000).unwrap();
        assert!(last > first);
        assert_eq!(opening_step(&steps, 14_000), first);
        assert_eq!(opening_step(&steps, 14_001), last);
        assert_eq!(opening_step(&steps, 0), 0);
    }

    #[test]
    fn steps_sharing_a_moment_each_stop() {
        // leader-failover tells three things at 14 s: who leads now, the ISR, the high watermark.
        let lesson = preset("leader-failover").unwrap();
        let steps = &lesson.steps;
        let first = steps.iter().position(|s| s.at_ms == 14_000).unwrap();
        assert_eq!(steps[first + 1].at_ms, 14_000, "the lesson has steps sharing 14 s");
        // Shown the first of them, playing stops where it is: the next one is due already.
        assert_eq!(next_stop_ms(&lesson, Some(first), 14_000), Some(14_000));
        assert_eq!(next_stop_ms(&lesson, Some(first + 1), 14_000), Some(14_000));
        // Shown the last of them, playing runs on to the next later step.
        let last = steps.iter().rposition(|s| s.at_ms == 14_000).unwrap();
        assert_eq!(next_stop_ms(&lesson, Some(last), 14_000), steps.get(last + 1).map(|s| s.at_ms).or(Some(lesson.duration_ms)));
        // Outside the player (no step shown), only a later moment is a stop.
        assert!(next_stop_ms(&lesson, None, 14_000).unwrap() > 14_000);
    }

    #[test]
    fn the_reveal_is_the_engine_answer_in_the_learners_own_run() {
        let lesson = preset("leader-failover").unwrap();
        let step = lesson.steps.iter().position(|s| s.checkpoint.as_ref().is_some_and(|c| c.question.contains("leads orders-0 now"))).unwrap();
        // The lesson as written: broker 2 takes over orders-0.
        let result = reveal(&lesson, &lesson.run_definition(), step).unwrap();
        assert_eq!(result.actual, Some(ProbeValue::Int(2)));
        assert!(result.passed);
        // A learner who killed broker 2 at 1 s sees broker 3 take over: the engine judges their run.
        let mut run = lesson.run_definition();
        run.actions.push(TimedAction::click(1_000, Action::KillBroker { broker: 2, lose_page_cache: false }));
        let result = reveal(&lesson, &run, step).unwrap();
        assert_eq!(result.actual, Some(ProbeValue::Int(3)));
        assert!(!result.passed);
    }
}
