//! A broker: the partitions it leads and follows (in sync or not), its disk and page cache, and what
//! can be done to it.

use crate::kafka::ids::{BrokerId, Node};
use crate::kafka::world::{Action, NodeRef};
use crate::session::scene::ReplicaStatus;
use crate::ui::commands::{self, Dispatch};
use crate::ui::form::button;
use crate::ui::lab::Lab;
use crate::ui::markup::{closest_attr, escape, raw, table};
use std::fmt::Write as _;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BrokerPanelProps {
    pub lab: Lab,
    pub broker: BrokerId,
    pub data_version: u64,
    pub dispatch: Dispatch,
}

/// Every other node of the run, as actions name them (to cut one off from the rest).
pub fn everyone_but(lab: &Lab, node: Node) -> Vec<NodeRef> {
    let session = lab.session();
    let view = session.view();
    let mut nodes: Vec<NodeRef> = view.brokers().filter(|b| Node::Broker(b.id) != node).map(|b| NodeRef::Broker(b.id.0)).collect();
    nodes.extend((0..session.world().spec().controllers.max(1)).filter(|c| Node::Controller(*c) != node).map(NodeRef::Controller));
    nodes.extend(view.producers().iter().filter(|p| Node::Producer(p.index) != node).map(|p| NodeRef::Producer(p.name.to_string())));
    nodes.extend(view.consumers().iter().filter(|c| Node::Consumer(c.index) != node).map(|c| NodeRef::Consumer(c.name.to_string())));
    nodes
}

