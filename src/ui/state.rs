//! The lab's UI state as a pure reducer (as in Yew's `function_todomvc`): what plays, how fast, what is
//! selected and open, and two versions that tell components when to read the session again.
//! The run itself lives in the [`Session`](crate::session::Session), not here.

use crate::kafka::ids::{BrokerId, PartitionIndex};
use crate::session::narrate::Category;
use std::rc::Rc;
use yew::Reducible;

/// The speed slider: positions 0 to 300 on a log scale from 1/10× to 100× simulated time.
pub const SPEED_POSITION_MAX: u32 = 300;
/// 1×.
pub const SPEED_POSITION_REAL_TIME: u32 = 100;
/// 10×.
pub const SPEED_POSITION_10X: u32 = 200;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Speed {
    pub position: u32,
    /// Run as fast as the frame budget allows, ignoring `position`.
    pub as_fast_as_possible: bool,
}

impl Speed {
    /// Simulated milliseconds per wall-clock millisecond.
    pub fn multiplier(self) -> f64 {
        // JavaScript's Math.pow: Rust's powf would ship a libm in the wasm.
        js_sys::Math::pow(10.0, (self.position.min(SPEED_POSITION_MAX) as f64 - SPEED_POSITION_REAL_TIME as f64) / 100.0)
    }

    pub fn label(self) -> String {
        if self.as_fast_as_possible {
            return "as fast as possible".into();
        }
        // Integer formatting only: float formatting would add kilobytes to the wasm.
        let m = self.multiplier();
        if m < 0.995 {
            format!("1/{}×", (1.0 / m).round() as u64)
        } else if m < 9.95 {
            let tenths = (m * 10.0).round() as u64;
            if tenths.is_multiple_of(10) { format!("{}×", tenths / 10) } else { format!("{}.{}×", tenths / 10, tenths % 10) }
        } else {
            format!("{}×", m.round() as u64)
        }
    }
}

impl Default for Speed {
    fn default() -> Self {
        Speed { position: SPEED_POSITION_REAL_TIME, as_fast_as_possible: false }
    }
}

/// What the inspector shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Selection {
    #[default]
    None,
    Broker(BrokerId),
    Partition(PartitionIndex),
    Producer(u32),
    Consumer(u32),
    Controller(u32),
}

/// The side panel's tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Inspect,
    Consumers,
    Act,
    Charts,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Inspect, Tab::Consumers, Tab::Act, Tab::Charts];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Inspect => "Inspect",
            Tab::Consumers => "Consumers",
            Tab::Act => "Act",
            Tab::Charts => "Charts",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Tab::Inspect => "inspect",
            Tab::Consumers => "consumers",
            Tab::Act => "act",
            Tab::Charts => "charts",
        }
    }
}

/// A context menu open on something (at page coordinates).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Menu {
    pub target: Selection,
    pub x: f64,
    pub y: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Error,
    Info,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub id: u64,
    pub kind: NoticeKind,
    pub text: String,
}

/// At most this many notices show; older ones go.
const NOTICES_MAX: usize = 4;

#[derive(Clone, Debug, PartialEq)]
pub struct UiState {
    pub playing: bool,
    pub speed: Speed,
    /// Show a step table instead of moving dots (also on when the system asks for reduced motion).
    pub reduced_motion: bool,
    pub selection: Selection,
    pub tab: Tab,
    /// Narration categories shown.
    pub categories: Vec<Category>,
    pub help_open: bool,
    /// The share dialog (links, embed snippet, scenario files).
    pub share_open: bool,
    pub menu: Option<Menu>,
    pub notices: Vec<Notice>,
    next_notice: u64,
    /// Bumped when panels should read the session again (a few times a second while playing).
    pub data_version: u64,
    /// Bumped when the cluster picture changed.
    pub structure_version: u64,
}

impl Default for UiState {
    fn default() -> Self {
        UiState {
            playing: false,
            speed: Speed::default(),
            reduced_motion: false,
            selection: Selection::None,
            tab: Tab::Inspect,
            categories: Category::ALL.to_vec(),
            help_open: false,
            share_open: false,
            menu: None,
            notices: Vec::new(),
            next_notice: 1,
            data_version: 0,
            structure_version: 0,
        }
    }
}

/// How a refused action's notice begins.
pub const REFUSED: &str = "That action was refused: ";

