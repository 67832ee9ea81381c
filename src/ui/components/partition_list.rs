//! Every topic's partitions as buttons: leader and ISR at a glance, the way in (by keyboard too) to a
//! partition's log. Built as one string when the structure changes; clicks are delegated.

use crate::session::scene::partition_colour;
use crate::ui::commands::Dispatch;
use crate::ui::lab::Lab;
use crate::ui::markup::{escape, raw, select_attr, selection_of};
use crate::ui::state::{Menu, Selection, UiAction};
use std::fmt::Write as _;
use web_sys::{KeyboardEvent, MouseEvent};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PartitionListProps {
    pub lab: Lab,
    pub structure_version: u64,
    pub selection: Selection,
    pub dispatch: Dispatch,
}

#[function_component(PartitionList)]
pub fn partition_list(props: &PartitionListProps) -> Html {
    let scene = props.lab.scene();
    let s = &scene.structure;
    let mut out = String::new();
    for t in &s.topics {
        // Internal topics (50 partitions each by default) start folded, so they do not push the
        // learner's topics out of view; their summary says what they are.
        if t.internal {
            let _ = write!(
                out,
                r#"<li class="topic internal" data-testid="topic-{0}"><details><summary><span class="topic-name">{0}</span> {1} partitions, internal: {2}</summary><span class="chips">"#,
                escape(&t.name),
                t.partitions.len(),
                if t.name.contains("offsets") { "where consumer groups keep their committed offsets" } else { "where transaction coordinators keep their state" }
            );
        } else {
            let _ = write!(out, r#"<li class="topic" data-testid="topic-{0}"><span class="topic-name">{0}</span><span class="chips">"#, escape(&t.name));
        }
        for p in t.partitions.iter().filter_map(|p| s.partition(*p)) {
            let leader = p.leader.map_or_else(|| "none".to_string(), |b| b.to_string());
            let isr: Vec<String> = p.isr.iter().map(|b| b.to_string()).collect();
            let mut class = String::from("partition-chip");
            if p.isr.len() < p.replicas.len() {
                class.push_str(" under");
            }
            if p.leader.is_none() {
                class.push_str(" offline");
            }
            let name = escape(&p.name);
            let _ = write!(
                out,
                r#"<button type="button" class="{class}" data-select="{}" data-testid="partition-{name}" data-leader="{leader}" data-isr="{}" aria-label="{name}: leader {leader}, in-sync replicas {} of {}"><span class="swatch" style="background:{}"></span><span class="chip-name">P{}</span><span class="chip-leader">{}</span><span class="chip-isr">ISR {}/{}</span></button>"#,
                select_attr(Selection::Partition(p.index)),
                isr.join(","),
                p.isr.len(),
                p.replicas.len(),
                partition_colour(s, p.index),
                p.number,
                if p.leader.is_none() { "no leader".to_string() } else { format!("★{leader}") },
                p.isr.len(),
                p.replicas.len()
            );
        }
        out.push_str(if t.internal { "</span></details></li>" } else { "</span></li>" });
    }
    let d = props.dispatch.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        if let Some((_, target)) = selection_of(&e) {
            d.dispatch(UiAction::Inspect(target));
        }
    });
    let d = props.dispatch.clone();
    let oncontextmenu = Callback::from(move |e: MouseEvent| {
        if let Some((_, target)) = selection_of(&e) {
            e.prevent_default();
            d.dispatch(UiAction::OpenMenu(Menu { target, x: e.client_x() as f64, y: e.client_y() as f64 }));
        }
    });
    let d = props.dispatch.clone();
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if (e.key() == "ContextMenu" || (e.key() == "F10" && e.shift_key()))
            && let Some((element, target)) = selection_of(&e)
        {
            e.prevent_default();
            let r = element.get_bounding_client_rect();
            d.dispatch(UiAction::OpenMenu(Menu { target, x: r.left(), y: r.bottom() }));
        }
    });
    html! {
        <section class="partitions" aria-label="Topics and partitions">
            <ul class="topic-list" {onclick} {oncontextmenu} {onkeydown}>{ raw(out) }</ul>
            <p class="legend" aria-label="Legend">
                <span class="key leader">{"★ leader"}</span>
                <span class="key in-sync">{"in-sync follower"}</span>
                <span class="key out-of-sync">{"! out of sync"}</span>
                <span class="key offline">{"✕ broker down"}</span>
                <span class="key bar">{"bar: log end (LEO), orange tick: high watermark (HW)"}</span>
            </p>
        </section>
    }
}
