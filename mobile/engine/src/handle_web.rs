//! The engine in a dedicated Web Worker (the web build, issue 7), behind the same async
//! interface as the native engine thread: [`EngineHandle::call`] and [`EngineHandle::events`].
//! The worker (`mandoob-web-worker`) owns the database on OPFS; messages are
//! [`crate::worker_protocol`]'s JSON.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures_channel::{mpsc, oneshot};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::engine::{Command, EngineError, Event, Reply};
use crate::worker_protocol::{Message, Request};

type Answer = oneshot::Sender<Result<Reply, EngineError>>;

/// How long the worker may take to open the database (it retries for about two seconds when
/// another page still holds it) before the app says it cannot start.
const START_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What the worker's message handler updates.
#[derive(Default)]
struct Inbox {
    pending: RefCell<HashMap<u64, Answer>>,
    listeners: RefCell<Vec<mpsc::UnboundedSender<Event>>>,
    ready: RefCell<Option<oneshot::Sender<Result<(), String>>>>,
    /// Why the worker stopped, once it has: later calls fail at once.
    stopped: RefCell<Option<String>>,
}

impl Inbox {
    fn receive(&self, message: Message) {
        match message {
            Message::Reply { id, reply } => {
                if let Some(answer) = self.pending.borrow_mut().remove(&id) {
                    let _ = answer.send(Ok(*reply));
                }
            }
            Message::Failed { id, error } => {
                if let Some(answer) = self.pending.borrow_mut().remove(&id) {
                    let _ = answer.send(Err(error));
                }
            }
            Message::Event { event } => self
                .listeners
                .borrow_mut()
                .retain(|l| l.unbounded_send(event.clone()).is_ok()),
            Message::Ready { ready, error } => {
                if let Some(tx) = self.ready.borrow_mut().take() {
                    let _ = tx.send(if ready {
                        Ok(())
                    } else {
                        Err(error.unwrap_or_else(|| "the engine could not start".into()))
                    });
                }
            }
        }
    }

    /// A message that could not be read: the call it answers (if its id can be read) fails
    /// instead of waiting forever.
    fn unreadable(&self, text: &str, error: &serde_json::Error) {
        web_sys::console::error_1(&format!("unreadable message from the engine: {error}").into());
        let id = crate::worker_protocol::id_of(text);
        if let Some(answer) = id.and_then(|id| self.pending.borrow_mut().remove(&id)) {
            let _ = answer.send(Err(EngineError::Storage(format!(
                "unreadable answer from the engine: {error}"
            ))));
        }
    }

    /// The worker failed: every waiting call gets an error instead of waiting forever, and so
    /// does every later one.
    fn fail_all(&self, reason: &str) {
        *self.stopped.borrow_mut() = Some(reason.to_owned());
        if let Some(tx) = self.ready.borrow_mut().take() {
            let _ = tx.send(Err(reason.to_owned()));
        }
        for (_, answer) in self.pending.borrow_mut().drain() {
            let _ = answer.send(Err(EngineError::Storage(reason.to_owned())));
        }
    }
}

struct Worker {
    worker: web_sys::Worker,
    next: Cell<u64>,
    inbox: Rc<Inbox>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Worker {
    /// The last handle gone: the worker stops and its database closes.
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// A handle to the engine's worker. Cloning shares the same worker.
#[derive(Clone)]
pub struct EngineHandle(Rc<Worker>);

impl std::fmt::Debug for EngineHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineHandle").finish_non_exhaustive()
    }
}

fn js_error(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

impl EngineHandle {
    /// Starts the worker script at `url` (an ES module) and waits until its database is open.
    /// The error is the worker's own words, for example that another tab holds the database.
    pub async fn start_worker(url: &str) -> Result<Self, String> {
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        let worker = web_sys::Worker::new_with_options(url, &options).map_err(js_error)?;
        let inbox = Rc::new(Inbox::default());
        let (ready_tx, ready_rx) = oneshot::channel();
        *inbox.ready.borrow_mut() = Some(ready_tx);
        let on_message = {
            let inbox = inbox.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let text = ev.data().as_string().unwrap_or_default();
                match serde_json::from_str::<Message>(&text) {
                    Ok(message) => inbox.receive(message),
                    Err(e) => inbox.unreadable(&text, &e),
                }
            })
        };
        let on_error = {
            let inbox = inbox.clone();
            // A script that cannot be loaded fires a plain `Event`; an error thrown in the
            // worker, an `ErrorEvent` with a message.
            Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
                let why = ev
                    .dyn_ref::<web_sys::ErrorEvent>()
                    .map(|e| e.message())
                    .unwrap_or_else(|| "its script could not be loaded".into());
                inbox.fail_all(&format!("the engine stopped: {why}"));
            })
        };
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let handle = Self(Rc::new(Worker {
            worker,
            next: Cell::new(1),
            inbox,
            _on_message: on_message,
            _on_error: on_error,
        }));
        let timeout = gloo_timers::future::sleep(START_TIMEOUT);
        match futures_util::future::select(ready_rx, Box::pin(timeout)).await {
            futures_util::future::Either::Left((ready, _)) => {
                ready.map_err(|_| "the engine could not start".to_owned())??
            }
            futures_util::future::Either::Right(_) => {
                return Err("the engine did not start in time".to_owned());
            }
        }
        Ok(handle)
    }

    /// Sends a command and waits for its reply.
    pub async fn call(&self, command: Command) -> Result<Reply, EngineError> {
        if let Some(reason) = self.0.inbox.stopped.borrow().clone() {
            return Err(EngineError::Storage(reason));
        }
        let id = self.0.next.get();
        self.0.next.set(id + 1);
        let text = serde_json::to_string(&Request { id, command })
            .map_err(|e| EngineError::Storage(format!("cannot encode a command: {e}")))?;
        let (tx, rx) = oneshot::channel();
        self.0.inbox.pending.borrow_mut().insert(id, tx);
        if let Err(e) = self.0.worker.post_message(&JsValue::from_str(&text)) {
            self.0.inbox.pending.borrow_mut().remove(&id);
            return Err(EngineError::Storage(js_error(e)));
        }
        rx.await
            .map_err(|_| EngineError::Storage("the engine has stopped".into()))?
    }

    /// Events from now on.
    pub fn events(&self) -> mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = mpsc::unbounded();
        self.0.inbox.listeners.borrow_mut().push(tx);
        rx
    }
}

/// The handle carries commands for [`crate::EngineApi`]'s typed methods.
impl crate::commands::Transport for EngineHandle {
    async fn call(&mut self, command: Command) -> Result<Reply, EngineError> {
        EngineHandle::call(self, command).await
    }
}
