//! A case's conflicts tab: values changed on two sides, choose one or keep both.

use std::rc::Rc;

use dioxus::prelude::*;

use mandoob_engine::engine::OpenCase;

use crate::backend::Backend;

use super::{Ctx, Texts, date_text};

#[component]
pub(super) fn Conflicts(open: OpenCase) -> Element {
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
                                let _ = backend.keep_both(id, path, first, note.trim().to_owned()).await;
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
