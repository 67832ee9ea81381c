//! What buttons, menus and keys do, in one place: each takes the lab and the UI dispatcher, changes the
//! session, and reports a refusal as a notice (the lab stays usable; nothing panics).

use super::lab::{Lab, RUN_LIMIT_NOTICE};
use super::state::{NoticeKind, REFUSED, UiAction, UiState};
use crate::kafka::world::Action;
use crate::session::narrate::Category;
use crate::sim::Tick;
use yew::UseReducerDispatcher;

pub type Dispatch = UseReducerDispatcher<UiState>;

/// How far "step" and "next" may look ahead before giving up (simulated).
const STEP_LIMIT_MS: u64 = 120_000;

pub fn notify_error(dispatch: &Dispatch, text: impl Into<String>) {
    dispatch.dispatch(UiAction::Notify(NoticeKind::Error, text.into()));
}

pub fn notify(dispatch: &Dispatch, text: impl Into<String>) {
    dispatch.dispatch(UiAction::Notify(NoticeKind::Info, text.into()));
}

/// Applies a learner action; a refusal shows as an error notice. Returns whether it was applied.
pub fn act(lab: &Lab, dispatch: &Dispatch, action: Action) -> bool {
    let (now, horizon) = {
        let session = lab.session();
        (session.now(), session.horizon())
    };
    match lab.act(action) {
        Ok(()) => {
            dispatch.dispatch(UiAction::ForgetRefusals);
            // Acting in the past starts another run from there; the learner is told, not surprised
            // to find the later events gone.
            if now < horizon {
                let (now, horizon) = (crate::session::narrate::clock(now), crate::session::narrate::clock(horizon));
                notify(dispatch, format!("A new run from {now}: what had happened after it, up to {horizon}, gives way to what follows from your action."));
            }
            true
        }
        Err(why) => {
            notify_error(dispatch, format!("{REFUSED}{why}"));
            false
        }
    }
}

pub fn seek(lab: &Lab, dispatch: &Dispatch, at_ms: u64) {
    lab.seek(at_ms);
    dispatch.dispatch(UiAction::Refresh);
}

/// Pauses and goes to `at_ms`: what a click on a moment (a narration line, a mark, a chart) does.
pub fn jump(lab: &Lab, dispatch: &Dispatch, at_ms: u64) {
    dispatch.dispatch(UiAction::SetPlaying(false));
    seek(lab, dispatch, at_ms);
}

/// Moves by `delta_ms` (negative: back), within the run so far (forward past it simulates).
pub fn nudge(lab: &Lab, dispatch: &Dispatch, delta_ms: i64) {
    let now = lab.session().now().ms() as i64;
    seek(lab, dispatch, (now + delta_ms).max(0) as u64);
}

/// The furthest a step may run, or the notice that the run is at its end (as playing says there).
fn step_limit(lab: &Lab, dispatch: &Dispatch) -> Option<Tick> {
    let limit = lab.step_limit(STEP_LIMIT_MS);
    if limit.is_none() {
        notify(dispatch, RUN_LIMIT_NOTICE);
    }
    limit
}

pub fn step_event(lab: &Lab, dispatch: &Dispatch) {
    dispatch.dispatch(UiAction::SetPlaying(false));
    let Some(limit) = step_limit(lab, dispatch) else { return };
    lab.session_mut().step_event(limit);
    lab.touched();
}

pub fn step_narrated(lab: &Lab, dispatch: &Dispatch, categories: &[Category]) {
    dispatch.dispatch(UiAction::SetPlaying(false));
    let Some(limit) = step_limit(lab, dispatch) else { return };
    let found = lab.session_mut().step_narrated(categories, limit);
    lab.touched();
    if found.is_none() {
        let at_the_end = lab.step_limit(STEP_LIMIT_MS).is_none();
        notify(dispatch, if at_the_end { RUN_LIMIT_NOTICE } else { "Nothing new to tell in the next two minutes of the run." });
    }
}

/// A lesson's text quotes the numbers of its own seed's run; on another seed (a new seed, or a link
/// made after one) the learner is told that the questions are judged on the run on screen.
pub fn other_seed_note(lab: &Lab, seed: u64) -> Option<String> {
    let lesson = lab.lesson.as_deref().filter(|l| l.seed != seed)?;
    Some(format!("The lesson's text describes its run with seed {}: numbers may differ now; the questions are judged on this run.", lesson.seed))
}

pub fn restart(lab: &Lab, dispatch: &Dispatch, new_seed: bool) {
    let seed = {
        let session = lab.session();
        if new_seed { next_seed(session.seed()) } else { session.seed() }
    };
    let result = lab.session_mut().restart(seed);
    match result {
        Ok(()) => {
            lab.signals.borrow_mut().display_ms = 0.0;
            lab.touched();
            let note = other_seed_note(lab, seed).map_or(String::new(), |n| format!(" {n}"));
            notify(dispatch, format!("Restarted from 0:00 with seed {seed}.{note}"));
        }
        Err(errors) => notify_error(dispatch, format!("Could not restart: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))),
    }
}

/// A new seed derived from the old one (SplitMix64's step), so "new seed" is reproducible too.
pub fn next_seed(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 1_000_000
}

/// The start of the run.
pub fn rewind_to_start(lab: &Lab, dispatch: &Dispatch) {
    seek(lab, dispatch, 0);
}

/// The furthest moment simulated on this branch.
pub fn go_to_horizon(lab: &Lab, dispatch: &Dispatch) {
    let horizon = lab.session().horizon();
    seek(lab, dispatch, horizon.ms());
}

pub fn now(lab: &Lab) -> Tick {
    lab.session().now()
}
