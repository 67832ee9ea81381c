//! The lab's shared handle: the [`Session`], the cluster picture derived from it, and the flags the
//! frame loop and the components pass each other. Components get it from a context; it compares equal
//! as long as it is the same lab, so a component re-renders on the versions in [`UiState`], not on it.
//!
//! [`UiState`]: super::state::UiState

use crate::kafka::world::{Action, RunDefinition, SpecError};
use crate::scenario::link::{RunSource, SharedRun};
use crate::scenario::validate::DURATION_MS_MAX;
use crate::scenario::{FORMAT_VERSION, Scenario, Section};
use crate::session::narrate::clock;
use crate::session::scene::{Layout, Structure};
use crate::session::Session;
use crate::sim::Tick;
use crate::ui::embed::EmbedOptions;
use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;

/// What the learner is told when playing or stepping reaches the end a run can have.
pub const RUN_LIMIT_NOTICE: &str = "A run lasts at most one hour of simulated time. Rewind to look back, or restart to play again.";

/// The cluster picture: what is drawn, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    pub structure: Structure,
    pub layout: Layout,
}

impl Scene {
    pub fn of(session: &Session) -> Scene {
        let structure = Structure::of(&session.view(), session.tracked(), session.world().spec().controllers);
        let layout = Layout::of(&structure);
        Scene { structure, layout }
    }
}

/// What the frame loop needs to know between frames, set by components and by the loop itself.
#[derive(Clone, Debug, Default)]
pub struct Signals {
    /// Something changed outside the loop (a seek, an action): refresh panels and the picture.
    pub changed: bool,
    /// The simulated moment the animation shows (fractional: dots move between ticks).
    pub display_ms: f64,
    /// Playing stops here (the lesson's next pause or question).
    pub pause_at_ms: Option<u64>,
    /// Playing or a jump key stopped at the lesson's stop at this moment: the player moves on to the
    /// step there, even one sharing the moment of the step it shows (see [`Lab::reach_stop`]).
    pub stopped_at_ms: Option<u64>,
    /// Playing past the end starts again at the start: (start, end).
    pub loop_ms: Option<(u64, u64)>,
    /// A refusal to tell the learner at the next frame (a seek past the hour a run lasts).
    pub notice: Option<String>,
    /// The lab has rendered once (it went to the embed's moment then).
    pub opened: bool,
    /// The lesson step the player shows (set by the player), or, before it opens, the step a share
    /// link names.
    pub shown_step: Option<usize>,
    /// What the narration's live region reads, and the newest line it covers: kept between renders,
    /// so a render with no new line leaves it as it was.
    pub announced: (Option<u64>, String),
}

/// Where the lab's run came from: what a share link and an export start from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// One of the lab's built-in runs (`demo`, `stress`), which the lesson library does not hold.
    Builtin,
    /// A lesson of the library, by its id: links stay short.
    Lesson,
    /// A scenario opened from a file or carried whole by a link.
    Scenario,
}

#[derive(Clone)]
pub struct Lab {
    session: Rc<RefCell<Session>>,
    scene: Rc<RefCell<Rc<Scene>>>,
    pub signals: Rc<RefCell<Signals>>,
    /// The preset id the lab was opened with (a scenario's own id for a file or a link).
    pub preset: Rc<str>,
    /// The lesson being played (its steps and checkpoints), when the run has one.
    pub lesson: Option<Rc<Scenario>>,
    pub origin: Origin,
    pub embed: Rc<EmbedOptions>,
}

impl PartialEq for Lab {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.session, &other.session)
    }
}

impl Lab {
    /// A lab for one of the built-in runs.
    pub fn new(definition: RunDefinition, preset: &str) -> Result<Lab, Vec<SpecError>> {
        Lab::open(definition, preset, None, Origin::Builtin, EmbedOptions::default())
    }

    pub fn open(definition: RunDefinition, preset: &str, lesson: Option<Scenario>, origin: Origin, embed: EmbedOptions) -> Result<Lab, Vec<SpecError>> {
        let session = Session::new(definition)?;
        let scene = Scene::of(&session);
        Ok(Lab {
            session: Rc::new(RefCell::new(session)),
            scene: Rc::new(RefCell::new(Rc::new(scene))),
            signals: Rc::new(RefCell::new(Signals::default())),
            preset: Rc::from(preset),
            lesson: lesson.map(Rc::new),
            origin,
            embed: Rc::new(embed),
        })
    }

    /// The scenario the run starts from, before the learner's clicks: the lesson, or the built-in run
    /// written as a scenario.
    pub fn base_scenario(&self) -> Scenario {
        let session = self.session();
        let base = session.base();
        let mut scenario = match &self.lesson {
            Some(lesson) => (**lesson).clone(),
            None => Scenario {
                version: FORMAT_VERSION,
                id: self.preset.to_string(),
                title: format!("The {} lab", self.preset),
                section: Section::Architecture,
                summary: String::new(),
                seed: base.seed,
                duration_ms: 60_000,
                cluster: base.spec.clone(),
                actions: base.actions.clone(),
                steps: Vec::new(),
            },
        };
        scenario.seed = base.seed;
        scenario
    }

