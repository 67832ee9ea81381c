//! Share, embed, export and open: the share link of the run as it is now (the scenario, the seed,
//! the learner's clicks, the moment), an iframe snippet for course pages with the embed options, the
//! run as a `.toml` scenario file, and opening a scenario file.

use crate::scenario::link::{LINK_DOWNLOAD_THRESHOLD, encode_link, preset_link};
use crate::scenario::parse::SCENARIO_TEXT_MAX_BYTES;
use crate::scenario::{Scenario, parse_scenario, to_toml};
use crate::ui::app::js_reason;
use crate::ui::embed::EmbedOptions;
use crate::ui::focus::{Move, move_focus};
use crate::ui::lab::{Lab, Origin};
use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ShareDialogProps {
    pub lab: Lab,
    pub on_close: Callback<()>,
    pub on_open_file: Callback<Scenario>,
}

/// The page's address without query and fragment: where links and frames point.
fn page_base() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else { return String::new() };
    format!("{}{}", location.origin().unwrap_or_default(), location.pathname().unwrap_or_default())
}

/// Offers `text` as a file download.
fn download(name: &str, text: &str) -> Result<(), String> {
    let document = gloo::utils::document();
    let a = document.create_element("a").map_err(|_| "the browser refused to create a link".to_string())?;
    let href = format!("data:text/plain;charset=utf-8,{}", String::from(js_sys::encode_uri_component(text)));
    a.set_attribute("href", &href).ok();
    a.set_attribute("download", name).ok();
    let a: web_sys::HtmlElement = a.dyn_into().map_err(|_| "the browser refused to create a link".to_string())?;
    a.click();
    Ok(())
}

