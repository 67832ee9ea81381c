//! One consumer: its assignment with positions and lag, and what can be done to it (crash, stop,
//! restart, slow it down, seek, change its configs).

use crate::kafka::world::{Action, SeekTarget};
use crate::session::charts::partition_lag;
use crate::session::scene::{consumer_activity, consumer_start_label, processing_words};
use crate::ui::commands::{self, Dispatch};
use crate::ui::form::{Submitted, button, config_form, input, parse_config_value, parse_number};
use crate::ui::lab::Lab;
use crate::ui::markup::{closest_attr, escape, raw, table};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConsumerPanelProps {
    pub lab: Lab,
    pub consumer: u32,
    pub data_version: u64,
    pub dispatch: Dispatch,
}

pub const CONSUMER_CONFIG_KEYS: &[&str] =
    &["auto.offset.reset", "max.poll.records", "fetch.max.wait.ms", "fetch.min.bytes", "session.timeout.ms", "partition.assignment.strategy", "isolation.level", "enable.auto.commit"];

#[function_component(ConsumerPanel)]
pub fn consumer_panel(props: &ConsumerPanelProps) -> Html {
    let session = props.lab.session();
    let view = session.view();
    let Some(c) = view.consumers().get(props.consumer as usize) else {
        return html! { <p class="empty">{ "This consumer does not exist at this moment of the run." }</p> };
    };
    let scene = props.lab.scene();
    let s = &scene.structure;
    let name = c.name.to_string();
    let rows: Vec<Vec<String>> = c
        .assignment
        .iter()
        .map(|p| {
            let pname = s.partition(*p).map_or_else(|| format!("#{}", p.0), |x| escape(&x.name));
            vec![pname, c.position(*p).map_or("unknown".into(), |x| x.to_string()), partition_lag(&view, c, *p).to_string()]
        })
        .collect();
    let status = match consumer_activity(c.up, c.incarnation > 0, c.crashed, c.assignment.is_empty()) {
        "idle" => "idle: nothing assigned",
        other => other,
    };
    let facts = format!(
        r#"<h3>Consumer {}</h3><p class="facts">{status} · {} · {} · polled {} · processed {}</p>{}"#,
        escape(&name),
        c.group.as_deref().map_or("manual assignment".to_string(), |g| format!("group {}", escape(g))),
        processing_words(c.processing_ms_per_record, c.processing_ms_per_poll),
        c.stats.records_polled,
        c.stats.records_processed,
        table("", "positions", &["partition", "position", "lag"], &rows)
    );
    // What applies to it now, as in its context menu: a running consumer can crash or stop; one that
    // is down restarts, and one that has not started yet can be started early.
    let lifecycle = if c.up {
        format!("{}{}", button("crash-consumer", "Crash", ""), button("stop-consumer", "Stop (close)", ""))
    } else {
        button("restart-consumer", consumer_start_label(c.incarnation > 0), "")
    };
    // Only a running consumer has positions to move. A locked embed offers nothing.
    let seeks = if c.up { format!("{}{}", button("seek-beginning", "Seek to beginning", ""), button("seek-end", "Seek to end", "")) } else { String::new() };
    let forms = if props.lab.embed.lock {
        String::new()
    } else {
        format!(
            r#"<div class="buttons">{lifecycle}{seeks}</div><form class="inline" data-form="processing">{}<button type="submit">Set</button></form>{}"#,
            input("processing ms/record", "ms", "number", "", r#"min="0" class="narrow""#),
            config_form("consumer-config", CONSUMER_CONFIG_KEYS, "")
        )
    };
    let (lab, d, consumer) = (props.lab.clone(), props.dispatch.clone(), name.clone());
    let onsubmit = Callback::from(move |e: SubmitEvent| {
        let Some(form) = Submitted::of(&e) else { return };
        let action = match form.name.as_str() {
            "processing" => match parse_number("processing time", &form.field("ms")) {
                Ok(ms) => Action::SetProcessingTime { consumer: consumer.clone(), processing_ms_per_record: ms },
                Err(why) => return commands::notify_error(&d, why),
            },
            "config" => Action::SetConsumerConfig { consumer: consumer.clone(), key: form.field("key"), value: parse_config_value(&form.field("value")) },
            _ => return,
        };
        commands::act(&lab, &d, action);
    });
    let partitions: Vec<(String, u32)> = c.assignment.iter().filter_map(|p| s.partition(*p)).map(|p| (s.topics[p.topic].name.clone(), p.number)).collect();
    let (lab, d, consumer) = (props.lab.clone(), props.dispatch.clone(), name);
    let onclick = Callback::from(move |e: MouseEvent| {
        let Some((_, act)) = closest_attr(&e, "data-act") else { return };
        let consumer = consumer.clone();
        let seek = |to: SeekTarget| {
            for (topic, partition) in &partitions {
                if !commands::act(&lab, &d, Action::Seek { consumer: consumer.clone(), topic: topic.clone(), partition: *partition, to }) {
                    break;
                }
            }
        };
        match act.as_str() {
            "crash-consumer" => drop(commands::act(&lab, &d, Action::CrashConsumer { consumer })),
            "stop-consumer" => drop(commands::act(&lab, &d, Action::StopConsumer { consumer })),
            "restart-consumer" => drop(commands::act(&lab, &d, Action::RestartConsumer { consumer })),
            "seek-beginning" => seek(SeekTarget::Beginning),
            "seek-end" => seek(SeekTarget::End),
            _ => {}
        }
    });
    html! {
        <section class="inspector consumer-panel" data-testid="consumer-panel" aria-label="Consumer" {onsubmit} {onclick}>
            { raw(facts) }
            { raw(forms) }
        </section>
    }
}
