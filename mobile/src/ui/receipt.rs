//! The receipt shown after a request is submitted (reference and decision due date), and later
//! the committee's answer; both can be handed to the family as it prefers: the phone's share
//! sheet with a short Arabic text, or a printed page.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::OpenCase;
use mandoob_shared::i18n::{Lang, Translator};
use mandoob_shared::ids::*;
use mandoob_shared::workflow::{RequestStatus, SlaPolicy};

use crate::backend::Backend;
use crate::state::*;

use super::visit::answer::granted_text;
use super::{Ctx, Texts};
use crate::platform::{self, Shared};

/// The short text the family receives about `request`: its receipt while the committee
/// decides, its question, or its decision (with what was granted). Always in `tr`'s language;
/// the app uses Arabic, the family's.
pub(crate) fn family_text(
    tr: &Translator,
    open: &OpenCase,
    request: &RequestId,
    sla: &SlaPolicy,
) -> Option<String> {
    let r = receipt(open, request, sla)?;
    let req = open.case.request(request)?;
    let state = open.requests.iter().find(|s| &s.request == request)?;
    let kind = tr.text(&r.kind.label_key());
    let base = [
        ("reference", r.reference.clone()),
        ("kind", kind),
        ("submitted", r.submitted_on.to_string()),
        ("due", r.decision_due.to_string()),
    ];
    let with = |key: &str, more: &[(&str, String)]| {
        let args: Vec<(&str, &str)> = base
            .iter()
            .chain(more)
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        tr.text_with(key, &args)
    };
    let body = match (&state.decision, state.open_round()) {
        (Some(d), _) if d.accepted => with(
            "family-accepted",
            &[("granted", granted_text(tr, req, d).unwrap_or_default())],
        ),
        (Some(d), _) => with("family-rejected", &[("reason", d.reason.clone())]),
        (None, Some(round)) => with("family-info", &[("question", round.question.clone())]),
        (None, None) => with("family-received", &[]),
    };
    Some(format!("{}\n{body}", tr.text("family-society")))
}

