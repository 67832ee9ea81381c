//! The timeline: scrub anywhere in the run played so far (rewind is a keyframe restore and a short
//! replay), with a mark at each warning of the narration to jump to and, in a lesson, a mark at each
//! step on the part of the run played (the lesson player follows the moment it is taken to).

use crate::session::narrate::{Category, Severity, clock};
use crate::sim::Tick;
use crate::ui::commands::{self, Dispatch};
use crate::ui::hooks::use_frame_loop::LoopRefs;
use crate::ui::lab::Lab;
use crate::ui::markup::{closest_attr, escape, raw};
use std::fmt::Write as _;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Warning marks drawn at most.
const MARKS_MAX: usize = 120;

#[derive(PartialEq)]
pub struct TimelineProps {
    pub lab: Lab,
    pub data_version: u64,
    pub refs: LoopRefs,
    pub dispatch: Dispatch,
}

/// A view function (not a component): it renders whenever the lab view does, and saves the wasm a
/// component's machinery (the 300 KB budget).
pub fn timeline(props: &TimelineProps) -> Html {
    let session = props.lab.session();
    let (now, horizon) = (session.now().ms(), session.horizon().ms());
    let (lab, d) = (props.lab.clone(), props.dispatch.clone());
    let oninput = Callback::from(move |e: InputEvent| {
        let value = e.target_unchecked_into::<HtmlInputElement>().value_as_number();
        if value.is_finite() {
            commands::jump(&lab, &d, value.max(0.0) as u64);
        }
    });
    // Warnings on this branch (also those ahead of now: the run after a rewind is still known).
    let warnings: Vec<(u64, String)> = session
        .narration()
        .recent(&Category::ALL, u64::MAX, 400)
        .into_iter()
        .filter(|l| l.severity == Severity::Warning)
        .map(|l| (l.at.ms(), l.text.clone()))
        .collect();
    let step = (warnings.len() / MARKS_MAX).max(1);
    let span = horizon.max(1);
    let mut marks = String::new();
    for (at, text) in warnings.iter().step_by(step) {
        let permille = at.saturating_mul(1000) / span;
        let title = format!("{}: {}", clock(Tick(*at)), escape(text));
        let _ = write!(marks, r#"<button type="button" class="mark" style="left:{}.{}%" data-at-ms="{at}" title="{title}" aria-label="Jump to {title}" tabindex="-1"></button>"#, permille / 10, permille % 10);
    }
    // Lesson steps, numbered as the player numbers them; only those on the part of the run played.
    for (i, step) in props.lab.lesson.iter().flat_map(|l| l.steps.iter()).enumerate().filter(|(_, s)| s.at_ms <= horizon) {
        let permille = step.at_ms.saturating_mul(1000) / span;
        let title = format!("Step {} at {}: {}", i + 1, clock(Tick(step.at_ms)), escape(&step.text));
        let _ = write!(marks, r#"<button type="button" class="mark step" style="left:{}.{}%" data-at-ms="{}" data-testid="step-mark" title="{title}" aria-label="Jump to {title}" tabindex="-1"></button>"#, permille / 10, permille % 10, step.at_ms);
    }
    let (lab, d) = (props.lab.clone(), props.dispatch.clone());
    let jump = Callback::from(move |e: MouseEvent| {
        if let Some(at) = closest_attr(&e, "data-at-ms").and_then(|(_, at)| at.parse::<u64>().ok()) {
            commands::jump(&lab, &d, at);
        }
    });
    html! {
        <div class="timeline" aria-label="Timeline" onclick={jump}>
            { raw(r#"<button type="button" data-at-ms="0" title="Rewind to the start (Home)" aria-label="Rewind to the start">|◀</button>"#.to_string()) }
            <output class="clock" ref={props.refs.clock.clone()} data-testid="clock" data-now-ms={now.to_string()}
                    data-horizon-ms={horizon.to_string()} aria-label="Simulated time" aria-live="off">{ clock(Tick(now)) }</output>
            <div class="track">
                <div class="marks">{ raw(marks) }</div>
                <input type="range" min="0" max={horizon.max(1).to_string()} step="1" value={now.to_string()}
                       ref={props.refs.timeline.clone()} data-testid="timeline" aria-label="Timeline: drag to rewind or replay"
                       aria-valuetext={format!("{} of {}", clock(Tick(now)), clock(Tick(horizon)))} {oninput} />
            </div>
            <output class="horizon" data-testid="horizon" ref={props.refs.horizon.clone()} aria-live="off">{ clock(Tick(horizon)) }</output>
            { raw(format!(r#"<button type="button" data-at-ms="{horizon}" title="Go to the furthest moment played (End)" aria-label="Go to the furthest moment played">▶|</button>"#)) }
        </div>
    }
}
