//! The screens. Each reads plain state (`crate::state`) and sends engine commands through
//! [`Backend`]; nothing here waits on the network to show a screen.

use std::rc::Rc;

use base64::Engine as _;
use dioxus::prelude::*;
use futures_util::StreamExt;

use mandoob_engine::capture::QualityWarning;
use mandoob_engine::engine::{
    DuplicateCandidate, Edit, EngineError, Event, ListQuery, OpenCase, SyncState,
};
use mandoob_shared::catalog::RequestCatalog;
use mandoob_shared::dedupe::MatchReason;
use mandoob_shared::i18n::{Lang, Translator};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::workflow::{self, EventKind, RequestStatus, SlaPolicy};

use crate::backend::{AppError, Backend};
use crate::platform::{self, HomeServer, Renderer};
use crate::signature::SignaturePad;
use crate::state::*;

/// The app's styles, compiled in (no `dx` asset pipeline needed).
pub const APP_CSS: &str = include_str!("../../assets/app.css");
const POLICY_AR: &str = include_str!("../../assets/library/policy-ar.txt");
const POLICY_EN: &str = include_str!("../../assets/library/policy-en.md");

/// Both translators, made once.
pub struct Texts {
    ar: Translator,
    en: Translator,
}

impl Texts {
    pub fn new() -> Self {
        Self {
            ar: Translator::new(Lang::Ar),
            en: Translator::new(Lang::En),
        }
    }

    pub fn get(&self, lang: Lang) -> &Translator {
        match lang {
            Lang::Ar => &self.ar,
            Lang::En => &self.en,
        }
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
        other => vec![other.to_string()],
    }
}

