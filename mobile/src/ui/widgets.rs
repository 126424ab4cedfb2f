//! Pieces shared by several screens: the navigation buttons and sync badge, the
//! engine-unavailable page, a labelled text field, the warning that a civil ID is on file in
//! another household, monthly money lines (added and corrected in place), and the photo
//! thumbnail and capture input.

use std::rc::Rc;

use base64::Engine as _;
use dioxus::prelude::*;

use mandoob_engine::capture::QualityWarning;
use mandoob_engine::engine::{CivilIdHolder, EngineError};
use mandoob_shared::i18n::{Lang, Translator};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::validate;

use crate::backend::{AppError, Backend, PhotoError};
use crate::platform::{self, Renderer};
use crate::state::*;

use super::{APP_CSS, Ctx, Texts, app_error_key, photo_problem_key};

#[component]
pub(super) fn NavButton(target: Screen, key_name: &'static str, id: &'static str) -> Element {
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
pub(super) fn SyncBadge() -> Element {
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
pub(super) fn Field(
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

/// Who holds a civil ID in another household, and the file: one sentence.
pub(super) fn holder_text(tr: &Translator, h: &CivilIdHolder) -> String {
    let reference = h.case.reference.as_str();
    if h.relation == Relation::Head {
        let args = [("name", h.member_name.as_str()), ("reference", reference)];
        tr.text_with("civil-id-held-head", &args)
    } else {
        let relation = tr.text(&h.relation.label_key());
        let args = [
            ("name", h.member_name.as_str()),
            ("relation", relation.as_str()),
            ("reference", reference),
        ];
        tr.text_with("civil-id-held-member", &args)
    }
}

/// Beside a member's civil ID field, as it is typed: the other households on this device with
/// someone holding it (a warning naming the file, with a way to open it; saving is still
/// allowed, since a person may move between households). `onopen` gets the file to open.
#[component]
pub(super) fn CivilIdElsewhere(
    civil_id: Signal<String>,
    case: CaseId,
    onopen: EventHandler<CaseId>,
) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let except = case.clone();
    let holders = use_resource(move || {
        let backend = backend.clone();
        let except = except.clone();
        let typed = civil_id();
        async move {
            backend
                .civil_id_holders(typed, Some(except))
                .await
                .unwrap_or_default()
        }
    });
    let found: Vec<CivilIdHolder> = holders.read().clone().unwrap_or_default();
    if found.is_empty() {
        return rsx! {};
    }
    rsx! {
        div { class: "warning", id: "civil-id-elsewhere", role: "status",
            for h in found {
                p { key: "{h.case.id.as_str()}-{h.member.as_str()}",
                    {holder_text(tr, &h)} " "
                    button { class: "link",
                        onclick: {
                            let id = h.case.id.clone();
                            move |_| onopen.call(id.clone())
                        },
                        {tr.text("duplicate-open")}
                    }
                }
            }
            p { class: "hint", {tr.text("civil-id-held-member-hint")} }
        }
    }
}

/// The add-or-correct row of [`MoneyLines`], held by the screen that writes the lines: it
/// clears the row once the engine stored the line, and shows the engine's refusal beside the
/// amount (what was typed stays).
#[derive(Clone, Copy, PartialEq)]
pub(super) struct LineForm {
    pub kind: Signal<String>,
    pub amount: Signal<String>,
    /// The line being corrected (its id), or `None` for a new line.
    pub editing: Signal<Option<String>>,
    /// Why the last save was refused.
    pub error: Signal<Option<String>>,
}

impl LineForm {
    /// Back to an empty row for a new line.
    pub fn clear(mut self) {
        self.amount.set(String::new());
        self.editing.set(None);
        self.error.set(None);
    }
}

/// A [`LineForm`] starting on `kind` (a hook: call it on every render).
pub(super) fn use_line_form(kind: &'static str) -> LineForm {
    LineForm {
        kind: use_signal(|| kind.to_owned()),
        amount: use_signal(String::new),
        editing: use_signal(|| None),
        error: use_signal(|| None),
    }
}

/// Monthly amounts by category (income by source, expenses by kind), their total, and a row
/// to add one or correct one in place. `onsave` receives the corrected line's id (`None` for a
/// new line), the category code and the amount, once the amount passes the same check as the
/// engine's (`validate::money_line`).
#[component]
pub(super) fn MoneyLines(
    prefix: &'static str,
    title: String,
    add: String,
    /// (id, category code, label key, monthly amount)
    lines: Vec<(String, String, String, Fils)>,
    /// (code, label key), in display order
    kinds: Vec<(&'static str, String)>,
    form: LineForm,
    onsave: EventHandler<(Option<String>, String, Fils)>,
    /// Receives the id of a line to remove (a correction).
    onremove: EventHandler<String>,
) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let LineForm {
        mut kind,
        mut amount,
        mut editing,
        mut error,
    } = form;
    let total: i64 = lines.iter().map(|l| l.3.0).sum();
    let unreadable = !amount().trim().is_empty() && !matches!(parse_kwd(&amount()), Ok(Some(_)));
    let list = if prefix == "expense" {
        "expenses"
    } else {
        "income"
    };
    let save_texts = texts.clone();
    rsx! {
        h3 { "{title}" }
        ul { class: "log",
            for (i, (id, code, label, monthly)) in lines.iter().enumerate() {
                li { key: "{id}", class: if editing().as_deref() == Some(id.as_str()) { "editing" } else { "" },
                    {tr.text(label)} " · " bdi { class: "num", {tr.text_with("amount-kwd", &[("amount", &monthly.to_string())])} } " "
                    button { class: "link", id: "{prefix}-{i}-edit",
                        onclick: {
                            let (id, code, monthly) = (id.clone(), code.clone(), *monthly);
                            move |_| {
                                kind.set(code.clone());
                                amount.set(monthly.to_string());
                                error.set(None);
                                editing.set(Some(id.clone()));
                            }
                        },
                        {tr.text("member-edit")}
                    }
                    button { class: "link danger", id: "{prefix}-{i}-remove",
                        onclick: {
                            let id = id.clone();
                            move |_| {
                                if editing().as_deref() == Some(id.as_str()) {
                                    form.clear();
                                }
                                onremove.call(id.clone())
                            }
                        },
                        {tr.text("member-remove")}
                    }
                }
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
                "aria-invalid": unreadable || error().is_some(),
                value: amount(), oninput: move |e| { error.set(None); amount.set(e.value()) } }
        }
        // Text that is not an amount, or an amount refused, is said beside the field, never
        // silently ignored; what was typed stays.
        if unreadable {
            p { class: "field-error", id: "{prefix}-amount-error", role: "alert", {tr.text("amount-bad")} }
        } else if let Some(e) = error() {
            p { class: "field-error", id: "{prefix}-amount-error", role: "alert", "{e}" }
        }
        div { class: "row",
            button { id: "{prefix}-add",
                onclick: move |_| {
                    let tr = save_texts.get((ctx.lang)());
                    let Ok(Some(monthly)) = parse_kwd(&amount()) else {
                        error.set(Some(tr.text("amount-bad")));
                        return;
                    };
                    let problems = validate::money_line(&money_line((), monthly), list);
                    if let Some(p) = problems.first() {
                        error.set(Some(tr.error(p)));
                        return;
                    }
                    onsave.call((editing(), kind(), monthly));
                },
                if editing().is_some() { {tr.text("save")} } else { "{add}" }
            }
            if editing().is_some() {
                button { class: "link", id: "{prefix}-cancel", onclick: move |_| form.clear(),
                    {tr.text("correction-cancel")}
                }
            }
        }
    }
}

/// What the full-photo view shows.
#[derive(Debug, Clone, PartialEq)]
enum PhotoView {
    Loading,
    /// The photo, as a data URL.
    Shown(String),
    /// Why it cannot be shown (a translation key).
    Failed(&'static str),
}

fn jpeg_data_url(bytes: &[u8]) -> String {
    format!(
        "data:image/jpeg;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// A document's thumbnail (`sha`). With `full`, the photo's own name, tapping it opens the
/// whole photo: from the device, or fetched from the server when online and kept for offline
/// use afterwards. A thumbnail not on the device yet (a photo taken on another device, before
/// sync brings it) shows as a button to open the photo.
#[component]
pub(super) fn Thumbnail(sha: String, #[props(default)] full: String) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let s = sha.clone();
    let for_thumb = backend.clone();
    let bytes = use_resource(move || {
        // Read again after each sync, which may have brought it.
        let _ = (ctx.sync)().last_sync;
        let backend = for_thumb.clone();
        let sha = s.clone();
        async move { backend.blob(sha).await.ok().flatten() }
    });
    let mut view = use_signal(|| None::<PhotoView>);
    let photo = full.clone();
    let open = use_callback(move |()| {
        let backend = backend.clone();
        let photo = photo.clone();
        view.set(Some(PhotoView::Loading));
        spawn(async move {
            view.set(Some(match backend.photo(photo).await {
                Ok(b) => PhotoView::Shown(jpeg_data_url(&b)),
                Err(PhotoError::Offline) => PhotoView::Failed("photo-view-offline"),
                Err(PhotoError::Unavailable(reason)) => {
                    tracing::warn!("photo not shown: {reason}");
                    PhotoView::Failed("photo-view-unavailable")
                }
            }));
        });
    });
    let openable = !full.is_empty();
    rsx! {
        match (&*bytes.read(), openable) {
            (Some(Some(b)), false) => rsx! { img { class: "thumb", src: jpeg_data_url(b), alt: "", "data-sha": sha.clone() } },
            (Some(Some(b)), true) => rsx! {
                button { class: "thumb-open", "aria-label": tr.text("photo-view-open"), "data-photo": full.clone(),
                    onclick: move |_| open.call(()),
                    img { class: "thumb", src: jpeg_data_url(b), alt: "", "data-sha": sha.clone() }
                }
            },
            (_, true) => rsx! {
                button { class: "link", "data-photo": full.clone(), onclick: move |_| open.call(()), {tr.text("photo-view-open")} }
            },
            _ => rsx! {},
        }
        if let Some(v) = view() {
            div { class: "photo-view", role: "dialog", "aria-modal": "true", "aria-label": tr.text("photo-view-title"),
                match v {
                    PhotoView::Loading => rsx! { p { role: "status", {tr.text("photo-view-loading")} } },
                    PhotoView::Shown(src) => rsx! { img { class: "photo-full", src, alt: tr.text("photo-view-title") } },
                    PhotoView::Failed(key) => rsx! { p { class: "photo-view-error", role: "alert", {tr.text(key)} } },
                }
                button { class: "photo-view-close", onclick: move |_| view.set(None), {tr.text("photo-view-close")} }
            }
        }
    }
}

#[component]
pub(super) fn PhotoInput(
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
                Err(reason) => {
                    tracing::warn!(%reason, "the picked file could not be read");
                    vec![(true, tr.text(photo_problem_key(&reason)))]
                }
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
                            vec![(true, tr.text(photo_problem_key(&reason)))]
                        }
                        Err(other) => vec![(true, tr.text(&app_error_key(&other)))],
                    }
                }
            };
            message.set(out);
            busy.set(false);
        }
    };
    rsx! {
        // The browser's own file button ("Choose File / No file chosen", in the browser's
        // language) stays under a translated one with a camera: still focusable and tappable.
        label { class: if busy() { "capture busy" } else { "capture" },
            span { class: "button-like", "aria-hidden": "true",
                svg { class: "camera", view_box: "0 0 24 24", width: "24", height: "24",
                    path { d: "M4 7h3l2-2.5h6L17 7h3a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1z",
                        fill: "none", stroke: "currentColor", stroke_width: "2", stroke_linejoin: "round" }
                    circle { cx: "12", cy: "13", r: "3.6", fill: "none", stroke: "currentColor", stroke_width: "2" }
                }
                {tr.text(if busy() { "document-capturing" } else { "document-capture" })}
            }
            input { r#type: "file", id: "{input_id}", accept: "image/*", capture: "environment",
                disabled: busy(), onchange }
        }
        for (is_error, m) in message() {
            p { class: if is_error { "error" } else { "warning-text" }, role: "status", "{m}" }
        }
    }
}
