//! A producer: what it sends where, its configs and statistics, and forms to produce a record with a
//! key, start or stop it, set its rate and its configs (acks, linger.ms, batch.size, …).

use crate::kafka::producer::Producer;
use crate::kafka::world::{Action, PRODUCE_COUNT_MAX, RATE_PER_SEC_MAX};
use crate::session::scene::workload_over;
use crate::sim::Tick;
use crate::ui::commands::{self, Dispatch};
use crate::ui::form::{Submitted, button, config_form, input, parse_config_value, parse_number};
use crate::ui::lab::Lab;
use crate::ui::markup::{closest_attr, escape, raw};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ProducerPanelProps {
    pub lab: Lab,
    pub producer: u32,
    pub data_version: u64,
    pub dispatch: Dispatch,
}

pub const PRODUCER_CONFIG_KEYS: &[&str] =
    &["acks", "linger.ms", "batch.size", "enable.idempotence", "max.in.flight.requests.per.connection", "retries", "delivery.timeout.ms", "request.timeout.ms", "partitioner.class"];

/// What its workload does: its rate while it sends, none once it is over (its count sent, or its
/// stop time passed).
fn workload_words(p: &Producer, now: Tick) -> String {
    match &p.workload {
        None => "no workload: records only when you produce".into(),
        Some(_) if workload_over(p, now) => "its workload is over".into(),
        Some(w) => format!("{} records/s", w.spec.rate_per_sec),
    }
}

#[function_component(ProducerPanel)]
pub fn producer_panel(props: &ProducerPanelProps) -> Html {
    let session = props.lab.session();
    let view = session.view();
    let Some(p) = view.producers().get(props.producer as usize) else {
        return html! { <p class="empty">{ "This producer does not exist at this moment of the run." }</p> };
    };
    let name = p.name.to_string();
    let st = &p.stats;
    let average = if st.records_acked > 0 { st.latency_ms_total / st.records_acked.max(1) } else { 0 };
    let scene = props.lab.scene();
    let drawn = scene.structure.producers.iter().find(|x| x.index == props.producer);
    let keys = drawn.map(|x| x.keys.clone()).unwrap_or_default();
    let facts = format!(
        r#"<h3>Producer {}</h3><p class="facts">writes to {} · {} · {}</p><p class="facts">keys: {}</p><p class="facts">acks={} · linger.ms={} · batch.size={} · idempotence {}</p><p class="facts" data-testid="producer-stats">sent {} · acknowledged {} · failed {} · retries {} · queued {} · mean latency {} ms (max {} ms)</p>"#,
        escape(&name),
        escape(&p.topic_name),
        drawn.map_or("", |x| x.activity()),
        workload_words(p, view.now()),
        escape(&keys),
        p.config.acks,
        p.config.linger_ms,
        p.config.batch_size,
        if p.config.enable_idempotence { "on" } else { "off" },
        st.records_sent,
        st.records_acked,
        st.records_failed,
        st.retries,
        p.records_queued(),
        average,
        st.latency_ms_max
    );
    // A locked embed offers nothing (lock=1: the run plays by itself).
    let forms = if props.lab.embed.lock { String::new() } else { format!(
        r#"<form class="inline" data-form="produce" data-testid="produce-form">{}{}{}<button type="submit" data-testid="produce">Produce</button></form><div class="buttons">{}</div><form class="inline" data-form="rate">{}<button type="submit">Set rate/s</button></form>{}<p class="note">The key pattern of a running workload cannot change yet: add a producer with another pattern in the Act tab, or produce keyed records here.</p>"#,
        input("key", "key", "text", "", r#"id="produce-key" size="10" data-testid="produce-key""#),
        input("value", "value", "text", "", r#"size="10""#),
        input("×", "count", "number", "1", &format!(r#"min="1" max="{PRODUCE_COUNT_MAX}" class="narrow" aria-label="How many records""#)),
        // A finished workload has nothing left to stop or start.
        if workload_over(p, view.now()) { String::new() } else { button("toggle-producer", if p.running { "Stop sending" } else { "Start sending" }, "") },
        input("rate", "rate", "number", "", &format!(r#"min="0" max="{RATE_PER_SEC_MAX}" class="narrow" aria-label="Records per second""#)),
        config_form("producer-config", PRODUCER_CONFIG_KEYS, "")
    ) };
    let (lab, d, producer) = (props.lab.clone(), props.dispatch.clone(), name.clone());
    let onsubmit = Callback::from(move |e: SubmitEvent| {
        let Some(form) = Submitted::of(&e) else { return };
        let action = match form.name.as_str() {
            "produce" => {
                let count = match parse_number("count", &form.field("count")) {
                    Ok(n) if (1..=u64::from(PRODUCE_COUNT_MAX)).contains(&n) => n as u32,
                    Ok(_) => return commands::notify_error(&d, format!("count must be between 1 and {PRODUCE_COUNT_MAX}")),
                    Err(why) => return commands::notify_error(&d, why),
                };
                let (key, value) = (form.field("key"), form.field("value"));
                Action::Produce { producer: producer.clone(), key: (!key.is_empty()).then_some(key), value: (!value.is_empty()).then_some(value), partition: None, count: Some(count) }
            }
            "rate" => match parse_number("rate", &form.field("rate")) {
                Ok(r) => Action::SetProducerRate { producer: producer.clone(), rate_per_sec: r.min(u64::from(u32::MAX)) as u32 },
                Err(why) => return commands::notify_error(&d, why),
            },
            "config" => Action::SetProducerConfig { producer: producer.clone(), key: form.field("key"), value: parse_config_value(&form.field("value")) },
            _ => return,
        };
        commands::act(&lab, &d, action);
    });
    let (lab, d, producer, running) = (props.lab.clone(), props.dispatch.clone(), name, p.running);
    let onclick = Callback::from(move |e: MouseEvent| {
        if closest_attr(&e, "data-act").is_some_and(|(_, act)| act == "toggle-producer") {
            let action = if running { Action::StopProducer { producer: producer.clone() } } else { Action::StartProducer { producer: producer.clone() } };
            commands::act(&lab, &d, action);
        }
    });
    html! {
        <section class="inspector producer-panel" data-testid="producer-panel" aria-label="Producer" {onsubmit} {onclick}>
            { raw(facts) }
            { raw(forms) }
        </section>
    }
}
