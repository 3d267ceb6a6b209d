//! The one error type of the domain rules: a field and the reason it was refused.

/// Input that breaks a domain rule. The message names the field, the value and
/// the rule, and is safe to show to the client that sent the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ModelError {
    /// The input field at fault (`outcome`, `testcase.name`, `since`, ...).
    pub field: String,
    /// A sentence for people: what is wrong and what would be right.
    pub message: String,
}

impl ModelError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError {
            field: field.into(),
            message: message.into(),
        }
    }
}
