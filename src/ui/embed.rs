//! Embed mode for course pages, and the small postMessage API a course page can listen to.
//!
//! Options come from the page's query string (the fragment stays the run):
//!
//! | option | meaning |
//! |---|---|
//! | `embed=1` | embedded: a compact lab without the title bar |
//! | `hide=side,narration,lesson,timeline` | hide these panels (any of them, comma-separated) |
//! | `lock=1` | lock the controls: no control bar, no actions, no shortcuts that change the run; it plays by itself |
//! | `at=<ms>` | open at this moment of the run (at most one hour: 3600000) |
//! | `loop=1` | play to the end (`until=<ms>`, after `at`; else the lesson's end if it is after `at`; else one minute on) and start again at `at` |
//! | `play=1` | start playing at once |
//!
//! Messages the lab posts to its parent page (only when it is in a frame), each an object with
//! `source: "kafka-lab"` and a `type`:
//! - `ready` `{preset, seed}`: the lab opened a run;
//! - `step` `{index, at_ms, text}`: the lesson reached a step;
//! - `checkpoint` `{step, question, answer, actual, correct, skipped: false}`: the learner answered a
//!   checkpoint and saw the reveal;
//! - `checkpoint` `{step, question, correct: false, skipped: true}`: the player moved past a checkpoint
//!   that was left unanswered (posted once per checkpoint);
//! - `violation` `{at_ms, text}`: the guarantee ledger caught a broken guarantee.
//!
//! Messages the lab obeys from its parent: `{target: "kafka-lab", command: "play" | "pause" |
//! "continue" | "back" | "seek", at_ms}`.

use crate::scenario::link::embed_moment;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// One minute: how long a loop lasts when neither `until` nor a lesson says.
pub const LOOP_MS_DEFAULT: u64 = 60_000;

/// The panels `hide=` can hide.
pub const HIDEABLE: [&str; 4] = ["side", "narration", "lesson", "timeline"];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmbedOptions {
    pub embed: bool,
    pub hide: Vec<String>,
    pub lock: bool,
    pub at_ms: Option<u64>,
    pub loop_run: bool,
    pub until_ms: Option<u64>,
    pub play: bool,
}

impl EmbedOptions {
    /// Reads `?embed=1&hide=…` (a leading `?` is optional). Every option it cannot read is reported,
    /// naming the option and the rule; the others still apply.
    pub fn parse(query: &str) -> (EmbedOptions, Vec<String>) {
        let mut options = EmbedOptions::default();
        let mut problems = Vec::new();
        let flag = |name: &str, value: &str, problems: &mut Vec<String>| match value {
            "1" | "true" | "" => true,
            "0" | "false" => false,
            other => {
                problems.push(format!("embed option {name}={other}: use {name}=1 or {name}=0"));
                false
            }
        };
        for pair in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = js_sys::decode_uri_component(value).ok().and_then(|v| v.as_string()).unwrap_or_else(|| value.to_string());
            match name {
                "embed" => options.embed = flag(name, &value, &mut problems),
                "lock" => options.lock = flag(name, &value, &mut problems),
                "loop" => options.loop_run = flag(name, &value, &mut problems),
                "play" => options.play = flag(name, &value, &mut problems),
                "hide" => {
                    for panel in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                        if HIDEABLE.contains(&panel) {
                            options.hide.push(panel.to_string());
                        } else {
                            problems.push(format!("embed option hide={panel}: the panels that can be hidden are {}", HIDEABLE.join(", ")));
                        }
                    }
                }
                // Within the hour a run lasts, as a link's moment: the lab runs up to `at` in one go
                // when it opens, so a moment hours away would freeze the page.
                "at" | "until" => match embed_moment(name, &value) {
                    Ok(ms) if name == "at" => options.at_ms = Some(ms),
                    Ok(ms) => options.until_ms = Some(ms),
                    Err(problem) => problems.push(problem),
                },
                // Other query parameters belong to the hosting page: leave them alone.
                _ => {}
            }
        }
        // A loop from `at` back to `at` would hold the clock still while it claims to play.
        if let (Some(at), Some(until)) = (options.at_ms, options.until_ms)
            && until <= at
        {
            problems.push(format!("embed option until={until}: a loop plays from at={at} to until, so until comes after at"));
            options.until_ms = None;
        }
        if options.until_ms.is_some() && !options.loop_run {
            problems.push("embed option until: it is where loop=1 starts again, and there is no loop=1".to_string());
        }
        (options, problems)
    }

    pub fn hides(&self, panel: &str) -> bool {
        self.hide.iter().any(|p| p == panel)
    }

    /// The lab's own classes for these options.
    pub fn classes(&self) -> String {
        let mut classes: Vec<String> = self.hide.iter().map(|p| format!("hide-{p}")).collect();
        if self.embed {
            classes.push("embedded".into());
        }
        if self.lock {
            classes.push("locked".into());
        }
        classes.join(" ")
    }

    /// The query string of these options (for the iframe snippet).
    pub fn query(&self) -> String {
        let mut parts = vec!["embed=1".to_string()];
        if !self.hide.is_empty() {
            parts.push(format!("hide={}", self.hide.join(",")));
        }
        if self.lock {
            parts.push("lock=1".into());
        }
        if let Some(at) = self.at_ms {
            parts.push(format!("at={at}"));
        }
        if self.loop_run {
            parts.push("loop=1".into());
        }
        if let Some(until) = self.until_ms {
            parts.push(format!("until={until}"));
        }
        if self.play {
            parts.push("play=1".into());
        }
        format!("?{}", parts.join("&"))
    }
}

/// The page's query string.
pub fn page_query() -> String {
    web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default()
}

/// Whether the lab runs inside another page's frame.
pub fn in_frame() -> bool {
    web_sys::window().and_then(|w| w.parent().ok().flatten().map(|p| !JsValue::from(p).loose_eq(&JsValue::from(w)))).unwrap_or(false)
}

/// A message value: a string, a number or a boolean.
pub enum Field<'a> {
    Text(&'a str),
    Number(f64),
    Bool(bool),
}

/// Posts `{source: "kafka-lab", type, ...fields}` to the parent page, if the lab is in a frame.
pub fn post(kind: &str, fields: &[(&str, Field)]) {
    let Some(window) = web_sys::window() else { return };
    let Ok(Some(parent)) = window.parent() else { return };
    if !in_frame() {
        return;
    }
    let message = Object::new();
    let set = |k: &str, v: JsValue| {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&message, &JsValue::from_str(k), &v);
    };
    set("source", JsValue::from_str("kafka-lab"));
    set("type", JsValue::from_str(kind));
    for (k, v) in fields {
        set(
            k,
            match v {
                Field::Text(t) => JsValue::from_str(t),
                Field::Number(n) => JsValue::from_f64(*n),
                Field::Bool(b) => JsValue::from_bool(*b),
            },
        );
    }
    // Course pages may live on any origin; the messages carry nothing private.
    let _ = parent.post_message(&message, "*");
}

/// A command from the parent page: `{target: "kafka-lab", command, at_ms}`.
pub fn read_command(data: &JsValue) -> Option<(String, Option<u64>)> {
    let get = |k: &str| Reflect::get(data, &JsValue::from_str(k)).ok();
    if get("target")?.as_string()? != "kafka-lab" {
        return None;
    }
    let command = get("command")?.as_string()?;
    let at_ms = get("at_ms").and_then(|v| v.as_f64()).filter(|v| v.is_finite() && *v >= 0.0).map(|v| v as u64);
    Some((command, at_ms))
}
