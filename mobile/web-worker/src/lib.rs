//! The device engine in a dedicated Web Worker (DESIGN §3, issue 7): SQLite on the Origin
//! Private File System through the `opfs-sahpool` VFS, which only works in a worker. The page
//! talks to it with the engine's own `Command` and `Reply`, as JSON over `postMessage`:
//!
//! - page → worker: `{"id": 7, "command": <Command>}`
//! - worker → page: `{"id": 7, "reply": <Reply>}` or `{"id": 7, "error": "…"}`; every engine
//!   event as `{"event": <Event>}`; once at start `{"ready": true}`, or `{"ready": false,
//!   "error": "…"}` when the database cannot be opened (for example because another tab of the
//!   app holds it: the pool's files are opened exclusively, so one tab writes, and a second tab
//!   gets this clear message instead of a second writer).
//!
//! Natively this crate is empty; the engine runs on its own thread there (`EngineHandle`).

#[cfg(target_arch = "wasm32")]
mod worker;

/// The message the worker answers a request with (also used by tests and the page's glue).
pub mod protocol {
    use mandoob_engine::engine::{Command, Event, Reply};
    use serde::{Deserialize, Serialize};

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
        Failed { id: u64, error: String },
        Event { event: Event },
        Ready { ready: bool, error: Option<String> },
    }
}

#[cfg(test)]
mod tests {
    use super::protocol::{Message, Request};
    use mandoob_engine::engine::{Command, ListQuery, Reply};

    /// The JSON shapes the page's glue reads (web/static, tests/e2e/web).
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
        let failed: Message =
            serde_json::from_str(r#"{"id": 3, "error": "no session"}"#).expect("read");
        assert!(matches!(failed, Message::Failed { id: 3, .. }));
        let request: Request = serde_json::from_str(
            &serde_json::json!({"id": 1, "command": Command::List(ListQuery::default())})
                .to_string(),
        )
        .expect("request");
        assert!(matches!(request.command, Command::List(_)));
        assert!(serde_json::from_str::<Request>(r#"{"id": 1, "command": "Explode"}"#).is_err());
    }
}
