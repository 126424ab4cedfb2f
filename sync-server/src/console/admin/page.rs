//! The administration page: devices, users, the library, branches and the decision target, with
//! what was just done, or a refused form as it was typed and why, beside the field.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use mandoob_shared::i18n::Lang;
use mandoob_shared::workflow::{DayCount, Role};

use super::super::{Console, ConsoleError, csrf_field, date_time_of, layout};
use super::{BranchForm, NewUserForm, PublishForm};
use crate::service::policy;
use crate::state::AppState;

/// Why a form was refused: the field (its `name`; empty for the form as a whole) and the
/// message's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    field: &'static str,
    key: &'static str,
}

impl Refused {
    pub fn new(field: &'static str, key: &'static str) -> Self {
        Self { field, key }
    }
}

/// What the page shows besides what is stored.
#[derive(Debug, Default)]
pub struct Drafts {
    /// A change done (`console-done-…`).
    pub done: Option<String>,
    /// The username of an account just created.
    pub created: Option<String>,
    pub user: Option<(NewUserForm, Refused)>,
    pub branch: Option<(BranchForm, Refused)>,
    pub document: Option<(PublishForm, Refused)>,
}

/// The section a confirmation belongs to.
fn section_of(done: &str) -> &'static str {
    match done {
        "console-done-device-revoked" => "devices",
        "console-done-branch-created" => "branches",
        "console-done-sla-saved" => "sla",
        "console-done-published" | "console-done-retired" => "library",
        _ => "users",
    }
}

/// A refused form's field: whether it was the one refused, and its message beside it.
struct Check<'a> {
    cx: &'a Console,
    form: &'a str,
    refused: Option<&'a Refused>,
}

impl Check<'_> {
    fn invalid(&self, field: &str) -> Option<&'static str> {
        self.refused
            .is_some_and(|r| r.field == field)
            .then_some("true")
    }

    fn id(&self, field: &str) -> String {
        format!("{}-{field}-error", self.form)
    }

    fn described(&self, field: &str) -> Option<String> {
        self.invalid(field).map(|_| self.id(field))
    }

    /// The message beside `field`, when it was the one refused.
    fn error(&self, field: &str) -> Markup {
        html! {
            @if let Some(r) = self.refused.filter(|r| r.field == field) {
                span.field-error id=(self.id(field)) role="alert" { (self.cx.t.text(r.key)) }
            }
        }
    }

    /// The message for the form as a whole.
    fn form_error(&self) -> Markup {
        html! {
            @if let Some(r) = self.refused.filter(|r| r.field.is_empty()) {
                p.error role="alert" { (self.cx.t.text(r.key)) }
            }
        }
    }
}

