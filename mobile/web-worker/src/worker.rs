//! The worker's entry point (wasm32 only).

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use mandoob_engine::engine::Engine;
use sqlite_wasm_vfs::sahpool::{OpfsSAHPoolCfgBuilder, install};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::protocol::{Message, Request};

/// The database file inside the pool.
const DATABASE: &str = "mandoob.sqlite";

fn post(scope: &web_sys::DedicatedWorkerGlobalScope, message: &Message) {
    let text = serde_json::to_string(message).unwrap_or_else(|e| {
        format!("{{\"ready\":false,\"error\":\"cannot encode a message: {e}\"}}")
    });
    if let Err(e) = scope.post_message(&JsValue::from_str(&text)) {
        web_sys::console::error_1(&e);
    }
}

async fn open() -> Result<Engine, String> {
    let cfg = OpfsSAHPoolCfgBuilder::new().directory("mandoob").build();
    install::<sqlite_wasm_rs::WasmOsCallback>(&cfg, true)
        .await
        .map_err(|e| format!("the app's storage is in use by another tab, or unavailable: {e}"))?;
    Engine::open(Path::new(DATABASE)).map_err(|e| format!("cannot open the database: {e}"))
}

/// Opens the engine on OPFS and answers the page's commands until the worker ends.
#[wasm_bindgen]
pub async fn run_worker() {
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let engine = match open().await {
        Ok(e) => Rc::new(RefCell::new(e)),
        Err(error) => {
            post(
                &scope,
                &Message::Ready {
                    ready: false,
                    error: Some(error),
                },
            );
            return;
        }
    };
    let reply_scope = scope.clone();
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let text = ev.data().as_string().unwrap_or_default();
            let request: Request = match serde_json::from_str(&text) {
                Ok(r) => r,
                Err(e) => {
                    post(
                        &reply_scope,
                        &Message::Failed {
                            id: 0,
                            error: format!("unreadable request: {e}"),
                        },
                    );
                    return;
                }
            };
            let mut engine = engine.borrow_mut();
            let answer = match engine.handle(request.command) {
                Ok(reply) => Message::Reply {
                    id: request.id,
                    reply: Box::new(reply),
                },
                Err(e) => Message::Failed {
                    id: request.id,
                    error: e.to_string(),
                },
            };
            post(&reply_scope, &answer);
            for event in engine.take_events() {
                post(&reply_scope, &Message::Event { event });
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(
        &scope,
        &Message::Ready {
            ready: true,
            error: None,
        },
    );
}
