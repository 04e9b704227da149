//! Fuel economy engine (full-to-full segments).