/// A chosen file's text. A file larger than any scenario is refused before the browser reads it
/// into memory; a file the browser cannot read says why.
async fn read_text(file: &web_sys::File) -> Result<String, String> {
    // A file's size is a whole number of bytes, which the browser gives as a double.
    let bytes = file.size() as u64;
    if bytes > SCENARIO_TEXT_MAX_BYTES as u64 {
        return Err(format!("it is {bytes} bytes; a scenario file is at most {SCENARIO_TEXT_MAX_BYTES} bytes"));
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.map_err(|e| format!("the browser could not read it ({})", js_reason(&e)))?;
    text.as_string().ok_or_else(|| "the browser did not read it as text".to_string())
}

/// Copies `text` with the asynchronous clipboard API, where the browser offers it.
/// Copies `text` to the clipboard, then says whether it worked in `said` (`what`: "The link"): a
/// copy gave no sign before, and a browser may refuse it (no permission, an insecure page).
fn copy(text: &str, what: &'static str, said: UseStateHandle<Option<String>>) {
    let window: JsValue = gloo::utils::window().into();
    let clipboard = Reflect::get(&window, &"navigator".into()).and_then(|n| Reflect::get(&n, &"clipboard".into()));
    let written = clipboard.and_then(|clipboard| {
        let write = Reflect::get(&clipboard, &"writeText".into())?.dyn_into::<Function>()?;
        write.call1(&clipboard, &JsValue::from_str(text))?.dyn_into::<js_sys::Promise>().map_err(JsValue::from)
    });
    wasm_bindgen_futures::spawn_local(async move {
        let done = match written {
            Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await.map(|_| ()),
            Err(e) => Err(e),
        };
        said.set(Some(match done {
            Ok(()) => format!("{what} is copied."),
            Err(e) => format!("{what} could not be copied ({}): select it and copy it by hand.", js_reason(&e)),
        }));
    });
}

#[function_component(ShareDialog)]
pub fn share_dialog(props: &ShareDialogProps) -> Html {
    let options = use_state(|| EmbedOptions { embed: true, ..EmbedOptions::default() });
    let problem = use_state(|| None::<String>);
    let lab = &props.lab;
    let run = lab.shared_run();
    let base = page_base();
    let plain = lab.origin == Origin::Lesson && run.actions.is_empty() && run.at_ms == 0;
    let link = if plain { preset_link(&lab.preset, &base) } else { encode_link(&run, &base) };
    let too_long = link.len() > LINK_DOWNLOAD_THRESHOLD;
    let fragment = link.split_once('#').map_or(String::new(), |(_, f)| format!("#{f}"));
    let title = lab.lesson.as_ref().map_or_else(|| format!("the {} lab", lab.preset), |l| l.title.clone());
    let snippet = format!(
        r#"<iframe src="{base}{}{fragment}" width="100%" height="640" style="border:0" loading="lazy" title="kafka-lab: {}" allow="clipboard-write"></iframe>"#,
        options.query(),
        crate::ui::markup::escape(&title)
    );

    let toggle = |name: &'static str| {
        let options = options.clone();
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            let mut o = (*options).clone();
            match name {
                "lock" => o.lock = on,
                "loop" => o.loop_run = on,
                "play" => o.play = on,
                "at" => o.at_ms = None,
                panel => {
                    o.hide.retain(|p| p != panel);
                    if on {
                        o.hide.push(panel.to_string());
                    }
                }
            }
            options.set(o);
        })
    };
    let start_here = {
        let (options, lab) = (options.clone(), lab.clone());
        Callback::from(move |e: Event| {
            let on = e.target_unchecked_into::<HtmlInputElement>().checked();
            let mut o = (*options).clone();
            o.at_ms = on.then(|| lab.session().now().ms());
            options.set(o);
        })
    };
    let on_export = {
        let (lab, problem) = (lab.clone(), problem.clone());
        Callback::from(move |_: MouseEvent| {
            let written = lab.shared_run().scenario().map_err(|e| e.to_string()).and_then(|s| to_toml(&s).map(|t| (s.id, t)));
            match written.and_then(|(id, text)| download(&format!("{id}.toml"), &text)) {
                Ok(()) => problem.set(None),
                Err(e) => problem.set(Some(format!("Could not write the run as a file: {e}"))),
            }
        })
    };
    let on_file = {
        let (open, problem) = (props.on_open_file.clone(), problem.clone());
        Callback::from(move |e: Event| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            // Emptied, so that choosing the same file again (once it is fixed) is a change too.
            input.set_value("");
            let (open, problem) = (open.clone(), problem.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let name = file.name();
                match read_text(&file).await.and_then(|text| parse_scenario(&text).map_err(|p| p.to_string())) {
                    Ok(scenario) => {
                        problem.set(None);
                        open.emit(scenario);
                    }
                    Err(why) => problem.set(Some(format!("{name} cannot be opened:\n{why}"))),
                }
            });
        })
    };
    let copied = use_state(|| None::<String>);
    let on_copy = {
        let (link, copied) = (link.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| copy(&link, "The link", copied.clone()))
    };
    let on_copy_snippet = {
        let (snippet, copied) = (snippet.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| copy(&snippet, "The snippet", copied.clone()))
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let backdrop = close.clone();
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
    // A modal dialog: Tab and Shift+Tab go round its own controls, never to the page behind it. The
    // dialog itself takes focus (tabindex -1) when its text is clicked, so Tab stays inside then too.
    let keep_tab_inside = Callback::from(|e: KeyboardEvent| {
        if e.key() == "Tab"
            // Yew delegates events to its root, so the dialog is found from the target.
            && let Some(dialog) = e.target_dyn_into::<web_sys::Element>().and_then(|t| t.closest("[role=dialog]").ok().flatten())
        {
            e.prevent_default();
            let to = if e.shift_key() { Move::Previous } else { Move::Next };
            move_focus(&dialog, "input, textarea, button", to);
        }
    });
    let checkbox = |name: &'static str, label: &'static str, checked: bool, onchange: Callback<Event>| {
        html! { <label class="option"><input type="checkbox" data-testid={format!("embed-{name}")} {checked} {onchange} />{ label }</label> }
    };
    html! {
        <div class="overlay" onclick={backdrop}>
            <div class="dialog share" role="dialog" aria-modal="true" aria-labelledby="share-title" data-testid="share-dialog" tabindex="-1" onclick={stop} onkeydown={keep_tab_inside}>
                <h2 id="share-title">{ "Share this run" }</h2>
                <p class="note">{ "The link carries the scenario, the seed, your own actions and this moment: whoever opens it sees exactly this run." }</p>
                <div class="row">
                    <input type="text" readonly=true value={link.clone()} data-testid="share-link" aria-label="Share link"
                           onfocus={Callback::from(|e: FocusEvent| { if let Some(i) = e.target_dyn_into::<HtmlInputElement>() { i.select(); } })} />
                    <button type="button" onclick={on_copy}>{ "Copy" }</button>
                </div>
                <p class="note" data-testid="share-length">{ format!("{} characters", link.len()) }</p>
                <p class="note" role="status" data-testid="share-copied">{ copied.as_deref().unwrap_or_default() }</p>
                if too_long {
                    <p class="notice info" role="status" data-testid="share-too-long">
                        { format!("This link is {} characters long: too long to paste comfortably. Download the run as a file instead, and open it with “Open a scenario file”.", link.len()) }
                    </p>
                }
                <h3>{ "Embed in a course page" }</h3>
                <div class="options">
                    { checkbox("side", "hide the side panel", options.hides("side"), toggle("side")) }
                    { checkbox("narration", "hide the narration", options.hides("narration"), toggle("narration")) }
                    { checkbox("lesson", "hide the lesson", options.hides("lesson"), toggle("lesson")) }
                    { checkbox("lock", "lock the controls", options.lock, toggle("lock")) }
                    { checkbox("play", "play at once", options.play, toggle("play")) }
                    { checkbox("loop", "loop", options.loop_run, toggle("loop")) }
                    { checkbox("at", "start at this moment", options.at_ms.is_some(), start_here) }
                </div>
                <textarea readonly=true rows="3" data-testid="embed-snippet" aria-label="iframe snippet" value={snippet} />
                <button type="button" onclick={on_copy_snippet}>{ "Copy snippet" }</button>
                <h3>{ "Scenario files" }</h3>
                <div class="row">
                    <button type="button" data-testid="export-toml" onclick={on_export}>{ "Download this run (.toml)" }</button>
                    <label class="file">{ "Open a scenario file: " }
                        <input type="file" accept=".toml,.json,text/plain,application/json" data-testid="open-file" onchange={on_file} />
                    </label>
                </div>
                { for problem.as_ref().map(|p| html! { <pre class="notice error" role="alert" data-testid="share-problem">{ p }</pre> }) }
                <button type="button" onclick={close} data-testid="share-close">{ "Close (Esc)" }</button>
            </div>
        </div>
    }
}
