//! Every consumer, by group: the group's generation and state as its coordinator holds them, and for
//! each member its status (idle ones visibly idle), assignment, positions, the group's committed
//! offsets and lag.

use crate::session::charts::{consumer_lag, partition_lag};
use crate::session::scene::consumer_activity;
use crate::ui::commands::Dispatch;
use crate::ui::lab::Lab;
use crate::ui::markup::{escape, raw, select_attr, selection_of};
use crate::ui::state::{Selection, UiAction};
use std::fmt::Write as _;
use yew::prelude::*;

#[derive(PartialEq)]
pub struct ConsumerTableProps {
    pub lab: Lab,
    pub data_version: u64,
    pub dispatch: Dispatch,
}

/// A view function (not a component): it renders whenever the lab view does, and saves the wasm a
/// component's machinery (the 300 KB budget).
pub fn consumer_table(props: &ConsumerTableProps) -> Html {
    let scene = props.lab.scene();
    let s = &scene.structure;
    let session = props.lab.session();
    let view = session.view();
    let mut out = String::from(r#"<table class="grid"><thead><tr><th>consumer</th><th>state</th><th>assignment: partition @position, committed offset (lag)</th><th>lag</th></tr></thead>"#);
    for g in &s.groups {
        // The coordinator's own record: a learner sees the generation move at each rebalance, and the
        // committed offsets a new owner would start from. None while no live coordinator has it loaded.
        let group = if g.in_group { view.group(&g.name) } else { None };
        let title = match (g.in_group, group) {
            (true, Some(x)) => {
                // Offsets no member holds now (an empty group's, say): where the next owner starts.
                let mut title = format!("group {} · generation {} · {}", g.name, x.generation, x.state.name());
                for (p, offset) in x.offsets.iter() {
                    if !g.members.iter().any(|i| view.consumers().get(*i as usize).is_some_and(|c| c.assignment.contains(p))) {
                        let _ = write!(title, " · {} committed {offset}", s.partition(*p).map_or("?", |x| &x.name));
                    }
                }
                title
            }
            (true, None) => format!("group {} · no live coordinator has it loaded", g.name),
            (false, _) => format!("{} (manual assignment)", g.name),
        };
        let _ = write!(out, r#"<tbody data-testid="group-rows-{}"><tr class="group-head"><th colspan="4">{}</th></tr>"#, escape(&g.name), escape(&title));
        for c in g.members.iter().filter_map(|i| view.consumers().get(*i as usize)) {
            let status = consumer_activity(c.up, c.incarnation > 0, c.crashed, c.assignment.is_empty());
            let slug = status.replace(' ', "-");
            let name = escape(&c.name);
            let _ = write!(
                out,
                r#"<tr class="{slug}" data-testid="consumer-row-{name}" data-status="{slug}"><th scope="row"><button type="button" class="link" data-select="{}">{name}</button></th><td>{status}</td><td><ul class="assignment">"#,
                select_attr(Selection::Consumer(c.index))
            );
            for p in &c.assignment {
                let pname = s.partition(*p).map_or_else(|| format!("#{}", p.0), |x| escape(&x.name));
                let position = c.position(*p).map_or("?".into(), |x| x.to_string());
                let committed = match group.map(|x| x.offsets.get(p)) {
                    Some(Some(offset)) => format!(", committed {offset}"),
                    Some(None) => ", none committed".into(),
                    None => String::new(),
                };
                let _ = write!(out, "<li>{pname} @{position}{committed} (lag {})</li>", partition_lag(&view, c, *p));
            }
            let _ = write!(out, r#"</ul></td><td class="num">{}</td></tr>"#, consumer_lag(&view, c));
        }
        out.push_str("</tbody>");
    }
    out.push_str("</table>");
    let d = props.dispatch.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        if let Some((_, target)) = selection_of(&e) {
            d.dispatch(UiAction::Inspect(target));
        }
    });
    html! { <section class="consumer-table" data-testid="consumer-table" aria-label="Consumers" {onclick}>{ raw(out) }</section> }
}
