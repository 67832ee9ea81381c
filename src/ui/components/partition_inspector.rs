//! A partition's log: each replica's LEO, HW and log start; the leader's segments; its newest records
//! (offset, key, value, timestamp, leader epoch); who reads it from where; and each group's committed
//! offset in it.

use crate::kafka::ids::PartitionIndex;
use crate::kafka::record::Value;
use crate::kafka::world::Action;
use crate::session::charts::partition_lag;
use crate::session::narrate::clock;
use crate::sim::Tick;
use crate::ui::commands::{self, Dispatch};
use crate::ui::form::{Submitted, button, config_form, input, parse_config_value};
use crate::ui::lab::Lab;
use crate::ui::markup::{closest_attr, escape, raw, table};
use std::collections::VecDeque;
use std::fmt::Write as _;
use yew::prelude::*;

/// Records listed at most (the newest).
const RECORDS_SHOWN: usize = 40;

pub const TOPIC_CONFIG_KEYS: &[&str] =
    &["min.insync.replicas", "retention.ms", "retention.bytes", "segment.bytes", "segment.ms", "unclean.leader.election.enable", "max.message.bytes"];

#[derive(Properties, PartialEq)]
pub struct PartitionInspectorProps {
    pub lab: Lab,
    pub partition: PartitionIndex,
    pub data_version: u64,
    pub dispatch: Dispatch,
}

pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Text(text) => text.to_string(),
        Value::Opaque(bytes) => format!("({bytes} bytes)"),
    }
}

fn ids(brokers: &[crate::kafka::ids::BrokerId]) -> String {
    brokers.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(", ")
}

