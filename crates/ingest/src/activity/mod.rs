//! Activity Log normalizers: one per family of export shapes.

pub mod build;
pub mod fast;
pub mod json;
