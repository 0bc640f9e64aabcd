//! The JSON Schema of the runbook format (draft-07, what yaml-language-server reads).

use schemars::generate::SchemaSettings;

use super::model::Runbook;

/// The schema as pretty JSON with a final newline (the committed file's exact bytes).
pub fn schema_json() -> String {
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Runbook>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serializes");
    text.push('\n');
    text
}
