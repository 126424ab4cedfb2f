//! The case's requests: their state, information rounds and decisions, and the committee's
//! decision form.

use super::*;

use mandoob_shared::ids::{BadAmount, Fils, parse_kwd};
use mandoob_shared::model::Grant;
use mandoob_shared::workflow::{InfoRound, Refusal};

use crate::service::audit;

pub(super) fn requests_section(
    cx: &Console,
    names: &Names,
    case: &CaseFile,
    states: &[RequestState],
    sla: &SlaPolicy,
    present: &Photos,
    refused: Option<&RefusedDecision>,
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
                        @if let Some(a) = r.amount { dt { (t.text("console-amount")) } dd { (amount(a.0)) " " (t.text("console-kwd")) } }
                        @if let Some(d) = s.decision.as_ref().filter(|d| d.accepted) {
                            dt { (t.text("console-granted")) }
                            dd.granted { (granted_text(cx, d.grant.as_ref())) }
                        }
                        dt { (t.text("console-reason")) } dd dir="auto" { (r.reason) }
                        @if let Some(at) = s.submitted_at { dt { (t.text("console-submitted")) } dd { (when(at.millis())) } }
                        @if let Some(due) = s.due_date(sla) { dt { (t.text("console-due")) } dd { (date(due)) } }
                        @if let Some(d) = &s.decision {
                            dt { (t.text("console-decision")) }
                            dd { (t.text(if d.accepted { "status-accepted" } else { "status-rejected" })) " · " (typed(&d.reason)) " · " (when(d.at.millis())) }
                        }
                        @if let Some(decl) = &r.declaration {
                            dt { (t.text("console-declaration")) }
                            dd {
                                (typed(case.household.members.iter().find(|m| m.id == decl.signed_by).map(|m| name(cx.lang, m)).unwrap_or("")))
                                " · " (when(decl.signed_at.millis()))
                                @if let Some(sig) = case.documents.iter().find(|d| d.id == decl.signature) {
                                    br;
                                    (photo(cx, present, &sig.sha256, &t.text("document-kind-signature"), "signature"))
                                }
                            }
                        }
                    }
                    @if !s.rounds.is_empty() { (rounds_list(cx, names, &s.rounds)) }
                    @if may_decide && s.status == workflow::RequestStatus::AwaitingDecision {
                        (decision_form(cx, case, r, open_referrals, refused.filter(|f| f.form.request == r.id.as_str())))
                    }
                }
            }
            @if case.requests.is_empty() { p.empty { (t.text("console-nothing")) } }
        }
    }
}

/// A decision the console refused, as it was typed: the form comes back with it.
pub(super) struct RefusedDecision {
    pub form: DecideForm,
    /// The message key, shown beside `field`.
    pub key: String,
    pub field: DecisionField,
}

/// Where a refusal is shown in the decision form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DecisionField {
    Outcome,
    Granted,
    Reason,
}

/// The committee's decision form for one request awaiting it; `typed` fills it back after a
/// refusal.
fn decision_form(
    cx: &Console,
    case: &CaseFile,
    r: &mandoob_shared::model::SupportRequest,
    open_referrals: usize,
    typed_back: Option<&RefusedDecision>,
) -> Markup {
    let t = &cx.t;
    let form = typed_back.map(|f| &f.form);
    let outcome = form.map(|f| f.outcome.as_str()).unwrap_or("");
    let error_at = |field: DecisionField| {
        typed_back
            .filter(|f| f.field == field)
            .map(|f| html! { span.field-error role="alert" { (t.text(&f.key)) } })
    };
    html! {
        form.decide method="post" action=(format!("/console/cases/{}/decide", case.id.as_str())) {
            (csrf_field(cx))
            input type="hidden" name="request" value=(r.id.as_str());
            @if open_referrals > 0 {
                p.warning role="note" { (t.text_count("console-referral-open", "count", open_referrals as u64)) " " a href="#referrals" { (t.text("console-see-referrals")) } }
            }
            fieldset {
                legend { (t.text("console-decide")) }
                // Nothing chosen in advance: the committee decides.
                @for (value, key) in [("accepted", "console-accept"), ("rejected", "console-reject"), ("info-requested", "console-ask-info")] {
                    label { input type="radio" name="outcome" value=(value) required checked[outcome == value]; " " (t.text(key)) }
                }
                @if let Some(e) = error_at(DecisionField::Outcome) { (e) }
            }
            fieldset.grant {
                legend { (t.text("console-grant-legend")) }
                p.hint { (t.text("console-grant-hint")) }
                label { (t.text("console-granted-amount"))
                    input type="text" name="granted" inputmode="decimal" dir="ltr" autocomplete="off"
                        aria-invalid=[error_at(DecisionField::Granted).map(|_| "true")]
                        value=(form.map(|f| f.granted.as_str()).unwrap_or(""))
                        placeholder=(r.amount.map(|a| kwd(a.0)).unwrap_or_default());
                    @if let Some(e) = error_at(DecisionField::Granted) { (e) }
                }
                label { (t.text("console-granted-in-kind")) textarea name="in_kind" rows="2" dir="auto" { (form.map(|f| f.in_kind.as_str()).unwrap_or("")) } }
            }
            label { (t.text("console-reason-label"))
                textarea name="reason" rows="3" dir="auto" { (form.map(|f| f.reason.as_str()).unwrap_or("")) }
                @if let Some(e) = error_at(DecisionField::Reason) { (e) }
            }
            button type="submit" { (t.text("console-record-decision")) }
        }
    }
}

