//! Slack request signing: `v0=` + hex HMAC-SHA256(signing secret, `v0:{timestamp}:{body}`),
//! rejected when the timestamp is more than five minutes from now (replays).
//!
//! The clock is a parameter so Slack's published example can be checked at its own
//! timestamp.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Slack's replay window.
pub const MAX_AGE_SECONDS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing X-Slack-Signature or X-Slack-Request-Timestamp")]
    Missing,
    #[error("the request timestamp is not a number")]
    BadTimestamp,
    #[error("the request is older than five minutes (or from the future)")]
    Stale,
    #[error("the signature does not match")]
    BadSignature,
}

/// Checks a request's signature and age.
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> Result<(), VerifyError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(VerifyError::Missing);
    };
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    // `abs_diff`, not `(now - ts).abs()`: a hostile timestamp such as i64::MIN overflows the
    // subtraction (a panic in debug builds, a wrap to "fresh" in release builds).
    if now_unix.abs_diff(ts) > MAX_AGE_SECONDS.unsigned_abs() {
        return Err(VerifyError::Stale);
    }
    let expected = sign(secret, timestamp, body);
    if expected.as_bytes().ct_eq(signature.as_bytes()).into() {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}

/// The `X-Slack-Signature` value for a body at a timestamp (also what tests sign with).
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts any key length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slack's published example, copied into tests/fixtures/slack.
    const VECTOR: &str = include_str!("../../tests/fixtures/slack/slack-signing-vector.txt");

    fn vector_field(name: &str) -> &'static str {
        VECTOR
            .lines()
            .find_map(|l| {
                l.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix(": "))
            })
            .unwrap_or_else(|| panic!("{name} missing from the vector"))
    }

    #[test]
    fn slacks_published_vector_is_accepted_at_its_timestamp_and_rejected_when_anything_changes() {
        let secret = vector_field("signing_secret");
        let ts = vector_field("X-Slack-Request-Timestamp");
        let body = vector_field("body").as_bytes();
        let sig = vector_field("X-Slack-Signature");
        let now: i64 = ts.parse().unwrap();
        assert_eq!(verify(secret, Some(ts), Some(sig), body, now), Ok(()));

        let mut other_body = body.to_vec();
        other_body[0] ^= 1;
        assert_eq!(
            verify(secret, Some(ts), Some(sig), &other_body, now),
            Err(VerifyError::BadSignature)
        );
        let later = (now + 1).to_string();
        assert_eq!(
            verify(secret, Some(&later), Some(sig), body, now),
            Err(VerifyError::BadSignature)
        );
        let mut other_sig = sig.to_string();
        other_sig.replace_range(5..6, if &sig[5..6] == "0" { "1" } else { "0" });
        assert_eq!(
            verify(secret, Some(ts), Some(&other_sig), body, now),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify("another-secret", Some(ts), Some(sig), body, now),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            verify(secret, Some(ts), Some(sig), body, now + 301),
            Err(VerifyError::Stale)
        );
    }

    #[test]
    fn the_age_window_is_five_minutes_either_way() {
        let sig = sign("s", "1000", b"body");
        assert_eq!(verify("s", Some("1000"), Some(&sig), b"body", 1300), Ok(()));
        assert_eq!(
            verify("s", Some("1000"), Some(&sig), b"body", 1301),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            verify("s", Some("1000"), Some(&sig), b"body", 699),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            verify("s", None, Some(&sig), b"body", 1000),
            Err(VerifyError::Missing)
        );
        assert_eq!(
            verify("s", Some("soon"), Some(&sig), b"body", 1000),
            Err(VerifyError::BadTimestamp)
        );
    }

    #[test]
    fn extreme_timestamps_are_stale_not_a_panic_or_a_wrap() {
        let now = 1_800_000_000;
        for ts in [i64::MIN, i64::MAX, i64::MIN + 1, -1, 0] {
            let text = ts.to_string();
            let signature = sign("s", &text, b"body");
            assert_eq!(
                verify("s", Some(&text), Some(&signature), b"body", now),
                Err(VerifyError::Stale),
                "{ts}"
            );
        }
        // And at the other end of the clock's range.
        let text = (i64::MAX - 10).to_string();
        let signature = sign("s", &text, b"body");
        assert_eq!(
            verify("s", Some(&text), Some(&signature), b"body", i64::MIN + 5),
            Err(VerifyError::Stale)
        );
    }
}
