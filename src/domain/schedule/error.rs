//! Why a text is not a schedule: one sentence per case, quoting the user's text through
//! [`crate::domain::echo::echo`] so a refusal can't break out of its line or code span.

/// Why a text is not a schedule. Each message is one sentence the user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "Say when, like `fri 16:00`, `mon,thu 09:30`, `weekdays 17:00`, or cron `0 16 * * 5`."
    )]
    Empty,
    #[error(
        "I can't read `{0}` as a schedule: try `fri 16:00`, `mon,thu 09:30`, `weekdays 17:00`, \
         or cron `0 16 * * 5`."
    )]
    Unrecognized(String),
    #[error(
        "`{0}` isn't a day: use `mon` to `sun`, a list like `mon,thu`, a range like `mon-fri`, \
         or `weekdays`, `weekends`, `daily`."
    )]
    BadDay(String),
    #[error("Say which days too, like `weekdays {0}` or `daily {0}`.")]
    MissingDays(String),
    #[error("Add a time too, like `{0} 16:00` (24-hour `HH:MM`).")]
    MissingTime(String),
    #[error(
        "`{0}` isn't a time: use 24-hour `HH:MM` from `00:00` to `23:59`, like `09:30` or `16:00`."
    )]
    BadTime(String),
    #[error(
        "That looks like a {0}-field cron expression: use standard 5-field Unix cron \
         (`minute hour day-of-month month day-of-week`), like `0 16 * * 5`."
    )]
    NativeCron(usize),
    #[error("In cron, the {field} field `{value}` isn't valid: {why}.")]
    CronField {
        field: &'static str,
        value: String,
        why: String,
    },
    #[error(
        "Use either a day of the month or a day of the week, not both: cron would fire on \
         either one, which is rarely what you want."
    )]
    DayOfMonthAndWeek,
    #[error("`{0}` never fires: that day doesn't exist in that month.")]
    NeverFires(String),
    #[error("I couldn't turn `{0}` into a schedule: use 5-field Unix cron like `0 16 * * 5`.")]
    Invalid(String),
    #[error(
        "The stored schedule `{0}` doesn't match its cron expression, so it can't be trusted."
    )]
    Inconsistent(String),
}

#[cfg(test)]
mod tests {
    use crate::domain::schedule::testing::*;

    #[test]
    fn a_refusal_quotes_no_control_characters() {
        let message = ScheduleSpec::parse("fri 16:00\u{1b}[2J\0")
            .unwrap_err()
            .to_string();
        assert!(!message.chars().any(char::is_control), "{message:?}");
    }

    #[test]
    fn rejects_empty_text() {
        assert_eq!(error("   "), ScheduleError::Empty);
    }

    #[test]
    fn rejects_anything_else_with_examples() {
        for text in ["tomorrow", "every friday", "@daily", "0 16 * *", "🙂 é"] {
            let message = error(text).to_string();
            assert!(message.contains("`fri 16:00`"), "{text}: {message}");
        }
    }

    #[test]
    fn error_messages_are_single_sentences_without_debug_dumps() {
        for text in [
            "",
            "x",
            "16:00",
            "fri",
            "fri 25:00",
            "0 0 16 * * 6",
            "0 9 1 * 1",
            "0 0 31 2 *",
        ] {
            let message = error(text).to_string();
            assert!(message.ends_with('.'), "{message}");
            assert!(!message.contains("Error"), "{message}");
        }
    }

    #[test]
    fn echoed_input_is_short_and_cannot_break_code_spans() {
        let message = error(&format!("`{}", "x".repeat(100))).to_string();
        assert!(message.contains("'xxx"), "{message}");
        assert!(message.contains('…'));
        assert!(message.chars().count() < 200);
    }
}
