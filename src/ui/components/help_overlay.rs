//! The `?` overlay: every keyboard shortcut, read from the same table the key handler uses.

use crate::ui::commands::Dispatch;
use crate::ui::keys::{SHORTCUTS, works_when_locked};
use crate::ui::markup::raw;
use crate::ui::state::UiAction;
use yew::prelude::*;

#[derive(PartialEq)]
pub struct HelpOverlayProps {
    pub dispatch: Dispatch,
    /// A locked embed: its controls are off, and so are all shortcuts but this list's own.
    pub locked: bool,
    /// A lesson is being played: jumps forward stop at its next step.
    pub lesson: bool,
}

/// A view function (not a component): it renders whenever the lab view does, and saves the wasm a
/// component's machinery (the 300 KB budget).
pub fn help_overlay(props: &HelpOverlayProps) -> Html {
    let d = props.dispatch.clone();
    let close = Callback::from(move |_| d.dispatch(UiAction::ToggleHelp));
    let rows: String = SHORTCUTS
        .iter()
        .filter(|(_, _, command)| !props.locked || works_when_locked(*command))
        .map(|(keys, what, _)| format!(r#"<tr><th scope="row"><kbd>{keys}</kbd></th><td>{what}</td></tr>"#))
        .collect();
    // The whole table as markup: rows alone would be parsed outside a table and lose their cells.
    let table = format!(r#"<table class="grid shortcuts" data-testid="shortcuts"><tbody>{rows}</tbody></table>"#);
    const MOVING: &str = "Tab moves through brokers, producers, consumers and every control; Enter inspects what has focus; the context-menu key or Shift+F10 opens its actions.";
    let note = if props.locked {
        "This lab plays by itself: its controls and the other shortcuts are off here.".to_string()
    } else if props.lesson {
        format!("In a lesson, →, Shift+→, End, . and n stop at the lesson's next step, as playing does, so no step or question is passed unseen. {MOVING}")
    } else {
        MOVING.to_string()
    };
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
    let backdrop = close.clone();
    // Close sits beside the title: the dialog focuses it when it opens, and a focused element is
    // scrolled into view, so at the bottom of a list taller than the window (1280×720) it opened
    // the dialog scrolled to its end, the title and the first shortcuts out of sight.
    html! {
        <div class="overlay" onclick={backdrop}>
            <div class="dialog help" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help" onclick={stop}
                 onkeydown={Callback::from(|e: KeyboardEvent| {
                     // Keep Tab inside the dialog: it has one button.
                     if e.key() == "Tab" { e.prevent_default(); }
                 })}>
                <div class="dialog-head">
                    <h2 id="help-title">{ "Keyboard shortcuts" }</h2>
                    <button type="button" onclick={close} data-testid="help-close">{ "Close (Esc)" }</button>
                </div>
                { raw(table) }
                <p class="note">{ note }</p>
            </div>
        </div>
    }
}
