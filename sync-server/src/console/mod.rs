//! The HQ console (DESIGN §6): server-rendered pages for the committee, the social-research
//! officers and administrators, Arabic and right-to-left first. Plain links and forms, no
//! script: every page works in any browser, and tests drive it like a person would.
//!
//! Security:
//! - Sign-in with the account's password (argon2id), within the sign-in limits shared with the
//!   device API ([`crate::sign_in_limits`]); representatives cannot use the console at all.
//! - A random session token in an `HttpOnly`, `SameSite=Strict` cookie (also `Secure` when
//!   the request came over HTTPS through a proxy), stored hashed, expiring after
//!   [`SESSION_HOURS`].
//! - Every `POST` except the sign-in itself must carry the session's CSRF token in the form
//!   field `_csrf` ([`csrf_guard`]); the sign-in refuses a cross-site `Origin`.
//! - Every case, photo, queue row and export is limited to the user's scope (a social-research
//!   officer sees their branch).

//!
//! A thin adapter: handlers check the user's role with `mandoob_shared::access`, call
//! [`crate::service`] and render; failures are [`ConsoleError`]s, shown as pages in the
//! user's language.

mod admin;
mod audit;
mod case;
mod dashboard;
mod error;
mod export;
mod households;
mod password;
mod queue;
mod sign_in;
mod view;

pub use error::ConsoleError;
pub use view::{amount, date, date_of, date_time_of, day, kwd, ltr, reference, typed, when};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::Utc;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use mandoob_shared::access::{self, Scope};
use mandoob_shared::i18n::{Lang, Translator};
use mandoob_shared::workflow::Role;

use crate::auth;
use crate::service::audit::{self as audit_log, By};
use crate::sign_in_limits::MAX_SIGN_IN_BODY;
use crate::state::AppState;
use crate::storage::ConsoleSession;

/// How long a console session lasts.
pub const SESSION_HOURS: i64 = 12;
const SESSION_COOKIE: &str = "mandoob_console";
const LANG_COOKIE: &str = "mandoob_lang";

/// The console's routes, under `/console`.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/queue") }))
        .route(
            "/console/",
            get(|| async { Redirect::to("/console/queue") }),
        )
        .route("/console/static/console.css", get(stylesheet))
        .route("/console/lang/{tag}", get(switch_language))
        .route(
            "/console/sign-in",
            get(sign_in::sign_in_page)
                .post(sign_in::sign_in)
                .layer(DefaultBodyLimit::max(MAX_SIGN_IN_BODY)),
        )
        .route("/console/sign-out", post(sign_in::sign_out))
        .route("/console/queue", get(queue::queue))
        .route("/console/referrals", get(queue::referrals))
        .route("/console/households", get(households::households))
        .route("/console/cases/{id}", get(case::view))
        .route("/console/cases/{id}/decide", post(case::decide))
        .route("/console/cases/{id}/resolve", post(case::resolve))
        .route("/console/cases/{id}/answer", post(case::answer_referral))
        .route("/console/blobs/{sha}", get(case::blob))
        .route("/console/dashboard", get(dashboard::dashboard))
        .route("/console/admin", get(admin::page))
        .route(
            "/console/admin/devices/{code}/revoke",
            get(admin::confirm_revoke).post(admin::revoke),
        )
        .route("/console/admin/users/{id}/active", post(admin::set_active))
        .route("/console/admin/users/{id}/unlock", post(admin::unlock))
        .route("/console/admin/users", post(admin::create_user))
        .route("/console/admin/branches", post(admin::create_branch))
        .route("/console/admin/sla", post(admin::set_sla))
        .route("/console/admin/library", post(admin::publish))
        .route("/console/admin/library/{id}/retire", post(admin::retire))
        .route(password::PATH, get(password::page).post(password::change))
        .route("/console/admin/users/{id}", get(admin::user_page))
        .route("/console/admin/users/{id}/role", post(admin::set_role))
        .route(
            "/console/admin/users/{id}/password",
            post(admin::reset_password),
        )
        .route(
            "/console/admin/devices/{code}/approve",
            post(admin::approve),
        )
        .route("/console/admin/held/{id}/apply", post(admin::apply_held))
        .route(
            "/console/admin/held/{id}/discard",
            post(admin::discard_held),
        )
        .route("/console/audit", get(audit::audit))
        .route("/console/audit.csv", get(audit::export))
        .route("/console/export/{file}", get(export::export))
        .layer(axum::middleware::from_fn(error::render_failures))
        .layer(axum::middleware::from_fn_with_state(state, csrf_guard))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../../assets/console.css"),
    )
        .into_response()
}