fn date_text(t: Timestamp) -> String {
    workflow::kuwait_date(t).to_string()
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
    let screen = (ctx.screen)();
    rsx! {
        style { {APP_CSS} }
        div { class: "app", dir: lang.dir(), lang: lang.tag(),
            header { class: "bar",
                h1 { {tr.text("app-name")} }
                if screen != Screen::SignIn {
                    SyncBadge {}
                }
                button {
                    class: "lang",
                    id: "lang",
                    onclick: move |_| {
                        let mut l = ctx.lang;
                        let next = if l() == Lang::Ar { Lang::En } else { Lang::Ar };
                        l.set(next);
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
            if screen != Screen::SignIn {
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
        Err(AppError::Revoked) => {
            ctx.sync.write().revoked = true;
            let _ = backend.sign_out().await;
            ctx.user.set(None);
            ctx.screen.set(Screen::SignIn);
        }
        Err(AppError::Sync(m)) if ctx.sync.read().state == SyncState::Syncing => {
            ctx.sync.write().state = SyncState::Error(m);
        }
        _ => {}
    }
    *ctx.revision.write() += 1;
}

#[component]
fn NavButton(target: Screen, key_name: &'static str, id: &'static str) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let current = std::mem::discriminant(&(ctx.screen)()) == std::mem::discriminant(&target);
    rsx! {
        button {
            id,
            class: if current { "nav-item current" } else { "nav-item" },
            onclick: move |_| ctx.screen.set(target.clone()),
            {tr.text(key_name)}
        }
    }
}

#[component]
fn SyncBadge() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let view = (ctx.sync)();
    let class = format!("badge {}", view.badge_key());
    rsx! {
        button { id: "sync-badge", class, onclick: move |_| ctx.screen.set(Screen::Sync),
            {tr.text(view.badge_key())}
            if view.pending_changes + view.pending_photos > 0 {
                " ({view.pending_changes + view.pending_photos})"
            }
        }
    }
}

/// Shown instead of the app when its engine cannot start: on the web, most often because
/// another tab of the app holds the device's data (one tab writes at a time). In both
/// languages, since no setting can be read.
#[component]
pub fn Unavailable(reason: String) -> Element {
    let texts = Texts::new();
    rsx! {
        style { {APP_CSS} }
        div { class: "app", dir: "rtl", lang: "ar",
            header { class: "bar", h1 { {texts.get(Lang::Ar).text("app-name")} } }
            main {
                section { class: "card", id: "unavailable", role: "alert",
                    h2 { {texts.get(Lang::Ar).text("unavailable-title")} }
                    p { {texts.get(Lang::Ar).text("unavailable-body")} }
                    div { dir: "ltr", lang: "en",
                        h2 { {texts.get(Lang::En).text("unavailable-title")} }
                        p { {texts.get(Lang::En).text("unavailable-body")} }
                    }
                    p { class: "hint", dir: "ltr", id: "unavailable-reason", "{reason}" }
                }
            }
        }
    }
}

#[component]
fn SignIn() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let home = try_use_context::<HomeServer>().unwrap_or_default();
    let mut server = use_signal(move || home.0.clone());
    let mut username = use_signal(String::new);
    let mut password = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let mut busy = use_signal(|| false);
    let revoked = (ctx.sync)().revoked;
    let syncer = use_coroutine_handle::<SyncRequest>();
    let submit = move |_| {
        let backend = backend.clone();
        async move {
            busy.set(true);
            error.set(None);
            let result = backend
                .sign_in(&server(), &username(), &password(), "mandoob app")
                .await;
            busy.set(false);
            match result {
                Ok(c) => {
                    ctx.user_id.set(Some(UserId::new(c.username)));
                    ctx.user.set(Some(c.display_name));
                    ctx.sync.write().revoked = false;
                    password.set(String::new());
                    ctx.screen.set(Screen::Cases);
                    syncer.send(SyncRequest);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        }
    };
    rsx! {
        section { class: "card",
            h2 { {tr.text("signin-title")} }
            if revoked {
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
            if let Some(e) = error() {
                p { class: "error", role: "alert", {tr.text_with("signin-failed", &[("reason", &e)])} }
            }
            button { id: "signin", class: "primary", disabled: busy(), onclick: submit,
                {tr.text("signin-submit")}
            }
        }
    }
}

#[component]
fn CaseList() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut filter = use_signal(ListFilter::default);
    let rows = use_resource(move || {
        let backend = backend.clone();
        let q: ListQuery = filter().query();
        let _ = (ctx.revision)();
        async move { backend.list(q).await }
    });
    let statuses = [
        RequestStatus::Draft,
        RequestStatus::AwaitingDecision,
        RequestStatus::InfoRequested,
        RequestStatus::Accepted,
        RequestStatus::Rejected,
        RequestStatus::Registered,
        RequestStatus::InService,
        RequestStatus::Closed,
    ];
    rsx! {
        section {
            h2 { {tr.text("cases-title")} }
            input { id: "search", class: "search", r#type: "search",
                placeholder: tr.text("search-placeholder"),
                value: filter().text,
                oninput: move |e| filter.write().text = e.value() }
            div { class: "filters",
                select { id: "status-filter",
                    onchange: move |e| filter.write().status = RequestStatus::from_code(&e.value()),
                    option { value: "", {tr.text("filter-any-status")} }
                    for s in statuses {
                        option { value: s.code(), selected: filter().status == Some(s), {tr.text(&status_key(s.code()))} }
                    }
                }
                label { class: "check",
                    input { r#type: "checkbox", id: "overdue-filter", checked: filter().overdue_only,
                        onchange: move |e| filter.write().overdue_only = e.checked() }
                    {tr.text("filter-overdue")}
                }
                label { class: "check",
                    input { r#type: "checkbox", id: "follow-up-filter", checked: filter().follow_up_only,
                        onchange: move |e| filter.write().follow_up_only = e.checked() }
                    {tr.text("filter-follow-up")}
                }
            }
            match &*rows.read() {
                None => rsx! { p { {tr.text("loading")} } },
                Some(Err(e)) => rsx! { p { class: "error", "{e}" } },
                Some(Ok(list)) if list.is_empty() => rsx! { p { class: "hint", {tr.text("cases-empty")} } },
                Some(Ok(list)) => rsx! {
                    ul { class: "cases",
                        for row in list.clone() {
                            li { key: "{row.id.as_str()}",
                                button { class: "case-row",
                                    "data-reference": row.reference.clone(),
                                    onclick: {
                                        let id = row.id.clone();
                                        move |_| ctx.screen.set(Screen::Case { id: id.clone(), tab: CaseTab::Visit })
                                    },
                                    span { class: "ref", dir: "ltr", "{row.reference}" }
                                    span { class: "name",
                                        if (ctx.lang)() == Lang::En && !row.head_name_en.is_empty() { "{row.head_name_en}" } else { "{row.head_name_ar}" }
                                    }
                                    span { class: "status status-{row.status}", {tr.text(&status_key(&row.status))} }
                                    if let Some(due) = row.due_date.clone() {
                                        span { class: if row.overdue { "due overdue" } else { "due" },
                                            {tr.text_with("due-on", &[("date", &due)])}
                                            if row.overdue { " · " {tr.text("overdue")} }
                                        }
                                    }
                                    if row.follow_up { span { class: "flag", {tr.text("filter-follow-up")} } }
                                    if row.conflicts { span { class: "flag", {tr.text("conflicts-marker")} } }
                                    if row.unsynced { span { class: "flag unsynced", {tr.text("unsynced-marker")} } }
                                }
                            }
                        }
                    }
                },
            }
        }
    }
}

#[component]
fn Register() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut form = use_signal(HouseholdForm::default);
    let mut touched = use_signal(|| false);
    let mut failure = use_signal(Vec::<String>::new);
    let dup_backend = backend.clone();
    // The live duplicate check, as the representative types.
    let candidates = use_resource(move || {
        let backend = dup_backend.clone();
        let f = form();
        async move {
            if !f.worth_duplicate_check() {
                return Vec::new();
            }
            backend
                .duplicates(f.name_ar.clone(), f.civil_id.clone(), f.phone.clone())
                .await
                .unwrap_or_default()
        }
    });
    let errors = form().errors(today());
    let error_of = |field: &str| -> Option<String> {
        if !touched() {
            return None;
        }
        errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, e)| tr.error(e))
    };
    let found: Vec<DuplicateCandidate> = candidates.read().clone().unwrap_or_default();
    let create = move |not_a_duplicate: bool| {
        let backend = backend.clone();
        async move {
            touched.set(true);
            if !form().errors(today()).is_empty() {
                return;
            }
            match backend.create(form().to_new(not_a_duplicate)).await {
                Ok(id) => ctx.screen.set(Screen::Case {
                    id,
                    tab: CaseTab::Visit,
                }),
                Err(AppError::Engine(EngineError::PossibleDuplicates(_))) => {}
                Err(e) => {
                    let texts = Texts::new();
                    failure.set(engine_error_text(texts.get((ctx.lang)()), &e));
                }
            }
        }
    };
    let create_new = create.clone();
    rsx! {
        section { class: "card",
            h2 { {tr.text("register-title")} }
            Field { id: "name-ar", label: tr.text("field-name-ar"), value: form().name_ar, error: error_of("name_ar"),
                oninput: move |v| form.write().name_ar = v }
            Field { id: "name-en", label: tr.text("field-name-en"), value: form().name_en, error: None, ltr: true,
                oninput: move |v| form.write().name_en = v }
            Field { id: "civil-id", label: tr.text("field-civil-id"), value: form().civil_id, error: error_of("civil_id"), ltr: true, numeric: true,
                oninput: move |v| form.write().civil_id = v }
            Field { id: "phone", label: tr.text("field-phone"), value: form().phone, error: error_of("phone"), ltr: true, numeric: true,
                oninput: move |v| form.write().phone = v }
            label { {tr.text("field-governorate")}
                select { id: "governorate",
                    onchange: move |e| form.write().governorate = Governorate::from_code(&e.value()),
                    option { value: "", {tr.text("choose")} }
                    for g in Governorate::ALL.iter().copied() {
                        option { value: g.code(), selected: form().governorate == Some(g), {tr.text(&g.label_key())} }
                    }
                }
                if let Some(e) = error_of("governorate") { span { class: "field-error", "{e}" } }
            }
            Field { id: "area", label: tr.text("field-area"), value: form().area, error: None,
                oninput: move |v| form.write().area = v }
            div { class: "row",
                Field { id: "block", label: tr.text("field-block"), value: form().block, error: None, numeric: true,
                    oninput: move |v| form.write().block = v }
                Field { id: "street", label: tr.text("field-street"), value: form().street, error: None,
                    oninput: move |v| form.write().street = v }
                Field { id: "house", label: tr.text("field-house"), value: form().house, error: None,
                    oninput: move |v| form.write().house = v }
            }
            if !found.is_empty() {
                div { class: "warning", id: "duplicate-warning", role: "alert",
                    h3 { {tr.text("duplicate-title")} }
                    ul {
                        for c in found.clone() {
                            li { key: "{c.case.id.as_str()}",
                                strong { "{c.member_name}" } " · "
                                span { dir: "ltr", "{c.case.reference}" } " · "
                                {tr.text(if c.score.reasons.contains(&MatchReason::SameCivilId) { "duplicate-same-civil-id" } else { "duplicate-similar" })}
                                button { class: "link",
                                    onclick: {
                                        let id = c.case.id.clone();
                                        move |_| ctx.screen.set(Screen::Case { id: id.clone(), tab: CaseTab::Visit })
                                    },
                                    {tr.text("duplicate-open")}
                                }
                            }
                        }
                    }
                    button { id: "register-anyway", onclick: move |_| create_new(true), {tr.text("duplicate-not-same")} }
                }
            } else {
                button { id: "register", class: "primary", onclick: move |_| create(false), {tr.text("register-submit")} }
            }
            for f in failure() { p { class: "error", "{f}" } }
        }
    }
}

#[component]
fn Field(
    id: String,
    label: String,
    value: String,
    error: Option<String>,
    oninput: EventHandler<String>,
    #[props(default)] ltr: bool,
    #[props(default)] numeric: bool,
) -> Element {
    let invalid = error.is_some();
    rsx! {
        label { class: "field",
            "{label}"
            input {
                id: "{id}",
                value: "{value}",
                dir: if ltr { "ltr" } else { "auto" },
                inputmode: if numeric { "numeric" } else { "text" },
                "aria-invalid": invalid,
                oninput: move |e| oninput.call(e.value()),
            }
            if let Some(e) = error { span { class: "field-error", id: "{id}-error", "{e}" } }
        }
    }
}

#[component]
fn CaseScreen(id: CaseId, tab: CaseTab) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let case_id = use_signal(|| id.clone());
    let mut case_id = case_id;
    if case_id() != id {
        case_id.set(id.clone());
    }
    let opened = use_resource(move || {
        let backend = backend.clone();
        let id = case_id();
        let _ = (ctx.revision)();
        async move { backend.open(id).await }
    });
    let guard = opened.read();
    let open = match &*guard {
        None => return rsx! { p { {tr.text("loading")} } },
        Some(Err(e)) => return rsx! { p { class: "error", "{e}" } },
        Some(Ok(o)) => o.clone(),
    };
    drop(guard);
    let head = open.case.head().cloned();
    let status = open
        .requests
        .last()
        .map_or(RequestStatus::Draft, |s| s.status);
    rsx! {
        section {
            div { class: "case-head",
                h2 { id: "case-title",
                    if let Some(h) = &head { "{h.name_ar}" }
                }
                p { span { class: "ref", dir: "ltr", id: "case-reference", "{open.case.reference}" } " · "
                    span { id: "case-status", class: "status status-{status.code()}", {tr.text(&status_key(status.code()))} }
                }
            }
            nav { class: "tabs",
                for t in CaseTab::ALL {
                    button { class: if t == tab { "tab current" } else { "tab" },
                        id: "{t.key()}",
                        onclick: {
                            let id = id.clone();
                            move |_| ctx.screen.set(Screen::Case { id: id.clone(), tab: t })
                        },
                        {tr.text(t.key())}
                        if t == CaseTab::Conflicts && !open.conflicts.is_empty() { " ({open.conflicts.len()})" }
                    }
                }
            }
            match tab {
                CaseTab::Visit => rsx! { VisitFlow { open: open.clone() } },
                CaseTab::Timeline => rsx! { Timeline { open: open.clone() } },
                CaseTab::Contacts => rsx! { Contacts { open: open.clone() } },
                CaseTab::Services => rsx! { Services { open: open.clone() } },
                CaseTab::Conflicts => rsx! { Conflicts { open: open.clone() } },
            }
        }
    }
}

