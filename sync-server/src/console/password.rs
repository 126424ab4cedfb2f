//! Changing one's own password in the console (`/console/password`). A user whose password an
//! administrator reset is sent here from every other page until they have chosen their own.
//! The rule and the check of the current password are [`crate::service::passwords`]'.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use maud::{Markup, html};
use serde::Deserialize;

use super::{Console, ConsoleError, csrf_field, layout, session_hash};
use crate::service::ServiceError;
use crate::service::accounts::Rule;
use crate::service::passwords;
use crate::sign_in_limits::ClientAddress;
use crate::state::AppState;

/// The page's path: the one page open to a user who must change their password.
pub const PATH: &str = "/console/password";

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    done: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

/// Which field was refused, and why (a message key, maybe with the seconds to wait).
struct Refused {
    field: &'static str,
    message: String,
}

fn form(cx: &Console, done: bool, refused: Option<&Refused>) -> Markup {
    let t = &cx.t;
    let invalid = |f: &str| refused.is_some_and(|r| r.field == f).then_some("true");
    let described = |f: &str| invalid(f).map(|_| format!("password-{f}-error"));
    let error = |f: &str| {
        html! {
            @if let Some(r) = refused.filter(|r| r.field == f) {
                span.field-error id=(format!("password-{f}-error")) role="alert" { (r.message) }
            }
        }
    };
    let body = html! {
        @if done {
            p.done role="status" { (t.text("console-done-password-changed")) }
        }
        @if cx.session.user.must_change_password {
            p.notice role="status" { (t.text("console-password-must-change")) }
        }
        form.card #change-password method="post" action=(PATH) {
            (csrf_field(cx))
            // For password managers: whose password this is.
            input type="hidden" name="username" autocomplete="username" value=(cx.session.user.id.as_str());
            label { (t.text("console-password-current"))
                input name="current" type="password" required autocomplete="current-password"
                    aria-invalid=[invalid("current")] aria-describedby=[described("current")];
                (error("current"))
            }
            label { (t.text("console-password-new"))
                input name="new" type="password" required minlength="12" maxlength="1024" autocomplete="new-password"
                    aria-invalid=[invalid("new")] aria-describedby=[described("new")];
                (error("new"))
                span.hint { (t.text("console-password-rule")) }
            }
            label { (t.text("console-password-repeat"))
                input name="repeat" type="password" required autocomplete="new-password"
                    aria-invalid=[invalid("repeat")] aria-describedby=[described("repeat")];
                (error("repeat"))
            }
            button type="submit" { (t.text("console-password-change")) }
        }
    };
    layout(cx, "password", &t.text("console-password-title"), body)
}

pub async fn page(cx: Console, Query(q): Query<Done>) -> Markup {
    form(&cx, q.done == "yes", None)
}

pub async fn change(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    cx: Console,
    axum::Form(f): axum::Form<PasswordForm>,
) -> Result<Response, ConsoleError> {
    let t = &cx.t;
    let refuse = |status: StatusCode, field: &'static str, message: String| {
        let refused = Refused { field, message };
        Ok((status, form(&cx, false, Some(&refused))).into_response())
    };
    if f.new != f.repeat {
        return refuse(
            StatusCode::BAD_REQUEST,
            "repeat",
            t.text("console-password-mismatch"),
        );
    }
    let keep = session_hash(&jar);
    match passwords::change_own(
        &state,
        address,
        &cx.session.user.id,
        &f.current,
        &f.new,
        keep.as_deref(),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("{PATH}?done=yes")).into_response()),
        Err(ServiceError::Rule(rule)) => {
            let (status, field) = match rule {
                Rule::WrongPassword => (StatusCode::UNAUTHORIZED, "current"),
                Rule::Wait(_) => (StatusCode::TOO_MANY_REQUESTS, "current"),
                Rule::Locked => (StatusCode::FORBIDDEN, "current"),
                Rule::Busy => (StatusCode::SERVICE_UNAVAILABLE, "current"),
                _ => (StatusCode::BAD_REQUEST, "new"),
            };
            let message = match rule {
                Rule::Wait(seconds) => t.text_with(
                    "console-password-wait",
                    &[("seconds", &seconds.to_string())],
                ),
                other => t.text(other.key()),
            };
            refuse(status, field, message)
        }
        Err(e) => Err(e.into()),
    }
}

/// Decodes the form as its handler does (`super::fuzz_forms`).
pub(super) fn fuzz_form(data: &[u8]) {
    let _ = serde_urlencoded::from_bytes::<PasswordForm>(data);
}
