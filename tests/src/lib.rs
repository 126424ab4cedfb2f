//! Helpers for Mandoob's cross-crate tests: the real server on 127.0.0.1 (port 0) with its real
//! SQLite storage in a temporary directory, and simulated devices (a real device engine and
//! the real sync client).

pub mod link;

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

/// A realistic case (`sample::realistic_case(seed)`) registered by `device`'s user and submitted
/// to the committee `days_ago` days ago, imported on the device and not yet synced.
pub fn submitted_case(
    device: &mut Device,
    seed: u64,
    days_ago: i64,
) -> mandoob_shared::ids::CaseId {
    submitted_case_with(device, seed, days_ago, |_| {})
}

/// [`submitted_case`], with `edit` applied to the case file first (other names, say).
pub fn submitted_case_with(
    device: &mut Device,
    seed: u64,
    days_ago: i64,
    edit: impl FnOnce(&mut mandoob_shared::model::CaseFile),
) -> mandoob_shared::ids::CaseId {
    use mandoob_shared::doc::{Author, CaseDoc};
    use mandoob_shared::ids::Timestamp;
    let mut case = mandoob_shared::sample::realistic_case(seed);
    edit(&mut case);
    let user = device.login.user.clone();
    mandoob_shared::sample::attribute_to(&mut case, &user);
    case.branch = device.login.branch.clone();
    let submitted = Timestamp::new(chrono::Utc::now() - chrono::Duration::days(days_ago));
    for e in &mut case.events {
        e.at = submitted;
    }
    // The change is made now (the server refuses changes dated before the device's
    // enrolment); the events inside it say when the steps were taken.
    let author = Author {
        user,
        at: Timestamp::now(),
    };
    let mut doc = CaseDoc::create(&case, &author).expect("create");
    device.engine.import_case(&mut doc, true).expect("import")
}

/// Stores realistic cases (`sample::realistic_case(seed)` for each seed) registered by rep-a in
/// `branch` straight into the server's storage, a thousand per transaction, as the sync
/// benchmarks do.
pub async fn seed_cases(
    storage: &dyn Storage,
    seeds: std::ops::Range<u64>,
    branch: &str,
) -> anyhow::Result<()> {
    use mandoob_shared::doc::Author;
    use mandoob_shared::ids::{Timestamp, UserId};
    let rep = UserId::new("rep-a");
    let author = Author {
        user: rep.clone(),
        at: Timestamp::now(),
    };
    let seeds: Vec<u64> = seeds.collect();
    for chunk in seeds.chunks(1000) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|&seed| {
                let mut c = mandoob_shared::sample::realistic_case(seed);
                c.created_by = rep.clone();
                c.branch = BranchCode::new(branch);
                for e in &mut c.events {
                    e.actor = rep.clone();
                }
                c
            })
            .collect();
        admin::store_whole(storage, &batch, &author).await?;
    }
    Ok(())
}

/// Refers `request` of `case` to the social-research officer from `device` (the referral and
/// its workflow step, one engine command); the referral's id.
pub fn refer(
    device: &mut Device,
    case: &mandoob_shared::ids::CaseId,
    request: &mandoob_shared::ids::RequestId,
    question: &str,
) -> anyhow::Result<mandoob_shared::ids::ReferralId> {
    use mandoob_shared::ids::{ReferralId, Timestamp};
    let id = ReferralId::generate();
    device.engine.refer(
        case,
        mandoob_shared::model::Referral {
            id: id.clone(),
            request: Some(request.clone()),
            question: question.into(),
            by: device.login.user.clone(),
            at: Timestamp::now(),
            answer: None,
            answered_by: None,
            answered_at: None,
        },
    )?;
    Ok(id)
}

/// A console user in a plain HTTP client: the session cookie and the form token, no redirects
/// followed (tests look at them).
#[derive(Debug)]
pub struct ConsoleClient {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: String,
    pub csrf: String,
}

impl ConsoleClient {
    /// Signs in through the form; fails unless a session cookie comes back.
    pub async fn sign_in(server: &TestServer, user: &str) -> anyhow::Result<Self> {
        let (status, _, cookie) = console_sign_in(server, user, PASSWORD).await?;
        anyhow::ensure!(status == 303, "sign-in answered {status}");
        anyhow::ensure!(!cookie.is_empty(), "no session cookie");
        Self::on_session(server, &cookie, "/console/referrals").await
    }