#[component]
fn VisitFlow(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let catalog = use_context::<Rc<RequestCatalog>>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let steps = visit_progress(&open, &catalog, today());
    let percent = progress_percent(&steps);
    let mut current = use_signal(|| {
        steps
            .iter()
            .find(|(_, done)| !done)
            .map_or(VisitStep::Submit, |(s, _)| *s)
    });
    rsx! {
        div { class: "progress", role: "progressbar", "aria-valuenow": percent,
            div { class: "progress-fill", style: "width: {percent}%" }
        }
        p { class: "hint", {tr.text_with("progress", &[("percent", &percent.to_string())])} }
        ol { class: "steps",
            for (step, done) in steps.clone() {
                li { key: "{step.key()}", class: if step == current() { "step current" } else { "step" },
                    button { id: "{step.key()}", onclick: move |_| current.set(step),
                        if done { span { class: "done", "✓ " } }
                        {tr.text(step.key())}
                    }
                }
            }
        }
        div { class: "step-body",
            match current() {
                VisitStep::Welcome => rsx! { WelcomeStep { open: open.clone() } },
                VisitStep::Registration => rsx! { HouseholdStep { open: open.clone() } },
                VisitStep::Interview => rsx! { InterviewStep { open: open.clone() } },
                VisitStep::Documents => rsx! { DocumentsStep { open: open.clone() } },
                VisitStep::Referral => rsx! { ReferralStep { open: open.clone() } },
                VisitStep::Declaration => rsx! { DeclarationStep { open: open.clone() } },
                VisitStep::Submit => rsx! { SubmitStep { open: open.clone() } },
            }
        }
    }
}

/// Who is signed in (the engine also stamps the author of every change it writes).
fn session_user(ctx: &Ctx) -> UserId {
    (ctx.user_id)().unwrap_or_else(|| UserId::new(""))
}

#[component]
fn WelcomeStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut question = use_signal(String::new);
    let mut answer = use_signal(String::new);
    let id = open.case.id.clone();
    let by = session_user(&ctx);
    let log = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let by = by.clone();
        async move {
            if question().trim().is_empty() {
                return;
            }
            let entry = ContactEntry {
                id: ContactId::generate(),
                channel: Channel::InPerson,
                direction: Direction::Inbound,
                at: Timestamp::now(),
                by,
                summary: format!("{} — {}", question().trim(), answer().trim()),
                follow_up_on: None,
                follow_up_done: false,
            };
            if backend.edit(id, Edit::UpsertContact(entry)).await.is_ok() {
                question.set(String::new());
                answer.set(String::new());
            }
        }
    };
    rsx! {
        ul { class: "log",
            for c in open.case.contacts.iter().filter(|c| c.channel == Channel::InPerson) {
                li { key: "{c.id.as_str()}", "{c.summary}" }
            }
        }
        label { {tr.text("inquiry-question")}
            textarea { id: "inquiry-question", value: question(), oninput: move |e| question.set(e.value()) }
        }
        label { {tr.text("inquiry-answer")}
            textarea { id: "inquiry-answer", value: answer(), oninput: move |e| answer.set(e.value()) }
        }
        button { id: "inquiry-log", onclick: log, {tr.text("inquiry-log")} }
        button { class: "link", onclick: move |_| ctx.screen.set(Screen::Library), {tr.text("open-library")} }
    }
}

#[component]
fn HouseholdStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut name = use_signal(String::new);
    let mut civil_id = use_signal(String::new);
    let mut birth = use_signal(String::new);
    let mut relation = use_signal(|| Relation::Spouse);
    let errors = mandoob_shared::validate::household(&open.case, today());
    let id = open.case.id.clone();
    let add = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        async move {
            if name().trim().is_empty() {
                return;
            }
            let mut m = Member::new(name().trim(), relation());
            m.civil_id = civil_id().trim().to_owned();
            m.birth_date = parse_date(&birth());
            if backend.edit(id, Edit::UpsertMember(m)).await.is_ok() {
                name.set(String::new());
                civil_id.set(String::new());
                birth.set(String::new());
            }
        }
    };
    rsx! {
        h3 { {tr.text("members-title")} }
        ul { class: "members",
            for m in open.case.household.members.iter() {
                li { key: "{m.id.as_str()}",
                    strong { "{m.name_ar}" } " · " {tr.text(&m.relation.label_key())}
                    if !m.civil_id.is_empty() { " · " span { dir: "ltr", "{m.civil_id}" } }
                }
            }
        }
        for e in errors.iter() { p { class: "field-error", {tr.error(e)} } }
        h3 { {tr.text("add-member")} }
        Field { id: "member-name", label: tr.text("field-name-ar"), value: name(), error: None, oninput: move |v| name.set(v) }
        Field { id: "member-civil-id", label: tr.text("field-civil-id"), value: civil_id(), error: None, ltr: true, numeric: true, oninput: move |v| civil_id.set(v) }
        Field { id: "member-birth", label: tr.text("member-birth-date"), value: birth(), error: None, ltr: true, oninput: move |v| birth.set(v) }
        label { {tr.text("member-relation")}
            select { id: "member-relation",
                onchange: move |e| if let Some(r) = Relation::from_code(&e.value()) { relation.set(r) },
                for r in Relation::ALL.iter().copied().filter(|r| *r != Relation::Head) {
                    option { value: r.code(), selected: relation() == r, {tr.text(&r.label_key())} }
                }
            }
        }
        button { id: "member-add", onclick: add, {tr.text("add-member")} }
    }
}