#[function_component(PartitionInspector)]
pub fn partition_inspector(props: &PartitionInspectorProps) -> Html {
    let scene = props.lab.scene();
    let session = props.lab.session();
    let view = session.view();
    let Some(p) = scene.structure.partition(props.partition).cloned() else {
        return html! { <p class="empty">{ "This partition does not exist at this moment of the run." }</p> };
    };
    let topic = scene.structure.topics[p.topic].name.clone();
    let replica_rows: Vec<Vec<String>> = p
        .replicas
        .iter()
        .map(|b| {
            let status = scene.structure.replica_status(*b, p.index);
            let broker = view.broker(*b);
            let mut row = vec![format!("broker {b}"), status.id().replace('-', " ")];
            match broker.and_then(|x| x.replicas.get(&p.index)) {
                Some(r) => row.extend([
                    r.log.log_end_offset().to_string(),
                    r.log.high_watermark().to_string(),
                    r.log.log_start_offset().to_string(),
                    broker.map_or(0, |x| x.page_cache.durable(r.file)).to_string(),
                ]),
                None => row.push("no replica yet".into()),
            }
            row
        })
        .collect();
    let leader_log = view.leader_log(p.index);
    let (hw, leo, log_start) = leader_log.map_or((0, 0, 0), |l| (l.high_watermark(), l.log_end_offset(), l.log_start_offset()));
    let mut markup = format!(
        r#"<h3>Partition {}</h3><p class="facts">Leader: {} · leader epoch {} · ISR [{}] · replicas [{}] (broker {} preferred)</p><p class="facts" data-testid="partition-offsets">Leader's log: start {log_start} · HW {hw} · LEO {leo}</p>"#,
        escape(&p.name),
        p.leader.map_or("none".into(), |b| format!("broker {b}")),
        p.leader_epoch,
        ids(&p.isr),
        ids(&p.replicas),
        p.replicas.first().map_or("?".into(), |b| b.to_string())
    );
    markup.push_str(&table("replicas", "replica-rows", &["replica", "state", "LEO", "HW", "start", "flushed"], &replica_rows));
    markup.push_str(r#"<h4>Segments (leader)</h4><ul class="segments">"#);
    match leader_log {
        Some(log) => {
            for seg in log.segments() {
                let _ = write!(markup, "<li>[{} – {}) · {} bytes · {} batches</li>", seg.base_offset(), seg.next_offset(), seg.size_bytes(), seg.batches().len());
            }
        }
        None => markup.push_str("<li>no leader: no log to show</li>"),
    }
    markup.push_str("</ul><h4>Newest records (leader)</h4>");
    let mut newest: VecDeque<Vec<String>> = VecDeque::with_capacity(RECORDS_SHOWN + 1);
    if let Some(log) = leader_log {
        for batch in log.batches() {
            for (offset, record) in batch.iter() {
                newest.push_back(vec![
                    offset.to_string(),
                    escape(record.key.as_deref().unwrap_or("null")),
                    escape(&value_text(&record.value)),
                    clock(Tick(record.timestamp_ms)),
                    batch.partition_leader_epoch.to_string(),
                    if offset < hw { "✓".into() } else { "not yet".into() },
                ]);
                if newest.len() > RECORDS_SHOWN {
                    newest.pop_front();
                }
            }
        }
    }
    let records: Vec<Vec<String>> = newest.into_iter().rev().collect();
    markup.push_str(&table("records", "records", &["offset", "key", "value", "time", "epoch", "below HW"], &records));
    markup.push_str("<h4>Read by</h4><ul>");
    for c in view.consumers().iter().filter(|c| c.assignment.contains(&p.index)) {
        let position = c.position(p.index).map_or("unknown".into(), |x| x.to_string());
        let _ = write!(markup, "<li>{}: position {position}, lag {}</li>", escape(&c.name), partition_lag(&view, c, p.index));
    }
    // Every group's committed offset here, as its coordinator holds it: where a new owner starts.
    markup.push_str("</ul><h4>Committed offsets</h4><ul data-testid=\"committed-offsets\">");
    // Groups that have committed here or read it now; the others have nothing to say about it.
    for g in scene.structure.groups.iter().filter(|g| g.in_group) {
        let reading = g.members.iter().filter_map(|i| view.consumers().get(*i as usize)).any(|c| c.assignment.contains(&p.index));
        let committed = match view.group(&g.name).map(|x| x.offsets.get(&p.index)) {
            Some(Some(offset)) => format!("committed {offset}"),
            _ if !reading => continue,
            Some(None) => "none committed yet".into(),
            None => "no live coordinator has it loaded".into(),
        };
        let _ = write!(markup, "<li>group {}: {committed}</li>", escape(&g.name));
    }
    markup.push_str("</ul>");
    // A locked embed offers nothing (lock=1: the run plays by itself).
    let forms = if props.lab.embed.lock { String::new() } else { format!(
        r#"<h4>Act on it</h4><form class="inline" data-form="produce">{}<button type="submit">Produce to P{}</button></form>{}<div class="buttons">{}</div>"#,
        input("key", "key", "text", "", r#"size="10" aria-label="Record key""#),
        p.number,
        config_form("topic-config", TOPIC_CONFIG_KEYS, ""),
        button("elect-preferred", "Elect preferred leaders", "")
    ) };
    let producer = view.producers().iter().find(|x| *x.topic_name == *topic).map(|x| x.name.to_string());
    let (lab, d, number) = (props.lab.clone(), props.dispatch.clone(), p.number);
    let onsubmit = Callback::from(move |e: SubmitEvent| {
        let Some(form) = Submitted::of(&e) else { return };
        let action = match form.name.as_str() {
            "produce" => {
                let Some(producer) = producer.clone() else {
                    return commands::notify_error(&d, "No producer writes to this topic: add one in the Act tab.");
                };
                let key = form.field("key");
                Action::Produce { producer, key: (!key.is_empty()).then_some(key), value: None, partition: Some(number), count: None }
            }
            "config" => Action::SetTopicConfig { topic: topic.clone(), key: form.field("key"), value: parse_config_value(&form.field("value")) },
            _ => return,
        };
        commands::act(&lab, &d, action);
    });
    let (lab, d) = (props.lab.clone(), props.dispatch.clone());
    let onclick = Callback::from(move |e: MouseEvent| {
        if closest_attr(&e, "data-act").is_some_and(|(_, act)| act == "elect-preferred") {
            commands::act(&lab, &d, Action::ElectPreferredLeaders);
        }
    });
    html! {
        <section class="inspector partition-inspector" data-testid="partition-inspector" aria-label="Partition" {onsubmit} {onclick}>
            { raw(markup) }
            { raw(forms) }
        </section>
    }
}
