//! Loom models of the run queues and the idle protocol (`cfg(loom)` only).

mod loom_idle;
mod loom_queue;
