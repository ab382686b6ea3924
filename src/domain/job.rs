//! The per-user scheduled jobs. It lives in `domain` because user records and the due-time
//! rules name it, and the domain must not depend on the command layer.

/// The per-user scheduled jobs. Stored on disk as `"checkin"` / `"summary"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    Checkin,
    Summary,
}

#[cfg(test)]
mod tests {
    use super::JobKind;

    #[test]
    fn stored_as_lowercase_words() {
        assert_eq!(
            serde_json::to_string(&[JobKind::Checkin, JobKind::Summary]).unwrap(),
            r#"["checkin","summary"]"#
        );
    }
}
