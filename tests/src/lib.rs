//! Helpers for Mandoob's cross-crate tests: the real server on 127.0.0.1 (port 0) with its real
//! SQLite storage in a temporary directory, and simulated devices (a real device engine and
//! the real sync client).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use mandoob_engine::engine::Engine;
use mandoob_engine::sync_client::SyncClient;
use mandoob_shared::ids::BranchCode;
use mandoob_shared::sync::LoginResponse;
use mandoob_shared::workflow::Role;
use mandoob_sync_server::storage::Storage;
use mandoob_sync_server::{Settings, admin};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The password of every test account.
pub const PASSWORD: &str = "test-password";

/// A server running for one test; dropped, it shuts down.
#[derive(Debug)]
pub struct TestServer {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A fresh temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mandoob-test-{}-{name}-{}",
        std::process::id(),
        uuid_like()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// Branches QRN and JHR; rep-a (QRN), rep-b (JHR), researcher (QRN), committee, admin.
pub async fn seed_accounts(storage: &dyn Storage) -> anyhow::Result<()> {
    let qrn = BranchCode::new("QRN");
    let jhr = BranchCode::new("JHR");
    storage.create_branch(&qrn, "القرين").await?;
    storage.create_branch(&jhr, "الجهراء").await?;
    for (id, role, branch) in [
        ("rep-a", Role::Representative, &qrn),
        ("rep-b", Role::Representative, &jhr),
        ("researcher", Role::SocialResearcher, &qrn),
        ("committee", Role::Committee, &qrn),
        ("admin", Role::Administrator, &qrn),
    ] {
        admin::create_user(storage, id, id, role, branch, PASSWORD).await?;
    }
    Ok(())
}

impl TestServer {
    /// Starts the server on a free loopback port with seeded accounts.
    pub async fn start() -> anyhow::Result<Self> {
        let data_dir = temp_dir("server");
        let settings = Settings {
            data_dir: data_dir.clone(),
            ..Settings::default()
        };
        {
            let storage = mandoob_sync_server::open_storage(&settings)?;
            seed_accounts(storage.as_ref()).await?;
        }
        Self::start_on(settings).await
    }

    /// Starts the server on existing settings (for restarts).
    pub async fn start_on(settings: Settings) -> anyhow::Result<Self> {
        Self::start_on_port(settings, 0).await
    }

    /// Starts the server on existing settings and a given loopback port (0: any).
    pub async fn start_on_port(settings: Settings, port: u16) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let data_dir = settings.data_dir.clone();
        let task = tokio::spawn(mandoob_sync_server::serve(listener, settings, async {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            data_dir,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:port` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }

    /// The server's storage, opened beside it (SQLite allows it) to inspect what it holds.
    pub fn storage(&self) -> anyhow::Result<Arc<dyn Storage>> {
        Ok(mandoob_sync_server::open_storage(&Settings {
            data_dir: self.data_dir.clone(),
            ..Settings::default()
        })?)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A simulated device: a real engine (in memory) and the real sync client.
#[derive(Debug)]
pub struct Device {
    pub engine: Engine,
    pub client: SyncClient,
    pub login: LoginResponse,
}

impl Device {
    /// Enrols a device for `user` against `server`.
    pub async fn enrol(server: &TestServer, user: &str) -> anyhow::Result<Self> {
        Self::enrol_at(&server.url(""), user).await
    }

    /// Enrols a device for `user` against the server at `base`.
    pub async fn enrol_at(base: &str, user: &str) -> anyhow::Result<Self> {
        let mut engine = Engine::in_memory()?;
        let (client, login) =
            SyncClient::login(base, user, PASSWORD, &format!("{user} phone"), &mut engine).await?;
        Ok(Self {
            engine,
            client,
            login,
        })
    }

    /// One full sync (push, pull until up to date, photos).
    pub async fn sync(&mut self) -> anyhow::Result<mandoob_engine::sync::SyncSummary> {
        Ok(self.client.sync(&mut self.engine).await?)
    }
}
