//! The app: opens the lab for the `#preset=<id>` in the address (the demo without one), and again when
//! the address changes. An unknown id shows a clear error over the demo lab.

use crate::session::presets::{self, DEFAULT_PRESET, PRESET_IDS};
use crate::ui::components::lab_view::LabView;
use crate::ui::lab::Lab;
use gloo::events::EventListener;
use yew::prelude::*;

/// The value of `preset=` in a URL fragment like `#preset=stress` or `#preset=stress&x=1`.
pub fn preset_in_fragment(fragment: &str) -> Option<String> {
    fragment.trim_start_matches('#').split('&').find_map(|pair| pair.strip_prefix("preset=")).map(|id| id.trim().to_string())
}

fn fragment() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

/// The lab for a fragment, with the problem to show if the preset was not found.
pub fn open(fragment: &str) -> Result<(Lab, Option<String>), String> {
    if fragment.starts_with("#v") {
        if let Ok(run) = crate::scenario::link::decode_link(fragment)
            && let Ok(s) = run.scenario()
        {
            let lab = Lab::new(s.run_definition(), &s.id).map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;
            return Ok((lab, None));
        }
    }
    let asked = preset_in_fragment(fragment);
    if let Some(id) = asked.as_deref()
        && presets::lookup(id).is_none()
        && let Ok(s) = crate::scenario::library::preset(id)
    {
        let lab = Lab::new(s.run_definition(), id).map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;
        return Ok((lab, None));
    }
    let (id, error) = match asked.as_deref() {
        None | Some("") => (DEFAULT_PRESET.to_string(), None),
        Some(id) if presets::lookup(id).is_some() => (id.to_string(), None),
        Some(id) => (
            DEFAULT_PRESET.to_string(),
            Some(format!("There is no preset '{id}'. Showing the {DEFAULT_PRESET} lab instead; the presets are: {}.", PRESET_IDS.join(", "))),
        ),
    };
    let definition = presets::lookup(&id).ok_or_else(|| format!("the built-in preset '{id}' is missing"))?;
    let lab = Lab::new(definition, &id).map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;
    Ok((lab, error))
}

#[function_component(App)]
pub fn app() -> Html {
    let current = use_state(fragment);
    {
        let current = current.clone();
        use_effect_with((), move |_| {
            let listener = EventListener::new(&gloo::utils::window(), "hashchange", move |_| current.set(fragment()));
            move || drop(listener)
        });
    }
    let opened = use_memo((*current).clone(), |f| open(f));
    match &*opened {
        Ok((lab, error)) => {
            let key = format!("{}{}", lab.preset, *current);
            html! { <LabView {key} lab={lab.clone()} startup_error={error.clone().map(AttrValue::from)} /> }
        }
        Err(why) => html! {
            <div class="lab">
                <header class="titlebar"><h1>{ "kafka-lab" }</h1></header>
                <p class="notice error" role="alert">{ format!("The lab could not start: {why}") }</p>
            </div>
        },
    }
}