/// The language of a request: its cookie, else Arabic.
fn lang_of(jar: &CookieJar) -> Lang {
    jar.get(LANG_COOKIE)
        .and_then(|c| Lang::from_tag(c.value()))
        .unwrap_or_default()
}

/// A signed-in console user on a request, with their language.
pub struct Console {
    pub session: ConsoleSession,
    pub lang: Lang,
    pub t: Translator,
}

impl Console {
    /// Which cases this user may see.
    pub fn scope(&self) -> Scope {
        access::scope_of(self.session.user.role, &self.session.user.branch)
    }

    pub fn role(&self) -> Role {
        self.session.user.role
    }

    /// Refuses users whose role the access rule `allowed` (from `mandoob_shared::access`)
    /// does not admit.
    pub fn require(&self, allowed: fn(Role) -> bool) -> Result<(), ConsoleError> {
        if allowed(self.role()) {
            Ok(())
        } else {
            Err(ConsoleError::forbidden())
        }
    }

    /// The signed-in user, as the author of audited changes.
    pub fn by(&self) -> By {
        By(self.session.user.id.clone())
    }

    /// Records an action in the audit log.
    pub async fn audit(&self, state: &AppState, action: &str, target: &str, detail: &str) {
        audit_log::record(state.storage.as_ref(), &self.by(), action, target, detail).await;
    }
}

fn session_hash(jar: &CookieJar) -> Option<Vec<u8>> {
    jar.get(SESSION_COOKIE).map(|c| auth::token_hash(c.value()))
}

async fn session_of(state: &AppState, jar: &CookieJar) -> Option<ConsoleSession> {
    let hash = session_hash(jar)?;
    match state
        .storage
        .console_session(&hash, Utc::now().timestamp_millis())
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "console session lookup failed");
            None
        }
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = lang_of(&jar);
        let session = match parts.extensions.get::<ConsoleSession>() {
            Some(s) => s.clone(),
            None => session_of(state, &jar)
                .await
                .ok_or_else(|| Redirect::to("/console/sign-in").into_response())?,
        };
        if !access::may_use_console(session.user.role) {
            // Representatives work in the field app; the console is headquarters'.
            return Err(message_page(
                lang,
                StatusCode::FORBIDDEN,
                "console-representatives-refused",
            ));
        }
        if session.user.must_change_password && parts.uri.path() != password::PATH {
            // A password an administrator set is changed before anything else.
            return Err(Redirect::to(password::PATH).into_response());
        }
        Ok(Self {
            session,
            lang,
            t: Translator::new(lang),
        })
    }
}

/// Equal strings, compared in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Refuses any `POST` (but the sign-in) whose form does not carry the session's CSRF token.
async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || req.uri().path() == "/console/sign-in" {
        return next.run(req).await;
    }
    let jar = CookieJar::from_headers(req.headers());
    let lang = lang_of(&jar);
    let Some(session) = session_of(&state, &jar).await else {
        return Redirect::to("/console/sign-in").into_response();
    };
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return message_page(
            lang,
            StatusCode::PAYLOAD_TOO_LARGE,
            "console-form-too-large",
        );
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let sent = fields.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v);
    if !sent.is_some_and(|t| same_secret(t, &session.csrf)) {
        tracing::warn!(user = %session.user.id, path = %parts.uri.path(), "form without a valid CSRF token refused");
        return message_page(lang, StatusCode::FORBIDDEN, "console-csrf-refused");
    }
    parts.extensions.insert(session);
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A page with one translated message (errors, refusals).
pub fn message_page(lang: Lang, status: StatusCode, key: &str) -> Response {
    let t = Translator::new(lang);
    let body = html! {
        (DOCTYPE)
        html lang=(lang.tag()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t.text("console-title")) }
                link rel="stylesheet" href="/console/static/console.css";
            }
            body.message {
                main {
                    p.error role="alert" { (t.text(key)) }
                    p { a href="/console/queue" { (t.text("console-back")) } }
                }
            }
        }
    };
    (status, body).into_response()
}

