//! The sync screen: state, what waits to be sent, storage used, sync now, sign out.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::SyncState;
use mandoob_shared::i18n::Digits;
use mandoob_shared::workflow;

use crate::backend::Backend;
use crate::platform::{self, Renderer};
use crate::state::*;

use super::{Ctx, SyncRequest, Texts};

#[component]
pub(super) fn SyncScreen() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let prefs_backend = backend.clone();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let view = (ctx.sync)();
    let stats_backend = backend.clone();
    let stats = use_resource(move || {
        let backend = stats_backend.clone();
        let _ = (ctx.revision)();
        async move { backend.stats().await.ok() }
    });
    // On the web the browser decides how long the data is kept: ask it to keep it, and say
    // what it answered and how much of the origin's quota is used.
    let renderer = use_context::<Renderer>();
    let browser = use_resource(move || {
        let _ = (ctx.revision)();
        async move {
            if renderer == Renderer::Web {
                platform::browser_storage().await
            } else {
                None
            }
        }
    });
    let syncer = use_coroutine_handle::<SyncRequest>();
    let sync_now = move |_| syncer.send(SyncRequest);
    let sign_out = move |_| {
        let backend = backend.clone();
        async move {
            if backend.sign_out().await.is_ok() {
                ctx.user.set(None);
                ctx.screen.set(Screen::SignIn);
            }
        }
    };
    let mb = (*stats.read())
        .flatten()
        .map(|s| format!("{:.1}", s.database_bytes as f64 / 1_048_576.0))
        .unwrap_or_default();
    rsx! {
        section { class: "card",
            h2 { {tr.text("sync-title")} }
            if let Some(name) = (ctx.user)() { p { {tr.text_with("signed-in-as", &[("name", &name)])} } }
            p { id: "sync-state", class: "badge {view.badge_key()}", {tr.text(view.badge_key())} }
            if view.state == SyncState::Syncing {
                // The whole sync (every answer of it), once the server said how much there is.
                match view.percent() {
                    Some(p) => rsx! {
                        div { class: "progress", id: "sync-progress", role: "progressbar",
                            "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "{p}",
                            div { class: "progress-fill", style: "width: {p}%" }
                        }
                        p { id: "sync-progress-text",
                            {tr.text_with("sync-progress-of", &[
                                ("documents", &view.documents.to_string()),
                                ("total", &view.total_documents.to_string()),
                                ("kb", &(view.bytes / 1024).to_string()),
                                ("total_kb", &(view.total_bytes / 1024).to_string()),
                            ])}
                        }
                    },
                    None => rsx! {
                        div { class: "progress indeterminate", div { class: "progress-fill" } }
                        p { {tr.text_with("sync-progress", &[("documents", &view.documents.to_string()), ("kb", &(view.bytes / 1024).to_string())])} }
                    },
                }
            }
            if let SyncState::Error(reason) = &view.state {
                // A message key from the app; anything else (an engine's English detail) is
                // not shown as such.
                p { class: "error", role: "alert", {tr.text(if (reason.starts_with("error-") || reason.starts_with("api-error-")) && tr.has(reason) { reason } else { "error-server" })} }
            }
            p { match view.last_sync { Some(t) => tr.text_with("sync-last", &[("at", &t.get().with_timezone(&workflow::kuwait_offset()).format("%Y-%m-%d %H:%M").to_string())]), None => tr.text("sync-never") } }
            p { id: "pending-changes", {tr.text_with("sync-pending-changes", &[("count", &view.pending_changes.to_string())])} }
            p { id: "pending-photos", {tr.text_with("sync-pending-photos", &[("count", &view.pending_photos.to_string())])} }
            p { class: "hint", {tr.text_with("storage-used", &[("mb", &mb)])} }
            if let Some(b) = (*browser.read()).flatten() {
                p { class: "hint", id: "browser-storage",
                    {tr.text_with("browser-storage-used", &[
                        ("mb", &format!("{:.1}", b.usage.unwrap_or(0.0) / 1_048_576.0)),
                        ("quota", &format!("{:.0}", b.quota.unwrap_or(0.0) / 1_048_576.0)),
                    ])}
                    " "
                    {tr.text(if b.persisted { "browser-storage-persisted" } else { "browser-storage-not-persisted" })}
                }
            }
            button { id: "sync-now", class: "primary", disabled: !view.can_sync(), onclick: sync_now,
                {tr.text(if matches!(view.state, SyncState::Error(_) | SyncState::Offline) { "sync-retry" } else { "sync-now" })}
            }
            button { id: "change-password", onclick: move |_| ctx.screen.set(Screen::Password),
                {tr.text("password-title")}
            }
            button { id: "sign-out", onclick: sign_out, {tr.text("signout")} }
        }
        // How Arabic writes its digits on this phone (a person's preference, kept on it).
        section { class: "card",
            label { r#for: "digits", {tr.text("digits-setting")} }
            select { id: "digits",
                onchange: {
                    let texts = texts.clone();
                    move |e: FormEvent| {
                        if let Some(d) = Digits::from_code(&e.value()) {
                            ctx.set_digits(&texts, &prefs_backend, d);
                        }
                    }
                },
                for d in Digits::ALL {
                    // The example stays in its own digits whatever the setting.
                    option { value: d.code(), selected: texts.digits() == d,
                        {format!("{} ({})", tr.text(&format!("digits-{}", d.code())), if d == Digits::Latin { "123" } else { "١٢٣" })}
                    }
                }
            }
        }
    }
}
