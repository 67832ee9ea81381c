//! The `?` overlay: every keyboard shortcut, read from the same table the key handler uses.

use crate::ui::commands::Dispatch;
use crate::ui::keys::SHORTCUTS;
use crate::ui::markup::raw;
use crate::ui::state::UiAction;
use web_sys::HtmlElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpOverlayProps {
    pub dispatch: Dispatch,
}

#[function_component(HelpOverlay)]
pub fn help_overlay(props: &HelpOverlayProps) -> Html {
    let close_button = use_node_ref();
    {
        let close_button = close_button.clone();
        use_effect_with((), move |_| {
            if let Some(b) = close_button.cast::<HtmlElement>() {
                b.focus().ok();
            }
        });
    }
    let d = props.dispatch.clone();
    let close = Callback::from(move |_| d.dispatch(UiAction::ToggleHelp));
    let rows: String = SHORTCUTS.iter().map(|(keys, what, _)| format!(r#"<tr><th scope="row"><kbd>{keys}</kbd></th><td>{what}</td></tr>"#)).collect();
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
                <table class="grid shortcuts"><tbody>{ raw(rows) }</tbody></table>
                <p class="note">{ "Tab moves through brokers, producers, consumers and every control; Enter inspects what has focus; the context-menu key or Shift+F10 opens its actions." }</p>
                <button type="button" ref={close_button} onclick={close} data-testid="help-close">{ "Close (Esc)" }</button>
            </div>
        </div>
    }
}
