//! The one animation loop: a single persistent requestAnimationFrame closure (as in Yew's `webgl`
//! example) that advances the session within a per-frame budget, notices when the cluster picture
//! changed, asks panels to refresh a few times a second, and draws the canvas layer.

use crate::session::narrate::clock;
use crate::sim::Tick;
use crate::ui::draw::{self, Frame, Scratch, Transition};
use crate::ui::lab::{Lab, RUN_LIMIT_NOTICE};
use crate::scenario::validate::DURATION_MS_MAX;
use crate::ui::state::{NoticeKind, Speed, UiAction, UiState};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlElement, HtmlInputElement};
use yew::prelude::*;

/// Wall-clock milliseconds of engine work per frame at most: the rest of the 16.7 ms is for Yew,
/// the canvas and the browser. A run too heavy for the chosen speed plays slower, never jerkier.
pub const ENGINE_BUDGET_MS: f64 = 7.0;
/// The engine advances in slices this long (simulated), checking the budget between them.
const SLICE_MS: u64 = 20;
/// Panels read the session again at most this often while playing (wall-clock).
pub const PANEL_REFRESH_MS: f64 = 500.0;
/// The structure is compared at least this often even without a structural event (a manual
/// consumer's assignment arrives with its metadata, with no event of its own).
const STRUCTURE_CHECK_MS: f64 = 400.0;

/// What the loop reads of the UI state each frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LoopControl {
    pub playing: bool,
    pub speed: Speed,
    pub reduced_motion: bool,
}

/// The elements the loop writes to directly.
#[derive(Clone, PartialEq, Default)]
pub struct LoopRefs {
    pub canvas: NodeRef,
    /// The element holding the SVG picture (the canvas covers it).
    pub picture: NodeRef,
    /// The time readout.
    pub clock: NodeRef,
    /// The timeline slider.
    pub timeline: NodeRef,
    /// The readout of how far the run has been played.
    pub horizon: NodeRef,
}

struct LoopState {
    last_ts: Option<f64>,
    last_panel_refresh: f64,
    last_structure_check: f64,
    transitions: Vec<Transition>,
    scratch: Scratch,
    canvas_size: (u32, u32),
    shown_clock: (u64, u64),
    context: Option<CanvasRenderingContext2d>,
    /// Nothing moved since the last draw (paused, no animation running): skip drawing.
    drawn_still: bool,
}

fn performance_now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// The one closure requestAnimationFrame calls, frame after frame.
type FrameClosure = Closure<dyn FnMut(f64)>;

/// Runs the loop while the component that calls it is mounted.
#[hook]
pub fn use_frame_loop(lab: Lab, dispatcher: UseReducerDispatcher<UiState>, control: Rc<RefCell<LoopControl>>, refs: LoopRefs) {
    use_effect_with(lab, move |lab| {
        let lab = lab.clone();
        let state = RefCell::new(LoopState {
            last_ts: None,
            last_panel_refresh: 0.0,
            last_structure_check: 0.0,
            transitions: Vec::new(),
            scratch: Scratch::default(),
            canvas_size: (0, 0),
            shown_clock: (u64::MAX, u64::MAX),
            context: None,
            drawn_still: false,
        });
        let cell: Rc<RefCell<Option<FrameClosure>>> = Rc::new(RefCell::new(None));
        let alive = Rc::new(Cell::new(true));
        let handle = Rc::new(Cell::new(0));
        let next = cell.clone();
        let (alive_in, handle_in) = (alive.clone(), handle.clone());
        *cell.borrow_mut() = Some(Closure::new(move |ts: f64| {
            if !alive_in.get() {
                return;
            }
            frame(ts, &lab, &dispatcher, &control.borrow(), &refs, &mut state.borrow_mut());
            if let (Some(window), Some(closure)) = (web_sys::window(), next.borrow().as_ref()) {
                handle_in.set(window.request_animation_frame(closure.as_ref().unchecked_ref()).unwrap_or(0));
            }
        }));
        if let (Some(window), Some(closure)) = (web_sys::window(), cell.borrow().as_ref()) {
            handle.set(window.request_animation_frame(closure.as_ref().unchecked_ref()).unwrap_or(0));
        }
        move || {
            alive.set(false);
            if let Some(window) = web_sys::window() {
                window.cancel_animation_frame(handle.get()).ok();
            }
            // Dropping the closure breaks the cycle (it holds the cell it lives in).
            cell.borrow_mut().take();
        }
    });
}

