//! Signing in to the console and out: the form, the password check within the sign-in limits
//! shared with the device API, the session cookie.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::Utc;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use mandoob_shared::access;
use mandoob_shared::i18n::{Lang, Translator};
use mandoob_shared::workflow::Role;

use super::{
    ConsoleError, SESSION_COOKIE, SESSION_HOURS, lang_of, message_page, session_hash, session_of,
};
use crate::auth;
use crate::service::accounts::{SignIn, verify_sign_in};
use crate::service::audit::{self, By};
use crate::sign_in_limits::{ClientAddress, MAX_USERNAME_CHARS};
use crate::state::AppState;

pub(super) fn sign_in_form(lang: Lang, error: Option<&str>, username: &str) -> Markup {
    let t = Translator::new(lang);
    let other = match lang {
        Lang::Ar => Lang::En,
        Lang::En => Lang::Ar,
    };
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t.text("console-sign-in")) " · " (t.text("console-title")) }
                link rel="stylesheet" href="/console/static/console.css";
            }
            body.sign-in {
                main {
                    h1 { (t.text("console-title")) }
                    p { (t.text("society-name")) }
                    @if let Some(e) = error { p.error role="alert" { (e) } }
                    form method="post" action="/console/sign-in" {
                        label { (t.text("signin-username")) input name="username" autocomplete="username" value=(username) required; }
                        label { (t.text("signin-password")) input name="password" type="password" autocomplete="current-password" required; }
                        button type="submit" { (t.text("console-sign-in")) }
                    }
                    p { a href=(format!("/console/lang/{}?back=/console/sign-in", other.tag())) hreflang=(other.tag()) lang=(other.tag()) dir=(other.dir()) { (t.text("language-switch")) } }
                }
            }
        }
    }
}

pub(super) async fn sign_in_page(State(state): State<AppState>, jar: CookieJar) -> Response {
    if session_of(&state, &jar).await.is_some() {
        return Redirect::to("/console/queue").into_response();
    }
    sign_in_form(lang_of(&jar), None, "").into_response()
}

#[derive(Deserialize)]
pub(super) struct SignInForm {
    username: String,
    password: String,
}

/// Whether a request's `Origin`, when sent, is this server.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host)
}

fn over_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

pub(super) async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    axum::Form(form): axum::Form<SignInForm>,
) -> Response {
    let lang = lang_of(&jar);
    let t = Translator::new(lang);
    if !same_origin(&headers) {
        return message_page(lang, StatusCode::FORBIDDEN, "console-csrf-refused");
    }
    // The form again with why it was refused (the username kept, cut as the limits cut it).
    let refused = |status: StatusCode, message: String, retry: Option<u64>| {
        let typed: String = form.username.chars().take(MAX_USERNAME_CHARS).collect();
        let mut response = (status, sign_in_form(lang, Some(&message), &typed)).into_response();
        if let Some(seconds) = retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    };
    let user = match verify_sign_in(&state, address, &form.username, &form.password).await {
        Ok(SignIn::Ok(user)) => user,
        Ok(SignIn::Wrong) => {
            return refused(
                StatusCode::UNAUTHORIZED,
                t.text("console-wrong-password"),
                None,
            );
        }
        Ok(SignIn::Wait(wait)) => {
            let seconds = wait.as_secs().max(1);
            let message = if seconds < 60 {
                t.text_with("console-wait-seconds", &[("seconds", &seconds.to_string())])
            } else {
                let minutes = seconds.div_ceil(60).to_string();
                t.text_with("console-wait-minutes", &[("minutes", &minutes)])
            };
            return refused(StatusCode::TOO_MANY_REQUESTS, message, Some(seconds));
        }
        Ok(SignIn::Locked) => {
            return refused(
                StatusCode::FORBIDDEN,
                t.text("console-account-locked"),
                None,
            );
        }
        Ok(SignIn::Busy) => {
            return refused(
                StatusCode::SERVICE_UNAVAILABLE,
                t.text("console-busy"),
                Some(1),
            );
        }
        Err(e) => return ConsoleError::from(e).into_response(),
    };
    if !access::may_use_console(user.role) {
        return (
            StatusCode::FORBIDDEN,
            sign_in_form(
                lang,
                Some(&t.text("console-representatives-refused")),
                &form.username,
            ),
        )
            .into_response();
    }
    let (Ok((token, hash)), Ok((csrf, _))) = (auth::new_token(), auth::new_token()) else {
        return message_page(lang, StatusCode::INTERNAL_SERVER_ERROR, "console-failed");
    };
    let expires = Utc::now().timestamp_millis() + SESSION_HOURS * 3_600_000;
    if let Err(e) = state
        .storage
        .create_console_session(&hash, &user.id, &csrf, expires)
        .await
    {
        tracing::error!(error = %e, "could not create a console session");
        return message_page(lang, StatusCode::INTERNAL_SERVER_ERROR, "console-failed");
    }
    tracing::info!(user = %user.id, "console sign-in");
    audit::record(
        state.storage.as_ref(),
        &By(user.id.clone()),
        "sign-in",
        "console",
        "",
    )
    .await;
    let cookie = Cookie::build((SESSION_COOKIE, token))
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(over_https(&headers))
        .max_age(time::Duration::hours(SESSION_HOURS))
        .build();
    let home = match user.role {
        _ if user.must_change_password => super::password::PATH,
        Role::SocialResearcher => "/console/referrals",
        _ => "/console/queue",
    };
    (jar.add(cookie), Redirect::to(home)).into_response()
}

pub(super) async fn sign_out(State(state): State<AppState>, jar: CookieJar) -> Response {
    if let Some(hash) = session_hash(&jar)
        && let Err(e) = state.storage.delete_console_session(&hash).await
    {
        tracing::error!(error = %e, "could not end a console session");
    }
    let gone = Cookie::build((SESSION_COOKIE, "")).path("/console").build();
    (jar.remove(gone), Redirect::to("/console/sign-in")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_must_be_this_server() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(
            same_origin(&h),
            "no Origin (older browsers, curl) is allowed"
        );
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(!same_origin(&h));
    }
}
