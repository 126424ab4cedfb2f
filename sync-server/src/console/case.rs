//! One case file in the console: everything the field recorded, the timeline, decisions,
//! referral answers and conflict resolution. Changes made here are automerge changes by the
//! signed-in member, checked and stored exactly like a device's push, so they reach the
//! branch's devices through the changes feed.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use mandoob_shared::doc::{Author, CaseDoc, DocError, FieldConflict, FieldPath};
use mandoob_shared::i18n::Lang;
use mandoob_shared::ids::{CaseId, EventId, RequestId, Timestamp};
use mandoob_shared::model::{CaseFile, Member, WorkflowEvent};
use mandoob_shared::sync::{self as wire, PushDoc};
use mandoob_shared::workflow::{self, EventKind, RequestState, SlaPolicy};

use mandoob_shared::access::{self, Scope};

use super::{Console, ConsoleError, csrf_field, date_of, date_time_of, kwd, layout};
use crate::service::{policy, push::push_case_locked};
use crate::state::AppState;

#[derive(Debug, Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    error: String,
    #[serde(default)]
    done: String,
}

/// Only our own message keys are shown from a query string (never arbitrary text).
fn notice_key(key: &str) -> Option<&str> {
    (key.starts_with("console-") || key.starts_with("refusal-")).then_some(key)
}

/// The stored case, if it exists and is in the user's scope.
async fn load(state: &AppState, cx: &Console, id: &str) -> Result<CaseDoc, ConsoleError> {
    let not_found = || ConsoleError::new(StatusCode::NOT_FOUND, "console-no-such-case");
    // Case ids are UUIDs (the schema refuses any other): nothing else reaches a link or a form.
    if !mandoob_shared::schema::is_uuid(id) {
        return Err(not_found());
    }
    let stored = state
        .storage
        .case(&CaseId::new(id))
        .await?
        .ok_or_else(not_found)?;
    if !cx.scope().contains(&stored.branch) {
        return Err(not_found());
    }
    CaseDoc::load(&stored.snapshot).map_err(|e| {
        tracing::error!(case = id, error = %e, "stored case does not load");
        ConsoleError::failed()
    })
}

fn name(lang: Lang, m: &Member) -> &str {
    match lang {
        Lang::En if !m.name_en.is_empty() => &m.name_en,
        _ => &m.name_ar,
    }
}

pub async fn view(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
    Query(notice): Query<Notice>,
) -> Result<Response, ConsoleError> {
    let mut doc = load(&state, &cx, &id).await?;
    let (case, _) = doc
        .read_with_conflicts()
        .map_err(|_| ConsoleError::failed())?;
    let conflicts = doc.conflicts().unwrap_or_default();
    let states = workflow::derive(&case);
    let sla = policy::sla(state.storage.as_ref()).await;
    let t = &cx.t;
    let title = format!(
        "{} · {}",
        case.reference.as_str(),
        case.head().map(|h| name(cx.lang, h)).unwrap_or("")
    );
    let body = html! {
        @if let Some(k) = notice_key(&notice.error) { p.error role="alert" { (t.text(k)) } }
        @if let Some(k) = notice_key(&notice.done) { p.done role="status" { (t.text(k)) } }
        (requests_section(&cx, &case, &states, &sla))
        @if !conflicts.is_empty() { (conflicts_section(&cx, &case, &conflicts)) }
        (household_section(&cx, &case))
        (documents_section(&cx, &case))
        (visits_section(&cx, &case))
        (timeline_section(&cx, &case, &states))
        (referrals_section(&cx, &case))
        (contacts_section(&cx, &case))
        (services_section(&cx, &case))
        (surveys_section(&cx, &case))
    };
    Ok(layout(&cx, "queue", &title, body).into_response())
}

