//! Honours the system's "reduce motion" setting (`prefers-reduced-motion`), now and when it changes.

use crate::ui::commands::Dispatch;
use crate::ui::state::UiAction;
use gloo::events::EventListener;
use yew::prelude::*;

const QUERY: &str = "(prefers-reduced-motion: reduce)";

#[hook]
pub fn use_reduced_motion(dispatch: Dispatch) {
    use_effect_with((), move |_| {
        let list = web_sys::window().and_then(|w| w.match_media(QUERY).ok().flatten());
        let listener = list.map(|list| {
            if list.matches() {
                dispatch.dispatch(UiAction::SetReducedMotion(true));
            }
            let query = list.clone();
            EventListener::new(&list, "change", move |_| dispatch.dispatch(UiAction::SetReducedMotion(query.matches())))
        });
        move || drop(listener)
    });
}