#[component]
fn InterviewStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let existing = open.case.requests.last().cloned();
    let initial = existing
        .as_ref()
        .map_or_else(RequestForm::default, |r| RequestForm {
            kind: r.kind,
            amount: r.amount.map(|a| a.to_string()).unwrap_or_default(),
            reason: r.reason.clone(),
        });
    let mut form = use_signal(|| initial);
    let mut notes = use_signal(|| open.case.household.notes.clone());
    let mut saved = use_signal(|| false);
    let amount = parse_kwd(&form().amount);
    let id = open.case.id.clone();
    let locked = open
        .requests
        .last()
        .is_some_and(|s| s.status != RequestStatus::Draft);
    let save = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let existing = existing.clone();
        async move {
            let f = form();
            let Ok(amount) = parse_kwd(&f.amount) else {
                return;
            };
            let request = SupportRequest {
                id: existing
                    .as_ref()
                    .map_or_else(RequestId::generate, |r| r.id.clone()),
                kind: f.kind,
                amount,
                reason: f.reason.trim().to_owned(),
                documents: existing
                    .as_ref()
                    .map(|r| r.documents.clone())
                    .unwrap_or_default(),
                declaration: existing.as_ref().and_then(|r| r.declaration.clone()),
            };
            let ok = backend
                .edit(id.clone(), Edit::UpsertRequest(request))
                .await
                .is_ok()
                && backend
                    .edit(id, Edit::SetHouseholdNotes(notes().trim().to_owned()))
                    .await
                    .is_ok();
            saved.set(ok);
        }
    };
    rsx! {
        label { {tr.text("request-kind")}
            select { id: "request-kind", disabled: locked,
                onchange: move |e| if let Some(k) = RequestType::from_code(&e.value()) { form.write().kind = k },
                for k in RequestType::ALL.iter().copied() {
                    option { value: k.code(), selected: form().kind == k, {tr.text(&k.label_key())} }
                }
            }
        }
        Field { id: "request-amount", label: tr.text("request-amount"), value: form().amount, ltr: true, numeric: true,
            error: amount.is_err().then(|| tr.text("amount-bad")),
            oninput: move |v| form.write().amount = v }
        label { {tr.text("request-reason")}
            textarea { id: "request-reason", disabled: locked, value: form().reason, oninput: move |e| form.write().reason = e.value() }
        }
        label { {tr.text("household-notes")}
            textarea { id: "household-notes", value: notes(), oninput: move |e| notes.set(e.value()) }
        }
        button { id: "interview-save", class: "primary", disabled: locked, onclick: save, {tr.text("interview-save")} }
        if saved() { p { class: "ok", {tr.text("saved")} } }
        MoneySection { open: open.clone() }
    }
}

