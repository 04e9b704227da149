//! Deterministic dataset generator.