/// The frame of every signed-in page: navigation for the user's role, language, sign-out.
pub fn layout(cx: &Console, active: &str, title: &str, body: Markup) -> Markup {
    layout_with_heading(cx, active, title, html! { (title) }, body)
}

/// [`layout`] with a heading that is more than its title's text (a case's reference and head,
/// each isolated).
pub fn layout_with_heading(
    cx: &Console,
    active: &str,
    title: &str,
    heading: Markup,
    body: Markup,
) -> Markup {
    let t = &cx.t;
    let role = cx.role();
    let mut links: Vec<(&str, &str, &str)> = Vec::new();
    if access::sees_queue(role) {
        links.push(("queue", "/console/queue", "console-nav-queue"));
    }
    links.push(("referrals", "/console/referrals", "console-nav-referrals"));
    links.push((
        "households",
        "/console/households",
        "console-nav-households",
    ));
    if access::sees_queue(role) {
        links.push(("dashboard", "/console/dashboard", "console-nav-dashboard"));
        links.push(("export", "/console/dashboard#export", "console-nav-export"));
    }
    if access::may_administer(role) {
        links.push(("admin", "/console/admin", "console-nav-admin"));
        links.push(("audit", "/console/audit", "console-nav-audit"));
    }
    links.push(("password", password::PATH, "console-password-link"));
    let other = match cx.lang {
        Lang::Ar => Lang::En,
        Lang::En => Lang::Ar,
    };
    html! {
        (DOCTYPE)
        html lang=(cx.lang.tag()) dir=(cx.lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t.text("console-title")) }
                link rel="stylesheet" href="/console/static/console.css";
            }
            body {
                header.top {
                    strong.brand { (t.text("console-title")) }
                    nav {
                        @for (id, href, key) in &links {
                            a href=(href) aria-current=[(*id == active).then_some("page")] { (t.text(key)) }
                        }
                    }
                    span.who { bdi { (cx.session.user.display_name) } " · " (t.text(&role.label_key())) }
                    a.lang href=(format!("/console/lang/{}", other.tag())) hreflang=(other.tag()) lang=(other.tag()) dir=(other.dir()) { (t.text("language-switch")) }
                    form.inline method="post" action="/console/sign-out" {
                        input type="hidden" name="_csrf" value=(cx.session.csrf);
                        button type="submit" { (t.text("console-sign-out")) }
                    }
                }
                main {
                    h1 { (heading) }
                    (body)
                }
            }
        }
    }
}

/// What codes stand for on a page: branches and people by name (a code without one shows as
/// itself).
#[derive(Debug, Clone, Default)]
pub struct Names {
    branches: std::collections::HashMap<String, String>,
    people: std::collections::HashMap<String, String>,
}

impl Names {
    pub async fn load(state: &AppState) -> Result<Self, ConsoleError> {
        let branches = state.storage.branches().await?;
        let users = state.storage.users().await?;
        Ok(Self {
            branches: branches
                .into_iter()
                .map(|(code, name)| (code.as_str().to_owned(), name))
                .collect(),
            people: users
                .into_iter()
                .map(|u| (u.id.as_str().to_owned(), u.display_name))
                .collect(),
        })
    }

    /// A branch's name.
    pub fn branch<'a>(&'a self, code: &'a str) -> &'a str {
        self.branches.get(code).map_or(code, String::as_str)
    }

    /// A person's name.
    pub fn person<'a>(&'a self, id: &'a str) -> &'a str {
        self.people.get(id).map_or(id, String::as_str)
    }
}

