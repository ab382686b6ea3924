//! How a refusal quotes what the user typed: one helper for the parser, the schedule parser
//! and the validated values, so every message quotes the same way.

/// The longest quote, in characters; longer text is cut and ends in `…`.
const MAX_ECHO_CHARS: usize = 40;

/// Shortens user text before it is quoted in a message, without what would break out of
/// the code span it is quoted in (a backtick) or out of the line (control characters: a NUL,
/// a newline, a terminal escape in the console).
pub fn echo(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_ECHO_CHARS)
        .map(|c| if c == '`' { '\'' } else { c })
        .collect();
    if text.chars().nth(MAX_ECHO_CHARS).is_some() {
        out.push('…');
    }
    printable(&out)
}

/// `text` with control characters as `�`: a message quotes user text in one line.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_quoted_as_is() {
        assert_eq!(echo("hello"), "hello");
        assert_eq!(echo(&"é".repeat(40)), "é".repeat(40));
    }

    #[test]
    fn long_text_is_cut_at_forty_characters() {
        assert_eq!(echo(&"é".repeat(41)), format!("{}…", "é".repeat(40)));
    }

    #[test]
    fn backticks_and_control_characters_stay_out() {
        assert_eq!(
            echo("a`b\u{7}\n\u{1b}[2J"),
            "a'b\u{fffd}\u{fffd}\u{fffd}[2J"
        );
        assert_eq!(printable("x\0y"), "x\u{fffd}y");
    }
}