pub async fn render(
    state: &AppState,
    cx: &Console,
    status: StatusCode,
    drafts: Drafts,
) -> Result<Response, ConsoleError> {
    let branches = state.storage.branches().await?;
    let users = state.storage.users().await?;
    let devices = state.storage.devices().await?;
    let sla = policy::sla(state.storage.as_ref()).await;
    let library = state.storage.library().await?;
    let t = &cx.t;
    let name_of = |id: &str| {
        users
            .iter()
            .find(|u| u.id.as_str() == id)
            .map(|u| u.display_name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let branch_name = |code: &str| {
        branches
            .iter()
            .find(|(c, _)| c.as_str() == code)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| code.to_owned())
    };
    // What was just done, shown in the section it concerns.
    let created = drafts
        .created
        .as_deref()
        .and_then(|id| users.iter().find(|u| u.id.as_str() == id));
    let notice = |section: &str| -> Markup {
        html! {
            @if let Some(k) = drafts.done.as_deref().filter(|k| section_of(k) == section && t.has(k)) {
                p.done role="status" { (t.text(k)) }
            }
            @if let Some(u) = created.filter(|_| section == "users") {
                p.done role="status" {
                    (t.text_with("console-done-user-created", &[
                        ("name", &u.display_name),
                        ("username", u.id.as_str()),
                    ]))
                }
            }
        }
    };
    let (user_form, user_refused) = drafts.user.clone().unzip();
    let user_form = user_form.unwrap_or_default();
    let user_check = Check {
        cx,
        form: "user",
        refused: user_refused.as_ref(),
    };
    let (branch_form, branch_refused) = drafts.branch.clone().unzip();
    let branch_form = branch_form.unwrap_or_default();
    let branch_check = Check {
        cx,
        form: "branch",
        refused: branch_refused.as_ref(),
    };
    let (doc_form, doc_refused) = drafts.document.clone().unzip();
    let doc_form = doc_form.unwrap_or_default();
    let doc_check = Check {
        cx,
        form: "document",
        refused: doc_refused.as_ref(),
    };
    let body = html! {
        section #devices {
            h2 { (t.text("console-devices")) }
            (notice("devices"))
            (super::user::devices_table(cx, &devices.iter().collect::<Vec<_>>(), Some(&name_of)))
        }
        section #users {
            h2 { (t.text("console-users")) }
            (notice("users"))
            table.cards {
                thead { tr { th { (t.text("signin-username")) } th { (t.text("console-name")) } th { (t.text("console-role")) } th { (t.text("console-branch")) } th {} } }
                tbody {
                    @for u in &users {
                        tr data-user=(u.id.as_str()) {
                            td.lead { a href=(super::user::href(u.id.as_str())) { bdi { (u.id.as_str()) } } }
                            td data-label=(t.text("console-name")) { bdi { (u.display_name) } }
                            td data-label=(t.text("console-role")) { (t.text(&u.role.label_key())) }
                            td data-label=(t.text("console-branch")) { (branch_name(u.branch.as_str())) }
                            td {
                                (super::user::badges(cx, u))
                                @if u.locked {
                                    form.inline method="post" action=(format!("/console/admin/users/{}/unlock", u.id.as_str())) {
                                        (csrf_field(cx))
                                        button type="submit" { (t.text("console-unlock")) }
                                    }
                                }
                                form.inline method="post" action=(format!("/console/admin/users/{}/active", u.id.as_str())) {
                                    (csrf_field(cx))
                                    input type="hidden" name="active" value=(if u.active { "false" } else { "true" });
                                    @if u.active {
                                        // Nobody deactivates their own account: not offered.
                                        @if u.id != cx.session.user.id {
                                            button.danger type="submit" { (t.text("console-deactivate")) }
                                        }
                                    } @else {
                                        button.secondary type="submit" { (t.text("console-activate")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.card #new-user method="post" action="/console/admin/users" {
                (csrf_field(cx))
                h3 { (t.text("console-new-user")) }
                (user_check.form_error())
                label { (t.text("signin-username"))
                    input name="username" value=(user_form.username) required pattern="[a-z0-9._\\-]{2,40}" autocomplete="off" dir="ltr"
                        title=(t.text("console-bad-username"))
                        aria-invalid=[user_check.invalid("username")] aria-describedby=[user_check.described("username")];
                    (user_check.error("username"))
                }
                label { (t.text("console-name"))
                    input name="display_name" value=(user_form.display_name) required dir="auto"
                        aria-invalid=[user_check.invalid("display_name")] aria-describedby=[user_check.described("display_name")];
                    (user_check.error("display_name"))
                }
                label { (t.text("console-role"))
                    select name="role" { @for r in Role::ALL { option value=(r.code()) selected[user_form.role == r.code()] { (t.text(&r.label_key())) } } }
                }
                label { (t.text("console-branch"))
                    select name="branch" aria-invalid=[user_check.invalid("branch")] aria-describedby=[user_check.described("branch")] {
                        @for (code, name) in &branches { option value=(code.as_str()) selected[user_form.branch == code.as_str()] { (name) } }
                    }
                    (user_check.error("branch"))
                }
                label { (t.text("signin-password"))
                    input name="password" type="password" required minlength="12" autocomplete="new-password"
                        aria-invalid=[user_check.invalid("password")] aria-describedby=[user_check.described("password")];
                    (user_check.error("password"))
                    @if user_refused.is_some() && user_check.invalid("password").is_none() {
                        span.hint { (t.text("console-password-again")) }
                    }
                }
                button type="submit" { (t.text("console-create")) }
            }
        }
        section #library {
            h2 { (t.text("console-library")) }
            (notice("library"))
            p.hint { (t.text("console-library-hint")) }
            ul.documents {
                @for d in &library {
                    li data-document=(d.id) {
                        strong dir="auto" { (if cx.lang == Lang::En { &d.title_en } else { &d.title_ar }) }
                        " · " time dir="ltr" { (date_time_of(d.published_at)) } " "
                        form.inline method="post" action=(format!("/console/admin/library/{}/retire", d.id)) {
                            (csrf_field(cx))
                            button.danger type="submit" { (t.text("console-retire")) }
                        }
                    }
                }
            }
            form.card #new-document method="post" action="/console/admin/library" {
                (csrf_field(cx))
                h3 { (t.text("console-publish")) }
                (doc_check.form_error())
                label { (t.text("console-title-ar")) input name="title_ar" value=(doc_form.title_ar) required dir="rtl"; }
                label { (t.text("console-title-en")) input name="title_en" value=(doc_form.title_en) required dir="ltr"; }
                label { (t.text("console-body-ar")) textarea name="body_ar" rows="6" required dir="rtl" { (doc_form.body_ar) } }
                label { (t.text("console-body-en")) textarea name="body_en" rows="6" required dir="ltr" { (doc_form.body_en) } }
                button type="submit" { (t.text("console-publish")) }
            }
        }
        section #branches {
            h2 { (t.text("console-branches")) }
            (notice("branches"))
            ul { @for (code, name) in &branches { li { bdi { (name) } " · " bdi { (code.as_str()) } } } }
            form.card #new-branch method="post" action="/console/admin/branches" {
                (csrf_field(cx))
                h3 { (t.text("console-new-branch")) }
                (branch_check.form_error())
                label { (t.text("console-branch-code"))
                    input name="code" value=(branch_form.code) required pattern="[A-Za-z]{2,6}" dir="ltr" autocomplete="off"
                        title=(t.text("console-bad-branch"))
                        aria-invalid=[branch_check.invalid("code")] aria-describedby=[branch_check.described("code")];
                    (branch_check.error("code"))
                }
                label { (t.text("console-name"))
                    input name="name" value=(branch_form.name) required dir="auto"
                        aria-invalid=[branch_check.invalid("name")] aria-describedby=[branch_check.described("name")];
                    (branch_check.error("name"))
                }
                button type="submit" { (t.text("console-create")) }
            }
        }
        section #sla {
            h2 { (t.text("console-sla")) }
            (notice("sla"))
            form.card method="post" action="/console/admin/sla" {
                (csrf_field(cx))
                label { (t.text("console-sla-days")) input name="days" type="number" min="1" max="90" value=(sla.days) dir="ltr"; }
                label { input type="radio" name="count" value="calendar" checked[sla.count == DayCount::Calendar]; " " (t.text("console-sla-calendar")) }
                label { input type="radio" name="count" value="working" checked[sla.count == DayCount::Working]; " " (t.text("console-sla-working")) }
                button type="submit" { (t.text("console-save")) }
            }
        }
    };
    Ok((
        status,
        layout(cx, "admin", &t.text("console-nav-admin"), body),
    )
        .into_response())
}

/// Asks the administrator to confirm revoking `device` (of `owner`), naming both.
pub fn revoke_confirmation(
    cx: &Console,
    device: &crate::storage::DeviceRecord,
    owner: &str,
) -> Markup {
    let t = &cx.t;
    let body = html! {
        section.card #revoke {
            h2 { (t.text("console-revoke-title")) }
            p {
                (t.text_with("console-revoke-question", &[
                    ("device", &device.name),
                    ("code", device.code.as_str()),
                    ("name", owner),
                ]))
            }
            p.hint { (t.text("console-revoke-explain")) }
            form method="post" action=(format!("/console/admin/devices/{}/revoke", device.code.as_str())) {
                (csrf_field(cx))
                input type="hidden" name="confirm" value="yes";
                button.danger type="submit" { (t.text("console-revoke-confirm")) }
                " "
                a.button href="/console/admin#devices" { (t.text("console-cancel")) }
            }
        }
    };
    layout(cx, "admin", &t.text("console-revoke-title"), body)
}