/// A hidden CSRF field for a form.
pub fn csrf_field(cx: &Console) -> Markup {
    html! { input type="hidden" name="_csrf" value=(cx.session.csrf); }
}

#[derive(Deserialize)]
struct LangQuery {
    back: Option<String>,
}

async fn switch_language(
    Path(tag): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Response {
    let lang = Lang::from_tag(&tag).unwrap_or_default();
    // Back to the page the user was on, if it is a console page.
    let back = q
        .back
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(|r| r.find("/console").map(|i| r[i..].to_owned()))
        })
        .filter(|b| b.starts_with("/console") && !b.starts_with("/console/lang"))
        .unwrap_or_else(|| "/console/queue".into());
    let cookie = Cookie::build((LANG_COOKIE, lang.tag()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(time_days(365))
        .build();
    (jar.add(cookie), Redirect::to(&back)).into_response()
}

fn time_days(days: i64) -> time::Duration {
    time::Duration::days(days)
}

/// The fuzz target's body for the console's forms (`crate::fuzzing::console_forms`): every
/// form decoded as its handler decodes it, and parsed as its handler parses it.
#[doc(hidden)]
pub fn fuzz_forms(data: &[u8]) {
    let _ = serde_urlencoded::from_bytes::<sign_in::SignInForm>(data);
    password::fuzz_form(data);
    if let Ok(form) = serde_urlencoded::from_bytes::<case::DecideForm>(data)
        && let Some((_, request)) = form.parse()
    {
        let location = format!(
            "/console/cases/0190a0b1-2c3d-7e4f-8a9b-0c1d2e3f4a5b?error=x#request-{request}"
        );
        assert!(
            axum::http::HeaderValue::try_from(location).is_ok(),
            "a parsed decision redirects to a valid location"
        );
    }
    if let Ok(form) = serde_urlencoded::from_bytes::<case::ResolveForm>(data) {
        let _ = form.parse();
    }
    let _ = serde_urlencoded::from_bytes::<case::AnswerForm>(data);
    admin::fuzz_forms(data);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message key the console's code names exists in both languages.
    #[test]
    fn every_console_message_is_translated() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("sign_in.rs"),
            include_str!("view.rs"),
            include_str!("queue.rs"),
            include_str!("case/mod.rs"),
            include_str!("case/requests.rs"),
            include_str!("case/sections.rs"),
            include_str!("case/actions.rs"),
            include_str!("dashboard.rs"),
            include_str!("admin/mod.rs"),
            include_str!("admin/page.rs"),
            include_str!("admin/user.rs"),
            include_str!("admin/held.rs"),
            include_str!("password.rs"),
            include_str!("audit.rs"),
            include_str!("export.rs"),
            include_str!("households.rs"),
            include_str!("error.rs"),
            include_str!("../service/accounts.rs"),
            include_str!("../service/passwords.rs"),
        ];
        let mut keys: Vec<String> = sources
            .iter()
            .flat_map(|s| s.split('"').skip(1).step_by(2))
            .filter(|k| {
                k.starts_with("console-")
                    && k.len() > "console-".len()
                    && !k.ends_with('-')
                    && k.bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit())
            })
            .map(str::to_owned)
            .collect();
        // Keys made with format!.
        for kind in ["accepted", "rejected", "info-requested"] {
            keys.push(format!("console-done-{kind}"));
        }
        for what in ["cases", "requests", "services", "surveys"] {
            keys.push(format!("console-export-{what}"));
        }
        for question in [
            "reason-for-request",
            "other-support",
            "health-needs",
            "debts",
            "follow-up",
        ] {
            keys.push(format!("console-question-{question}"));
        }
        for action in crate::service::audit::ACTIONS {
            keys.push(format!("console-audit-{action}"));
        }
        assert!(keys.len() > 100, "found {} keys", keys.len());
        for lang in Lang::ALL {
            let t = Translator::new(lang);
            for k in &keys {
                assert!(t.has(k), "{k} is missing in {}", lang.tag());
            }
        }
    }

    #[test]
    fn secrets_compare_equal_only_when_equal() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", "a"));
    }
}
