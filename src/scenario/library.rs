//! The built-in lessons: every `static/scenarios/<id>.toml`, listed in `static/scenarios/lessons.txt`.
//! Ids are stable: course pages link to `#preset=<id>`.
//!
//! The index (id, section, title, summary) is compiled in everywhere (build.rs generates it). The
//! texts are compiled into the CLI, so it works from any directory; the web app fetches a lesson's
//! file when it is opened and hands it over with [`provide_text`], so the page does not download 35
//! lessons to show one.

use super::format::{Scenario, Section};
use super::parse::parse_scenario;
use super::problem::{Problems, did_you_mean};
use std::cell::RefCell;
use std::fmt;

/// One lesson of the generated index.
struct Lesson {
    id: &'static str,
    /// The section's title as the file spells it ([`Section::title`]); empty when the file is broken.
    section: &'static str,
    title: &'static str,
    summary: &'static str,
    #[cfg(not(target_arch = "wasm32"))]
    text: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/lessons.rs"));

thread_local! {
    /// Lesson texts handed over at run time (the web app's fetched files), by id.
    static PROVIDED: RefCell<Vec<(&'static str, &'static str)>> = const { RefCell::new(Vec::new()) };
}

/// A lesson in the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresetInfo {
    pub id: &'static str,
    pub title: String,
    pub section: Section,
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LibraryError {
    UnknownPreset { id: String, suggestion: Option<String> },
    /// A built-in lesson that does not parse: a bug in this build (a test guards against it).
    Broken { id: String, problems: Problems },
    /// A lesson of the index whose file the web app has not fetched yet.
    NotLoaded { id: String },
}

impl fmt::Display for LibraryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LibraryError::UnknownPreset { id, suggestion: Some(s) } => write!(f, "there is no lesson '{id}' (did you mean '{s}'?)"),
            LibraryError::UnknownPreset { id, suggestion: None } => {
                write!(f, "there is no lesson '{id}' (`kafka-lab presets` lists them)")
            }
            LibraryError::Broken { id, problems } => write!(f, "the built-in lesson '{id}' is broken:\n{problems}"),
            LibraryError::NotLoaded { id } => write!(f, "the lesson '{id}' has not been loaded yet"),
        }
    }
}

impl std::error::Error for LibraryError {}

/// Every preset id, in the index's order.
pub fn preset_ids() -> impl Iterator<Item = &'static str> {
    LESSONS.iter().map(|l| l.id)
}

/// Whether `id` is a lesson of the index (whether or not its text is at hand).
pub fn is_preset(id: &str) -> bool {
    LESSONS.iter().any(|l| l.id == id)
}

/// The preset's file as written, comments included: compiled in (the CLI) or provided at run time
/// (the web app, once fetched).
pub fn preset_text(id: &str) -> Option<&'static str> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(lesson) = LESSONS.iter().find(|l| l.id == id) {
        return Some(lesson.text);
    }
    PROVIDED.with(|p| p.borrow().iter().find(|(i, _)| *i == id).map(|(_, text)| *text))
}

/// Hands over a lesson's file (the web app fetched it). Only ids of the index are taken, each once:
/// the index decides what a lesson is, and a lesson's text does not change while the page is open.
pub fn provide_text(id: &str, text: String) {
    let Some(lesson) = LESSONS.iter().find(|l| l.id == id) else { return };
    if preset_text(id).is_none() {
        // Leaked on purpose: at most one text per lesson of the index, kept for the page's lifetime,
        // which lets the library hand out `&'static str` whichever way the text arrived.
        let text: &'static str = Box::leak(text.into_boxed_str());
        PROVIDED.with(|p| p.borrow_mut().push((lesson.id, text)));
    }
}

/// A preset, parsed and checked.
pub fn preset(id: &str) -> Result<Scenario, LibraryError> {
    if !is_preset(id) {
        return Err(LibraryError::UnknownPreset { id: id.to_string(), suggestion: did_you_mean(id, preset_ids()).map(str::to_string) });
    }
    let text = preset_text(id).ok_or_else(|| LibraryError::NotLoaded { id: id.to_string() })?;
    parse_scenario(text).map_err(|problems| LibraryError::Broken { id: id.to_string(), problems })
}

/// The lesson index: every preset with its title and section, sections in [`Section::ALL`] order and
/// lessons in the order above within a section. A broken preset (a bug) is left out.
pub fn presets() -> Vec<PresetInfo> {
    let mut index: Vec<PresetInfo> = LESSONS
        .iter()
        .filter_map(|l| {
            let section = Section::ALL.into_iter().find(|s| s.title() == l.section)?;
            Some(PresetInfo { id: l.id, title: l.title.to_string(), section, summary: l.summary.to_string() })
        })
        .collect();
    // A stable sort keeps the listed order inside each section.
    crate::sim::sorted::sort_by(&mut index, |a, b| a.section.cmp(&b.section));
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lessons_of_the_index_can_be_provided() {
        // A fetched file cannot add a lesson the index does not list, nor replace one already at hand.
        provide_text("not-a-lesson", "version = 1".into());
        assert!(!is_preset("not-a-lesson") && preset_text("not-a-lesson").is_none());
        let before = preset_text("leader-failover").unwrap();
        provide_text("leader-failover", "version = 1".into());
        assert_eq!(preset_text("leader-failover").unwrap(), before);
    }

    #[test]
    fn an_unknown_lesson_is_unknown_not_unloaded() {
        assert!(matches!(preset("leader-failovr"), Err(LibraryError::UnknownPreset { suggestion: Some(s), .. }) if s == "leader-failover"));
        assert!(!is_preset("leader-failovr"));
    }
}
