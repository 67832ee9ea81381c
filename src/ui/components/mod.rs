//! One component per file. Each takes the lab handle and the versions it depends on as props, so it
//! re-renders only when those change.

pub mod actions_panel;
pub mod broker_panel;
pub mod catch_up;
pub mod charts;
pub mod cluster_view;
pub mod consumer_panel;
pub mod consumer_table;
pub mod context_menu;
pub mod controls;
pub mod help_overlay;
pub mod inspector;
pub mod lesson_player;
pub mod lab_view;
pub mod narration;
pub mod notices;
pub mod partition_inspector;
pub mod partition_list;
pub mod producer_panel;
pub mod share_dialog;
pub mod step_table;
pub mod timeline;