    /// The run as a share link carries it: where it started, the seed, the learner's clicks, and now.
    pub fn shared_run(&self) -> SharedRun {
        let source = match self.origin {
            Origin::Lesson => RunSource::Preset(self.preset.to_string()),
            Origin::Builtin | Origin::Scenario => RunSource::Inline(Box::new(self.base_scenario())),
        };
        let session = self.session();
        let at_ms = session.now().ms();
        // Named only when the moment alone would open on another step (steps sharing a moment).
        let step = self.lesson.as_ref().zip(self.signals.borrow().shown_step).and_then(|(lesson, shown)| {
            (shown != crate::scenario::player::opening_step(&lesson.steps, at_ms)).then_some(shown as u32)
        });
        let lesson = self.lesson.as_ref().filter(|_| self.origin == Origin::Lesson).map(|l| crate::scenario::link::lesson_fingerprint(l));
        SharedRun { source, seed: session.seed(), actions: session.learner_actions().to_vec(), at_ms, step, lesson }
    }

    /// The session, to read. No borrow of it is ever held across a call that can come back into the
    /// lab (every mutable one is a statement or a frame's slice of work, and none calls JavaScript
    /// that runs a callback), so this cannot find it borrowed. One thing could leave it borrowed for
    /// good: a trap in the middle of a mutable borrow, since a wasm trap unwinds nothing and the borrow
    /// is never given back. Simulating many hours in one go (`?at=99999999` did) trapped so, with no
    /// panic message of its own, as running out of memory does, and every frame after panicked here
    /// (the RefCell's borrow flag still set). So no synchronous run goes past
    /// the hour a run lasts: [`Lab::seek`] and [`Lab::step_limit`] refuse to, and links and embed
    /// options are checked against the same hour before the lab opens.
    pub fn session(&self) -> Ref<'_, Session> {
        self.session.borrow()
    }

    pub fn session_mut(&self) -> RefMut<'_, Session> {
        self.session.borrow_mut()
    }

    pub fn scene(&self) -> Rc<Scene> {
        self.scene.borrow().clone()
    }

    /// Reads the structure again; replaces the scene and returns the old one if it changed.
    pub fn refresh_scene(&self) -> Option<Rc<Scene>> {
        let structure = {
            let session = self.session.borrow();
            Structure::of(&session.view(), session.tracked(), session.world().spec().controllers)
        };
        if structure == self.scene.borrow().structure {
            return None;
        }
        let layout = Layout::of(&structure);
        let old = std::mem::replace(&mut *self.scene.borrow_mut(), Rc::new(Scene { structure, layout }));
        Some(old)
    }

    /// Applies a learner's action; a refusal comes back as the sentence to show.
    pub fn act(&self, action: Action) -> Result<(), String> {
        let result = self.session.borrow_mut().act(action).map_err(|e| e.0);
        self.touched();
        result
    }

    /// Moves to a moment of the run. A moment past the hour a run lasts is refused, and the frame loop
    /// tells the learner why: getting there would simulate hours in one go, freezing the page (see
    /// [`Lab::session`]). Every seek comes here: buttons, keys, the timeline, a course page's command.
    pub fn seek(&self, at_ms: u64) {
        if at_ms > DURATION_MS_MAX {
            self.signals.borrow_mut().notice = Some(format!(
                "There is no moment {} in a run: a run lasts at most one hour of simulated time ({}).",
                clock(Tick(at_ms)),
                clock(Tick(DURATION_MS_MAX))
            ));
            return;
        }
        // The lesson player sets the next stop again for the new moment.
        self.signals.borrow_mut().pause_at_ms = None;
        self.session.borrow_mut().seek(Tick(at_ms));
        self.touched();
    }

    /// How far a step ("step", "next") may run: `look_ahead_ms` from now, but never past the hour a
    /// run lasts, where playing stops too. `None` once the run is at the hour: there is no step left.
    pub fn step_limit(&self, look_ahead_ms: u64) -> Option<Tick> {
        let now = self.session().now().ms();
        (now < DURATION_MS_MAX).then(|| Tick(now.saturating_add(look_ahead_ms).min(DURATION_MS_MAX)))
    }

    /// The run is at the lesson's next stop: playing ends, and the lesson player shows the step that
    /// waits here. Steps sharing a moment each stop, so this can happen without the clock moving.
    pub fn reach_stop(&self) {
        {
            let mut signals = self.signals.borrow_mut();
            signals.pause_at_ms = None;
            signals.stopped_at_ms = Some(self.session.borrow().now().ms());
        }
        self.touched();
    }

    /// Tells the frame loop something changed outside it.
    pub fn touched(&self) {
        let mut signals = self.signals.borrow_mut();
        signals.changed = true;
        signals.display_ms = self.session.borrow().now().ms() as f64;
    }
}