fn requests_section(
    cx: &Console,
    case: &CaseFile,
    states: &[RequestState],
    sla: &SlaPolicy,
) -> Markup {
    let t = &cx.t;
    let may_decide = access::may_decide(cx.role());
    // Deciding while the social-research officer has not answered is allowed (the committee
    // may have enough), but never without knowing it.
    let open_referrals = case.referrals.iter().filter(|r| r.answer.is_none()).count();
    html! {
        section #requests {
            h2 { (t.text("console-requests")) }
            @for (r, s) in case.requests.iter().zip(states) {
                article.request id=(format!("request-{}", r.id.as_str())) {
                    h3 { (t.text(&r.kind.label_key())) " · " span.status { (t.text(&s.status.label_key())) } }
                    dl {
                        @if let Some(a) = r.amount { dt { (t.text("console-amount")) } dd { (kwd(a.0)) " " (t.text("console-kwd")) } }
                        dt { (t.text("console-reason")) } dd { (r.reason) }
                        @if let Some(at) = s.submitted_at { dt { (t.text("console-submitted")) } dd { (date_time_of(at.millis())) } }
                        @if let Some(due) = s.due_date(sla) { dt { (t.text("console-due")) } dd { (due.to_string()) } }
                        @if let Some(d) = &s.decision {
                            dt { (t.text("console-decision")) }
                            dd { (t.text(if d.accepted { "status-accepted" } else { "status-rejected" })) " · " (d.reason) " · " (date_time_of(d.at.millis())) }
                        }
                        @if let Some(decl) = &r.declaration {
                            dt { (t.text("console-declaration")) }
                            dd {
                                (case.household.members.iter().find(|m| m.id == decl.signed_by).map(|m| name(cx.lang, m)).unwrap_or(""))
                                " · " (date_time_of(decl.signed_at.millis()))
                                @if let Some(sig) = case.documents.iter().find(|d| d.id == decl.signature) {
                                    br;
                                    img.signature src=(format!("/console/blobs/{}", sig.sha256)) alt=(t.text("document-kind-signature"));
                                }
                            }
                        }
                    }
                    @if may_decide && s.status == workflow::RequestStatus::AwaitingDecision {
                        form.decide method="post" action=(format!("/console/cases/{}/decide", case.id.as_str())) {
                            (csrf_field(cx))
                            input type="hidden" name="request" value=(r.id.as_str());
                            @if open_referrals > 0 {
                                p.warning role="note" { (t.text_count("console-referral-open", "count", open_referrals as u64)) " " a href="#referrals" { (t.text("console-see-referrals")) } }
                            }
                            fieldset {
                                legend { (t.text("console-decide")) }
                                label { input type="radio" name="outcome" value="accepted" checked; " " (t.text("console-accept")) }
                                label { input type="radio" name="outcome" value="rejected"; " " (t.text("console-reject")) }
                                label { input type="radio" name="outcome" value="info-requested"; " " (t.text("console-ask-info")) }
                            }
                            label { (t.text("console-reason-label")) textarea name="reason" rows="3" {} }
                            button type="submit" { (t.text("console-record-decision")) }
                        }
                    }
                }
            }
            @if case.requests.is_empty() { p.empty { (t.text("console-nothing")) } }
        }
    }
}

