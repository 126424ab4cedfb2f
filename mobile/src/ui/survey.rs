//! The satisfaction survey, answered by the family on the representative's device.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::Edit;
use mandoob_shared::ids::*;
use mandoob_shared::model::*;

use crate::backend::Backend;
use crate::state::*;

use super::{Ctx, Texts, engine_error_text, session_user};

#[component]
pub(super) fn SurveyScreen(id: CaseId) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let mut ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut scores = use_signal(|| [None::<u64>; 5]);
    let mut comment = use_signal(String::new);
    let mut wants_contact = use_signal(|| false);
    let mut done = use_signal(|| false);
    let mut failure = use_signal(Vec::<String>::new);
    let questions = [
        "survey-reception",
        "survey-time-and-answers",
        "survey-clarity",
        "survey-speed",
        "survey-overall",
    ];
    let case_id = id.clone();
    let send_texts = texts.clone();
    let send = move |_| {
        let backend = backend.clone();
        let texts = send_texts.clone();
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
            match backend.edit(id, Edit::AddSurvey(survey)).await {
                Ok(()) => done.set(true),
                // What was chosen stays on the screen, with why it was not recorded.
                Err(e) => failure.set(engine_error_text(texts.get((ctx.lang)()), &e)),
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
                        for i in 0..5usize {
                            button {
                                class: if scores()[qi] == Some(i as u64 + 1) { "face chosen" } else { "face" },
                                id: "{q}-{i + 1}",
                                "aria-label": tr.text(&format!("survey-score-{}", i + 1)),
                                "aria-pressed": scores()[qi] == Some(i as u64 + 1),
                                onclick: move |_| scores.write()[qi] = Some(i as u64 + 1),
                                Face { score: i as u8 + 1 }
                            }
                        }
                    }
                    // The scale's two ends under the faces, and the choice in words: five
                    // captions in a phone's width would break mid-word.
                    div { class: "scale", "aria-hidden": "true",
                        span { {tr.text("survey-score-1")} }
                        span { {tr.text("survey-score-5")} }
                    }
                    if let Some(v) = scores()[qi] {
                        p { class: "chosen-label", role: "status", {tr.text(&format!("survey-score-{v}"))} }
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
            for (i, f) in failure().iter().enumerate() {
                p { key: "{i}", class: "error", role: "alert", id: "survey-error", "{f}" }
            }
            button { id: "survey-submit", class: "primary big", onclick: send, {tr.text("survey-submit")} }
        }
    }
}

/// A face from very unhappy (1) to very happy (5), drawn as SVG: no emoji font needed, the
/// same on every phone. The mouth's curve goes from a frown to a smile.
#[component]
fn Face(score: u8) -> Element {
    // Control point of the mouth: below the corners for a smile, above for a frown.
    let bend = match score {
        1 => 24,
        2 => 29,
        3 => 33,
        4 => 38,
        _ => 43,
    };
    let mouth = format!("M14 33 Q24 {bend} 34 33");
    rsx! {
        svg { class: "face-icon", view_box: "0 0 48 48", width: "40", height: "40", "aria-hidden": "true",
            circle { cx: "24", cy: "24", r: "21", fill: "none", stroke: "currentColor", stroke_width: "3" }
            circle { cx: "17", cy: "19", r: "2.6", fill: "currentColor" }
            circle { cx: "31", cy: "19", r: "2.6", fill: "currentColor" }
            path { d: "{mouth}", fill: "none", stroke: "currentColor", stroke_width: "3", stroke_linecap: "round" }
        }
    }
}
