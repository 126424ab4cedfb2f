//! One set of account rules: the command line (`admin create-user`, `admin create-branch`) and
//! the console's administration forms refuse the same usernames, passwords and branch codes,
//! and accept the same good ones (both call `service::accounts`).

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use mandoob_shared::ids::{BranchCode, UserId};
use mandoob_sync_server::{Settings, app, open_storage, state};

const ADMIN_PASSWORD: &str = "a-good-long-password";

const BAD_USERNAMES: &[&str] = &[
    "a",
    "has space",
    "مندوب",
    "semi;colon",
    "rep/1",
    "tab\tname",
];
const BAD_PASSWORDS: &[&str] = &[
    "short",
    "eleven-char",
    "           ",
    // Long enough, but common or easy to guess (one rule: `service::passwords`).
    "password1234",
    "Qwerty123456!",
    "aaaaaaaaaaaaaaaa",
    "good-name-good-name",
];
const BAD_BRANCHES: &[&str] = &["Q", "QRNQRNQ", "QR1", "Q-R", "ق"];

fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mandoob-account-rules-{name}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs `mandoob-sync-server admin …` on `dir`; whether it succeeded, and what it printed.
fn cli(dir: &Path, args: &[&str], password: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mandoob-sync-server"))
        .env("MANDOOB_DATA_DIR", dir)
        .env("MANDOOB_PASSWORD", password)
        .env("RUST_LOG", "error")
        .arg("admin")
        .args(args)
        .output()
        .expect("the server binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The console of the server on `dir`, signed in as `admin`.
struct Console {
    router: Router,
    cookie: String,
    csrf: String,
}

impl Console {
    async fn sign_in(dir: &Path) -> Self {
        let settings = Settings {
            data_dir: dir.to_owned(),
            ..Settings::default()
        };
        let storage = open_storage(&settings).expect("storage opens");
        let router = app(state(storage, &settings), &settings);
        let res = router
            .clone()
            .oneshot(
                Request::post("/console/sign-in")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(format!(
                        "username=admin&password={ADMIN_PASSWORD}"
                    )))
                    .expect("request"),
            )
            .await
            .expect("answer");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "admin signs in");
        let cookie = res
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("mandoob_console="))
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let mut console = Self {
            router,
            cookie,
            csrf: String::new(),
        };
        let (_, page) = console.get("/console/admin").await;
        console.csrf = page
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a CSRF token on the page")
            .to_owned();
        console
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let res = self
            .router
            .clone()
            .oneshot(
                Request::get(path)
                    .header(header::COOKIE, format!("{}; mandoob_lang=en", self.cookie))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("answer");
        read(res).await
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut fields = fields.to_vec();
        fields.push(("_csrf", &self.csrf));
        let body = serde_urlencoded::to_string(&fields).expect("form");
        let res = self
            .router
            .clone()
            .oneshot(
                Request::post(path)
                    .header(header::COOKIE, format!("{}; mandoob_lang=en", self.cookie))
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await
            .expect("answer");
        read(res).await
    }
}

async fn read(res: axum::response::Response) -> (StatusCode, String) {
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// A branch and an administrator, made on the command line.
fn seeded(name: &str) -> PathBuf {
    let dir = data_dir(name);
    let (ok, out) = cli(&dir, &["create-branch", "QRN", "القرين"], "");
    assert!(ok, "{out}");
    let (ok, out) = cli(
        &dir,
        &["create-user", "admin", "Admin", "administrator", "QRN"],
        ADMIN_PASSWORD,
    );
    assert!(ok, "{out}");
    dir
}

#[tokio::test]
async fn the_command_line_and_the_console_refuse_the_same_accounts() {
    let dir = seeded("users");
    let console = Console::sign_in(&dir).await;
    let storage = open_storage(&Settings {
        data_dir: dir.clone(),
        ..Settings::default()
    })
    .expect("storage");

    let mut cases: Vec<(String, &str, &str)> = Vec::new();
    for name in BAD_USERNAMES {
        cases.push(((*name).to_owned(), ADMIN_PASSWORD, "QRN"));
    }
    for password in BAD_PASSWORDS {
        cases.push(("good-name".to_owned(), password, "QRN"));
    }
    // A branch that does not exist.
    cases.push(("good-name".to_owned(), ADMIN_PASSWORD, "JHR"));
    for (username, password, branch) in &cases {
        let (ok, out) = cli(
            &dir,
            &["create-user", username, "Name", "representative", branch],
            password,
        );
        assert!(
            !ok,
            "the command line took {username:?} / {password:?} / {branch}"
        );
        assert!(out.contains("Error"), "{out}");
        let (status, page) = console
            .post(
                "/console/admin/users",
                &[
                    ("username", username),
                    ("display_name", "Name"),
                    ("role", "representative"),
                    ("branch", branch),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "the console took {username:?} / {password:?} / {branch}"
        );
        assert!(
            page.contains("role=\"alert\"") && page.contains("<html lang=\"en\""),
            "the refusal is a page in the user's language: {page}"
        );
        let stored = storage
            .user(&UserId::new(username.trim().to_lowercase()))
            .await
            .expect("lookup");
        assert!(stored.is_none(), "{username:?} was stored");
    }

    // The same good accounts pass both ways, and taking a name twice is refused both ways.
    let (ok, out) = cli(
        &dir,
        &["create-user", "rep.one", "Rep One", "representative", "QRN"],
        ADMIN_PASSWORD,
    );
    assert!(ok, "{out}");
    let (ok, _) = cli(
        &dir,
        &["create-user", "rep.one", "Again", "representative", "QRN"],
        ADMIN_PASSWORD,
    );
    assert!(!ok, "a username was taken twice on the command line");
    let form = |name: &'static str| {
        [
            ("username", name),
            ("display_name", "Rep Two"),
            ("role", "representative"),
            ("branch", "QRN"),
            ("password", ADMIN_PASSWORD),
        ]
    };
    let (status, _) = console.post("/console/admin/users", &form("rep_two")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = console.post("/console/admin/users", &form("rep.one")).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Both are audited, the command line's under a name no account can have.
    let log = storage.audit_log(50).await.expect("audit log");
    assert!(log.iter().any(|e| e.action == "create-user"
        && e.target == "rep.one"
        && e.user.as_str().starts_with("cli:")));
    assert!(
        log.iter().any(|e| e.action == "create-user"
            && e.target == "rep_two"
            && e.user.as_str() == "admin")
    );
}

#[tokio::test]
async fn the_command_line_and_the_console_refuse_the_same_branches() {
    let dir = seeded("branches");
    let console = Console::sign_in(&dir).await;
    let storage = open_storage(&Settings {
        data_dir: dir.clone(),
        ..Settings::default()
    })
    .expect("storage");
    for code in BAD_BRANCHES {
        let (ok, out) = cli(&dir, &["create-branch", code, "فرع"], "");
        assert!(!ok, "the command line took branch {code:?}: {out}");
        let (status, page) = console
            .post(
                "/console/admin/branches",
                &[("code", code), ("name", "فرع")],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "the console took {code:?}");
        assert!(page.contains("role=\"alert\""), "{page}");
    }
    // A name is required both ways.
    assert!(!cli(&dir, &["create-branch", "JHR", " "], "").0);
    let (status, _) = console
        .post("/console/admin/branches", &[("code", "JHR"), ("name", " ")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let branches = storage.branches().await.expect("branches");
    assert_eq!(
        branches,
        vec![(BranchCode::new("QRN"), "القرين".to_owned())]
    );

    // Good codes pass both ways (lower case is read as capitals), and twice is refused.
    assert!(cli(&dir, &["create-branch", "jhr", "الجهراء"], "").0);
    assert!(!cli(&dir, &["create-branch", "JHR", "الجهراء"], "").0);
    let (status, _) = console
        .post(
            "/console/admin/branches",
            &[("code", "ahm"), ("name", "الأحمدي")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = console
        .post("/console/admin/branches", &[("code", "JHR"), ("name", "x")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let codes: Vec<String> = storage
        .branches()
        .await
        .expect("branches")
        .into_iter()
        .map(|(c, _)| c.as_str().to_owned())
        .collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
    assert!(codes.contains(&"AHM".to_owned()) && codes.contains(&"JHR".to_owned()));
}

#[tokio::test]
async fn revoking_a_device_on_the_command_line_is_audited() {
    let dir = seeded("revoke");
    let (ok, out) = cli(&dir, &["revoke-device", "NO-SUCH-DEVICE"], "");
    assert!(!ok && out.contains("no device"), "{out}");
    let settings = Settings {
        data_dir: dir.clone(),
        ..Settings::default()
    };
    let storage = open_storage(&settings).expect("storage");
    let device = storage
        .create_device(&UserId::new("admin"), "phone", b"token-hash", 0)
        .await
        .expect("device");
    let (ok, out) = cli(&dir, &["revoke-device", device.as_str()], "");
    assert!(ok, "{out}");
    let log = storage.audit_log(10).await.expect("audit log");
    assert!(
        log.iter().any(|e| e.action == "revoke-device"
            && e.target == device.as_str()
            && e.user.as_str().starts_with("cli:")),
        "{log:?}"
    );
}

#[tokio::test]
async fn the_command_line_resets_passwords_and_changes_roles() {
    let dir = seeded("reset");
    let storage = open_storage(&Settings {
        data_dir: dir.clone(),
        ..Settings::default()
    })
    .expect("storage");
    let (ok, out) = cli(
        &dir,
        &["create-user", "clerk", "Clerk", "committee", "QRN"],
        ADMIN_PASSWORD,
    );
    assert!(ok, "{out}");
    // The same rule as the console.
    let (ok, out) = cli(&dir, &["reset-password", "clerk"], "password1234");
    assert!(!ok && out.contains("too common"), "{out}");
    let (ok, out) = cli(&dir, &["reset-password", "nobody"], "a fresh long phrase");
    assert!(!ok && out.contains("no user"), "{out}");
    let (ok, out) = cli(&dir, &["reset-password", "clerk"], "a fresh long phrase");
    assert!(ok, "{out}");
    let clerk = storage
        .user(&UserId::new("clerk"))
        .await
        .expect("lookup")
        .expect("clerk");
    assert!(clerk.must_change_password, "changed at the next sign-in");
    let (ok, out) = cli(&dir, &["set-role", "clerk", "social-researcher"], "");
    assert!(ok, "{out}");
    let (ok, out) = cli(&dir, &["set-role", "clerk", "king"], "");
    assert!(!ok && out.contains("unknown role"), "{out}");
    let clerk = storage
        .user(&UserId::new("clerk"))
        .await
        .expect("lookup")
        .expect("clerk");
    assert_eq!(clerk.role, mandoob_shared::workflow::Role::SocialResearcher);
    let log = storage.audit_log(20).await.expect("audit log");
    for action in ["reset-password", "change-role"] {
        assert!(
            log.iter().any(|e| e.action == action
                && e.target == "clerk"
                && e.user.as_str().starts_with("cli:")),
            "{action}: {log:?}"
        );
    }
}

#[test]
fn a_first_start_with_nobody_to_answer_does_not_start_without_an_administrator() {
    let dir = data_dir("first-start");
    let out = Command::new(env!("CARGO_BIN_EXE_mandoob-sync-server"))
        .env("MANDOOB_DATA_DIR", &dir)
        .env("MANDOOB_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "error")
        .arg("serve")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the server binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("No administrator account yet"), "{text}");
    assert!(text.contains("admin create-user"), "{text}");
}