fn conflicts_section(cx: &Console, case: &CaseFile, conflicts: &[FieldConflict]) -> Markup {
    let t = &cx.t;
    let may_resolve = access::may_resolve_conflicts(cx.role());
    html! {
        section #conflicts {
            h2 { (t.text("console-conflicts")) }
            p.hint { (t.text("console-conflicts-hint")) }
            @for c in conflicts {
                article.conflict {
                    h3 { code { (c.path.to_string()) } }
                    ul {
                        @for v in &c.values {
                            li {
                                span.value { (v.value.to_string()) }
                                " · " (v.author.as_ref().map(|a| a.as_str()).unwrap_or("?"))
                                @if let Some(at) = v.at { " · " (date_time_of(at.millis())) }
                                @if may_resolve {
                                    form.inline method="post" action=(format!("/console/cases/{}/resolve", case.id.as_str())) {
                                        (csrf_field(cx))
                                        input type="hidden" name="path" value=(c.path.to_string());
                                        input type="hidden" name="value" value=(v.value.to_string());
                                        button type="submit" { (t.text("console-keep-value")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn household_section(cx: &Console, case: &CaseFile) -> Markup {
    let t = &cx.t;
    let h = &case.household;
    let income: i64 = h.income.iter().map(|l| l.monthly.0).sum();
    let expenses: i64 = h.expenses.iter().map(|l| l.monthly.0).sum();
    html! {
        section #household {
            h2 { (t.text("console-household")) }
            dl {
                dt { (t.text("console-branch")) } dd { (case.branch.as_str()) }
                dt { (t.text("console-address")) }
                dd {
                    (h.address.governorate.map(|g| t.text(&g.label_key())).unwrap_or_default()) " · "
                    (h.address.area) " · " (t.text("field-block")) " " (h.address.block) " · "
                    (t.text("field-street")) " " (h.address.street) " · " (t.text("field-house")) " " (h.address.house)
                }
                @if let Some(kind) = h.housing.kind { dt { (t.text("console-housing")) } dd { (t.text(&kind.label_key())) @if let Some(rent) = h.housing.monthly_rent { " · " (kwd(rent.0)) " " (t.text("console-kwd")) } } }
                dt { (t.text("console-income")) } dd { (kwd(income)) " " (t.text("console-kwd")) }
                dt { (t.text("console-expenses")) } dd { (kwd(expenses)) " " (t.text("console-kwd")) }
                @if !h.notes.is_empty() { dt { (t.text("console-notes")) } dd { (h.notes) } }
            }
            table {
                thead { tr { th { (t.text("console-name")) } th { (t.text("console-relation")) } th { (t.text("field-civil-id")) } th { (t.text("console-birth-date")) } th { (t.text("field-phone")) } } }
                tbody {
                    @for m in &h.members {
                        tr {
                            td { (m.name_ar) @if !m.name_en.is_empty() { br; small { (m.name_en) } } }
                            td { (t.text(&m.relation.label_key())) }
                            td { (m.civil_id) }
                            td { (m.birth_date.as_ref().map(|d| d.to_string()).unwrap_or_default()) }
                            td { (m.phone) }
                        }
                    }
                }
            }
            @if !h.income.is_empty() || !h.expenses.is_empty() {
                table {
                    thead { tr { th { (t.text("console-line")) } th { (t.text("console-monthly")) } } }
                    tbody {
                        @for l in &h.income { tr { td { (t.text(&l.kind.label_key())) } td.num { (kwd(l.monthly.0)) } } }
                        @for l in &h.expenses { tr { td { (t.text(&l.kind.label_key())) } td.num { "-" (kwd(l.monthly.0)) } } }
                    }
                }
            }
        }
    }
}

fn documents_section(cx: &Console, case: &CaseFile) -> Markup {
    let t = &cx.t;
    html! {
        section #documents {
            h2 { (t.text("console-documents")) }
            div.thumbs {
                @for d in &case.documents {
                    figure {
                        a href=(format!("/console/blobs/{}", d.sha256)) target="_blank" {
                            img src=(format!("/console/blobs/{}", if d.thumbnail_sha256.is_empty() { &d.sha256 } else { &d.thumbnail_sha256 })) alt=(t.text(&d.kind.label_key())) loading="lazy";
                        }
                        figcaption {
                            (t.text(&d.kind.label_key()))
                            @if let Some(m) = d.member.as_ref().and_then(|id| case.household.members.iter().find(|m| &m.id == id)) { " · " (name(cx.lang, m)) }
                        }
                    }
                }
            }
            @if case.documents.is_empty() { p.empty { (t.text("console-nothing")) } }
        }
    }
}

fn visits_section(cx: &Console, case: &CaseFile) -> Markup {
    let t = &cx.t;
    html! {
        section #visits {
            h2 { (t.text("console-visits")) }
            @for v in &case.visits {
                article {
                    h3 { (date_time_of(v.at.millis())) " · " (v.by.as_str()) }
                    @if let Some(p) = &v.location { p { (t.text("console-location")) " " (format!("{:.5}, {:.5}", p.lat, p.lon)) } }
                    dl {
                        @for (q, a) in &v.answers { dt { (t.text(q)) } dd { (a) } }
                    }
                    @if !v.notes.is_empty() { p { (v.notes) } }
                }
            }
            @if case.visits.is_empty() { p.empty { (t.text("console-nothing")) } }
        }
    }
}

fn timeline_section(cx: &Console, case: &CaseFile, states: &[RequestState]) -> Markup {
    let t = &cx.t;
    let refused: Vec<&EventId> = states
        .iter()
        .flat_map(|s| s.refused.iter().map(|r| &r.event))
        .collect();
    html! {
        section #timeline {
            h2 { (t.text("console-timeline")) }
            ol.timeline {
                @for e in &case.events {
                    li.refused[refused.contains(&&e.id)] {
                        time { (date_time_of(e.at.millis())) } " "
                        strong { (t.text(&e.kind.label_key())) }
                        " · " (e.actor.as_str()) " (" (t.text(&e.role.label_key())) ")"
                        @if !e.reason.is_empty() { " · " q { (e.reason) } }
                        @if refused.contains(&&e.id) { " · " em { (t.text("console-event-refused")) } }
                    }
                }
            }
        }
    }
}

fn referrals_section(cx: &Console, case: &CaseFile) -> Markup {
    let t = &cx.t;
    let may_answer = access::may_answer_referrals(cx.role());
    html! {
        @if !case.referrals.is_empty() {
            section #referrals {
                h2 { (t.text("console-referrals")) }
                @for r in &case.referrals {
                    article.referral {
                        p { strong { (r.question) } " · " (r.by.as_str()) " · " (date_time_of(r.at.millis())) }
                        @if let Some(a) = &r.answer {
                            p.answer { (a) " · " (r.answered_by.as_ref().map(|u| u.as_str()).unwrap_or("")) }
                        } @else if may_answer {
                            form method="post" action=(format!("/console/cases/{}/answer", case.id.as_str())) {
                                (csrf_field(cx))
                                input type="hidden" name="referral" value=(r.id.as_str());
                                label { (t.text("console-answer")) textarea name="answer" rows="3" {} }
                                button type="submit" { (t.text("console-send-answer")) }
                            }
                        } @else {
                            p.hint { (t.text("referral-sent")) }
                        }
                    }
                }
            }
        }
    }
}

fn contacts_section(cx: &Console, case: &CaseFile) -> Markup {
    let t = &cx.t;
    html! {
        section #contacts {
            h2 { (t.text("console-contacts")) }
            table {
                tbody {
                    @for c in &case.contacts {
                        tr {
                            td { (date_time_of(c.at.millis())) }
                            td { (t.text(&c.channel.label_key())) }
                            td { (t.text(&c.direction.label_key())) }
                            td { (c.summary) }
                            td { (c.follow_up_on.as_ref().map(|d| d.to_string()).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    }
}

fn services_section(cx: &Console, case: &CaseFile) -> Markup {
    let t = &cx.t;
    html! {
        section #services {
            h2 { (t.text("console-services")) }
            table {
                tbody {
                    @for s in &case.services {
                        tr {
                            td { (date_of(s.delivered_at.millis())) }
                            td { (t.text(&s.kind.label_key())) }
                            td { (s.description) }
                            td.num { (kwd(s.value.0)) }
                        }
                    }
                }
            }
        }
    }
}

fn surveys_section(cx: &Console, case: &CaseFile) -> Markup {
    let t = &cx.t;
    let score = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "–".into());
    html! {
        section #surveys {
            h2 { (t.text("console-surveys")) }
            table {
                thead { tr { th { (t.text("console-date")) } th { (t.text("console-overall")) } th { (t.text("console-comment")) } } }
                tbody {
                    @for s in &case.surveys {
                        tr { td { (date_of(s.at.millis())) } td.num { (score(s.overall)) } td { (s.comment) } }
                    }
                }
            }
        }
    }
}

/// Applies `edit` to the stored case as the signed-in user, through the same checks as a
/// device's push. Returns the refusal message key when the change was refused.
async fn change_case(
    state: &AppState,
    cx: &Console,
    id: &str,
    edit: impl FnOnce(&mut CaseDoc, &Author) -> Result<(), DocError>,
) -> Result<(), ConsoleError> {
    let guard = state.case_locks.lock(&CaseId::new(id)).await;
    let mut doc = load(state, cx, id).await?;
    let before = doc.heads();
    let author = Author {
        user: cx.session.user.id.clone(),
        at: Timestamp::now(),
    };
    edit(&mut doc, &author).map_err(|e| {
        tracing::warn!(case = id, error = %e, "console edit refused");
        ConsoleError::new(StatusCode::UNPROCESSABLE_ENTITY, "console-refused")
    })?;
    let changes = doc.changes_since(&before);
    if changes.is_empty() {
        return Ok(());
    }
    // Checked and stored exactly like a device's push, still under the lock taken before the
    // case was read.
    let outcome = push_case_locked(
        state,
        &guard,
        &cx.session.user,
        None,
        PushDoc {
            case: CaseId::new(id),
            changes: changes.into_iter().map(wire::Bytes).collect(),
        },
    )
    .await?;
    if let Some(r) = outcome.refused.first() {
        tracing::warn!(case = id, code = %r.code, message = %r.message, "console change refused");
        return Err(ConsoleError::Redirect(format!(
            "/console/cases/{id}?error=console-refused"
        )));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct DecideForm {
    request: String,
    outcome: String,
    #[serde(default)]
    reason: String,
}

impl DecideForm {
    /// The decision and the request it is for; `None` when the form is not one the page
    /// makes (an unknown outcome, a request id that is not an id).
    pub fn parse(&self) -> Option<(EventKind, RequestId)> {
        let kind = match self.outcome.as_str() {
            "accepted" => EventKind::Accepted,
            "rejected" => EventKind::Rejected,
            "info-requested" => EventKind::InfoRequested,
            _ => return None,
        };
        mandoob_shared::schema::is_uuid(&self.request)
            .then(|| (kind, RequestId::new(self.request.clone())))
    }
}

pub async fn decide(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<DecideForm>,
) -> Result<Response, ConsoleError> {
    // The policy gives the decision to the research committee: the form is shown to its
    // members only, and a decision posted by anyone else is refused here.
    cx.require(access::may_decide)?;
    let Some((kind, request)) = form.parse() else {
        return Err(ConsoleError::bad_form());
    };
    let back = |key: &str, field: &str| {
        Redirect::to(&format!(
            "/console/cases/{id}?{field}={key}#request-{}",
            form.request
        ))
        .into_response()
    };
    let doc = load(&state, &cx, &id).await?;
    let (case, _) = doc
        .read_with_conflicts()
        .map_err(|_| ConsoleError::failed())?;
    let Some(status) = workflow::derive(&case)
        .into_iter()
        .find(|s| s.request == request)
    else {
        return Ok(back("refusal-unknown-request", "error"));
    };
    let event = WorkflowEvent {
        id: EventId::generate(),
        kind,
        request,
        actor: cx.session.user.id.clone(),
        role: cx.role(),
        at: Timestamp::now(),
        reason: form.reason.trim().to_owned(),
        grant: None,
    };
    // The same rules as on every device: a decision needs a reason, and must apply to the
    // request's status (a request decided meanwhile is not decided twice).
    if let Err(refusal) = status.check(&event) {
        return Ok(back(&refusal.label_key(), "error"));
    }
    let detail = format!("{}: {}", kind.code(), event.reason);
    change_case(&state, &cx, &id, move |doc, author| {
        doc.update(author, move |c| c.events.push(event))
            .map(|_| ())
    })
    .await?;
    cx.audit(&state, "decision", case.reference.as_str(), &detail)
        .await;
    Ok(back(&format!("console-done-{}", kind.code()), "done"))
}

#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    path: String,
    value: String,
}

impl ResolveForm {
    /// The field and the value to keep; `None` when either does not parse.
    pub fn parse(&self) -> Option<(FieldPath, serde_json::Value)> {
        Some((
            FieldPath::parse(&self.path)?,
            serde_json::from_str(&self.value).ok()?,
        ))
    }
}

pub async fn resolve(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ResolveForm>,
) -> Result<Response, ConsoleError> {
    cx.require(access::may_resolve_conflicts)?;
    let Some((path, value)) = form.parse() else {
        return Err(ConsoleError::bad_form());
    };
    let reference = {
        let mut doc = load(&state, &cx, &id).await?;
        // "Keep this value" is for a field that really holds concurrent values, nothing else.
        if doc
            .conflicts_at(&path)
            .map_or(true, |values| values.len() < 2)
        {
            return Ok(Redirect::to(&format!(
                "/console/cases/{id}?error=console-not-in-conflict#conflicts"
            ))
            .into_response());
        }
        doc.read_with_conflicts()
            .map(|(c, _)| c.reference.as_str().to_owned())
            .unwrap_or_default()
    };
    let detail = format!("{} = {}", form.path, form.value);
    change_case(&state, &cx, &id, move |doc, author| {
        doc.resolve(&path, &value, author)
    })
    .await?;
    cx.audit(&state, "resolve-conflict", &reference, &detail)
        .await;
    Ok(Redirect::to(&format!(
        "/console/cases/{id}?done=console-done-resolved#conflicts"
    ))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    referral: String,
    #[serde(default)]
    answer: String,
}

pub async fn answer_referral(
    State(state): State<AppState>,
    cx: Console,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<AnswerForm>,
) -> Result<Response, ConsoleError> {
    cx.require(access::may_answer_referrals)?;
    let answer = form.answer.trim().to_owned();
    if answer.is_empty() {
        return Ok(Redirect::to(&format!(
            "/console/cases/{id}?error=console-answer-required#referrals"
        ))
        .into_response());
    }
    let doc = load(&state, &cx, &id).await?;
    let (case, _) = doc
        .read_with_conflicts()
        .map_err(|_| ConsoleError::failed())?;
    let Some(referral) = case
        .referrals
        .iter()
        .find(|r| r.id.as_str() == form.referral && r.answer.is_none())
    else {
        return Ok(Redirect::to(&format!(
            "/console/cases/{id}?error=refusal-no-open-referral#referrals"
        ))
        .into_response());
    };
    let referral_id = referral.id.clone();
    let request = referral.request.clone();
    let user = cx.session.user.id.clone();
    let role = cx.role();
    let now = Timestamp::now();
    let reason = answer.clone();
    change_case(&state, &cx, &id, move |doc, author| {
        doc.update(author, move |c| {
            if let Some(r) = c.referrals.iter_mut().find(|r| r.id == referral_id) {
                r.answer = Some(answer);
                r.answered_by = Some(user.clone());
                r.answered_at = Some(now);
            }
            if let Some(request) = request {
                c.events.push(WorkflowEvent {
                    id: EventId::generate(),
                    kind: EventKind::ReferralAnswered,
                    request,
                    actor: user,
                    role,
                    at: now,
                    reason,
                    grant: None,
                });
            }
        })
        .map(|_| ())
    })
    .await?;
    cx.audit(
        &state,
        "referral-answer",
        case.reference.as_str(),
        &form.referral,
    )
    .await;
    Ok(Redirect::to(&format!(
        "/console/cases/{id}?done=console-done-answered#referrals"
    ))
    .into_response())
}

/// A photo or signature of a case the user may read (404 otherwise, as for a missing one).
pub async fn blob(
    State(state): State<AppState>,
    cx: Console,
    Path(sha): Path<String>,
) -> Result<Response, ConsoleError> {
    let missing = || ConsoleError::new(StatusCode::NOT_FOUND, "console-no-such-case");
    if !mandoob_shared::schema::is_sha256(&sha) {
        return Err(missing());
    }
    let scope: Scope = cx.scope();
    let readable = state
        .storage
        .blob_in_scope(&sha, &scope)
        .await
        .unwrap_or(false);
    if !readable {
        return Err(missing());
    }
    let Some(bytes) = state.storage.blob(&sha).await.ok().flatten() else {
        return Err(missing());
    };
    let kind = if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if bytes.starts_with(b"RIFF") {
        "image/webp"
    } else {
        "image/jpeg"
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, max-age=86400, immutable"),
        ],
        bytes,
    )
        .into_response())
}
