//! The worker's entry point (wasm32 only).

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use mandoob_engine::engine::{Engine, EngineError};
use sqlite_wasm_vfs::sahpool::{OpfsSAHPoolCfgBuilder, install};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::protocol::{Message, Request};

/// The database file inside the pool.
const DATABASE: &str = "mandoob.sqlite";

fn post(scope: &web_sys::DedicatedWorkerGlobalScope, message: &Message) {
    match serde_json::to_string(message) {
        Ok(text) => post_text(scope, &text),
        Err(e) => web_sys::console::error_1(&format!("cannot encode a message: {e}").into()),
    }
}

fn post_text(scope: &web_sys::DedicatedWorkerGlobalScope, text: &str) {
    if let Err(e) = scope.post_message(&JsValue::from_str(text)) {
        web_sys::console::error_1(&e);
    }
}

/// How often the storage pool is tried before this tab gives up: on a reload the old page's
/// worker may still hold the pool's files for a moment.
const ATTEMPTS: u32 = 8;

async fn open() -> Result<Engine, String> {
    let cfg = OpfsSAHPoolCfgBuilder::new().directory("mandoob").build();
    let mut attempt = 1;
    loop {
        match install::<sqlite_wasm_rs::WasmOsCallback>(&cfg, true).await {
            Ok(_) => break,
            Err(e) if attempt >= ATTEMPTS => {
                return Err(format!(
                    "the app's storage is in use by another tab, or unavailable: {e}"
                ));
            }
            Err(_) => {
                attempt += 1;
                pause(250).await;
            }
        }
    }
    Engine::open(Path::new(DATABASE)).map_err(|e| format!("cannot open the database: {e}"))
}

/// Waits `ms` milliseconds on the worker's timer.
async fn pause(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = scope.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
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
                    // Answer the call the page waits for, if its id can be read.
                    let id = crate::protocol::id_of(&text).unwrap_or(0);
                    post(
                        &reply_scope,
                        &Message::Failed {
                            id,
                            error: EngineError::Storage(format!("unreadable request: {e}")),
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
                Err(error) => Message::Failed {
                    id: request.id,
                    error,
                },
            };
            // An answer that cannot be encoded still answers the call.
            let text = serde_json::to_string(&answer).or_else(|e| {
                serde_json::to_string(&Message::Failed {
                    id: request.id,
                    error: EngineError::Storage(format!("cannot encode the engine's answer: {e}")),
                })
            });
            match text {
                Ok(text) => post_text(&reply_scope, &text),
                Err(e) => web_sys::console::error_1(&e.to_string().into()),
            }
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
