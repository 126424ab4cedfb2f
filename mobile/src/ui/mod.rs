//! The screens. Each reads plain state (`crate::state`) and sends engine commands through
//! [`Backend`]; nothing here waits on the network to show a screen.
//!
//! Here: the root [`App`] (header, navigation, which screen shows, the sync task), the shared
//! context ([`Ctx`], [`Texts`]) and small helpers; one file per screen beside it, the visit's
//! steps in `visit/`, and the pieces several screens use in `widgets.rs`.

mod case;
mod case_list;
mod conflicts;
mod contacts;
mod library;
mod password;
mod receipt;
mod register;
mod services;
mod sign_in;
mod survey;
mod sync;
mod visit;
mod widgets;

use std::rc::Rc;

use dioxus::prelude::*;
use futures_util::StreamExt;

use mandoob_engine::engine::{EngineError, Event, SyncState};
use mandoob_shared::catalog::RequestCatalog;
use mandoob_shared::i18n::{Digits, Lang, Translator};
use mandoob_shared::ids::*;
use mandoob_shared::sync::ApiErrorCode;
use mandoob_shared::workflow;

use crate::backend::{AppError, Backend};
use crate::platform::{self, Renderer};
use crate::state::*;

use case::CaseScreen;
use case_list::CaseList;
use library::Library;
use password::PasswordScreen;
use receipt::ReceiptScreen;
use register::Register;
use sign_in::SignIn;
use survey::SurveyScreen;
use sync::SyncScreen;
use widgets::{NavButton, SyncBadge};
pub use widgets::{Unavailable, UnavailableProps};

/// The app's styles, compiled in (no `dx` asset pipeline needed).
pub const APP_CSS: &str = include_str!("../../../assets/app.css");

/// The translators, made once: English, and Arabic in each way of writing digits.
pub struct Texts {
    ar: Translator,
    ar_indic: Translator,
    en: Translator,
    /// How Arabic writes digits on this device (a preference; see [`Ctx::set_digits`]).
    digits: std::cell::Cell<Digits>,
}

impl Texts {
    pub fn new() -> Self {
        Self {
            ar: Translator::new(Lang::Ar),
            ar_indic: Translator::new(Lang::Ar).with_digits(Digits::ArabicIndic),
            en: Translator::new(Lang::En),
            digits: std::cell::Cell::new(Digits::default()),
        }
    }

    pub fn get(&self, lang: Lang) -> &Translator {
        match (lang, self.digits.get()) {
            (Lang::Ar, Digits::ArabicIndic) => &self.ar_indic,
            (Lang::Ar, Digits::Latin) => &self.ar,
            (Lang::En, _) => &self.en,
        }
    }

    /// How Arabic writes digits now.
    pub fn digits(&self) -> Digits {
        self.digits.get()
    }
}

impl Default for Texts {
    fn default() -> Self {
        Self::new()
    }
}

/// App-wide signals, shared through context (all `Copy`).
#[derive(Clone, Copy)]
pub struct Ctx {
    pub lang: Signal<Lang>,
    pub screen: Signal<Screen>,
    pub sync: Signal<SyncView>,
    /// Bumped whenever the engine reports a change: lists and open cases reload.
    pub revision: Signal<u64>,
    pub user: Signal<Option<String>>,
    /// The signed-in user's id, recorded as who logged a contact, referral or service.
    pub user_id: Signal<Option<UserId>>,
    /// An administrator set this account's password: it is changed before anything else.
    pub must_change: Signal<bool>,
}

impl Ctx {
    /// Writes Arabic with `digits` from now on, on every screen, and keeps the choice.
    pub fn set_digits(&mut self, texts: &Texts, backend: &Backend, digits: Digits) {
        texts.digits.set(digits);
        // Every screen reads the language: setting it again redraws them all with the new
        // digits.
        let lang = (self.lang)();
        self.lang.set(lang);
        save_preferences(backend, lang, digits);
    }

    /// Switches the language, and keeps the choice.
    pub fn set_lang(&mut self, texts: &Texts, backend: &Backend, lang: Lang) {
        self.lang.set(lang);
        save_preferences(backend, lang, texts.digits());
    }
}

