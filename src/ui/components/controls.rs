//! Play, pause, step, speed and restart. Built as markup; one delegated listener handles the clicks
//! and the speed slider.

use crate::session::narrate::Category;
use crate::ui::commands::{self, Dispatch};
use crate::ui::lab::Lab;
use crate::ui::markup::{closest_attr, raw};
use crate::ui::state::{SPEED_POSITION_MAX, Speed, UiAction};
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(PartialEq)]
pub struct ControlsProps {
    pub lab: Lab,
    pub playing: bool,
    pub speed: Speed,
    pub reduced_motion: bool,
    pub categories: Vec<Category>,
    pub dispatch: Dispatch,
}

fn button(act: &str, label: &str, title: &str, pressed: Option<bool>, class: &str) -> String {
    let pressed = pressed.map_or(String::new(), |p| format!(r#" aria-pressed="{p}""#));
    format!(r#"<button type="button" class="{class}" data-act="{act}" data-testid="{act}" title="{title}"{pressed}>{label}</button>"#)
}

/// A view function (not a component): it renders whenever the lab view does, and saves the wasm a
/// component's machinery (the 300 KB budget).
pub fn controls(props: &ControlsProps) -> Html {
    let seed = props.lab.session().seed();
    let speed = props.speed;
    let before = [
        button("play", if props.playing { "❚❚ Pause" } else { "▶ Play" }, "Play or pause (Space)", Some(props.playing), "primary"),
        button("step", "Step", "Step to the next event (.)", None, ""),
        button("next", "Next ▸", "Run to the next narrated line (n)", None, ""),
    ]
    .concat();
    // "max" beside the pressed ▶▶ Max button: "as fast as possible" (still the slider's
    // aria-valuetext) was 150 px of the bar, enough to wrap it to two rows at 1024 px.
    let speed_label = if speed.as_fast_as_possible { "max".into() } else { speed.label() };
    let markup = [
        button("as-fast", "▶▶ Max", "As fast as possible (f)", Some(speed.as_fast_as_possible), ""),
        r#"<span class="spacer"></span>"#.to_string(),
        button("restart", "↺ Restart", &format!("Restart with seed {seed} (r)"), None, ""),
        button("new-seed", "↺ New seed", "Restart with a new seed (Shift+R)", None, ""),
        format!(r#"<span class="seed" data-testid="seed">seed {seed}</span>"#),
        button("reduced-motion", "Reduced motion", "Show a step table instead of moving dots (m)", Some(props.reduced_motion), ""),
        r#"<button type="button" data-act="help" data-testid="help-button" title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts">?</button>"#.to_string(),
    ]
    .concat();
    let (lab, d, categories) = (props.lab.clone(), props.dispatch.clone(), props.categories.clone());
    let onclick = Callback::from(move |e: MouseEvent| {
        let Some((_, act)) = closest_attr(&e, "data-act") else { return };
        match act.as_str() {
            "play" => d.dispatch(UiAction::TogglePlay),
            "step" => commands::step_event(&lab, &d),
            "next" => commands::step_narrated(&lab, &d, &categories),
            "as-fast" => d.dispatch(UiAction::ToggleAsFastAsPossible),
            "restart" => commands::restart(&lab, &d, false),
            "new-seed" => commands::restart(&lab, &d, true),
            "reduced-motion" => d.dispatch(UiAction::ToggleReducedMotion),
            "help" => d.dispatch(UiAction::ToggleHelp),
            _ => {}
        }
    });
    let d = props.dispatch.clone();
    let oninput = Callback::from(move |e: InputEvent| {
        let Some(input) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
        let value = input.value_as_number();
        if input.get_attribute("data-act").as_deref() == Some("speed") && value.is_finite() {
            d.dispatch(UiAction::SetSpeedPosition(value as u32));
        }
    });
    // The slider is an element of its own, not markup: markup is replaced whole when it changes, and
    // a slider replaced under an arrow key or a drag lost focus after one step.
    html! {
        <div class="controls" role="toolbar" aria-label="Controls" {onclick} {oninput}>
            { raw(before) }
            <label class="speed"><span>{ "Speed" }</span><input type="range" min="0" max={SPEED_POSITION_MAX.to_string()} step="1" data-act="speed" data-testid="speed" value={speed.position.to_string()} aria-valuetext={speed.label()} disabled={speed.as_fast_as_possible} /><output data-testid="speed-label">{ speed_label }</output></label>
            { raw(markup) }
        </div>
    }
}
