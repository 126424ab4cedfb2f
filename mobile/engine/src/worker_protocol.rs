//! The messages between the page and the engine's dedicated Web Worker (the web build, issue
//! 7): the engine's own [`Command`], [`Reply`], [`Event`] and [`EngineError`], as JSON over
//! `postMessage`.
//!
//! - page → worker: `{"id": 7, "command": <Command>}`
//! - worker → page: `{"id": 7, "reply": <Reply>}` or `{"id": 7, "error": <EngineError>}`; every
//!   engine event as `{"event": <Event>}`; once at start `{"ready": true}`, or `{"ready": false,
//!   "error": "…"}` when the database cannot be opened (for example because another tab of the
//!   app holds it: the storage pool's files are opened exclusively, so one tab writes, and a
//!   second tab gets this clear message instead of becoming a second writer).

use serde::{Deserialize, Serialize};

use crate::engine::{Command, EngineError, Event, Reply};

/// A command from the page.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub command: Command,
}

/// Everything the worker posts.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Message {
    Reply { id: u64, reply: Box<Reply> },
    Failed { id: u64, error: EngineError },
    Event { event: Event },
    Ready { ready: bool, error: Option<String> },
}

/// The `id` of a message that cannot be read whole, so that the call waiting for it can still
/// be answered (with an error) instead of waiting forever.
pub fn id_of(text: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("id").and_then(serde_json::Value::as_u64))
}

#[cfg(test)]
mod tests {
    use super::{Message, Request, id_of};
    use crate::engine::{Command, EngineError, ListQuery, Reply};

    /// The JSON shapes the page's glue reads (handle_web.rs, tests/e2e/web).
    #[test]
    fn messages_have_the_shapes_the_page_reads() {
        let reply = Message::Reply {
            id: 7,
            reply: Box::new(Reply::Done),
        };
        assert_eq!(
            serde_json::to_value(&reply).expect("json"),
            serde_json::json!({"id": 7, "reply": "Done"})
        );
        let ready = Message::Ready {
            ready: false,
            error: Some("in use by another tab".into()),
        };
        assert_eq!(
            serde_json::to_value(&ready).expect("json"),
            serde_json::json!({"ready": false, "error": "in use by another tab"})
        );
        // An engine error keeps its kind across the worker boundary (the UI tells a refused
        // photo from a storage failure).
        let failed = Message::Failed {
            id: 3,
            error: EngineError::Photo("too small".into()),
        };
        let text = serde_json::to_string(&failed).expect("json");
        match serde_json::from_str(&text).expect("read") {
            Message::Failed { id: 3, error } => {
                assert_eq!(error, EngineError::Photo("too small".into()))
            }
            other => panic!("read back as {other:?}"),
        }
        let ready: Message = serde_json::from_str(r#"{"ready": true}"#).expect("read");
        assert!(matches!(
            ready,
            Message::Ready {
                ready: true,
                error: None
            }
        ));
        let request: Request = serde_json::from_str(
            &serde_json::json!({"id": 1, "command": Command::List(ListQuery::default())})
                .to_string(),
        )
        .expect("request");
        assert!(matches!(request.command, Command::List(_)));
        let unknown = r#"{"id": 1, "command": "Explode"}"#;
        assert!(serde_json::from_str::<Request>(unknown).is_err());
        assert_eq!(id_of(unknown), Some(1), "its caller can still be answered");
        assert_eq!(id_of("not json"), None);
    }
}
