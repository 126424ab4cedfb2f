//! The visit flow: its progress and steps (welcome, registration, interview, documents,
//! referral, declaration, submit), one file per step.

mod address;
pub(crate) mod answer;
mod declaration;
mod documents;
mod household;
mod interview;
mod referral;
mod submit;
mod welcome;

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::OpenCase;
use mandoob_shared::catalog::RequestCatalog;

use crate::state::*;

use super::{Ctx, Texts, today};
use declaration::DeclarationStep;
use documents::DocumentsStep;
use household::HouseholdStep;
use interview::InterviewStep;
use referral::ReferralStep;
use submit::SubmitStep;
use welcome::WelcomeStep;

#[component]
pub(super) fn VisitFlow(open: OpenCase) -> Element {
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