fn frame(ts: f64, lab: &Lab, dispatcher: &UseReducerDispatcher<UiState>, control: &LoopControl, refs: &LoopRefs, st: &mut LoopState) {
    let dt = st.last_ts.map_or(0.0, |last| (ts - last).clamp(0.0, 100.0));
    st.last_ts = Some(ts);
    let (changed, notice) = {
        let mut signals = lab.signals.borrow_mut();
        (std::mem::take(&mut signals.changed), signals.notice.take())
    };
    if let Some(text) = notice {
        dispatcher.dispatch(UiAction::Notify(NoticeKind::Info, text));
    }
    let mut moved = changed;
    if control.playing {
        advance(lab, control.speed, dt);
        moved = true;
        let (now, pause_at, loop_ms) = {
            let signals = lab.signals.borrow();
            (lab.session().now().ms(), signals.pause_at_ms, signals.loop_ms)
        };
        if let Some((start, end)) = loop_ms
            && now >= end
        {
            lab.seek(start);
        } else if pause_at.is_some_and(|p| now >= p) {
            // The lesson's next stop: a pause or a question waits for the learner.
            dispatcher.dispatch(UiAction::SetPlaying(false));
            lab.reach_stop();
        } else if now >= DURATION_MS_MAX {
            // A run is at most an hour, as scenario files and links are: beyond it the keyframes that
            // make rewinding instant would outgrow the browser's memory.
            dispatcher.dispatch(UiAction::SetPlaying(false));
            dispatcher.dispatch(UiAction::Notify(NoticeKind::Info, RUN_LIMIT_NOTICE.into()));
            lab.touched();
        }
    } else {
        let now = lab.session().now().ms() as f64;
        let mut signals = lab.signals.borrow_mut();
        if signals.display_ms < now || signals.display_ms >= now + 1.0 {
            signals.display_ms = now;
            moved = true;
        }
    }
    let structural = lab.session_mut().take_structure_changed();
    if changed || structural || (control.playing && ts - st.last_structure_check >= STRUCTURE_CHECK_MS) {
        st.last_structure_check = ts;
        if let Some(old) = lab.refresh_scene() {
            if !control.reduced_motion {
                let new = lab.scene();
                st.transitions.extend(draw::transitions_between(&old, &new, ts));
            }
            dispatcher.dispatch(UiAction::StructureChanged);
            st.last_panel_refresh = ts;
        }
    }
    if changed || (control.playing && ts - st.last_panel_refresh >= PANEL_REFRESH_MS) {
        st.last_panel_refresh = ts;
        dispatcher.dispatch(UiAction::Refresh);
    }
    show_clock(lab, refs, st);
    let animating = !st.transitions.is_empty();
    if moved || animating || !st.drawn_still {
        draw_canvas(lab, control, refs, st, ts);
        st.drawn_still = !(moved || animating);
    }
}

/// Advances the session towards where the clock says it should be, within the frame's budget.
fn advance(lab: &Lab, speed: Speed, dt: f64) {
    let start = performance_now();
    let deadline = start + ENGINE_BUDGET_MS;
    let mut session = lab.session_mut();
    let mut signals = lab.signals.borrow_mut();
    // Never past the lesson's next stop or the loop's end.
    let limit = signals.pause_at_ms.into_iter().chain(signals.loop_ms.map(|(_, end)| end)).chain([DURATION_MS_MAX]).min().unwrap_or(DURATION_MS_MAX);
    if speed.as_fast_as_possible {
        loop {
            let next = (session.now().ms() + SLICE_MS).min(limit.max(session.now().ms()));
            session.advance_to(Tick(next));
            if next >= limit {
                break;
            }
            if performance_now() >= deadline {
                break;
            }
        }
        signals.display_ms = session.now().ms() as f64;
        return;
    }
    let target = (signals.display_ms.max(session.now().ms() as f64) + dt * speed.multiplier()).min(limit as f64);
    let target_tick = target.floor() as u64;
    while session.now().ms() < target_tick {
        let next = (session.now().ms() + SLICE_MS).min(target_tick);
        session.advance_to(Tick(next));
        if performance_now() >= deadline {
            break;
        }
    }
    // Fell behind (the run is too heavy for this speed): show where the run is.
    signals.display_ms = if session.now().ms() >= target_tick { target } else { session.now().ms() as f64 };
}

fn show_clock(lab: &Lab, refs: &LoopRefs, st: &mut LoopState) {
    let (now, horizon) = {
        let session = lab.session();
        (session.now().ms(), session.horizon().ms())
    };
    if st.shown_clock == (now, horizon) {
        return;
    }
    st.shown_clock = (now, horizon);
    if let Some(el) = refs.clock.cast::<HtmlElement>() {
        el.set_text_content(Some(&clock(Tick(now))));
        el.set_attribute("data-now-ms", &now.to_string()).ok();
        el.set_attribute("data-horizon-ms", &horizon.to_string()).ok();
    }
    if let Some(el) = refs.horizon.cast::<HtmlElement>() {
        el.set_text_content(Some(&clock(Tick(horizon))));
    }
    if let Some(input) = refs.timeline.cast::<HtmlInputElement>() {
        // Leave the slider alone while the learner drags it.
        if !input.matches(":active").unwrap_or(false) {
            input.set_max(&horizon.max(1).to_string());
            input.set_value_as_number(now as f64);
            input.set_attribute("aria-valuetext", &format!("{} of {}", clock(Tick(now)), clock(Tick(horizon)))).ok();
        }
    }
}

fn draw_canvas(lab: &Lab, control: &LoopControl, refs: &LoopRefs, st: &mut LoopState, ts: f64) {
    let (Some(canvas), Some(picture)) = (refs.canvas.cast::<HtmlCanvasElement>(), refs.picture.cast::<HtmlElement>()) else { return };
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).max(1.0);
    let (css_w, css_h) = (picture.client_width().max(1) as f64, picture.client_height().max(1) as f64);
    let size = ((css_w * ratio).round() as u32, (css_h * ratio).round() as u32);
    if size != st.canvas_size {
        st.canvas_size = size;
        canvas.set_width(size.0);
        canvas.set_height(size.1);
    }
    if st.context.is_none() {
        st.context = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
    }
    let Some(ctx) = st.context.as_ref() else { return };
    let scene = lab.scene();
    let session = lab.session();
    let display_ms = lab.signals.borrow().display_ms;
    let frame = Frame {
        ctx,
        scale: size.0 as f64 / scene.layout.width,
        width_px: size.0 as f64,
        height_px: size.1 as f64,
        scene: &scene,
        session: &session,
        display_ms,
        wall_ms: ts,
        motion: !control.reduced_motion,
    };
    let drawn = draw::draw(&frame, &mut st.transitions, &mut st.scratch);
    canvas.set_attribute("data-records-drawn", &drawn.to_string()).ok();
}
