//! Errors and notes for the learner (a refused action, an unknown preset), each dismissible. The lab
//! stays usable under them. A view function: it changes only with the UI state that holds it.

use crate::ui::commands::Dispatch;
use crate::ui::markup::{closest_attr, escape, raw};
use crate::ui::state::{Notice, NoticeKind, UiAction};
use std::fmt::Write as _;
use yew::prelude::*;

pub fn notices(notices: &[Notice], dispatch: &Dispatch) -> Html {
    let mut out = String::new();
    for n in notices {
        let (class, role, testid) = match n.kind {
            NoticeKind::Error => ("notice error", "alert", "error"),
            NoticeKind::Info => ("notice info", "status", "info"),
        };
        let _ = write!(
            out,
            r#"<div class="{class}" role="{role}" data-testid="{testid}"><span>{}</span><button type="button" class="dismiss" data-dismiss="{}" aria-label="Dismiss">×</button></div>"#,
            escape(&n.text),
            n.id
        );
    }
    let d = dispatch.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        if let Some(id) = closest_attr(&e, "data-dismiss").and_then(|(_, id)| id.parse().ok()) {
            d.dispatch(UiAction::Dismiss(id));
        }
    });
    html! { <div class="notices" {onclick}>{ raw(out) }</div> }
}