/// What was granted, in words: the amount or help in kind, or "as requested".
fn granted_text(cx: &Console, grant: Option<&Grant>) -> Markup {
    let t = &cx.t;
    html! {
        @match grant {
            None => (t.text("console-granted-as-requested")),
            Some(g) => {
                @if let Some(a) = g.amount { (amount(a.0)) " " (t.text("console-kwd")) }
                @if g.amount.is_some() && !g.in_kind.trim().is_empty() { " · " }
                @if !g.in_kind.trim().is_empty() { (t.text("console-in-kind")) ": " (typed(g.in_kind.trim())) }
            }
        }
    }
}

/// The information rounds of a request: what the committee asked, when, and the answer.
fn rounds_list(cx: &Console, names: &Names, rounds: &[InfoRound]) -> Markup {
    let t = &cx.t;
    html! {
        ol.rounds {
            @for (i, round) in rounds.iter().enumerate() {
                li.round.open[round.answered_at.is_none()] {
                    strong { (t.text_count("console-round", "count", i as u64 + 1)) }
                    p.asked {
                        (t.text("console-round-asked")) " " (when(round.asked_at.millis()))
                        " · " (typed(names.person(round.asked_by.as_str()))) ": " q dir="auto" { (round.question) }
                    }
                    @match round.answered_at {
                        Some(at) => p.answered {
                            (t.text("console-round-answered")) " " (when(at.millis()))
                            @if let Some(by) = &round.answered_by { " · " (typed(names.person(by.as_str()))) }
                            @if !round.answer.is_empty() { ": " q dir="auto" { (round.answer) } }
                        },
                        None => p.waiting { (t.text("console-round-waiting")) },
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct DecideForm {
    request: String,
    /// Empty when none was chosen (refused with a message).
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    reason: String,
    /// The amount granted in dinars, when not the one asked (empty: as asked).
    #[serde(default)]
    granted: String,
    /// Help granted in kind (empty: none).
    #[serde(default)]
    in_kind: String,
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

    /// What the committee grants, when it is not simply what was asked: `Ok(None)` when both
    /// fields are empty or the amount is the one requested; `Err` when the amount is unreadable.
    pub fn grant(&self, requested: Option<Fils>) -> Result<Option<Grant>, BadAmount> {
        let amount = parse_kwd(&self.granted)?;
        let in_kind = self.in_kind.trim().to_owned();
        if in_kind.is_empty() && (amount.is_none() || amount == requested) {
            return Ok(None);
        }
        Ok(Some(Grant { amount, in_kind }))
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
    // Ids checked before they go into a location.
    let ids_valid =
        mandoob_shared::schema::is_uuid(&id) && mandoob_shared::schema::is_uuid(&form.request);
    // A refused decision comes back as it was typed, the reason beside its field.
    let refuse = async |form: DecideForm, key: &str, field: DecisionField| {
        let refused = RefusedDecision {
            form,
            key: key.to_owned(),
            field,
        };
        page(&state, &cx, &id, &Notice::default(), Some(&refused)).await
    };
    if form.outcome.trim().is_empty() && ids_valid {
        return refuse(form, "console-choose-outcome", DecisionField::Outcome).await;
    }
    let Some((kind, request)) = form.parse() else {
        return Err(ConsoleError::bad_form());
    };
    let request_id = form.request.clone();
    let back = |key: &str, field: &str| {
        Redirect::to(&format!(
            "/console/cases/{id}?{field}={key}#request-{request_id}"
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
    let requested = case.request(&request).and_then(|r| r.amount);
    let Ok(grant) = form.grant(requested) else {
        return refuse(form, "console-granted-unreadable", DecisionField::Granted).await;
    };
    let event = WorkflowEvent {
        id: EventId::generate(),
        kind,
        request,
        actor: cx.session.user.id.clone(),
        role: cx.role(),
        at: Timestamp::now(),
        reason: form.reason.trim().to_owned(),
        grant,
    };
    // The same rules as on every device: a decision needs a reason, and must apply to the
    // request's status (a request decided meanwhile is not decided twice).
    if let Err(refusal) = status.check(&event) {
        return match refusal {
            Refusal::ReasonRequired => {
                refuse(form, &refusal.label_key(), DecisionField::Reason).await
            }
            Refusal::InvalidGrant => {
                refuse(form, &refusal.label_key(), DecisionField::Granted).await
            }
            // Decided meanwhile, say: the form is no longer there to come back to.
            _ => Ok(back(&refusal.label_key(), "error")),
        };
    }
    let detail = audit::json(&audit::DecisionDetail {
        outcome: kind.code().to_owned(),
        reason: event.reason.clone(),
        granted: event
            .grant
            .as_ref()
            .and_then(|g| g.amount)
            .map(|a| kwd(a.0))
            .unwrap_or_default(),
        in_kind: event
            .grant
            .as_ref()
            .map(|g| g.in_kind.clone())
            .unwrap_or_default(),
    });
    change_case(&state, &cx, &id, move |doc, author| {
        doc.update(author, move |c| c.events.push(event))
            .map(|_| ())
    })
    .await?;
    cx.audit(&state, "decision", case.reference.as_str(), &detail)
        .await;
    Ok(back(&format!("console-done-{}", kind.code()), "done"))
}
