//! A case's contacts tab: the contact log and a form to add one.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::{Edit, OpenCase};
use mandoob_shared::model::*;

use crate::backend::Backend;
use crate::state::*;

use super::widgets::Field;
use super::{Ctx, Texts, date_text, session_user};

#[component]
pub(super) fn Contacts(open: OpenCase) -> Element {
    let texts = use_context::<Rc<Texts>>();
    let backend = use_context::<Backend>();
    let ctx = use_context::<Ctx>();
    let tr = texts.get((ctx.lang)());
    let mut channel = use_signal(|| Channel::Phone);
    let mut direction = use_signal(|| Direction::Outbound);
    let mut summary = use_signal(String::new);
    let mut follow = use_signal(String::new);
    let mut follow_error = use_signal(|| false);
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
            // A follow-up date that cannot be read is said, not dropped.
            let follow_up_on = parse_date(&follow());
            follow_error.set(!follow().trim().is_empty() && follow_up_on.is_none());
            if follow_error() {
                return;
            }
            let entry = contact_now(channel(), direction(), by, &summary(), follow_up_on);
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
                    span { dir: "ltr", class: "when", {tr.number(&date_text(c.at))} } " · "
                    {tr.text(&c.channel.label_key())} " · " {tr.text(&c.direction.label_key())}
                    br {} bdi { "{c.summary}" }
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
        Field { id: "contact-follow-up", label: tr.text("contact-follow-up"), value: follow(), error: follow_error().then(|| tr.text("error-date-unreadable")), ltr: true, oninput: move |v| follow.set(v) }
        button { id: "contact-add", class: "primary", onclick: add, {tr.text("contact-add")} }
    }
}