#[derive(Clone, Debug, PartialEq)]
pub enum UiAction {
    TogglePlay,
    SetPlaying(bool),
    SetSpeedPosition(u32),
    /// Moves the speed slider by this many positions (a keyboard shortcut).
    NudgeSpeed(i32),
    ToggleAsFastAsPossible,
    SetReducedMotion(bool),
    ToggleReducedMotion,
    Select(Selection),
    /// Selects and shows the inspector.
    Inspect(Selection),
    SetTab(Tab),
    ToggleCategory(Category),
    ShowAllCategories,
    ToggleHelp,
    SetShareOpen(bool),
    OpenMenu(Menu),
    /// Closes whatever overlay is open (menu first, then help).
    Escape,
    Notify(NoticeKind, String),
    Dismiss(u64),
    /// An action was applied: refusals of earlier ones no longer describe the lab.
    ForgetRefusals,
    Refresh,
    StructureChanged,
}

impl Reducible for UiState {
    type Action = UiAction;

    fn reduce(self: Rc<Self>, action: UiAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            UiAction::TogglePlay => s.playing = !s.playing,
            UiAction::SetPlaying(playing) => s.playing = playing,
            UiAction::SetSpeedPosition(position) => {
                s.speed.position = position.min(SPEED_POSITION_MAX);
                s.speed.as_fast_as_possible = false;
            }
            UiAction::NudgeSpeed(delta) => {
                s.speed.position = (s.speed.position as i64 + delta as i64).clamp(0, SPEED_POSITION_MAX as i64) as u32;
                s.speed.as_fast_as_possible = false;
            }
            UiAction::ToggleAsFastAsPossible => s.speed.as_fast_as_possible = !s.speed.as_fast_as_possible,
            UiAction::SetReducedMotion(on) => s.reduced_motion = on,
            UiAction::ToggleReducedMotion => s.reduced_motion = !s.reduced_motion,
            UiAction::Select(selection) => s.selection = selection,
            UiAction::Inspect(selection) => {
                s.selection = selection;
                s.tab = Tab::Inspect;
                s.menu = None;
            }
            UiAction::SetTab(tab) => s.tab = tab,
            UiAction::ToggleCategory(category) => {
                let on = !s.categories.contains(&category);
                s.categories = Category::ALL.iter().filter(|c| if **c == category { on } else { s.categories.contains(c) }).copied().collect();
            }
            UiAction::ShowAllCategories => s.categories = Category::ALL.to_vec(),
            UiAction::ToggleHelp => {
                s.help_open = !s.help_open;
                s.menu = None;
            }
            UiAction::SetShareOpen(open) => {
                s.share_open = open;
                s.menu = None;
                // The link is of this moment: playing on, it changed under a learner selecting it.
                if open {
                    s.playing = false;
                }
            }
            UiAction::OpenMenu(menu) => {
                s.menu = Some(menu);
                s.selection = menu.target;
            }
            UiAction::Escape => {
                if s.menu.is_some() {
                    s.menu = None;
                } else if s.share_open {
                    s.share_open = false;
                } else {
                    s.help_open = false;
                }
            }
            UiAction::Notify(kind, text) => {
                let id = s.next_notice;
                s.next_notice += 1;
                // The notes shown before go: they fade by themselves (style.css), and drawn again
                // with the new list they would come back.
                s.notices.retain(|n| n.text != text && n.kind == NoticeKind::Error);
                s.notices.push(Notice { id, kind, text });
                let excess = s.notices.len().saturating_sub(NOTICES_MAX);
                s.notices.drain(..excess);
            }
            // The notes go with it, as with a new notice.
            UiAction::Dismiss(id) => s.notices.retain(|n| n.id != id && n.kind == NoticeKind::Error),
            UiAction::ForgetRefusals => s.notices.retain(|n| !n.text.starts_with(REFUSED)),
            UiAction::Refresh => s.data_version += 1,
            UiAction::StructureChanged => {
                s.structure_version += 1;
                s.data_version += 1;
            }
        }
        // While playing, panels refresh every PANEL_REFRESH_MS; the moment a run pauses they must
        // show that moment, not the last refresh before it.
        if self.playing && !s.playing {
            s.data_version += 1;
        }
        Rc::new(s)
    }
}