fn save_preferences(backend: &Backend, lang: Lang, digits: Digits) {
    let backend = backend.clone();
    spawn(async move {
        let preferences = mandoob_engine::engine::Preferences { lang, digits };
        if let Err(e) = backend.save_preferences(preferences).await {
            tracing::warn!(error = %e, "preferences not kept");
        }
    });
}

fn today() -> chrono::NaiveDate {
    workflow::kuwait_date(Timestamp::now())
}

fn engine_error_text(tr: &Translator, e: &AppError) -> Vec<String> {
    match e {
        AppError::Engine(EngineError::Invalid(errors)) => {
            errors.iter().map(|e| tr.error(e)).collect()
        }
        AppError::Engine(EngineError::Refused(r)) => vec![tr.text(&r.label_key())],
        AppError::Engine(EngineError::Frozen(_)) => vec![tr.text("error-frozen")],
        AppError::Engine(EngineError::TooLarge(_)) => vec![tr.text("error-too-large")],
        AppError::Revoked => vec![tr.text("revoked-message")],
        AppError::Wiped => vec![tr.text("revoked-wiped-message")],
        other => vec![tr.text(&app_error_key(other))],
    }
}

/// The message key of an error a person sees: every error has one, so no English sentence
/// from a library, the engine or the server reaches the screen (the details go to the log).
pub(crate) fn app_error_key(e: &AppError) -> String {
    // What the server said, by its code (`api-error-*`), else in general terms.
    let server = |code: &Option<ApiErrorCode>, general: &str| {
        code.map(|c| c.label_key())
            .unwrap_or_else(|| general.to_owned())
    };
    let key = match e {
        AppError::SignInRefused(code) => return server(code, "error-sign-in-refused"),
        AppError::Server(code) => return server(code, "error-server"),
        AppError::Offline(_) => "error-offline",
        AppError::Revoked => "revoked-message",
        AppError::Wiped => "revoked-wiped-message",
        AppError::NotSignedIn => "error-not-signed-in",
        AppError::Engine(e) => match e {
            EngineError::NoSession => "error-not-signed-in",
            EngineError::NoSuchCase | EngineError::NoSuchRequest => "error-no-such-case",
            EngineError::Frozen(_) => "error-frozen",
            EngineError::TooLarge(_) => "error-too-large",
            EngineError::Photo(code) => photo_problem_key(code),
            EngineError::PossibleDuplicates(_) => "duplicate-warning",
            EngineError::Invalid(_) | EngineError::Refused(_) => "error-invalid",
            EngineError::Storage(_) => "error-storage",
        },
    };
    key.to_owned()
}

/// The message key of a photo the capture pipeline refused (`CaptureError::code`).
pub(crate) fn photo_problem_key(code: &str) -> &'static str {
    match code {
        "empty" => "photo-problem-empty",
        "too-large" => "photo-problem-too-large",
        "heic" => "photo-problem-heic",
        "not-an-image" => "photo-problem-not-an-image",
        "too-many-pixels" => "photo-problem-too-many-pixels",
        "damaged" => "photo-problem-damaged",
        _ => "photo-problem-other",
    }
}

fn date_text(t: Timestamp) -> String {
    workflow::kuwait_date(t).to_string()
}

