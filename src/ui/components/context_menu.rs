//! The context menu (right-click, the context-menu key or Shift+F10 on anything in the picture):
//! the actions that make sense for that thing, reachable with the arrow keys.

use crate::kafka::ids::{Node, PartitionIndex};
use crate::kafka::world::{Action, NodeRef, RATE_PER_SEC_MAX};
use crate::session::scene::{consumer_start_label, workload_over};
use crate::ui::commands::{self, Dispatch};
use crate::ui::focus::{Move, move_focus};
use crate::ui::components::broker_panel::{HEAL_EVERY_CUT, SLOW_DISK, everyone_but};
use crate::ui::lab::Lab;
use crate::ui::markup::{closest_attr, raw};
use std::fmt::Write as _;
use crate::ui::state::{Menu, Selection, Tab, UiAction};
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, KeyboardEvent};
use yew::prelude::*;

#[derive(PartialEq)]
pub struct ContextMenuProps {
    pub lab: Lab,
    pub menu: Menu,
    pub dispatch: Dispatch,
}

/// One menu entry: a label and what it does.
enum Item {
    Act(&'static str, Action),
    Inspect(&'static str, Selection),
    Tab(&'static str, Tab),
    Run(&'static str, fn(&Lab, &Dispatch, Selection)),
}

fn kill_leader(lab: &Lab, d: &Dispatch, target: Selection) {
    if let Selection::Partition(p) = target {
        let leader = lab.scene().structure.partition(p).and_then(|x| x.leader);
        match leader {
            Some(b) => {
                commands::act(lab, d, Action::KillBroker { broker: b.0, lose_page_cache: false });
            }
            None => commands::notify_error(d, "This partition has no leader to kill."),
        }
    }
}

fn isolate(lab: &Lab, d: &Dispatch, target: Selection) {
    let (node, side_a) = match target {
        Selection::Broker(b) => (Node::Broker(b), NodeRef::Broker(b.0)),
        Selection::Controller(c) => (Node::Controller(c), NodeRef::Controller(c)),
        Selection::Producer(i) => match lab.session().view().producers().get(i as usize) {
            Some(p) => (Node::Producer(i), NodeRef::Producer(p.name.to_string())),
            None => return,
        },
        Selection::Consumer(i) => match lab.session().view().consumers().get(i as usize) {
            Some(c) => (Node::Consumer(i), NodeRef::Consumer(c.name.to_string())),
            None => return,
        },
        _ => return,
    };
    let others = everyone_but(lab, node);
    commands::act(lab, d, Action::CutNetwork { side_a: vec![side_a], side_b: others });
}

fn produce_keyed(lab: &Lab, d: &Dispatch, target: Selection) {
    if let Selection::Producer(i) = target {
        d.dispatch(UiAction::Inspect(Selection::Producer(i)));
        focus_later("produce-key");
    } else if let Selection::Partition(p) = target {
        produce_to(lab, d, p);
    }
}

fn produce_to(lab: &Lab, d: &Dispatch, p: PartitionIndex) {
    let scene = lab.scene();
    let Some(part) = scene.structure.partition(p) else { return };
    let topic = scene.structure.topics[part.topic].name.clone();
    let producer = scene.structure.producers.iter().find(|x| x.topic == topic).map(|x| x.name.clone());
    match producer {
        Some(producer) => {
            commands::act(lab, d, Action::Produce { producer, key: None, value: None, partition: Some(part.number), count: None });
        }
        None => commands::notify_error(d, "No producer writes to this topic: add one in the Act tab."),
    }
}

/// Focuses an element by id once Yew has rendered it.
pub fn focus_later(id: &'static str) {
    gloo::timers::callback::Timeout::new(30, move || {
        if let Some(el) = gloo::utils::document().get_element_by_id(id).and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
            el.focus().ok();
        }
    })
    .forget();
}

fn items(lab: &Lab, target: Selection) -> Vec<Item> {
    let session = lab.session();
    let view = session.view();
    match target {
        Selection::Broker(b) => {
            let up = view.broker(b).is_some_and(|x| x.up);
            let mut items = vec![Item::Inspect("Inspect", target)];
            if up {
                items.push(Item::Act("Kill", Action::KillBroker { broker: b.0, lose_page_cache: false }));
                items.push(Item::Act("Kill with power loss", Action::KillBroker { broker: b.0, lose_page_cache: true }));
            } else {
                items.push(Item::Act("Restart", Action::RestartBroker { broker: b.0 }));
            }
            items.push(Item::Act(SLOW_DISK, Action::SlowDisk { broker: b.0, factor: 10 }));
            items.push(Item::Act("Normal disk", Action::SlowDisk { broker: b.0, factor: 1 }));
            items.push(Item::Run("Cut it off the network", isolate));
            items.push(Item::Act(HEAL_EVERY_CUT, Action::HealNetwork { cut: None }));
            items
        }
        Selection::Partition(_) => vec![
            Item::Inspect("Inspect its log", target),
            Item::Run("Kill its leader's broker", kill_leader),
            Item::Run("Produce a record to it", produce_keyed),
            Item::Act("Elect preferred leaders", Action::ElectPreferredLeaders),
        ],
        Selection::Producer(i) => {
            let Some(p) = view.producers().get(i as usize) else { return vec![] };
            let name = p.name.to_string();
            let rate = p.workload.as_ref().map_or(0, |w| w.spec.rate_per_sec);
            let mut items = vec![Item::Inspect("Inspect and configure", target), Item::Run("Produce a record with a key…", produce_keyed)];
            // A finished workload sends nothing more whatever its state or rate: nothing to offer.
            let over = workload_over(p, view.now());
            if !over {
                items.push(if p.running { Item::Act("Stop sending", Action::StopProducer { producer: name.clone() }) } else { Item::Act("Start sending", Action::StartProducer { producer: name.clone() }) });
                // Not past the engine's limit, which would refuse the doubled rate.
                if rate.max(1) <= RATE_PER_SEC_MAX / 2 {
                    items.push(Item::Act("Double the rate", Action::SetProducerRate { producer: name.clone(), rate_per_sec: rate.max(1) * 2 }));
                }
            }
            // Halving one record a second would stop the workload while it still reads "sending".
            if rate >= 2 && !over {
                items.push(Item::Act("Halve the rate", Action::SetProducerRate { producer: name.clone(), rate_per_sec: rate / 2 }));
            }
            // Only the acks it does not have yet: choosing the one it has would narrate a change.
            let current = p.config.acks.to_string();
            for (label, shown, value) in [("acks=all", "all", "all".into()), ("acks=1", "1", 1i64.into()), ("acks=0", "0", 0i64.into())] {
                if current != shown {
                    items.push(Item::Act(label, Action::SetProducerConfig { producer: name.clone(), key: "acks".into(), value }));
                }
            }
            items.push(Item::Run("Cut it off the network", isolate));
            items
        }
        Selection::Consumer(i) => {
            let Some(c) = view.consumers().get(i as usize) else { return vec![] };
            let name = c.name.to_string();
            let mut items = vec![Item::Inspect("Inspect", target)];
            if c.up {
                items.push(Item::Act("Crash", Action::CrashConsumer { consumer: name.clone() }));
                items.push(Item::Act("Stop (close cleanly)", Action::StopConsumer { consumer: name.clone() }));
            } else {
                items.push(Item::Act(consumer_start_label(c.incarnation > 0), Action::RestartConsumer { consumer: name.clone() }));
            }
            items.push(Item::Act("Slow processing (+20 ms a record)", Action::SetProcessingTime { consumer: name.clone(), processing_ms_per_record: c.processing_ms_per_record + 20 }));
            items.push(Item::Act("Normal processing", Action::SetProcessingTime { consumer: name.clone(), processing_ms_per_record: 0 }));
            items.push(Item::Run("Cut it off the network", isolate));
            items
        }
        Selection::Controller(_) => vec![Item::Inspect("What does it do?", target), Item::Run("Cut it off the network", isolate)],
        Selection::None => vec![
            Item::Tab("Add a broker, consumer or producer…", Tab::Act),
            Item::Act("Heal every network cut", Action::HealNetwork { cut: None }),
            Item::Act("Elect preferred leaders", Action::ElectPreferredLeaders),
            Item::Tab("Show the consumers", Tab::Consumers),
        ],
    }
}

/// A view function (not a component): it renders whenever the lab view does, and saves the wasm a
/// component's machinery (the 300 KB budget).
pub fn context_menu(props: &ContextMenuProps) -> Html {
    let target = props.menu.target;
    let mut entries = String::new();
    for (i, item) in items(&props.lab, target).iter().enumerate() {
        let label = match item {
            Item::Act(label, _) | Item::Inspect(label, _) | Item::Tab(label, _) | Item::Run(label, _) => label,
        };
        let _ = write!(entries, r#"<li role="none"><button type="button" role="menuitem" data-index="{i}">{label}</button></li>"#);
    }
    let (lab, d) = (props.lab.clone(), props.dispatch.clone());
    let run = Callback::from(move |e: MouseEvent| {
        let Some(index) = closest_attr(&e, "data-index").and_then(|(_, i)| i.parse::<usize>().ok()) else { return };
        let Some(item) = items(&lab, target).into_iter().nth(index) else { return };
        match item {
            Item::Act(_, action) => {
                d.dispatch(UiAction::Escape);
                commands::act(&lab, &d, action);
            }
            Item::Inspect(_, selection) => d.dispatch(UiAction::Inspect(selection)),
            Item::Tab(_, tab) => {
                d.dispatch(UiAction::Escape);
                d.dispatch(UiAction::SetTab(tab));
            }
            Item::Run(_, f) => {
                d.dispatch(UiAction::Escape);
                f(&lab, &d, target);
            }
        }
    });
    // The menu keys of the ARIA menu pattern. Tab closes the menu (focus goes back to what opened
    // it) rather than walking on through the page with the menu left open.
    let d = props.dispatch.clone();
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Tab" {
            e.prevent_default();
            d.dispatch(UiAction::Escape);
            return;
        }
        let Some(to) = Move::for_key(&e.key(), "ArrowDown", "ArrowUp") else { return };
        e.prevent_default();
        e.stop_propagation();
        // Yew delegates events to its root, so the menu is found from the target.
        if let Some(menu) = e.target_dyn_into::<web_sys::Element>().and_then(|t| t.closest("[role=menu]").ok().flatten()) {
            move_focus(&menu, "[role=menuitem]", to);
        }
    });
    let d = props.dispatch.clone();
    let close = Callback::from(move |_| d.dispatch(UiAction::Escape));
    let (width, height) = gloo::utils::window().inner_width().ok().and_then(|w| w.as_f64()).zip(gloo::utils::window().inner_height().ok().and_then(|h| h.as_f64())).unwrap_or((1280.0, 720.0));
    let x = props.menu.x.min(width - 240.0).max(0.0);
    let y = props.menu.y.min(height - 300.0).max(0.0);
    html! {
        <>
            <div class="menu-backdrop" onclick={close.clone()} oncontextmenu={Callback::from(move |e: MouseEvent| { e.prevent_default(); close.emit(e) })}></div>
            <ul class="context-menu" role="menu" data-testid="context-menu" style={format!("left:{}px;top:{}px", x as i64, y as i64)} {onkeydown}
                aria-label="Actions" onclick={run}>{ raw(entries) }</ul>
        </>
    }
}
