//! Loom models: the local ring and the injector.