/// One line of partitions: the learner's by name, then internal topics' replicas folded into a count
/// that opens to their names (a broker can hold 50 of `__consumer_offsets`).
fn replica_line(title: &str, names: &[(String, bool)]) -> String {
    let own: Vec<&str> = names.iter().filter(|(_, internal)| !internal).map(|(n, _)| n.as_str()).collect();
    let internal: Vec<&str> = names.iter().filter(|(_, internal)| *internal).map(|(n, _)| n.as_str()).collect();
    let mut out = format!(r#"<div class="replica-line"><strong>{title}:</strong> "#);
    out.push_str(&if own.is_empty() && internal.is_empty() { "nothing".to_string() } else { escape(&own.join(", ")) });
    if !internal.is_empty() {
        let _ = write!(out, r#" <details><summary>+{} internal</summary>{}</details>"#, internal.len(), escape(&internal.join(", ")));
    }
    out.push_str("</div>");
    out
}

/// What the broker's panel, its context menu and the Act tab call these actions: one wording, so a
/// learner told of a button in one place finds it under the same name in the other.
pub const SLOW_DISK: &str = "Slow disk ×10";
pub const HEAL_EVERY_CUT: &str = "Heal every cut";

#[function_component(BrokerPanel)]
pub fn broker_panel(props: &BrokerPanelProps) -> Html {
    let scene = props.lab.scene();
    let session = props.lab.session();
    let view = session.view();
    let Some(broker) = view.broker(props.broker) else {
        return html! { <p class="empty">{ format!("There is no broker {} at this moment of the run.", props.broker) }</p> };
    };
    let s = &scene.structure;
    let fenced = s.broker(props.broker).is_some_and(|b| b.fenced);
    let (mut led, mut in_sync, mut out_of_sync, mut offline) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut cache_rows, mut internal_cache_rows) = (Vec::new(), Vec::new());
    for (p, r) in broker.replicas.iter() {
        let name = s.partition(p).map_or_else(|| format!("#{}", p.0), |x| x.name.clone());
        let internal = s.is_internal(p);
        let row = vec![escape(&name), r.log.log_end_offset().to_string(), broker.page_cache.durable(r.file).to_string(), broker.page_cache.dirty_writes(r.file).to_string()];
        if internal { internal_cache_rows.push(row) } else { cache_rows.push(row) }
        match s.replica_status(props.broker, p) {
            ReplicaStatus::Leader => led.push((name, internal)),
            ReplicaStatus::InSync => in_sync.push((name, internal)),
            ReplicaStatus::OutOfSync => out_of_sync.push((name, internal)),
            // Not "out of sync": until the controller fences the broker, the ISR still lists them.
            ReplicaStatus::Offline => offline.push((name, internal)),
        }
    }
    let columns = ["replica", "LEO", "flushed to", "dirty writes"];
    let mut cache = table("", "page-cache", &columns, &cache_rows);
    if !internal_cache_rows.is_empty() {
        let _ = write!(
            cache,
            "<details><summary>Internal topics' replicas ({})</summary>{}</details>",
            internal_cache_rows.len(),
            table("", "page-cache", &columns, &internal_cache_rows)
        );
    }
    let d = &broker.disk.stats;
    let id = props.broker.0;
    let status = if !broker.up { "down" } else if fenced { "up, fenced by the controller" } else { "up" };
    let facts = format!(
        r#"<h3>Broker {id}</h3><p class="facts">{status}{}</p>{}{}{}{}<h4>Disk</h4><p class="facts">{} appends ({} bytes) · {} reads ({} bytes, {} from the page cache) · {} fsyncs · busy {} ms · slowdown ×{}</p><h4>Page cache</h4>{}"#,
        broker.rack.as_deref().map_or(String::new(), |r| format!(" · rack {}", escape(r))),
        replica_line("Leads", &led),
        replica_line("Follows in sync", &in_sync),
        replica_line("Out of sync", &out_of_sync),
        if offline.is_empty() { String::new() } else { replica_line("Down with the broker", &offline) },
        d.append_requests,
        d.appended_bytes,
        d.read_requests,
        d.read_bytes,
        d.reads_from_page_cache,
        d.fsyncs,
        d.busy_us / 1000,
        broker.disk.config.slowdown_factor,
        cache
    );
    // What applies to it now, as in its context menu: a running broker can be killed, a dead one
    // restarted. A locked embed offers nothing (lock=1: the run plays by itself).
    let lifecycle = if broker.up {
        format!("{}{}", button("kill-broker", "Kill", ""), button("kill-broker-power", "Kill with power loss", ""))
    } else {
        button("restart-broker", "Restart", "")
    };
    let buttons = if props.lab.embed.lock {
        String::new()
    } else {
        format!(
        r#"<h4>Act on it</h4><div class="buttons">{lifecycle}{}{}{}{}</div>"#,
        button("slow-disk", SLOW_DISK, ""),
        button("normal-disk", "Normal disk", ""),
        button("isolate-broker", "Cut it off the network", ""),
        button("heal-network", HEAL_EVERY_CUT, "")
        )
    };
    let (lab, d) = (props.lab.clone(), props.dispatch.clone());
    let onclick = Callback::from(move |e: MouseEvent| {
        let Some((_, act)) = closest_attr(&e, "data-act") else { return };
        let action = match act.as_str() {
            "kill-broker" => Action::KillBroker { broker: id, lose_page_cache: false },
            "kill-broker-power" => Action::KillBroker { broker: id, lose_page_cache: true },
            "restart-broker" => Action::RestartBroker { broker: id },
            "slow-disk" => Action::SlowDisk { broker: id, factor: 10 },
            "normal-disk" => Action::SlowDisk { broker: id, factor: 1 },
            "isolate-broker" => Action::CutNetwork { side_a: vec![NodeRef::Broker(id)], side_b: everyone_but(&lab, Node::Broker(BrokerId(id))) },
            "heal-network" => Action::HealNetwork { cut: None },
            _ => return,
        };
        commands::act(&lab, &d, action);
    });
    html! {
        <section class="inspector broker-panel" data-testid="broker-panel" aria-label="Broker" {onclick}>
            { raw(facts) }
            { raw(buttons) }
        </section>
    }
}