#[component]
pub(super) fn ReceiptScreen(id: CaseId, request: RequestId) -> Element {
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
    let mut shared = use_signal(|| None::<Shared>);
    let sla = SlaPolicy::default();
    let arabic = texts.get(Lang::Ar);
    let (receipt, message, state) = match &*opened.read() {
        Some(Ok(o)) => (
            receipt(o, &request, &sla),
            family_text(arabic, o, &request, &sla),
            o.requests.iter().find(|s| s.request == request).cloned(),
        ),
        _ => (None, None, None),
    };
    let Some(r) = receipt else {
        return rsx! { p { {tr.text("loading")} } };
    };
    let decided = state.as_ref().and_then(|s| s.decision.clone());
    let title = tr.text("family-share-title");
    let text = message.clone().unwrap_or_default();
    let share = move |_| {
        let title = title.clone();
        let text = text.clone();
        async move { shared.set(Some(platform::share_text(&title, &text).await)) }
    };
    rsx! {
        section { class: "card receipt", id: "receipt",
            h2 { "✓ " {tr.text(if decided.is_some() { "receipt-decision-title" } else { "receipt-title" })} }
            dl {
                dt { {tr.text("receipt-reference")} }
                dd { class: "big", dir: "ltr", id: "receipt-reference", "{r.reference}" }
                dt { {tr.text("receipt-type")} }
                dd { {tr.text(&r.kind.label_key())} }
                dt { {tr.text("receipt-submitted")} }
                dd { dir: "ltr", {tr.number(&r.submitted_on.to_string())} }
                if let Some(d) = &decided {
                    dt { {tr.text("receipt-decision")} }
                    dd { id: "receipt-decision", class: if d.accepted { "big ok" } else { "big error" },
                        {tr.text(if d.accepted { "status-accepted" } else { "status-rejected" })}
                    }
                } else if state.as_ref().is_some_and(|s| s.status == RequestStatus::AwaitingDecision) {
                    dt { {tr.text("receipt-due")} }
                    dd { class: "big", dir: "ltr", id: "receipt-due", {tr.number(&r.decision_due.to_string())} }
                }
            }
            if decided.is_none() { p { {tr.text("receipt-note")} } }
            if let Some(m) = &message {
                h3 { {tr.text("family-message")} }
                p { class: "share-text", id: "share-text", dir: "rtl", lang: "ar", "{m}" }
                div { class: "actions no-print",
                    button { id: "share-family", class: "primary", onclick: share, {tr.text("family-share")} }
                    button { id: "print-receipt", onclick: move |_| platform::print_page(), {tr.text("family-print")} }
                }
                match shared() {
                    Some(Shared::Sheet) => rsx! { p { class: "ok", role: "status", id: "shared", {tr.text("family-shared")} } },
                    Some(Shared::Copied) => rsx! { p { class: "ok", role: "status", id: "shared", {tr.text("family-copied")} } },
                    Some(Shared::Unavailable) => rsx! { p { class: "hint", role: "status", id: "shared", {tr.text("family-share-unavailable")} } },
                    _ => rsx! {},
                }
            }
            button { id: "back-to-case", class: "no-print", onclick: move |_| ctx.screen.set(Screen::Case { id: id.clone(), tab: CaseTab::Timeline }),
                {tr.text("back-to-case")}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mandoob_shared::model::{Grant, WorkflowEvent};
    use mandoob_shared::sample::realistic_case;
    use mandoob_shared::workflow::{self, EventKind, Role};

    fn open_with(events: &[(EventKind, Role, &str, Option<Grant>)]) -> (OpenCase, RequestId) {
        let mut case = realistic_case(8);
        let request = case.requests[0].id.clone();
        case.requests[0].amount = Some(Fils(200_000));
        case.events.clear();
        for (kind, role, reason, grant) in events {
            case.events.push(WorkflowEvent {
                id: EventId::generate(),
                kind: *kind,
                request: request.clone(),
                actor: UserId::new("u-1"),
                role: *role,
                at: Timestamp::now(),
                reason: (*reason).into(),
                grant: grant.clone(),
            });
        }
        let requests = workflow::derive(&case);
        let open = OpenCase {
            case,
            conflicts: Vec::new(),
            requests,
        };
        (open, request)
    }

    /// The family's text says where the request stands, in Arabic, with the reference.
    #[test]
    fn the_family_text_follows_the_request() {
        let texts = Texts::new();
        let ar = texts.get(Lang::Ar);
        let sla = SlaPolicy::default();
        let clean = |s: String| s.replace(['\u{2068}', '\u{2069}'], "");
        let submitted = (EventKind::Submitted, Role::Representative, "", None);
        let (draft, r) = open_with(&[]);
        assert_eq!(
            family_text(ar, &draft, &r, &sla),
            None,
            "nothing before submission"
        );
        let (open, r) = open_with(std::slice::from_ref(&submitted));
        let text = clean(family_text(ar, &open, &r, &sla).expect("text"));
        assert!(text.contains(open.case.reference.as_str()) && text.contains("استلمنا طلبكم"));
        let (open, r) = open_with(&[
            submitted.clone(),
            (
                EventKind::InfoRequested,
                Role::Committee,
                "صورة عقد الإيجار",
                None,
            ),
        ]);
        let text = clean(family_text(ar, &open, &r, &sla).expect("text"));
        assert!(text.contains("صورة عقد الإيجار"), "{text}");
        let grant = Grant {
            amount: Some(Fils(150_000)),
            in_kind: String::new(),
        };
        let (open, r) = open_with(&[
            submitted.clone(),
            (EventKind::Accepted, Role::Committee, "مستحق", Some(grant)),
        ]);
        let text = clean(family_text(ar, &open, &r, &sla).expect("text"));
        assert!(
            text.contains("تمت الموافقة") && text.contains("150.000"),
            "{text}"
        );
        let (open, r) = open_with(&[
            submitted,
            (EventKind::Rejected, Role::Committee, "الدخل يكفي", None),
        ]);
        let text = clean(family_text(ar, &open, &r, &sla).expect("text"));
        assert!(
            text.contains("لم تتم الموافقة") && text.contains("الدخل يكفي"),
            "{text}"
        );
    }
}
