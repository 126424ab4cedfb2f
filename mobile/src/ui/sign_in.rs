//! The sign-in screen (server, user name, password).

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_shared::ids::*;

use crate::backend::Backend;
use crate::platform::HomeServer;
use crate::state::*;

use super::{Ctx, SyncRequest, Texts, app_error_key};

#[component]
pub(super) fn SignIn() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let home = try_use_context::<HomeServer>().unwrap_or_default();
    let mut server = use_signal(move || home.0.clone());
    let mut username = use_signal(String::new);
    let mut password = use_signal(String::new);
    // This device's name, as the administrator will see it (the browser's guess, editable).
    let mut device_name = use_signal(String::new);
    use_future(move || async move {
        let guess = crate::platform::device_name_guess().await;
        if device_name.peek().is_empty() {
            device_name.set(guess);
        }
    });
    let mut error = use_signal(|| None::<String>);
    let mut busy = use_signal(|| false);
    let (revoked, wiped) = {
        let view = (ctx.sync)();
        (view.revoked, view.wiped)
    };
    let syncer = use_coroutine_handle::<SyncRequest>();
    let submit = move |_| {
        let backend = backend.clone();
        async move {
            busy.set(true);
            error.set(None);
            let result = backend
                .sign_in(&server(), &username(), &password(), device_name().trim())
                .await;
            busy.set(false);
            match result {
                Ok(signed) => {
                    let c = signed.credentials;
                    ctx.user_id.set(Some(UserId::new(c.username)));
                    ctx.user.set(Some(c.display_name));
                    ctx.sync.write().revoked = false;
                    ctx.sync.write().wiped = false;
                    password.set(String::new());
                    if signed.must_change_password {
                        ctx.must_change.set(true);
                        ctx.screen.set(Screen::Password);
                    } else {
                        ctx.screen.set(if signed.pending_approval {
                            Screen::Sync
                        } else {
                            Screen::Cases
                        });
                        syncer.send(SyncRequest);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "sign-in failed");
                    error.set(Some(app_error_key(&e)));
                }
            }
        }
    };
    rsx! {
        section { class: "card",
            h2 { {tr.text("signin-title")} }
            if wiped {
                p { class: "error", role: "alert", {tr.text("revoked-wiped-message")} }
            } else if revoked {
                p { class: "error", {tr.text("revoked-message")} }
            }
            p { class: "hint", {tr.text("signin-note")} }
            label { {tr.text("signin-server")}
                input { id: "server", r#type: "url", dir: "ltr", value: server(),
                    oninput: move |e| server.set(e.value()) }
            }
            label { {tr.text("signin-username")}
                input { id: "username", dir: "ltr", autocomplete: "username", value: username(),
                    oninput: move |e| username.set(e.value()) }
            }
            label { {tr.text("signin-password")}
                input { id: "password", r#type: "password", dir: "ltr", value: password(),
                    oninput: move |e| password.set(e.value()) }
            }
            label { {tr.text("signin-device-name")}
                input { id: "device-name", dir: "auto", maxlength: "60", value: device_name(),
                    oninput: move |e| device_name.set(e.value()) }
                span { class: "hint", {tr.text("signin-device-name-hint")} }
            }
            if let Some(e) = error() {
                p { class: "error", role: "alert", {tr.text_with("signin-failed", &[("reason", &tr.text(&e))])} }
            }
            button { id: "signin", class: "primary", disabled: busy(), onclick: submit,
                {tr.text("signin-submit")}
            }
        }
    }
}
