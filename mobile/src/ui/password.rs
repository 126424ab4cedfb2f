//! Changing the password: from the sync screen, or before anything else when an administrator
//! reset it (the server refuses this device's sync until it is changed). Online only; a refusal
//! (a wrong current password, a common or short new one) is said beside the form and what was
//! typed stays.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_shared::sync::ApiErrorCode;

use crate::backend::{AppError, Backend};
use crate::state::*;

use super::{Ctx, SyncRequest, Texts, app_error_key};

#[component]
pub(super) fn PasswordScreen() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let forced = (ctx.must_change)();
    let mut current = use_signal(String::new);
    let mut new = use_signal(String::new);
    let mut repeat = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let mut done = use_signal(|| false);
    let mut busy = use_signal(|| false);
    let syncer = use_coroutine_handle::<SyncRequest>();
    let submit = move |e: FormEvent| {
        e.prevent_default();
        let backend = backend.clone();
        async move {
            error.set(None);
            done.set(false);
            if new() != repeat() {
                error.set(Some("password-mismatch".into()));
                return;
            }
            busy.set(true);
            let result = backend.change_password(&current(), &new()).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    current.set(String::new());
                    new.set(String::new());
                    repeat.set(String::new());
                    if (ctx.must_change)() {
                        ctx.must_change.set(false);
                        ctx.screen.set(Screen::Cases);
                        syncer.send(SyncRequest);
                    } else {
                        done.set(true);
                    }
                }
                Err(e) => {
                    tracing::info!(error = %e, "password not changed");
                    // On this form a wrong password can only be the current one.
                    let key = match e {
                        AppError::Server(Some(ApiErrorCode::SignInWrong)) => {
                            "password-current-wrong".to_owned()
                        }
                        other => app_error_key(&other),
                    };
                    error.set(Some(key));
                }
            }
        }
    };
    rsx! {
        form { class: "card", id: "password-form", onsubmit: submit,
            h2 { {tr.text("password-title")} }
            if forced {
                p { class: "hint", id: "password-forced", {tr.text("password-forced")} }
            }
            label { {tr.text(if forced { "password-given" } else { "password-current" })}
                input { id: "password-current", r#type: "password", dir: "ltr", autocomplete: "current-password",
                    required: true, value: current(), oninput: move |e| current.set(e.value()) }
            }
            label { {tr.text("password-new")}
                input { id: "password-new", r#type: "password", dir: "ltr", autocomplete: "new-password",
                    required: true, minlength: "12", maxlength: "1024", value: new(), oninput: move |e| new.set(e.value()) }
                span { class: "hint", {tr.text("password-rule")} }
            }
            label { {tr.text("password-repeat")}
                input { id: "password-repeat", r#type: "password", dir: "ltr", autocomplete: "new-password",
                    required: true, value: repeat(), oninput: move |e| repeat.set(e.value()) }
            }
            if let Some(key) = error() {
                p { class: "error", role: "alert", id: "password-error", {tr.text(&key)} }
            }
            if done() {
                p { class: "done", role: "status", id: "password-done", {tr.text("password-changed")} }
            }
            button { id: "password-submit", class: "primary", r#type: "submit", disabled: busy(),
                {tr.text("password-submit")}
            }
            if !forced {
                button { id: "password-back", r#type: "button", onclick: move |_| ctx.screen.set(Screen::Sync),
                    {tr.text("password-back")}
                }
            }
        }
    }
}
