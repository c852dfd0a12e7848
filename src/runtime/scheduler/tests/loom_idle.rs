//! Loom models: idle, park and wake.
