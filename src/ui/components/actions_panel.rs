//! The Act tab: change the cluster as a whole: add brokers, consumers and producers, cut and heal the
//! network, slow a link, grow a topic and change its configs.

use crate::kafka::config::ConfigValue;
use crate::kafka::ids::{BrokerId, Node};
use crate::kafka::world::spec::{CommitMode, ConsumerSpec, KeyPattern, ProducerSpec, ValuePattern, Workload};
use crate::kafka::world::{Action, NodeRef};
use crate::ui::commands::{self, Dispatch};
use crate::ui::components::broker_panel::{HEAL_EVERY_CUT, everyone_but};
use crate::ui::components::partition_inspector::TOPIC_CONFIG_KEYS;
use crate::ui::form::{Submitted, button, config_form, input, options, parse_config_value, parse_number, select};
use crate::ui::lab::Lab;
use crate::ui::markup::{closest_attr, raw};
use std::fmt::Write as _;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ActionsPanelProps {
    pub lab: Lab,
    pub data_version: u64,
    pub dispatch: Dispatch,
}

/// "0,2,5" or "all" → partition numbers below `count`.
fn partitions_from(text: &str, count: u32) -> Result<Vec<u32>, String> {
    let text = text.trim();
    if text.is_empty() || text == "all" {
        return Ok((0..count).collect());
    }
    text.split(',')
        .map(|p| {
            let n = parse_number("a partition", p)?;
            if n < u64::from(count) { Ok(n as u32) } else { Err(format!("the topic has partitions 0 to {}", count.saturating_sub(1))) }
        })
        .collect()
}

/// The engine's node for an action's node name.
fn node_of(lab: &Lab, node: &NodeRef) -> Option<Node> {
    let session = lab.session();
    let view = session.view();
    Some(match node {
        NodeRef::Broker(id) => Node::Broker(BrokerId(*id)),
        NodeRef::Controller(id) => Node::Controller(*id),
        NodeRef::Producer(n) => Node::Producer(view.producers().iter().position(|p| &*p.name == n)? as u32),
        NodeRef::Consumer(n) => Node::Consumer(view.consumers().iter().position(|c| &*c.name == n)? as u32),
    })
}

fn action_for(lab: &Lab, form: &Submitted) -> Result<Action, String> {
    let (topics, producers, consumers) = {
        let session = lab.session();
        let view = session.view();
        let topics: Vec<(String, u32)> = view.metadata().topics.iter().map(|t| (t.name.to_string(), t.partitions.len() as u32)).collect();
        (topics, view.producers().len(), view.consumers().len())
    };
    let topic = form.field("topic");
    let partitions = topics.iter().find(|t| t.0 == topic).map_or(0, |t| t.1);
    let name_or = |fallback: String| {
        let name = form.field("name");
        if name.is_empty() { fallback } else { name }
    };
    Ok(match form.name.as_str() {
        "add-consumer" => {
            let name = name_or(format!("learner-{}", consumers + 1));
            let config = [("auto.offset.reset".to_string(), ConfigValue::Str(form.field("reset")))].into();
            let group = form.field("group");
            let spec = if group.is_empty() {
                // No group: the partitions are assigned by hand, and nothing is committed.
                let assign = partitions_from(&form.field("partitions"), partitions)?.into_iter().map(|n| (topic.clone(), n)).collect();
                ConsumerSpec { name, assign, config, commit: CommitMode::Never, ..ConsumerSpec::default() }
            } else {
                // A group member subscribes to the topic; its group's assignor picks its partitions
                // (a new name starts a new group). It commits automatically, Kafka's default.
                if !matches!(form.field("partitions").trim(), "" | "all") {
                    return Err(format!("a member of group {group} gets its partitions from the group: leave partitions at 'all', or the group empty to assign them by hand"));
                }
                ConsumerSpec { name, group: Some(group), topics: vec![topic], config, ..ConsumerSpec::default() }
            };
            Action::AddConsumer { spec }
        }
        "add-producer" => {
            let keys = match form.field("keys").as_str() {
                "none" => KeyPattern::None,
                "random" => KeyPattern::Random { prefix: "key-".into(), count: 20 },
                "hot" => KeyPattern::Hot { prefix: "key-".into(), count: 20, hot_key: "hot".into(), hot_percent: 80 },
                _ => KeyPattern::Cycle { prefix: "key-".into(), count: 6 },
            };
            let rate = parse_number("rate", &form.field("rate"))?.min(u64::from(u32::MAX)) as u32;
            Action::AddProducer {
                spec: ProducerSpec {
                    name: name_or(format!("learner-producer-{}", producers + 1)),
                    topic,
                    config: [("acks".to_string(), parse_config_value(&form.field("acks")))].into(),
                    workload: Some(Workload { rate_per_sec: rate, keys, values: ValuePattern::Numbered { prefix: "record #".into() }, ..Workload::default() }),
                    transactions: None,
                },
            }
        }
        "cut" => {
            let side_a = NodeRef::try_from(form.field("a"))?;
            let b = form.field("b");
            let side_b = if b == "*" {
                let node = node_of(lab, &side_a).ok_or_else(|| format!("there is no {side_a}"))?;
                everyone_but(lab, node)
            } else {
                vec![NodeRef::try_from(b)?]
            };
            Action::CutNetwork { side_a: vec![side_a], side_b }
        }
        "link" => Action::SetLink {
            from: NodeRef::try_from(form.field("from"))?,
            to: NodeRef::try_from(form.field("to"))?,
            latency_ms: Some(parse_number("latency", &form.field("latency"))?),
            loss_percent: Some(parse_number("loss", &form.field("loss"))?.min(u64::from(u32::MAX)) as u32),
            drop_percent: Some(parse_number("resets", &form.field("drop"))?.min(u64::from(u32::MAX)) as u32),
        },
        // Past u32 the engine's own limit (PARTITIONS_MAX) refuses it just the same.
        "add-partitions" => Action::AddPartitions { topic, total: parse_number("the new partition count", &form.field("total"))?.min(u64::from(u32::MAX)) as u32 },
        "config" => Action::SetTopicConfig { topic, key: form.field("key"), value: parse_config_value(&form.field("value")) },
        other => return Err(format!("unknown form {other}")),
    })
}

