//! Loom models of the sync primitives (`cfg(loom)` only). They wait with
//! `crate::loom::model::block_on`, which the channel's models share.

mod loom_notify;
mod loom_semaphore;
mod loom_wait;
