//! Custom hooks: the animation loop, the keyboard shortcuts, the reduced-motion preference.

pub mod use_frame_loop;
pub mod use_keyboard;
pub mod use_reduced_motion;