/// Housing, monthly income by source and expenses by kind (the social research's figures).
#[component]
fn MoneySection(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut housing = use_signal(|| open.case.household.housing.kind);
    let mut rent = use_signal(|| {
        open.case
            .household
            .housing
            .monthly_rent
            .map(|r| r.to_string())
            .unwrap_or_default()
    });
    let id = open.case.id.clone();
    let current = open.case.household.housing.clone();
    let b1 = backend.clone();
    let id1 = id.clone();
    let save_housing = move |_| {
        let backend = b1.clone();
        let id = id1.clone();
        let mut h = current.clone();
        async move {
            let Ok(r) = parse_kwd(&rent()) else { return };
            h.kind = housing();
            h.monthly_rent = r;
            let _ = backend.edit(id, Edit::SetHousing(h)).await;
        }
    };
    let b2 = backend.clone();
    let id2 = id.clone();
    let add_income = move |(code, monthly): (String, Fils)| {
        let backend = b2.clone();
        let id = id2.clone();
        if let Some(kind) = IncomeSource::from_code(&code) {
            spawn(async move {
                let line = MoneyLine {
                    id: MoneyLineId::generate(),
                    kind,
                    monthly,
                    member: None,
                    note: String::new(),
                };
                let _ = backend.edit(id, Edit::UpsertIncome(line)).await;
            });
        }
    };
    let add_expense = move |(code, monthly): (String, Fils)| {
        let backend = backend.clone();
        let id = id.clone();
        if let Some(kind) = ExpenseKind::from_code(&code) {
            spawn(async move {
                let line = MoneyLine {
                    id: MoneyLineId::generate(),
                    kind,
                    monthly,
                    member: None,
                    note: String::new(),
                };
                let _ = backend.edit(id, Edit::UpsertExpense(line)).await;
            });
        }
    };
    let income: Vec<(String, String, Fils)> = open
        .case
        .household
        .income
        .iter()
        .map(|l| (l.id.as_str().to_owned(), l.kind.label_key(), l.monthly))
        .collect();
    let expenses: Vec<(String, String, Fils)> = open
        .case
        .household
        .expenses
        .iter()
        .map(|l| (l.id.as_str().to_owned(), l.kind.label_key(), l.monthly))
        .collect();
    let income_kinds: Vec<(&'static str, String)> = IncomeSource::ALL
        .iter()
        .map(|k| (k.code(), k.label_key()))
        .collect();
    let expense_kinds: Vec<(&'static str, String)> = ExpenseKind::ALL
        .iter()
        .map(|k| (k.code(), k.label_key()))
        .collect();
    rsx! {
        h3 { {tr.text("housing-title")} }
        label { {tr.text("housing-kind")}
            select { id: "housing-kind", onchange: move |e| housing.set(HousingKind::from_code(&e.value())),
                option { value: "", {tr.text("choose")} }
                for k in HousingKind::ALL.iter().copied() {
                    option { value: k.code(), selected: housing() == Some(k), {tr.text(&k.label_key())} }
                }
            }
        }
        Field { id: "housing-rent", label: tr.text("housing-rent"), value: rent(), ltr: true, numeric: true,
            error: parse_kwd(&rent()).is_err().then(|| tr.text("amount-bad")), oninput: move |v| rent.set(v) }
        button { id: "housing-save", onclick: save_housing, {tr.text("save")} }
        MoneyLines { prefix: "income", title: tr.text("income-title"), add: tr.text("income-add"),
            lines: income, kinds: income_kinds, onadd: add_income }
        MoneyLines { prefix: "expense", title: tr.text("expenses-title"), add: tr.text("expense-add"),
            lines: expenses, kinds: expense_kinds, onadd: add_expense }
    }
}

/// Monthly amounts by category (income by source, expenses by kind), their total, and a row
/// to add one. `onadd` receives the category code and the amount.
#[component]
fn MoneyLines(
    prefix: &'static str,
    title: String,
    add: String,
    /// (id, label key, monthly amount)
    lines: Vec<(String, String, Fils)>,
    /// (code, label key), in display order
    kinds: Vec<(&'static str, String)>,
    onadd: EventHandler<(String, Fils)>,
) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let first = kinds.first().map(|k| k.0.to_owned()).unwrap_or_default();
    let mut kind = use_signal(move || first);
    let mut amount = use_signal(String::new);
    let total: i64 = lines.iter().map(|l| l.2.0).sum();
    rsx! {
        h3 { "{title}" }
        ul { class: "log",
            for (id, label, monthly) in lines.iter() {
                li { key: "{id}", {tr.text(label)} " · " span { dir: "ltr", "{monthly} KWD" } }
            }
        }
        p { class: "hint", {tr.text_with("monthly-total", &[("amount", &Fils(total).to_string())])} }
        div { class: "row",
            select { id: "{prefix}-kind", onchange: move |e| kind.set(e.value()),
                for (code, label) in kinds.iter() {
                    option { value: *code, selected: kind() == *code, {tr.text(label)} }
                }
            }
            input { id: "{prefix}-amount", dir: "ltr", inputmode: "decimal", placeholder: tr.text("request-amount"),
                value: amount(), oninput: move |e| amount.set(e.value()) }
        }
        button { id: "{prefix}-add",
            onclick: move |_| {
                if let Ok(Some(monthly)) = parse_kwd(&amount()) {
                    onadd.call((kind(), monthly));
                    amount.set(String::new());
                }
            },
            "{add}"
        }
    }
}

#[component]
fn DocumentsStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let catalog = use_context::<Rc<RequestCatalog>>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let Some(request) = open.case.requests.last().cloned() else {
        return rsx! { p { class: "hint", {tr.text("step-interview")} } };
    };
    let items = checklist(&open.case, &request.id, &catalog);
    rsx! {
        h3 { {tr.text("documents-needed")} }
        ul { class: "checklist",
            for (i, item) in items.into_iter().enumerate() {
                li { key: "{i}", class: if item.present.is_some() { "doc present" } else { "doc missing" },
                    div { class: "doc-label",
                        {tr.text(&item.kind.label_key())}
                        if !item.member_name.is_empty() { " " {tr.text_with("document-for", &[("name", &item.member_name)])} }
                        " · "
                        {tr.text(if item.present.is_some() { "document-present" } else { "document-missing" })}
                    }
                    if let Some(doc) = &item.present { Thumbnail { sha: doc.thumbnail_sha256.clone() } }
                    PhotoInput {
                        input_id: format!("capture-{}", item.kind.code()) + &item.member.as_ref().map(|m| format!("-{}", m.as_str())).unwrap_or_default(),
                        case: open.case.id.clone(),
                        kind: item.kind,
                        member: item.member.clone(),
                        request: Some(request.id.clone()),
                    }
                }
            }
        }
    }
}

#[component]
fn Thumbnail(sha: String) -> Element {
    let backend = use_context::<Backend>();
    let s = sha.clone();
    let bytes = use_resource(move || {
        let backend = backend.clone();
        let sha = s.clone();
        async move { backend.blob(sha).await.ok().flatten() }
    });
    match &*bytes.read() {
        Some(Some(b)) => {
            let src = format!(
                "data:image/jpeg;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(b)
            );
            rsx! { img { class: "thumb", src, alt: "", "data-sha": sha.clone() } }
        }
        _ => rsx! {},
    }
}

#[component]
fn PhotoInput(
    input_id: String,
    case: CaseId,
    kind: DocumentKind,
    member: Option<MemberId>,
    request: Option<RequestId>,
) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let renderer = use_context::<Renderer>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut message = use_signal(Vec::<(bool, String)>::new);
    let mut busy = use_signal(|| false);
    let id_for_read = input_id.clone();
    let onchange = move |e: FormEvent| {
        let backend = backend.clone();
        let case = case.clone();
        let member = member.clone();
        let request = request.clone();
        let input_id = id_for_read.clone();
        async move {
            busy.set(true);
            let texts = Texts::new();
            let tr = texts.get((ctx.lang)());
            let picked = platform::picked_file(renderer, &e, &input_id).await;
            let out = match picked {
                Ok(None) => Vec::new(),
                Err(reason) => vec![(true, tr.text_with("photo-error", &[("reason", &reason)]))],
                Ok(Some(bytes)) => {
                    match backend
                        .attach(case, bytes, kind, member, request, None)
                        .await
                    {
                        Ok(p) => p
                            .warnings
                            .iter()
                            .map(|w| {
                                (
                                    false,
                                    tr.text(match w {
                                        QualityWarning::Blurry => "warning-blurry",
                                        QualityWarning::TooDark => "warning-too-dark",
                                    }),
                                )
                            })
                            .collect(),
                        Err(AppError::Engine(EngineError::Photo(reason))) => {
                            vec![(true, tr.text_with("photo-error", &[("reason", &reason)]))]
                        }
                        Err(other) => vec![(true, other.to_string())],
                    }
                }
            };
            message.set(out);
            busy.set(false);
        }
    };
    rsx! {
        label { class: "capture",
            span { class: "button-like", {tr.text("document-capture")} }
            input { r#type: "file", id: "{input_id}", accept: "image/*", capture: "environment",
                disabled: busy(), onchange }
        }
        for (is_error, m) in message() {
            p { class: if is_error { "error" } else { "warning-text" }, role: "status", "{m}" }
        }
    }
}

#[component]
fn ReferralStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut question = use_signal(String::new);
    let mut failure = use_signal(Vec::<String>::new);
    let id = open.case.id.clone();
    let request = open.case.requests.last().map(|r| r.id.clone());
    let by = session_user(&ctx);
    let refer = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let request = request.clone();
        let by = by.clone();
        async move {
            if question().trim().is_empty() {
                return;
            }
            let referral = Referral {
                id: ReferralId::generate(),
                request: request.clone(),
                question: question().trim().to_owned(),
                by,
                at: Timestamp::now(),
                answer: None,
                answered_by: None,
                answered_at: None,
            };
            let mut result = backend
                .edit(id.clone(), Edit::UpsertReferral(referral))
                .await;
            if result.is_ok()
                && let Some(r) = request
            {
                result = backend
                    .record_event(id, r, EventKind::Referred, question().trim().to_owned())
                    .await;
            }
            match result {
                Ok(()) => question.set(String::new()),
                Err(e) => {
                    let texts = Texts::new();
                    failure.set(engine_error_text(texts.get((ctx.lang)()), &e));
                }
            }
        }
    };
    rsx! {
        ul { class: "log",
            for r in open.case.referrals.iter() {
                li { key: "{r.id.as_str()}", "{r.question}"
                    if let Some(a) = &r.answer { br {} {tr.text_with("referral-answer", &[("answer", a)])} } else { br {} em { {tr.text("referral-sent")} } }
                }
            }
        }
        label { {tr.text("referral-question")}
            textarea { id: "referral-question", value: question(), oninput: move |e| question.set(e.value()) }
        }
        button { id: "referral-send", onclick: refer, {tr.text("referral-send")} }
        for f in failure() { p { class: "error", "{f}" } }
    }
}