/// Who is signed in (the engine also stamps the author of every change it writes).
fn session_user(ctx: &Ctx) -> UserId {
    (ctx.user_id)().unwrap_or_else(|| UserId::new(""))
}
/// The root component. Context: a [`Backend`] and a [`Renderer`].
#[component]
pub fn App() -> Element {
    let backend = use_context::<Backend>();
    let texts = use_hook(|| Rc::new(Texts::new()));
    use_context_provider(|| texts.clone());
    use_context_provider(|| Rc::new(RequestCatalog::builtin()));
    let signed_in = backend.signed_in();
    let ctx = use_context_provider(|| Ctx {
        lang: Signal::new(Lang::default()),
        screen: Signal::new(if signed_in {
            Screen::Cases
        } else {
            Screen::SignIn
        }),
        sync: Signal::new(SyncView::default()),
        revision: Signal::new(0),
        user: Signal::new(None),
        user_id: Signal::new(None),
        must_change: Signal::new(false),
    });
    // How this device's user reads the app, as they left it.
    let prefs_backend = backend.clone();
    let prefs_texts = texts.clone();
    use_future(move || {
        let backend = prefs_backend.clone();
        let texts = prefs_texts.clone();
        let mut ctx = ctx;
        async move {
            if let Ok(p) = backend.preferences().await {
                texts.digits.set(p.digits);
                ctx.lang.set(p.lang);
            }
        }
    });
    // Engine events drive the sync badge and reload what is on screen.
    let events_backend = backend.clone();
    use_future(move || {
        let backend = events_backend.clone();
        async move {
            let mut events = backend.events();
            let mut ctx = ctx;
            while let Some(event) = events.next().await {
                if let Event::SyncState(SyncState::Error(_)) = &event {
                    // handled below through the state
                }
                ctx.sync.write().apply(&event, Timestamp::now());
                if matches!(
                    event,
                    Event::CaseChanged(_) | Event::SyncState(SyncState::UpToDate)
                ) {
                    *ctx.revision.write() += 1;
                }
            }
        }
    });
    // Syncs run here, in the root scope, so leaving a screen never cancels one.
    let sync_backend = backend.clone();
    let syncer = use_coroutine(move |mut rx: UnboundedReceiver<SyncRequest>| {
        let backend = sync_backend.clone();
        let mut ctx = ctx;
        async move {
            if backend.signed_in() {
                run_sync(&backend, &mut ctx).await;
            }
            while let Some(SyncRequest) = rx.next().await {
                // Requests that piled up while syncing are served by one more round.
                while let Ok(SyncRequest) = rx.try_recv() {}
                run_sync(&backend, &mut ctx).await;
            }
        }
    });
    let _ = syncer;
    // Who is signed in, and what waits to be sent (refreshed after every change).
    let info_backend = backend.clone();
    use_effect(move || {
        let _ = (ctx.revision)();
        let backend = info_backend.clone();
        let mut ctx = ctx;
        spawn(async move {
            if let Ok(Some(c)) = backend.credentials().await {
                ctx.user_id.set(Some(UserId::new(c.username)));
                ctx.user.set(Some(c.display_name));
            }
            if let Ok(s) = backend.stats().await {
                let mut v = ctx.sync.write();
                v.pending_changes = s.pending_changes;
                v.pending_photos = s.blobs_not_uploaded;
            }
        });
    });
    // The web app: a new version waiting to take over is offered, never forced.
    let renderer = use_context::<Renderer>();
    let mut update = use_signal(|| false);
    use_future(move || async move {
        if renderer == Renderer::Web && platform::update_available().await {
            update.set(true);
        }
    });
    let tr = texts.get((ctx.lang)());
    let lang = (ctx.lang)();
    // A password to change comes before every other screen.
    let screen = if (ctx.must_change)() {
        Screen::Password
    } else {
        (ctx.screen)()
    };
    let bare = matches!(screen, Screen::SignIn) || (ctx.must_change)();
    rsx! {
        style { {APP_CSS} }
        div { class: "app", dir: lang.dir(), lang: lang.tag(),
            header { class: "bar",
                h1 { {tr.text("app-name")} }
                if !bare {
                    SyncBadge {}
                }
                // The other language's name, in that language (marked as such for readers
                // and the browser).
                button {
                    class: "lang",
                    id: "lang",
                    lang: if lang == Lang::Ar { "en" } else { "ar" },
                    dir: if lang == Lang::Ar { "ltr" } else { "rtl" },
                    onclick: {
                        let texts = texts.clone();
                        let backend = backend.clone();
                        move |_| {
                            let mut ctx = ctx;
                            let next = if (ctx.lang)() == Lang::Ar { Lang::En } else { Lang::Ar };
                            ctx.set_lang(&texts, &backend, next);
                        }
                    },
                    {tr.text("language-switch")}
                }
            }
            // Only where nothing is being typed, drawn or photographed: taking the update
            // reloads the page.
            if update() && matches!(screen, Screen::Cases | Screen::Sync) {
                div { class: "update", id: "update-banner", role: "status",
                    span { {tr.text("update-available")} }
                    button { id: "update-reload", class: "primary", onclick: move |_| platform::apply_update(),
                        {tr.text("update-reload")}
                    }
                }
            }
            if !bare {
                nav { class: "nav",
                    NavButton { target: Screen::Cases, key_name: "nav-cases", id: "nav-cases" }
                    NavButton { target: Screen::Register, key_name: "nav-new-household", id: "nav-register" }
                    NavButton { target: Screen::Sync, key_name: "nav-sync", id: "nav-sync" }
                    NavButton { target: Screen::Library, key_name: "nav-library", id: "nav-library" }
                }
            }
            main {
                match screen {
                    Screen::SignIn => rsx! { SignIn {} },
                    Screen::Cases => rsx! { CaseList {} },
                    Screen::Register => rsx! { Register {} },
                    Screen::Case { id, tab } => rsx! { CaseScreen { id, tab } },
                    Screen::Receipt { id, request } => rsx! { ReceiptScreen { id, request } },
                    Screen::Survey { id } => rsx! { SurveyScreen { id } },
                    Screen::Sync => rsx! { SyncScreen {} },
                    Screen::Library => rsx! { Library {} },
                    Screen::Password => rsx! { PasswordScreen {} },
                }
            }
        }
    }
}

