//! The side panel: tabs for the inspector of what is selected, the consumer table, the actions and
//! the charts.

use crate::ui::commands::Dispatch;
use crate::ui::components::actions_panel::ActionsPanel;
use crate::ui::components::broker_panel::BrokerPanel;
use crate::ui::components::charts::{ChartsProps, charts};
use crate::ui::components::consumer_panel::ConsumerPanel;
use crate::ui::components::consumer_table::{ConsumerTableProps, consumer_table};
use crate::ui::components::partition_inspector::PartitionInspector;
use crate::ui::components::producer_panel::ProducerPanel;
use crate::ui::lab::Lab;
use crate::ui::markup::{closest_attr, raw};
use std::fmt::Write as _;
use crate::ui::state::{Selection, Tab, UiAction};
use yew::prelude::*;

#[derive(PartialEq)]
pub struct InspectorProps {
    pub lab: Lab,
    pub tab: Tab,
    pub selection: Selection,
    pub data_version: u64,
    pub dispatch: Dispatch,
}

/// A view function (not a component): it renders whenever the lab view does, and saves the wasm a
/// component's machinery (the 300 KB budget).
pub fn inspector(props: &InspectorProps) -> Html {
    let mut tabs = String::new();
    for (i, tab) in Tab::ALL.iter().enumerate() {
        let on = props.tab == *tab;
        let _ = write!(
            tabs,
            // One Tab stop for the tab list, the chosen tab (the arrows reach the others).
            r#"<button type="button" role="tab" id="tab-{0}" aria-selected="{on}" aria-controls="side-panel" data-tab="{0}" data-testid="tab-{0}" class="{1}" tabindex="{4}" title="{2} ({3})">{2}</button>"#,
            tab.id(),
            if on { "on" } else { "" },
            tab.label(),
            i + 1,
            if on { 0 } else { -1 }
        );
    }
    let d = props.dispatch.clone();
    let choose = Callback::from(move |e: MouseEvent| {
        if let Some((_, id)) = closest_attr(&e, "data-tab")
            && let Some(tab) = Tab::ALL.iter().find(|t| t.id() == id)
        {
            d.dispatch(UiAction::SetTab(*tab));
        }
    });
    let (lab, v, d) = (props.lab.clone(), props.data_version, props.dispatch.clone());
    let body = match props.tab {
        Tab::Inspect => match props.selection {
            Selection::None => html! {
                <div class="inspector empty">
                    <p>{ "Click a broker, a partition, a producer or a consumer to look inside it (or Tab to it and press Enter)." }</p>
                    <p>{ "Right-click anything, or press the context-menu key, for what you can do to it. On a touch screen, tap it: its panel here offers the same." }</p>
                </div>
            },
            Selection::Partition(p) => html! { <PartitionInspector {lab} partition={p} data_version={v} dispatch={d} /> },
            Selection::Broker(b) => html! { <BrokerPanel {lab} broker={b} data_version={v} dispatch={d} /> },
            Selection::Producer(i) => html! { <ProducerPanel {lab} producer={i} data_version={v} dispatch={d} /> },
            Selection::Consumer(i) => html! { <ConsumerPanel {lab} consumer={i} data_version={v} dispatch={d} /> },
            Selection::Controller(i) => html! {
                <section class="inspector" data-testid="controller-panel">
                    <h3>{ format!("Controller {i}") }</h3>
                    <p>{ "The KRaft controller keeps the cluster's metadata log: which brokers are alive (they heartbeat every broker.heartbeat.interval.ms), each partition's leader, ISR and leader epoch. A broker silent for broker.session.timeout.ms is fenced: it leaves every ISR and its leaderships move to other in-sync replicas." }</p>
                    <p>{ format!("Metadata records applied: {}", lab.session().view().metadata().offset) }</p>
                </section>
            },
        },
        Tab::Consumers => consumer_table(&ConsumerTableProps { lab, data_version: v, dispatch: d }),
        Tab::Act => html! { <ActionsPanel {lab} data_version={v} dispatch={d} /> },
        Tab::Charts => charts(&ChartsProps { lab, data_version: v, dispatch: d }),
    };
    html! {
        <aside class="side" aria-label="Inspector">
            <div class="tabs" role="tablist" aria-label="Panels" onclick={choose}>{ raw(tabs) }</div>
            <div class="tab-body" id="side-panel" role="tabpanel" aria-labelledby={format!("tab-{}", props.tab.id())}>{ body }</div>
        </aside>
    }
}
