//! Bringing a run opened at a late moment there: a share link made ten minutes into the stress lab,
//! or a course page's `?at=`. A busy run takes seconds to simulate (the stress lab's hour, about half
//! a minute), so it is simulated a slice at a time between the page's frames: the page keeps
//! answering, shows how far the run has got, and the learner can stop there and look around.

use crate::kafka::world::TimedAction;
use crate::session::narrate::clock;
use crate::sim::Tick;
use crate::ui::lab::Lab;
use gloo::timers::callback::Timeout;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use yew::prelude::*;

/// Simulated time run between two looks at the wall clock: the stress lab runs a second of it in
/// about 8 ms, a quiet lesson in far less.
const SLICE_MS: u64 = 1_000;

/// Wall time (ms) one slice of work may take before the page draws again: long enough that
/// catching up is not slowed much by drawing, short enough that the Stop button answers at once.
const WORK_MS_MAX: f64 = 40.0;

/// What is left to do to reach the moment, in order.
#[derive(Clone, Debug)]
pub enum Stop {
    /// Go to this moment (ms): forward a slice at a time, back at once from a keyframe.
    At(u64),
    /// Apply the learner's click (the run is at its moment already).
    Click(TimedAction),
}

/// How catching up ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Finished {
    /// The run is at the moment asked for.
    Done,
    /// The learner stopped it; the run stays where it got to.
    Stopped,
    /// A click of the link was refused (the sentence says which and why).
    Failed(String),
}

/// A lab and the way to its moment.
pub struct CatchUp {
    pub lab: Lab,
    stops: RefCell<VecDeque<Stop>>,
    /// The furthest moment on the way, for the progress shown.
    pub target_ms: u64,
    /// Stopped by the learner, or the page moved on to another run.
    cancelled: Cell<bool>,
}

impl PartialEq for CatchUp {
    fn eq(&self, other: &Self) -> bool {
        self.lab == other.lab
    }
}

impl CatchUp {
    pub fn new(lab: Lab, stops: Vec<Stop>) -> CatchUp {
        let target_ms = stops.iter().filter_map(|s| if let Stop::At(ms) = s { Some(*ms) } else { None }).max().unwrap_or(0);
        CatchUp { lab, stops: RefCell::new(stops.into()), target_ms, cancelled: Cell::new(false) }
    }

    pub fn now_ms(&self) -> u64 {
        self.lab.session().now().ms()
    }

    /// Works towards the moment until done or until `work_ms_max` of wall time (as `elapsed_ms`
    /// reads it) has gone. `Ok(true)` once the run is there.
    pub fn advance(&self, work_ms_max: f64, elapsed_ms: &dyn Fn() -> f64) -> Result<bool, String> {
        loop {
            let Some(stop) = self.stops.borrow().front().cloned() else { return Ok(true) };
            match stop {
                Stop::At(ms) => {
                    let now = self.now_ms();
                    // Back (a keyframe away) or the last slice: in one go.
                    let to = if ms <= now { ms } else { ms.min(now.saturating_add(SLICE_MS)) };
                    self.lab.session_mut().seek(Tick(to));
                    if to == ms {
                        self.stops.borrow_mut().pop_front();
                    }
                }
                Stop::Click(click) => {
                    self.lab
                        .session_mut()
                        .act(click.action.clone())
                        .map_err(|e| format!("the click at {} ms was refused: {}", click.at_ms, e.0))?;
                    self.stops.borrow_mut().pop_front();
                }
            }
            if self.stops.borrow().is_empty() {
                self.lab.touched();
                return Ok(true);
            }
            if elapsed_ms() >= work_ms_max {
                return Ok(false);
            }
        }
    }

    /// Runs every stop now (an early moment: the page is not held long).
    pub fn finish(&self) -> Result<(), String> {
        self.advance(f64::INFINITY, &|| 0.0).map(|_| ())
    }