/// Asks the root's sync task for a sync (coalesced with any already waiting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncRequest;

async fn run_sync(backend: &Backend, ctx: &mut Ctx) {
    match backend.sync().await {
        Err(AppError::Server(Some(ApiErrorCode::PasswordChangeRequired))) => {
            ctx.must_change.set(true);
        }
        Err(AppError::Wiped) => {
            let mut view = ctx.sync.write();
            view.revoked = true;
            view.wiped = true;
            drop(view);
            ctx.user.set(None);
            ctx.user_id.set(None);
            ctx.screen.set(Screen::SignIn);
        }
        Err(AppError::Revoked) => {
            ctx.sync.write().revoked = true;
            let _ = backend.sign_out().await;
            ctx.user.set(None);
            ctx.screen.set(Screen::SignIn);
        }
        Err(e @ (AppError::Offline(_) | AppError::Server(_)))
            if ctx.sync.read().state == SyncState::Syncing =>
        {
            tracing::warn!(error = %e, "sync failed");
            ctx.sync.write().state = SyncState::Error(app_error_key(&e));
        }
        _ => {}
    }
    *ctx.revision.write() += 1;
}

#[cfg(test)]
mod error_tests {
    use super::*;
    use mandoob_shared::i18n::Lang;

    /// Every error a person can see has its message in both languages; none shows the
    /// English detail it carries for the log.
    #[test]
    fn every_error_is_a_translated_message() {
        let errors = [
            AppError::Offline("error sending request for url (http://x)".into()),
            AppError::SignInRefused(None),
            AppError::Server(None),
            AppError::Revoked,
            AppError::Wiped,
            AppError::NotSignedIn,
            AppError::Engine(EngineError::NoSession),
            AppError::Engine(EngineError::NoSuchCase),
            AppError::Engine(EngineError::Frozen("events are history".into())),
            AppError::Engine(EngineError::TooLarge("too long".into())),
            AppError::Engine(EngineError::Storage("disk I/O error".into())),
        ];
        let codes = [
            "empty",
            "too-large",
            "heic",
            "not-an-image",
            "too-many-pixels",
            "damaged",
            "the file is not a JPEG",
        ];
        let texts = Texts::new();
        for lang in Lang::ALL {
            let tr = texts.get(lang);
            let keys = errors
                .iter()
                .map(app_error_key)
                .chain(codes.iter().map(|c| photo_problem_key(c).to_owned()))
                .chain(ApiErrorCode::ALL.iter().flat_map(|c| {
                    [
                        app_error_key(&AppError::Server(Some(*c))),
                        app_error_key(&AppError::SignInRefused(Some(*c))),
                    ]
                }));
            for key in keys {
                assert!(tr.has(&key), "{key} in {lang:?}");
            }
            for e in &errors {
                let shown = engine_error_text(tr, e).join(" ");
                for english in ["error sending", "Unauthorized", "Internal", "disk I/O"] {
                    assert!(!shown.contains(english), "{shown}");
                }
            }
        }
    }
}
