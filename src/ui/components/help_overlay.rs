//! The `?` overlay: every keyboard shortcut, read from the same table the key handler uses.

use crate::ui::commands::Dispatch;
use crate::ui::keys::SHORTCUTS;
use crate::ui::markup::raw;
use crate::ui::state::UiAction;
use yew::prelude::*;

#[derive(PartialEq)]
pub struct HelpOverlayProps {
    pub dispatch: Dispatch,
}

/// A view function (not a component): it renders whenever the lab view does, and saves the wasm a
/// component's machinery (the 300 KB budget).
pub fn help_overlay(props: &HelpOverlayProps) -> Html {
    let d = props.dispatch.clone();
    let close = Callback::from(move |_| d.dispatch(UiAction::ToggleHelp));
    let rows: String = SHORTCUTS.iter().map(|(keys, what, _)| format!(r#"<tr><th scope="row"><kbd>{keys}</kbd></th><td>{what}</td></tr>"#)).collect();
    // The whole table as markup: rows alone would be parsed outside a table and lose their cells.
    let table = format!(r#"<table class="grid shortcuts"><tbody>{rows}</tbody></table>"#);
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
    let backdrop = close.clone();
    html! {
        <div class="overlay" onclick={backdrop}>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help" onclick={stop}
                 onkeydown={Callback::from(|e: KeyboardEvent| {
                     // Keep Tab inside the dialog: it has one button.
                     if e.key() == "Tab" { e.prevent_default(); }
                 })}>
                <h2 id="help-title">{ "Keyboard shortcuts" }</h2>
                { raw(table) }
                <p class="note">{ "Tab moves through brokers, producers, consumers and every control; Enter inspects what has focus; the context-menu key or Shift+F10 opens its actions." }</p>
                <button type="button" onclick={close} data-testid="help-close">{ "Close (Esc)" }</button>
            </div>
        </div>
    }
}
