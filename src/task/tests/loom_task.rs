//! Loom models: task transitions (filled in below).
