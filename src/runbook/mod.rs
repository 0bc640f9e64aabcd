//! The runbook format: model, loading with positions, templates, validation.

pub mod catalog;
pub mod condition;
pub mod diagnostic;
pub mod fact_types;
pub mod i18n;
pub mod load;
pub mod model;
pub mod params;
pub mod recover;
pub mod schema;
pub mod schema_fields;
pub mod services;
pub mod spans;
pub mod steps;
pub mod syntax_hint;
pub mod template;
pub mod validate;
pub mod verify;
pub mod yaml_error;