    /// Leaves the run where it is. The lab is told it has been opened, so it does not go to an embed
    /// page's moment in one go after all.
    fn stop(&self) {
        self.cancelled.set(true);
        self.lab.signals.borrow_mut().opened = true;
        let clicks_left = self.stops.borrow().iter().filter(|s| matches!(s, Stop::Click(_))).count();
        let now = self.now_ms();
        let unplayed = match clicks_left {
            0 => String::new(),
            1 => " The link's last click was not replayed.".to_string(),
            n => format!(" The link's last {n} clicks were not replayed."),
        };
        self.lab.signals.borrow_mut().notice =
            Some(format!("Stopped at {}, before {}, the moment asked for.{unplayed} Play on from here, or reload the page to go all the way.", clock(Tick(now)), clock(Tick(self.target_ms))));
        self.lab.touched();
    }
}

/// Schedules the next slice of work after the page has had the chance to draw; shows how far the
/// run has got in `shown` (the progress bar and the moment after it) directly, without a render.
fn next_slice(plan: Rc<CatchUp>, shown: NodeRef, on_finished: Callback<Finished>) {
    Timeout::new(0, move || {
        if plan.cancelled.get() {
            return;
        }
        let started = js_sys::Date::now();
        match plan.advance(WORK_MS_MAX, &|| js_sys::Date::now() - started) {
            Ok(true) => on_finished.emit(Finished::Done),
            Ok(false) => {
                if let Some(bar) = shown.cast::<web_sys::Element>() {
                    let now = plan.now_ms().to_string();
                    let _ = bar.set_attribute("value", &now);
                    let _ = bar.set_attribute("data-now-ms", &now);
                    if let Some(moment) = bar.next_element_sibling() {
                        moment.set_text_content(Some(&clock(Tick(plan.now_ms()))));
                    }
                }
                next_slice(plan, shown, on_finished);
            }
            Err(why) => on_finished.emit(Finished::Failed(why)),
        }
    })
    .forget();
}

#[derive(Properties, PartialEq)]
pub struct CatchUpProps {
    pub plan: Rc<CatchUp>,
    pub on_finished: Callback<Finished>,
}

/// The page while a run catches up: how far it has got, and a button to stop there (it has the
/// focus, so Enter or Space stops from the keyboard).
#[function_component(CatchingUp)]
pub fn catching_up(props: &CatchUpProps) -> Html {
    let (bar, stop_button) = (use_node_ref(), use_node_ref());
    use_effect_with(props.plan.clone(), {
        let (bar, stop_button, on_finished) = (bar.clone(), stop_button.clone(), props.on_finished.clone());
        move |plan: &Rc<CatchUp>| {
            if let Some(button) = stop_button.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
            next_slice(plan.clone(), bar, on_finished);
            // Another run opened meanwhile (the address changed): this one's slices end.
            let plan = plan.clone();
            move || plan.cancelled.set(true)
        }
    });
    let stop = {
        let (plan, on_finished) = (props.plan.clone(), props.on_finished.clone());
        Callback::from(move |_: MouseEvent| {
            plan.stop();
            on_finished.emit(Finished::Stopped);
        })
    };
    html! {
        <div class="lab">
            <header class="titlebar"><h1>{ "kafka-lab" }</h1></header>
            <div class="notice catching-up" data-testid="simulating">
                // Said once to a screen reader: the bar, which shows the moment reached, changes many
                // times a second.
                <span role="status">{ format!("Simulating the run up to {}…", clock(Tick(props.plan.target_ms))) }</span>
                <progress ref={bar} max={props.plan.target_ms.max(1).to_string()} value="0" data-testid="simulated-ms" aria-label="Simulated so far" />
                <span aria-hidden="true">{ clock(Tick(0)) }</span>
                <button type="button" ref={stop_button} onclick={stop} data-testid="stop-simulating">{ "Stop here" }</button>
            </div>
        </div>
    }
}