/// Pad size in CSS pixels (the PNG is twice that).
const PAD_W: f64 = 320.0;
const PAD_H: f64 = 160.0;

#[component]
fn DeclarationStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut pad = use_signal(|| SignaturePad::new(PAD_W, PAD_H));
    let mut message = use_signal(|| None::<String>);
    let Some(request) = open.case.requests.last().cloned() else {
        return rsx! { p { class: "hint", {tr.text("step-interview")} } };
    };
    let adults: Vec<Member> = open
        .case
        .household
        .members
        .iter()
        .filter(|m| {
            mandoob_shared::validate::birth_date_of(m, today())
                .is_some_and(|b| mandoob_shared::validate::age_on(b, today()) >= 18)
        })
        .cloned()
        .collect();
    let head_id = open.case.head().map(|h| h.id.clone());
    let mut signer = use_signal(|| head_id.clone());
    let id = open.case.id.clone();
    let save = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let request = request.clone();
        async move {
            let texts = Texts::new();
            let tr = texts.get((ctx.lang)());
            let Ok(png) = pad().to_png(2.0) else {
                message.set(Some(tr.text("signature-empty")));
                return;
            };
            let Some(signed_by) = signer() else {
                return;
            };
            let attached = match backend
                .attach(
                    id.clone(),
                    png,
                    DocumentKind::Signature,
                    Some(signed_by.clone()),
                    None,
                    None,
                )
                .await
            {
                Ok(a) => a,
                Err(e) => {
                    message.set(Some(e.to_string()));
                    return;
                }
            };
            let mut updated = request.clone();
            updated.declaration = Some(Declaration {
                signed_by,
                signature: attached.document,
                signed_at: Timestamp::now(),
                text_version: "declaration-v1".into(),
            });
            match backend.edit(id, Edit::UpsertRequest(updated)).await {
                Ok(()) => {
                    pad.write().clear();
                    message.set(None);
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        }
    };
    let signed = open
        .case
        .requests
        .last()
        .and_then(|r| r.declaration.clone());
    rsx! {
        blockquote { class: "declaration", id: "declaration-text", {tr.text("declaration-text")} }
        if let Some(d) = signed {
            p { class: "ok", id: "signature-saved", {tr.text_with("signature-saved", &[("date", &date_text(d.signed_at))])} }
            if let Some(doc) = open.case.document(&d.signature) { Thumbnail { sha: doc.thumbnail_sha256.clone() } }
        }
        label { {tr.text("declaration-signer")}
            select { id: "signer",
                onchange: move |e| signer.set(Some(MemberId::new(e.value()))),
                for m in adults {
                    option { value: m.id.as_str().to_owned(), selected: signer().as_ref() == Some(&m.id), "{m.name_ar}" }
                }
            }
        }
        p { class: "hint", {tr.text("signature-prompt")} }
        div {
            id: "signature-pad",
            class: "signature-pad",
            style: "width: {PAD_W}px; height: {PAD_H}px;",
            onpointerdown: move |e: PointerEvent| {
                let p = e.element_coordinates();
                pad.write().start(p.x, p.y);
            },
            onpointermove: move |e: PointerEvent| {
                if pad.read().is_drawing() {
                    let p = e.element_coordinates();
                    pad.write().extend(p.x, p.y);
                }
            },
            onpointerup: move |_| pad.write().end(),
            onpointerleave: move |_| pad.write().end(),
            svg { width: "{PAD_W}", height: "{PAD_H}", view_box: "0 0 {PAD_W} {PAD_H}",
                path { d: pad.read().svg_path(), stroke: "#10212b", stroke_width: "3", fill: "none",
                    stroke_linecap: "round", stroke_linejoin: "round" }
            }
        }
        div { class: "row",
            button { id: "signature-clear", onclick: move |_| pad.write().clear(), {tr.text("signature-clear")} }
            button { id: "signature-save", class: "primary", onclick: save, {tr.text("signature-save")} }
        }
        if let Some(m) = message() { p { class: "error", "{m}" } }
    }
}

#[component]
fn SubmitStep(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let catalog = use_context::<Rc<RequestCatalog>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let Some(request) = open.case.requests.last().cloned() else {
        return rsx! { p { class: "hint", {tr.text("step-interview")} } };
    };
    let state = open
        .requests
        .iter()
        .find(|s| s.request == request.id)
        .cloned();
    let problems = mandoob_shared::validate::submission(&open.case, &request.id, &catalog, today())
        .err()
        .unwrap_or_default();
    let mut failure = use_signal(Vec::<String>::new);
    let syncer = use_coroutine_handle::<SyncRequest>();
    let id = open.case.id.clone();
    let rid = request.id.clone();
    let submit = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let rid = rid.clone();
        async move {
            match backend
                .record_event(id.clone(), rid.clone(), EventKind::Submitted, String::new())
                .await
            {
                Ok(()) => {
                    ctx.screen.set(Screen::Receipt { id, request: rid });
                    // Sent now if there is a connection; otherwise it waits, safely stored.
                    syncer.send(SyncRequest);
                }
                Err(e) => {
                    let texts = Texts::new();
                    failure.set(engine_error_text(texts.get((ctx.lang)()), &e));
                }
            }
        }
    };
    let submitted = state
        .as_ref()
        .is_some_and(|s| s.status != RequestStatus::Draft);
    let id2 = open.case.id.clone();
    let rid2 = request.id.clone();
    rsx! {
        if submitted {
            p { {tr.text_with("status-now", &[("status", &tr.text(&status_key(state.as_ref().map_or("draft", |s| s.status.code()))))])} }
            button { id: "show-receipt", onclick: move |_| ctx.screen.set(Screen::Receipt { id: id2.clone(), request: rid2.clone() }),
                {tr.text("receipt-title")}
            }
        } else {
            if !problems.is_empty() {
                div { class: "warning", id: "submit-problems",
                    p { {tr.text("submit-fix")} }
                    ul { for p in problems.iter() { li { {tr.error(p)} } } }
                }
            }
            button { id: "submit", class: "primary", disabled: !problems.is_empty(), onclick: submit, {tr.text("submit-request")} }
            for f in failure() { p { class: "error", "{f}" } }
        }
    }
}

#[component]
fn ReceiptScreen(id: CaseId, request: RequestId) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let case_id = id.clone();
    let opened = use_resource(move || {
        let backend = backend.clone();
        let id = case_id.clone();
        async move { backend.open(id).await }
    });
    let sla = SlaPolicy::default();
    let receipt = match &*opened.read() {
        Some(Ok(o)) => receipt(o, &request, &sla),
        _ => None,
    };
    let Some(r) = receipt else {
        return rsx! { p { {tr.text("loading")} } };
    };
    rsx! {
        section { class: "card receipt", id: "receipt",
            h2 { "✓ " {tr.text("receipt-title")} }
            dl {
                dt { {tr.text("receipt-reference")} }
                dd { class: "big", dir: "ltr", id: "receipt-reference", "{r.reference}" }
                dt { {tr.text("receipt-type")} }
                dd { {tr.text(&r.kind.label_key())} }
                dt { {tr.text("receipt-submitted")} }
                dd { dir: "ltr", "{r.submitted_on}" }
                dt { {tr.text("receipt-due")} }
                dd { class: "big", dir: "ltr", id: "receipt-due", "{r.decision_due}" }
            }
            p { {tr.text("receipt-note")} }
            button { id: "back-to-case", onclick: move |_| ctx.screen.set(Screen::Case { id: id.clone(), tab: CaseTab::Timeline }),
                {tr.text("back-to-case")}
            }
        }
    }
}

