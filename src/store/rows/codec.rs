//! Values are JSON in an envelope with a schema version: `{"v":1,"d":{…}}`.
//!
//! Reading a value written by an older version goes through [`migrate`] first, so a schema
//! change is one new arm there, not a rewrite of the database at start-up.
//!
//! Errors never quote the value: serde's own messages can (`invalid value: integer 300`), and
//! these errors reach the logs, which must carry ids only. They say where and what kind.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("stored value does not decode as its tree's record ({})", where_in(.0))]
    Json(#[from] serde_json::Error),
    #[error("stored value has schema version {0}, newer than this build ({SCHEMA_VERSION}); upgrade twohats")]
    FromTheFuture(u32),
    /// It decodes, but holds what twohats never writes (an `eng_pct` of 300).
    #[error("stored value is out of range: {0}")]
    Invalid(&'static str),
    /// The row's key is not laid out as its tree's keys are.
    #[error("stored key is malformed: {0}")]
    Key(&'static str),
}

/// The kind and place of a JSON error, without the text serde would quote from the value.
fn where_in(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Io => "read error",
        Category::Syntax => "syntax error",
        Category::Data => "wrong type or value",
        Category::Eof => "cut short",
    };
    if e.line() == 0 {
        kind.to_string()
    } else {
        format!("{kind} at column {}", e.column())
    }
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    v: u32,
    d: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeIn<T> {
    v: u32,
    d: T,
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    Ok(serde_json::to_vec(&EnvelopeOut {
        v: SCHEMA_VERSION,
        d: value,
    })?)
}

pub fn decode<T: DeserializeOwned>(tree: &str, bytes: &[u8]) -> Result<T, CodecError> {
    // The fast path: most values are current, and decode straight into their type.
    if let Ok(EnvelopeIn {
        v: SCHEMA_VERSION,
        d,
    }) = serde_json::from_slice::<EnvelopeIn<T>>(bytes)
    {
        return Ok(d);
    }
    let EnvelopeIn { v, d } = serde_json::from_slice::<EnvelopeIn<serde_json::Value>>(bytes)?;
    if v > SCHEMA_VERSION {
        return Err(CodecError::FromTheFuture(v));
    }
    Ok(serde_json::from_value(migrate(tree, v, d))?)
}

/// Brings a value of an older schema version up to [`SCHEMA_VERSION`]. Version 1 is the
/// first, so today there is nothing to do; the next schema change adds an arm here
/// (`(tree, 1) => …`) and a test that decodes a version-1 value.
fn migrate(tree: &str, version: u32, value: serde_json::Value) -> serde_json::Value {
    let _ = (tree, version);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_in_a_versioned_envelope() {
        let bytes = encode(&vec![1, 2]).unwrap();
        assert_eq!(std::str::from_utf8(&bytes).unwrap(), r#"{"v":1,"d":[1,2]}"#);
        assert_eq!(decode::<Vec<i32>>("t", &bytes).unwrap(), vec![1, 2]);
    }

    #[test]
    fn errors_say_where_but_never_quote_the_value() {
        for bytes in [
            &br#"{"v":1,"d":"SECRET"}"#[..],
            br#"{"v":1,"d":["SECRET"]}"#,
            br#"{"v":0,"d":"SECRET"}"#,
            br#"{"v":1,"d":[1,"SECRET""#,
        ] {
            let err = decode::<Vec<u8>>("t", bytes).unwrap_err().to_string();
            assert!(!err.contains("SECRET"), "{err}");
            assert!(err.contains("does not decode"), "{err}");
        }
    }

    #[test]
    fn a_newer_schema_is_refused_with_a_clear_error() {
        let err = decode::<Vec<i32>>("t", br#"{"v":9,"d":[1]}"#).unwrap_err();
        assert!(err.to_string().contains("upgrade twohats"), "{err}");
    }
}
