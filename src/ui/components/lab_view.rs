//! The lab laid out: title, notices, controls and timeline; the cluster picture with its partitions
//! beside the inspector tabs; the narration below. It owns the UI state and starts the frame loop and
//! the keyboard shortcuts.

use crate::session::presets::PRESET_IDS;
use crate::ui::components::cluster_view::ClusterView;
use crate::ui::components::context_menu::{ContextMenuProps, context_menu};
use crate::ui::components::controls::{ControlsProps, controls};
use crate::ui::components::help_overlay::{HelpOverlayProps, help_overlay};
use crate::ui::components::inspector::{InspectorProps, inspector};
use crate::ui::components::narration::{NarrationProps, narration};
use crate::ui::components::notices::notices;
use crate::ui::components::partition_list::PartitionList;
use crate::ui::components::step_table::step_table;
use crate::ui::components::timeline::{TimelineProps, timeline};
use crate::ui::hooks::use_frame_loop::{LoopControl, LoopRefs, use_frame_loop};
use crate::ui::hooks::use_keyboard::use_keyboard;
use crate::ui::hooks::use_reduced_motion::use_reduced_motion;
use crate::ui::lab::Lab;
use crate::ui::markup::select_attr;
use crate::ui::state::{NoticeKind, Selection, UiAction, UiState};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LabViewProps {
    pub lab: Lab,
    /// A problem to show at once (an unknown preset id).
    #[prop_or_default]
    pub startup_error: Option<AttrValue>,
}

/// The selection's highlight as a style rule, so the cluster picture and the partition list (both
/// built as markup) need not be rebuilt when the selection changes.
fn selection_style(selection: Selection) -> String {
    if selection == Selection::None {
        return String::new();
    }
    let s = select_attr(selection);
    format!(
        r#"[data-select="{s}"] > .box, [data-select="{s}"] > .cell {{ stroke: #0072b2; stroke-width: 3.5; }} .partition-chip[data-select="{s}"] {{ border: 2px solid #0072b2; background: #e3eef6; }}"#
    )
}

#[function_component(LabView)]
pub fn lab_view(props: &LabViewProps) -> Html {
    let state = use_reducer(UiState::default);
    let dispatch = state.dispatcher();
    {
        let (dispatch, error) = (dispatch.clone(), props.startup_error.clone());
        use_effect_with(error, move |error| {
            if let Some(text) = error {
                dispatch.dispatch(UiAction::Notify(NoticeKind::Error, text.to_string()));
            }
        });
    }
    let control = use_mut_ref(LoopControl::default);
    *control.borrow_mut() = LoopControl { playing: state.playing, speed: state.speed, reduced_motion: state.reduced_motion };
    let latest = use_mut_ref(|| Rc::new(UiState::default()));
    *latest.borrow_mut() = Rc::new((*state).clone());
    let refs = LoopRefs { canvas: use_node_ref(), picture: use_node_ref(), clock: use_node_ref(), timeline: use_node_ref(), horizon: use_node_ref() };
    use_frame_loop(props.lab.clone(), dispatch.clone(), control, refs.clone());
    use_keyboard(props.lab.clone(), dispatch.clone(), latest);
    use_reduced_motion(dispatch.clone());
    // An opened menu or dialog takes the focus (its first item; the dialog's close button).
    use_effect_with((state.menu, state.help_open), |(menu, help)| {
        let selector = if menu.is_some() { "[data-testid=context-menu] button" } else if *help { "[data-testid=help-close]" } else { "" };
        if !selector.is_empty()
            && let Some(el) = gloo::utils::document().query_selector(selector).ok().flatten().and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        {
            el.focus().ok();
        }
    });

    let lab = props.lab.clone();
    let presets = PRESET_IDS.iter().map(|id| {
        let current = *id == &*lab.preset;
        html! { <a href={format!("#preset={id}")} aria-current={current.then_some("page")} class={classes!(current.then_some("on"))}>{ *id }</a> }
    });
    html! {
        <div class={classes!("lab", state.reduced_motion.then_some("reduced-motion"))} data-preset={lab.preset.to_string()}
             data-playing={state.playing.to_string()}>
            <style>{ selection_style(state.selection) }</style>
            <header class="titlebar">
                <h1>{ "kafka-lab" }</h1>
                <span class="tagline">{ "watch Apache Kafka work, and break it on purpose" }</span>
                <nav class="presets" aria-label="Presets">{ "preset: " }{ for presets }</nav>
            </header>
            { notices(&state.notices, &dispatch) }
            { controls(&ControlsProps { lab: lab.clone(), playing: state.playing, speed: state.speed, reduced_motion: state.reduced_motion,
                                        categories: state.categories.clone(), dispatch: dispatch.clone() }) }
            { timeline(&TimelineProps { lab: lab.clone(), data_version: state.data_version, refs: refs.clone(), dispatch: dispatch.clone() }) }
            <main class="main">
                <section class="stage" aria-label="Cluster">
                    <ClusterView lab={lab.clone()} structure_version={state.structure_version} selection={state.selection}
                                 reduced_motion={state.reduced_motion} refs={refs.clone()} dispatch={dispatch.clone()} />
                    { if state.reduced_motion { step_table(&lab) } else { html! {} } }
                    <PartitionList lab={lab.clone()} structure_version={state.structure_version} selection={state.selection} dispatch={dispatch.clone()} />
                </section>
                { inspector(&InspectorProps { lab: lab.clone(), tab: state.tab, selection: state.selection, data_version: state.data_version, dispatch: dispatch.clone() }) }
            </main>
            { narration(&NarrationProps { lab: lab.clone(), data_version: state.data_version, categories: state.categories.clone(), dispatch: dispatch.clone() }) }
            { if state.help_open { help_overlay(&HelpOverlayProps { dispatch: dispatch.clone() }) } else { html! {} } }
            { match state.menu { Some(menu) => context_menu(&ContextMenuProps { lab: lab.clone(), menu, dispatch: dispatch.clone() }), None => html! {} } }
        </div>
    }
}
