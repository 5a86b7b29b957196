//! Sinks: the evidence bundle and everything in it.
//!
//! [`escape`] neutralizes attacker-controlled text for each output language; [`hash`]
//! computes SHA-256 over files as they are copied; [`bundle`] owns the output directory and
//! refuses to write outside it; [`manifest`] records inputs, outputs and options;
//! [`notes`], [`timeline`] and [`commands`] write the human-readable artifacts.

pub mod blocks;
pub mod bundle;
pub mod commands;
pub mod copying;
pub mod demo;
pub mod direct;
pub mod escape;
pub mod hash;
pub mod html;
pub mod json;
pub mod manifest;
pub mod notes;
pub mod redact;
pub mod sqlite;
pub mod timeline;
pub mod tree;
mod words;

pub use bundle::{Bundle, BundleError};
pub use manifest::Manifest;
