//! Loom models of the task state machine (`cfg(loom)` only).

mod loom_task;