#[component]
fn Timeline(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let sla = SlaPolicy::default();
    rsx! {
        for state in open.requests.iter() {
            div { class: "request-state", key: "{state.request.as_str()}",
                p { id: "request-status", class: "status status-{state.status.code()}",
                    {tr.text_with("status-now", &[("status", &tr.text(&status_key(state.status.code())))])}
                }
                if let Some(due) = state.due_date(&sla) {
                    p { {tr.text_with("decision-due", &[("date", &due.to_string())])} }
                }
                if let Some(d) = &state.decision {
                    p { id: "decision", class: if d.accepted { "ok" } else { "error" },
                        {tr.text(if d.accepted { "event-accepted" } else { "event-rejected" })} " — "
                        {tr.text_with("decision-reason", &[("reason", &d.reason)])}
                    }
                }
            }
        }
        if open.case.events.is_empty() {
            p { class: "hint", {tr.text("timeline-empty")} }
        }
        ol { class: "timeline",
            for e in open.case.events.iter() {
                li { key: "{e.id.as_str()}",
                    span { dir: "ltr", class: "when", "{date_text(e.at)}" } " "
                    strong { {tr.text(&event_key(e.kind))} }
                    " · " {tr.text(&e.role.label_key())}
                    if !e.reason.is_empty() { br {} "{e.reason}" }
                }
            }
        }
    }
}

#[component]
fn Contacts(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut channel = use_signal(|| Channel::Phone);
    let mut direction = use_signal(|| Direction::Outbound);
    let mut summary = use_signal(String::new);
    let mut follow = use_signal(String::new);
    let id = open.case.id.clone();
    let by = session_user(&ctx);
    let add = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let by = by.clone();
        async move {
            if summary().trim().is_empty() {
                return;
            }
            let entry = ContactEntry {
                id: ContactId::generate(),
                channel: channel(),
                direction: direction(),
                at: Timestamp::now(),
                by,
                summary: summary().trim().to_owned(),
                follow_up_on: parse_date(&follow()),
                follow_up_done: false,
            };
            if backend.edit(id, Edit::UpsertContact(entry)).await.is_ok() {
                summary.set(String::new());
                follow.set(String::new());
            }
        }
    };
    rsx! {
        ul { class: "log",
            for c in open.case.contacts.iter().rev() {
                li { key: "{c.id.as_str()}",
                    span { dir: "ltr", class: "when", "{date_text(c.at)}" } " · "
                    {tr.text(&c.channel.label_key())} " · " {tr.text(&c.direction.label_key())}
                    br {} "{c.summary}"
                    if let Some(f) = c.follow_up_on { br {} em { {tr.text_with("contact-follow-up-due", &[("date", &f.to_string())])} } }
                }
            }
        }
        label { {tr.text("contact-channel")}
            select { id: "contact-channel", onchange: move |e| if let Some(c) = Channel::from_code(&e.value()) { channel.set(c) },
                for c in Channel::ALL.iter().copied() {
                    option { value: c.code(), selected: channel() == c, {tr.text(&c.label_key())} }
                }
            }
        }
        label { {tr.text("contact-direction")}
            select { id: "contact-direction", onchange: move |e| if let Some(d) = Direction::from_code(&e.value()) { direction.set(d) },
                for d in Direction::ALL.iter().copied() {
                    option { value: d.code(), selected: direction() == d, {tr.text(&d.label_key())} }
                }
            }
        }
        label { {tr.text("contact-summary")}
            textarea { id: "contact-summary", value: summary(), oninput: move |e| summary.set(e.value()) }
        }
        Field { id: "contact-follow-up", label: tr.text("contact-follow-up"), value: follow(), error: None, ltr: true, oninput: move |v| follow.set(v) }
        button { id: "contact-add", class: "primary", onclick: add, {tr.text("contact-add")} }
    }
}

#[component]
fn Services(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut kind = use_signal(|| ServiceKind::FoodBasket);
    let mut value = use_signal(String::new);
    let mut description = use_signal(String::new);
    let mut failure = use_signal(Vec::<String>::new);
    let id = open.case.id.clone();
    let by = session_user(&ctx);
    let request = open.case.requests.last().map(|r| r.id.clone());
    let add = move |_| {
        let backend = backend.clone();
        let id = id.clone();
        let by = by.clone();
        let request = request.clone();
        async move {
            let Ok(v) = parse_kwd(&value()) else {
                return;
            };
            let record = ServiceRecord {
                id: ServiceId::generate(),
                request: request.clone(),
                kind: kind(),
                description: description().trim().to_owned(),
                value: v.unwrap_or_default(),
                delivered_at: Timestamp::now(),
                by,
            };
            let mut result = backend.edit(id.clone(), Edit::AddService(record)).await;
            if result.is_ok()
                && let Some(r) = request
            {
                // Recorded as a workflow step when the request allows it (registered first).
                let _ = backend
                    .record_event(id, r, EventKind::ServiceDelivered, String::new())
                    .await;
            }
            if let Err(e) = result.as_mut() {
                let texts = Texts::new();
                failure.set(engine_error_text(texts.get((ctx.lang)()), e));
            } else {
                value.set(String::new());
                description.set(String::new());
            }
        }
    };
    let case_id = open.case.id.clone();
    rsx! {
        ul { class: "log",
            for s in open.case.services.iter() {
                li { key: "{s.id.as_str()}",
                    span { dir: "ltr", class: "when", "{date_text(s.delivered_at)}" } " · "
                    {tr.text(&s.kind.label_key())} " · " span { dir: "ltr", "{s.value} KWD" }
                    br {} "{s.description}"
                }
            }
        }
        label { {tr.text("service-kind")}
            select { id: "service-kind", onchange: move |e| if let Some(k) = ServiceKind::from_code(&e.value()) { kind.set(k) },
                for k in ServiceKind::ALL.iter().copied() {
                    option { value: k.code(), selected: kind() == k, {tr.text(&k.label_key())} }
                }
            }
        }
        Field { id: "service-value", label: tr.text("service-value"), value: value(), error: parse_kwd(&value()).is_err().then(|| tr.text("amount-bad")), ltr: true, numeric: true, oninput: move |v| value.set(v) }
        label { {tr.text("service-description")}
            textarea { id: "service-description", value: description(), oninput: move |e| description.set(e.value()) }
        }
        button { id: "service-add", onclick: add, {tr.text("service-add")} }
        for f in failure() { p { class: "error", "{f}" } }
        hr {}
        p { id: "survey-count", {tr.text_with("survey-count", &[("count", &open.case.surveys.len().to_string())])} }
        button { id: "survey-start", class: "primary", onclick: move |_| ctx.screen.set(Screen::Survey { id: case_id.clone() }),
            {tr.text("survey-start")}
        }
    }
}

