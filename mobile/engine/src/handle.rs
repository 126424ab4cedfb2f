//! The engine on its own thread, behind an async interface: the UI sends commands and awaits
//! replies without ever blocking on SQLite, image decoding or automerge.

use std::path::PathBuf;
use std::thread::JoinHandle;

use futures_channel::{mpsc, oneshot};
use futures_util::StreamExt;

use crate::engine::{Command, Engine, EngineError, Event, Reply};

type Job = (Command, oneshot::Sender<Result<Reply, EngineError>>);

/// A handle to the engine thread. Cloning shares the same engine.
#[derive(Debug, Clone)]
pub struct EngineHandle {
    jobs: mpsc::UnboundedSender<Job>,
    subscribe: mpsc::UnboundedSender<mpsc::UnboundedSender<Event>>,
}

/// The engine thread. It ends when every [`EngineHandle`] is dropped; dropping this value
/// detaches it, [`EngineThread::join`] waits for it (after the handles are dropped).
#[derive(Debug)]
pub struct EngineThread(JoinHandle<()>);

impl EngineThread {
    /// Waits until the engine has stopped and closed its database.
    pub fn join(self) {
        let _ = self.0.join();
    }
}

/// Where the engine keeps its data.
#[derive(Debug, Clone)]
pub enum Location {
    File(PathBuf),
    Memory,
}

impl EngineHandle {
    /// Starts the engine thread on `location`.
    pub fn start(location: Location) -> Result<(Self, EngineThread), EngineError> {
        let (jobs, mut job_rx) = mpsc::unbounded::<Job>();
        let (subscribe, mut sub_rx) = mpsc::unbounded::<mpsc::UnboundedSender<Event>>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("mandoob-engine".into())
            .spawn(move || {
                let opened = match &location {
                    Location::File(path) => Engine::open(path),
                    Location::Memory => Engine::in_memory(),
                };
                let mut engine = match opened {
                    Ok(e) => {
                        let _ = ready_tx.send(Ok(()));
                        e
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let mut listeners: Vec<mpsc::UnboundedSender<Event>> = Vec::new();
                futures_executor_block_on(async {
                    while let Some((command, reply)) = job_rx.next().await {
                        while let Ok(l) = sub_rx.try_recv() {
                            listeners.push(l);
                        }
                        let result = engine.handle(command);
                        let _ = reply.send(result);
                        for event in engine.take_events() {
                            listeners.retain(|l| l.unbounded_send(event.clone()).is_ok());
                        }
                    }
                });
            })
            .map_err(|e| EngineError::Storage(e.to_string()))?;
        ready_rx
            .recv()
            .map_err(|e| EngineError::Storage(e.to_string()))??;
        Ok((Self { jobs, subscribe }, EngineThread(thread)))
    }

    /// Sends a command and waits for its reply.
    pub async fn call(&self, command: Command) -> Result<Reply, EngineError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .unbounded_send((command, tx))
            .map_err(|_| EngineError::Storage("the engine has stopped".into()))?;
        rx.await
            .map_err(|_| EngineError::Storage("the engine has stopped".into()))?
    }

    /// Events from now on (delivered after the next command).
    pub fn events(&self) -> mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = mpsc::unbounded();
        let _ = self.subscribe.unbounded_send(tx);
        rx
    }
}

/// The handle carries commands for [`crate::EngineApi`]'s typed methods.
impl crate::commands::Transport for EngineHandle {
    async fn call(&mut self, command: Command) -> Result<Reply, EngineError> {
        EngineHandle::call(self, command).await
    }
}

/// Runs the command loop on this thread: the loop only waits on a channel, so a minimal
/// executor is enough (no async runtime in the engine).
fn futures_executor_block_on<F: std::future::Future<Output = ()>>(f: F) {
    futures_executor::block_on(f);
}
