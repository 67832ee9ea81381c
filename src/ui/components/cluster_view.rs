//! The cluster picture: brokers holding partition replicas, the controller, producers and consumer
//! groups. The SVG is built as one string whenever the structure changes (and only then); clicks, the
//! context menu and the keyboard are handled once on the picture by delegation. A canvas on top
//! carries everything that moves, drawn by the frame loop.

use crate::kafka::ids::{BrokerId, Node};
use crate::session::scene::{Rect, ReplicaStatus, Structure, partition_colour};
use crate::ui::commands::Dispatch;
use crate::ui::hooks::use_frame_loop::LoopRefs;
use crate::ui::lab::{Lab, Scene};
use crate::ui::markup::{escape, num, raw, select_attr, selection_of};
use crate::ui::state::{Menu, Selection, UiAction};
use std::fmt::Write as _;
use web_sys::{KeyboardEvent, MouseEvent};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ClusterViewProps {
    pub lab: Lab,
    pub structure_version: u64,
    pub selection: Selection,
    pub reduced_motion: bool,
    pub refs: LoopRefs,
    pub dispatch: Dispatch,
}

fn rect(out: &mut String, r: &Rect, class: &str, rx: u32) {
    let _ = write!(out, r#"<rect class="{class}" x="{}" y="{}" width="{}" height="{}" rx="{rx}"/>"#, num(r.x), num(r.y), num(r.w), num(r.h));
}

fn text(out: &mut String, class: &str, x: f64, y: f64, anchor: &str, content: &str) {
    let _ = write!(out, r#"<text class="{class}" x="{}" y="{}" text-anchor="{anchor}">{}</text>"#, num(x), num(y), escape(content));
}

/// Left-aligned text that must stay inside `room` px: squeezed to fit when its characters, at about
/// `char_w` px each, would run past (a name or rate the layout did not measure).
/// The width of a note's character (10 px), on average.
const NOTE_CHAR_W: f64 = 5.6;

fn text_within(out: &mut String, class: &str, x: f64, y: f64, content: &str, room: f64, char_w: f64) {
    if content.chars().count() as f64 * char_w > room {
        let _ = write!(
            out,
            r#"<text class="{class}" x="{}" y="{}" textLength="{}" lengthAdjust="spacingAndGlyphs">{}</text>"#,
            num(x),
            num(y),
            num(room),
            escape(content)
        );
    } else {
        text(out, class, x, y, "start", content);
    }
}

/// Opens a selectable node: focusable, a button to assistive technology, named for tests.
fn open_node(out: &mut String, classes: &str, target: Selection, testid: &str, label: &str, extra: &str) {
    let _ = write!(
        out,
        r#"<g class="node {classes}" data-select="{}" data-testid="{}" role="button" tabindex="0" aria-label="{}" {extra}>"#,
        select_attr(target),
        escape(testid),
        escape(label)
    );
}

/// The picture's SVG content. (The selection is highlighted by a style rule elsewhere, so selecting
/// something does not rebuild the picture and keyboard focus stays where it is.)
pub fn picture(scene: &Scene) -> String {
    let s = &scene.structure;
    let l = &scene.layout;
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(r##"<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#D55E00" stroke-width="2"/></pattern></defs>"##);
    for (i, r) in l.controllers.iter().enumerate() {
        let (up, active) = s.controller_states.get(i).copied().unwrap_or((true, false));
        let i = i as u32;
        let cut = if s.is_cut_off(Node::Controller(i)) { " cut" } else { "" };
        let status = if !up { "down" } else if active { "active" } else { "standby" };
        let label = match status {
            "active" => format!("Controller {i} (active): holds the cluster metadata and elects leaders"),
            "down" => format!("Controller {i}, down"),
            _ => format!("Controller {i}, standby: follows the active controller's metadata log"),
        };
        open_node(&mut out, &format!("controller {status}{cut}"), Selection::Controller(i), &format!("controller-{i}"), &label, &format!(r#"data-status="{status}""#));
        rect(&mut out, r, "box", 6);
        // With one controller there is nothing to tell apart: it is "the controller".
        let name = if l.controllers.len() == 1 { "controller".to_string() } else { format!("controller {i}") };
        let title = match status {
            "active" => format!("◆ {name} (active)"),
            "down" => format!("✕ {name} (down)"),
            _ => name,
        };
        // Three controllers share the row above the brokers: their titles use a smaller size to fit.
        let class = if l.controllers.len() == 1 { "title" } else { "title compact" };
        text(&mut out, class, r.x + r.w / 2.0, r.y + 21.0, "middle", &title);
        out.push_str("</g>");
    }
    for b in &l.brokers {
        let Some(state) = s.broker(b.id) else { continue };
        // The learner's partitions; internal topics' leaderships are told on their own line below.
        let leads = s.partitions.iter().filter(|p| p.leader == Some(b.id) && !s.is_internal(p.index)).count();
        let status = if !state.up { "down" } else if state.fenced { "fenced" } else { "up" };
        let cut = s.is_cut_off(Node::Broker(b.id));
        let mut label = format!("Broker {}, {status}, leads {leads} partition{}", b.id, if leads == 1 { "" } else { "s" });
        if state.disk_slowdown > 1 {
            let _ = write!(label, ", disk {}× slower", state.disk_slowdown);
        }
        if cut {
            label.push_str(", cut off the network");
        }
        let classes = format!("broker {status}{}", if cut { " cut" } else { "" });
        open_node(&mut out, &classes, Selection::Broker(b.id), &format!("broker-{}", b.id), &label, &format!(r#"data-status="{status}""#));
        let r = &b.rect;
        rect(&mut out, r, "box", 6);
        let title = format!("Broker {}", b.id);
        text(&mut out, "title", r.x + 8.0, r.y + 18.0, "start", &title);
        // The note, most telling first: down or fenced, cut off, a slowed disk, then how many
        // partitions it leads (the ★ in its cells show that too). It shares the title's line (12 px
        // bold: about 7.2 px a character) and is never drawn over it: as much of it as fits, squeezed
        // a little at most, so a narrow broker drops the last words rather than shrink all of them
        // past reading. The broker's label and panel say everything.
        let mut parts: Vec<String> = Vec::new();
        match status {
            "down" => parts.push("✕ down".into()),
            "fenced" => parts.push("fenced".into()),
            _ => {}
        }
        if cut {
            parts.push("cut off".into());
        }
        if state.disk_slowdown > 1 {
            parts.push(format!("disk ×{}", state.disk_slowdown));
        }
        if status == "up" {
            parts.push(format!("leads {leads}"));
        }
        let room = (r.w - 16.0 - title.chars().count() as f64 * 7.2 - 6.0).max(24.0);
        let fits = |words: &str| words.chars().count() as f64 * NOTE_CHAR_W * 0.85 <= room;
        let shown = (1..=parts.len()).rev().map(|n| parts[..n].join(" · ")).find(|words| fits(words)).unwrap_or_else(|| parts.first().cloned().unwrap_or_default());
        if shown.chars().count() as f64 * NOTE_CHAR_W > room {
            text_within(&mut out, "note", r.x + r.w - 8.0 - room, r.y + 18.0, &shown, room, NOTE_CHAR_W);
        } else {
            text(&mut out, "note", r.x + r.w - 8.0, r.y + 18.0, "end", &shown);
        }
        for (p, c) in &b.cells {
            cell(&mut out, s, scene.layout.cell_h >= 30.0, b.id, *p, c);
        }
        if let Some(line) = &b.internal {
            let (replicas, led) = state.internal_hosts;
            let names: Vec<&str> = s.topics.iter().filter(|t| t.internal).map(|t| t.name.as_str()).collect();
            let words = format!("+{replicas} internal · leads {led}");
            let _ = write!(out, r#"<g class="internal" data-testid="internal-b{}"><title>{}</title>"#, b.id, escape(&format!(
                "Broker {} also holds {replicas} replicas of Kafka's internal topics ({}) and leads {led} of them. They are folded into this line; the topic list below has them.",
                b.id,
                names.join(", ")
            )));
            text(&mut out, "note", line.x, line.y + line.h - 3.0, "start", &words);
            out.push_str("</g>");
        }
        out.push_str("</g>");
    }
    for (i, r) in l.producers.iter().enumerate() {
        let Some(p) = s.producers.get(i) else { continue };
        // The box's class names what it does (`writes-results`; the style greys out `down`,
        // `stopped` and `finished`).
        let doing = p.activity();
        // A finished workload's rate is no longer what it sends.
        let rate = p.rate_per_sec.filter(|_| !p.finished).map_or_else(String::new, |r| format!(" · {r}/s"));
        let label = format!("Producer {}, {doing}, writes to {}, acks={}{rate}", p.name, p.topic, p.acks);
        let extra = format!(r#"data-running="{}""#, p.running);
        open_node(&mut out, &format!("producer {}", doing.replace(' ', "-")), Selection::Producer(p.index), &format!("producer-{}", p.name), &label, &extra);
        rect(&mut out, r, "box", 6);
        text(&mut out, "title", r.x + 8.0, r.y + 18.0, "start", &format!("▶ {}", fit(&p.name, 16)));
        // The rate goes on the state's line, so this one stretches only for a long topic name, and
        // is squeezed then.
        text_within(&mut out, "note", r.x + 8.0, r.y + 34.0, &format!("→ {} · acks={}", p.topic, p.acks), r.w - 14.0, NOTE_CHAR_W);
        text(&mut out, "note", r.x + 8.0, r.y + 46.0, "start", &format!("{doing}{rate}"));
        out.push_str("</g>");
    }
    for g in &l.groups {
        // Consumers with partitions assigned by hand share a box by name only: a dashed one, without
        // the group mark, so it never reads as a consumer group that rebalances.
        let (class, mark, tip) = if g.in_group { ("group-box", "◎ ", "consumer group") } else { ("group-box manual", "", "no group: partitions assigned by hand") };
        let _ = write!(out, r#"<g class="group" data-testid="group-{0}"><title>{0}: {tip}</title>"#, escape(&g.name));
        rect(&mut out, &g.rect, class, 8);
        text(&mut out, "title", g.rect.x + 8.0, g.rect.y + 15.0, "start", &format!("{mark}{}", fit(&g.name, 17)));
        for (c, row) in &g.members {
            let Some(consumer) = s.consumers.get(*c as usize) else { continue };
            let status = consumer.activity();
            let chips: Vec<String> = consumer.assignment.iter().map(|p| s.cell_label(*p)).collect();
            let summary = match status {
                "stopped" => "✕ stopped".to_string(),
                "crashed" => "✕ crashed".to_string(),
                "not started" => "not started".to_string(),
                "idle" => "idle: no partitions".to_string(),
                _ if chips.len() > 4 => format!("{} partitions", chips.len()),
                _ => chips.join(" "),
            };
            let label = format!("Consumer {}, {status}, assigned {}", consumer.name, if chips.is_empty() { "nothing".to_string() } else { chips.join(", ") });
            let slug = status.replace(' ', "-");
            let extra = format!(r#"data-status="{slug}""#);
            open_node(&mut out, &format!("consumer {slug}"), Selection::Consumer(consumer.index), &format!("consumer-{}", consumer.name), &label, &extra);
            rect(&mut out, row, "box", 4);
            text(&mut out, "member", row.x + 6.0, row.y + 11.0, "start", &fit(&consumer.name, 20));
            text(&mut out, "note", row.x + 6.0, row.y + 22.0, "start", &summary);
            out.push_str("</g>");
        }
        out.push_str("</g>");
    }
    out
}

/// A name cut to `max_chars` with an ellipsis, so it stays inside its box (the full name is in the
/// element's title and accessible label).
fn fit(name: &str, max_chars: usize) -> String {
    if name.chars().count() <= max_chars { name.to_string() } else { format!("{}…", name.chars().take(max_chars - 1).collect::<String>()) }
}

fn cell(out: &mut String, s: &Structure, big: bool, broker: BrokerId, p: crate::kafka::ids::PartitionIndex, c: &Rect) {
    let status = s.replica_status(broker, p);
    let name = s.partition(p).map_or_else(|| "?".to_string(), |x| x.name.clone());
    let target = Selection::Partition(p);
    let fill = match status {
        ReplicaStatus::Leader | ReplicaStatus::InSync => partition_colour(s, p),
        ReplicaStatus::OutOfSync => "url(#hatch)",
        ReplicaStatus::Offline => "#c9ced3",
    };
    let opacity = if status == ReplicaStatus::InSync { "0.45" } else { "1" };
    let mark = match status {
        ReplicaStatus::Leader => "★",
        ReplicaStatus::InSync => "",
        ReplicaStatus::OutOfSync => "!",
        ReplicaStatus::Offline => "✕",
    };
    let _ = write!(
        out,
        r#"<g class="replica {}" data-select="{}" data-testid="replica-{}-b{broker}" data-status="{}"><title>{} on broker {broker}: {}</title>"#,
        status.id(),
        select_attr(target),
        escape(&name),
        status.id(),
        escape(&name),
        status.label()
    );
    let _ = write!(out, r#"<rect class="cell" x="{}" y="{}" width="{}" height="{}" rx="3" fill="{fill}" fill-opacity="{opacity}"/>"#, num(c.x), num(c.y), num(c.w), num(c.h));
    let text_y = c.y + if big { 14.0 } else { 10.0 };
    let label = s.cell_label(p);
    // A label that would run into the mark ("o10★" in the stress preset's small cells) is squeezed
    // into the room left of it. 5.4 px: a 9 px bold character, on average.
    let room = c.w - 6.0 - if mark.is_empty() { 0.0 } else { 9.0 };
    text_within(out, "cell-label", c.x + 3.0, text_y, &label, room, 5.4);
    text(out, "cell-mark", c.x + c.w - 3.0, text_y, "end", mark);
    out.push_str("</g>");
}

/// Brings the side panel into view when it lies below the fold: on a tablet the page stacks it under
/// the picture, and a tapped broker's panel opened out of sight (its Kill button with it).
fn show_side_panel() {
    // A finger's tap only: a mouse click in a narrow window keeps the picture where it is.
    let window = gloo::utils::window();
    if !window.match_media("(pointer: coarse)").ok().flatten().is_some_and(|m| m.matches()) {
        return;
    }
    let Some(side) = gloo::utils::document().query_selector(".side").ok().flatten() else { return };
    let window_height = window.inner_height().ok().and_then(|h| h.as_f64()).unwrap_or(f64::MAX);
    // Its heading and a line or two showing is not enough to act on.
    if side.get_bounding_client_rect().top() > window_height * 0.7 {
        side.scroll_into_view_with_bool(true);
    }
}

#[function_component(ClusterView)]
pub fn cluster_view(props: &ClusterViewProps) -> Html {
    let scene = props.lab.scene();
    let markup = use_memo((props.structure_version, scene.clone()), |(_, scene)| picture(scene));
    // Rebuilding the picture (a structural change) drops keyboard focus: the lab's focus keeper
    // (`ui::focus`) puts it back on the node by its `data-select`.
    let d = props.dispatch.clone();
    let onclick = Callback::from(move |e: MouseEvent| {
        if let Some((_, target)) = selection_of(&e) {
            d.dispatch(UiAction::Inspect(target));
            show_side_panel();
        }
    });
    let d = props.dispatch.clone();
    let oncontextmenu = Callback::from(move |e: MouseEvent| {
        e.prevent_default();
        let target = selection_of(&e).map_or(Selection::None, |(_, s)| s);
        d.dispatch(UiAction::OpenMenu(Menu { target, x: e.client_x() as f64, y: e.client_y() as f64 }));
    });
    let d = props.dispatch.clone();
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        let Some((element, target)) = selection_of(&e) else { return };
        let key = e.key();
        if key == "Enter" || key == " " {
            e.prevent_default();
            d.dispatch(UiAction::Inspect(target));
        } else if key == "ContextMenu" || (key == "F10" && e.shift_key()) {
            e.prevent_default();
            let r = element.get_bounding_client_rect();
            d.dispatch(UiAction::OpenMenu(Menu { target, x: r.left() + r.width() / 2.0, y: r.top() + r.height() / 2.0 }));
        }
    });
    let l = &scene.layout;
    html! {
        <div class="picture-wrap">
            <div class="picture" ref={props.refs.picture.clone()}>
                <svg class="cluster-svg" viewBox={format!("0 0 {} {}", num(l.width), num(l.height))} role="group"
                     aria-label="Cluster picture: brokers with their partition replicas, the controller, producers and consumers"
                     data-structure-version={props.structure_version.to_string()} {onclick} {oncontextmenu} {onkeydown}>
                    { raw((*markup).clone()) }
                </svg>
                <canvas class={classes!("flights", props.reduced_motion.then_some("still"))} ref={props.refs.canvas.clone()}
                        aria-hidden="true" data-testid="flights-canvas"></canvas>
            </div>
        </div>
    }
}