#[component]
fn SurveyScreen(id: CaseId) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut scores = use_signal(|| [None::<u64>; 5]);
    let mut comment = use_signal(String::new);
    let mut wants_contact = use_signal(|| false);
    let mut done = use_signal(|| false);
    let questions = [
        "survey-reception",
        "survey-time-and-answers",
        "survey-clarity",
        "survey-speed",
        "survey-overall",
    ];
    let faces = ["😞", "🙁", "😐", "🙂", "😄"];
    let case_id = id.clone();
    let send = move |_| {
        let backend = backend.clone();
        let id = case_id.clone();
        async move {
            let s = scores();
            let survey = SatisfactionSurvey {
                id: SurveyId::generate(),
                at: Timestamp::now(),
                administered_by: session_user(&ctx),
                reception: s[0],
                time_and_answers: s[1],
                clarity: s[2],
                speed: s[3],
                overall: s[4],
                comment: comment().trim().to_owned(),
                wants_contact: wants_contact(),
            };
            if backend.edit(id, Edit::AddSurvey(survey)).await.is_ok() {
                done.set(true);
            }
        }
    };
    if done() {
        return rsx! {
            section { class: "card survey", id: "survey-thanks",
                p { class: "big", {tr.text("survey-thanks")} }
                button { onclick: move |_| ctx.screen.set(Screen::Case { id: id.clone(), tab: CaseTab::Services }), {tr.text("back-to-case")} }
            }
        };
    }
    rsx! {
        section { class: "card survey",
            h2 { {tr.text("survey-title")} }
            p { class: "intro", {tr.text("survey-intro")} }
            for (qi, q) in questions.iter().enumerate() {
                fieldset { key: "{q}",
                    legend { {tr.text(q)} }
                    div { class: "faces",
                        for (i, face) in faces.iter().enumerate() {
                            button {
                                class: if scores()[qi] == Some(i as u64 + 1) { "face chosen" } else { "face" },
                                id: "{q}-{i + 1}",
                                "aria-label": tr.text(&format!("survey-score-{}", i + 1)),
                                "aria-pressed": scores()[qi] == Some(i as u64 + 1),
                                onclick: move |_| scores.write()[qi] = Some(i as u64 + 1),
                                span { class: "emoji", "{face}" }
                                span { class: "caption", {tr.text(&format!("survey-score-{}", i + 1))} }
                            }
                        }
                    }
                }
            }
            label { {tr.text("survey-comment")}
                textarea { id: "survey-comment", value: comment(), oninput: move |e| comment.set(e.value()) }
            }
            label { class: "check",
                input { r#type: "checkbox", id: "survey-wants-contact", checked: wants_contact(), onchange: move |e| wants_contact.set(e.checked()) }
                {tr.text("survey-wants-contact")}
            }
            button { id: "survey-submit", class: "primary big", onclick: send, {tr.text("survey-submit")} }
        }
    }
}

#[component]
fn Conflicts(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    if open.conflicts.is_empty() {
        return rsx! { p { class: "hint", id: "no-conflicts", {tr.text("conflicts-none")} } };
    }
    rsx! {
        for (ci, c) in open.conflicts.iter().enumerate() {
            div { class: "conflict card", key: "{ci}",
                h3 { {tr.text("conflict-title")} }
                p { dir: "ltr", class: "path", "{c.path}" }
                for (vi, v) in c.values.iter().enumerate() {
                    div { class: "conflict-value", key: "{vi}",
                        p { class: "big", {display_value(&v.value)} }
                        p { class: "hint", {tr.text_with("conflict-by", &[("who", v.author.as_ref().map_or("?", |a| a.as_str())), ("at", &v.at.map(date_text).unwrap_or_default())])} }
                        button {
                            id: "conflict-{ci}-choose-{vi}",
                            onclick: {
                                let backend = backend.clone();
                                let id = open.case.id.clone();
                                let path = c.path.clone();
                                let value = v.value.clone();
                                move |_| {
                                    let backend = backend.clone();
                                    let id = id.clone();
                                    let path = path.clone();
                                    let value = value.clone();
                                    async move { let _ = backend.resolve(id, path, value).await; }
                                }
                            },
                            {tr.text("conflict-choose")}
                        }
                    }
                }
                button {
                    id: "conflict-{ci}-keep-both",
                    onclick: {
                        let backend = backend.clone();
                        let id = open.case.id.clone();
                        let path = c.path.clone();
                        let values: Vec<String> = c.values.iter().map(|v| display_value(&v.value)).collect();
                        let first = c.values.first().map(|v| v.value.clone()).unwrap_or_default();
                        let notes = open.case.household.notes.clone();
                        move |_| {
                            let backend = backend.clone();
                            let id = id.clone();
                            let path = path.clone();
                            let first = first.clone();
                            let note = format!("{}\n{}: {}", notes, path, values.join(" / "));
                            async move {
                                if backend.edit(id.clone(), Edit::SetHouseholdNotes(note.trim().to_owned())).await.is_ok() {
                                    let _ = backend.resolve(id, path, first).await;
                                }
                            }
                        }
                    },
                    {tr.text("conflict-keep-both")}
                }
            }
        }
    }
}

fn display_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

#[component]
fn SyncScreen() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
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
                div { class: "progress indeterminate", div { class: "progress-fill" } }
                p { {tr.text_with("sync-progress", &[("documents", &view.documents.to_string()), ("kb", &(view.bytes / 1024).to_string())])} }
            }
            if let SyncState::Error(reason) = &view.state {
                p { class: "error", role: "alert", {tr.text_with("sync-error-detail", &[("reason", reason)])} }
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
            button { id: "sign-out", onclick: sign_out, {tr.text("signout")} }
        }
    }
}

#[component]
fn Library() -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let lang = (ctx.lang)();
    let (text, dir) = match lang {
        Lang::Ar => (POLICY_AR, "rtl"),
        Lang::En => (POLICY_EN, "ltr"),
    };
    // What HQ published, kept on the device by the last sync.
    let published = use_resource(move || {
        let backend = backend.clone();
        let _ = (ctx.revision)();
        async move {
            backend
                .library()
                .await
                .map(|l| l.documents)
                .unwrap_or_default()
        }
    });
    let documents = published.read().clone().unwrap_or_default();
    rsx! {
        section { class: "card library",
            h2 { {tr.text("library-title")} }
            for doc in documents {
                article { key: "{doc.id}", class: "published", dir,
                    h3 { {if lang == Lang::Ar { doc.title_ar.clone() } else { doc.title_en.clone() }} }
                    for (i, para) in (if lang == Lang::Ar { doc.body_ar.clone() } else { doc.body_en.clone() }).split("\n\n").map(str::to_owned).enumerate() {
                        p { key: "{i}", "{para}" }
                    }
                }
            }
            h3 { {tr.text("library-policy")} }
            article { id: "policy", dir, class: "policy",
                for (i, para) in text.split("\n\n").enumerate() {
                    p { key: "{i}", "{para.trim_start_matches('#').trim()}" }
                }
            }
        }
    }
}