#[function_component(ActionsPanel)]
pub fn actions_panel(props: &ActionsPanelProps) -> Html {
    let session = props.lab.session();
    let view = session.view();
    let topics: Vec<String> = view.metadata().topics.iter().map(|t| t.name.to_string()).collect();
    let mut nodes: Vec<String> = view.brokers().map(|b| NodeRef::Broker(b.id.0).to_string()).collect();
    nodes.extend((0..session.world().spec().controllers.max(1)).map(|c| NodeRef::Controller(c).to_string()));
    nodes.extend(view.producers().iter().map(|p| NodeRef::Producer(p.name.to_string()).to_string()));
    nodes.extend(view.consumers().iter().map(|c| NodeRef::Consumer(c.name.to_string()).to_string()));
    let next_broker = view.brokers().map(|b| b.id.0).max().unwrap_or(0) + 1;
    let topic_options = options(&topics, "");
    // Each group once, in order (the lab's small sort: std's would add a kilobyte to the page).
    let groups: Vec<String> = view.consumers().iter().filter_map(|c| c.group.as_deref()).collect::<crate::sim::sorted::SortedSet<&str>>().iter().map(|g| g.to_string()).collect();
    let group_options = options(&groups, "");
    let node_options = options(&nodes, "");
    let second = nodes.get(1).cloned().unwrap_or_default();
    let forms = format!(
        r#"<fieldset><legend>Brokers</legend>{add_broker}<p class="note">Select a broker in the picture to kill or restart it (or press x / u).</p></fieldset>
<fieldset><legend>Add a consumer</legend><form class="stack" data-form="add-consumer" data-testid="add-consumer-form">{c_name}{c_group}<datalist id="group-names">{group_options}</datalist>{c_topic}{c_parts}{c_reset}<button type="submit">Add consumer</button></form></fieldset>
<fieldset><legend>Add a producer</legend><form class="stack" data-form="add-producer" data-testid="add-producer-form">{p_name}{p_topic}{p_rate}{p_keys}{p_acks}<button type="submit">Add producer</button></form></fieldset>
<fieldset><legend>Network</legend><form class="stack" data-form="cut" data-testid="cut-form">{cut_a}<label>from <select name="b" aria-label="Other side"><option value="*" selected>everyone else</option>{node_options}</select></label><button type="submit">Cut</button></form>{heal}
<form class="stack" data-form="link">{l_from}{l_to}{l_latency}{l_loss}{l_drop}<button type="submit">Set link</button></form></fieldset>
<fieldset><legend>Topics</legend><form class="stack" data-form="add-partitions">{t_topic}{t_total}<button type="submit">Add partitions</button></form>{t_config}{elect}</fieldset>"#,
        add_broker = button("add-broker", &format!("Add broker {next_broker}"), &next_broker.to_string()),
        c_name = input("name", "name", "text", "", r#"placeholder="learner-1""#),
        c_group = input("group", "group", "text", "", r#"list="group-names" placeholder="none: assign by hand" aria-label="Consumer group: an existing or a new group's name, or empty to assign partitions by hand""#),
        c_topic = select("topic", "topic", &topic_options),
        c_parts = input("partitions", "partitions", "text", "all", r#"size="8" aria-label="Partitions: all, or numbers like 0,2""#),
        c_reset = select("auto.offset.reset", "reset", r#"<option value="earliest" selected>earliest</option><option value="latest">latest</option>"#),
        p_name = input("name", "name", "text", "", r#"placeholder="learner-producer-1""#),
        p_topic = select("topic", "topic", &topic_options),
        p_rate = input("records/s", "rate", "number", "10", r#"min="0" class="narrow""#),
        p_keys = select("keys", "keys", r#"<option value="cycle">key-0 … key-5 in turn</option><option value="random">random among 20 keys</option><option value="hot">one hot key (80%)</option><option value="none">no key</option>"#),
        p_acks = select("acks", "acks", r#"<option value="all">all</option><option value="1">1</option><option value="0">0</option>"#),
        cut_a = select("cut", "a", &node_options),
        heal = button("heal-all", HEAL_EVERY_CUT, ""),
        l_from = select("link", "from", &node_options),
        l_to = select("↔", "to", &options(&nodes, &second)),
        l_latency = input("latency ms", "latency", "number", "200", r#"min="1" max="60000" class="narrow""#),
        l_loss = input("loss %", "loss", "number", "0", r#"min="0" max="100" class="narrow""#),
        l_drop = input("resets %", "drop", "number", "0", r#"min="0" max="100" class="narrow" title="Connections that reset: requests fail and are retried""#),
        t_topic = select("topic", "topic", &topic_options),
        t_total = input("grow to", "total", "number", "", r#"min="1" class="narrow" aria-label="New partition count""#),
        t_config = config_form("topic-config-act", TOPIC_CONFIG_KEYS, &select("topic", "topic", &topic_options)),
        elect = button("elect-preferred", "Elect preferred leaders", ""),
    );
    let mut cuts = String::new();
    for c in &session.tracked().cuts {
        let _ = write!(cuts, r#"<li>cut #{}: {} | {} nodes {}</li>"#, c.id, c.side_a.len(), c.side_b.len(), button("heal-cut", "Heal", &c.id.to_string()));
    }
    let (lab, d) = (props.lab.clone(), props.dispatch.clone());
    let onsubmit = Callback::from(move |e: SubmitEvent| {
        let Some(form) = Submitted::of(&e) else { return };
        match action_for(&lab, &form) {
            Ok(action) => drop(commands::act(&lab, &d, action)),
            Err(why) => commands::notify_error(&d, why),
        }
    });
    let (lab, d) = (props.lab.clone(), props.dispatch.clone());
    let onclick = Callback::from(move |e: MouseEvent| {
        let Some((element, act)) = closest_attr(&e, "data-act") else { return };
        let arg = element.get_attribute("data-arg").unwrap_or_default();
        let action = match act.as_str() {
            "add-broker" => Action::AddBroker { id: arg.parse().unwrap_or(next_broker), rack: None },
            "heal-all" => Action::HealNetwork { cut: None },
            "heal-cut" => Action::HealNetwork { cut: arg.parse().ok() },
            "elect-preferred" => Action::ElectPreferredLeaders,
            _ => return,
        };
        commands::act(&lab, &d, action);
    });
    html! {
        <section class="actions-panel" data-testid="actions-panel" aria-label="Act on the cluster" {onsubmit} {onclick}>
            { raw(forms) }
            <ul class="cuts">{ raw(cuts) }</ul>
        </section>
    }
}