    /// A client on the session `cookie`, with the CSRF token read from the page at `path`.
    pub async fn on_session(server: &TestServer, cookie: &str, path: &str) -> anyhow::Result<Self> {
        let mut this = Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            base: server.url(""),
            cookie: cookie.to_owned(),
            csrf: String::new(),
        };
        let page = this.get(path).await?.text().await?;
        this.csrf = page
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .ok_or_else(|| anyhow::anyhow!("no CSRF token on {path}"))?
            .to_owned();
        Ok(this)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await?)
    }

    /// Posts a form (`fields` already URL-encoded where needed), with or without the token.
    pub async fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        with_csrf: bool,
    ) -> anyhow::Result<reqwest::Response> {
        let mut body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", form_encode(v)))
            .collect();
        if with_csrf {
            body.push(format!("_csrf={}", form_encode(&self.csrf)));
        }
        Ok(self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.join("&"))
            .send()
            .await?)
    }
}

/// A console sign-in through the form with `password`: the answer's status, where it sends
/// (`Location`), and the session cookie (`name=value`; empty when none came back).
pub async fn console_sign_in(
    server: &TestServer,
    user: &str,
    password: &str,
) -> anyhow::Result<(u16, String, String)> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let res = http
        .post(server.url("/console/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username={user}&password={}",
            form_encode(password)
        ))
        .send()
        .await?;
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("mandoob_console="))
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_owned();
    Ok((res.status().as_u16(), location, cookie))
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The repository's root folder.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The web app as the server serves it (`target/web`, built by `web/build.sh` when missing),
/// copied into a fresh folder that a test may change (a new version, a test page).
pub fn web_bundle() -> anyhow::Result<PathBuf> {
    let built = repo().join("target/web");
    if !built.join("mandoob-web_bg.wasm").exists()
        || !built.join("mandoob_web_worker_bg.wasm").exists()
    {
        let status = std::process::Command::new(repo().join("web/build.sh")).status()?;
        anyhow::ensure!(status.success(), "web/build.sh failed");
    }
    let web = temp_dir("web");
    copy_dir(&built, &web)?;
    Ok(web)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// A browser script (`tests/e2e/*.mjs`, playwright-core driving Debian's chromium) run by node,
/// talking in lines: the script says where it is on stdout, the test answers on stdin. Killed
/// when dropped, however the test ends.
#[derive(Debug)]
pub struct BrowserScript {
    child: std::process::Child,
    to_script: Option<std::process::ChildStdin>,
    from_script: tokio::sync::mpsc::UnboundedReceiver<String>,
}

impl BrowserScript {
    /// Starts `tests/e2e/{script}` with `env`; its stderr goes to the test's.
    pub fn start(script: &str, env: &[(&str, String)]) -> anyhow::Result<Self> {
        use std::io::BufRead;
        let e2e = repo().join("tests/e2e");
        anyhow::ensure!(
            e2e.join("node_modules/playwright-core").exists(),
            "playwright-core is not installed: run `npm ci` in tests/e2e (.ci/run does)"
        );
        anyhow::ensure!(
            std::path::Path::new("/usr/bin/chromium").exists(),
            "Debian's chromium is not installed (.ci/run installs it)"
        );
        let mut command = std::process::Command::new("node");
        command
            .arg(e2e.join(script))
            .current_dir(&e2e)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn()?;
        let to_script = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        // The script's lines, read on a thread (the reads block).
        let (tx, from_script) = tokio::sync::mpsc::unbounded_channel::<String>();
        std::thread::spawn(move || {
            for l in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            child,
            to_script,
            from_script,
        })
    }

    /// The script's next line (at most 5 minutes away).
    pub async fn next(&mut self) -> anyhow::Result<String> {
        tokio::time::timeout(std::time::Duration::from_secs(300), self.from_script.recv())
            .await?
            .ok_or_else(|| anyhow::anyhow!("the browser script ended early (see its output above)"))
    }

    /// Answers the script.
    pub fn say(&mut self, line: &str) -> anyhow::Result<()> {
        use std::io::Write;
        let to = self
            .to_script
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("the script's input is closed"))?;
        writeln!(to, "{line}")?;
        Ok(())
    }

    /// Waits for the script to end and fails unless it succeeded.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.to_script = None;
        let status = self.child.wait()?;
        anyhow::ensure!(status.success(), "the browser script failed: {status}");
        Ok(())
    }
}

impl Drop for BrowserScript {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
