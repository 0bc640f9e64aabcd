//! Rendering for people (coloured text, Markdown) and machines (JSON).

pub mod escape;
pub mod markdown;
pub mod measures;
pub mod plan;
pub mod queue;
pub mod signal;
pub mod style;
pub mod verify;
