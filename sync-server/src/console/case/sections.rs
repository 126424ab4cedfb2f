//! The read-only sections of a case's page: conflicts, household, documents, visits,
//! timeline, referrals, contacts, services and surveys.

use super::*;

pub(super) fn conflicts_section(
    cx: &Console,
    names: &Names,
    case: &CaseFile,
    conflicts: &[FieldConflict],
) -> Markup {
    let t = &cx.t;
    let may_resolve = access::may_resolve_conflicts(cx.role());
    html! {
        section #conflicts {
            h2 { (t.text("console-conflicts")) }
            p.hint { (t.text("console-conflicts-hint")) }
            @for c in conflicts {
                article.conflict {
                    h3 { code dir="ltr" { (c.path.to_string()) } }
                    ul {
                        @for v in &c.values {
                            li {
                                span.value { (typed(&v.value.to_string())) }
                                " · " (typed(v.author.as_ref().map(|a| names.person(a.as_str())).unwrap_or("?")))
                                @if let Some(at) = v.at { " · " (when(at.millis())) }
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

pub(super) fn household_section(cx: &Console, names: &Names, case: &CaseFile) -> Markup {
    let t = &cx.t;
    let h = &case.household;
    let income: i64 = h.income.iter().map(|l| l.monthly.0).sum();
    let expenses: i64 = h.expenses.iter().map(|l| l.monthly.0).sum();
    html! {
        section #household {
            h2 { (t.text("console-household")) }
            dl {
                dt { (t.text("console-branch")) } dd { (names.branch(case.branch.as_str())) }
                dt { (t.text("console-address")) }
                dd {
                    (h.address.governorate.map(|g| t.text(&g.label_key())).unwrap_or_default()) " · "
                    (typed(&h.address.area)) " · " (t.text("field-block")) " " (typed(&h.address.block)) " · "
                    (t.text("field-street")) " " (typed(&h.address.street)) " · " (t.text("field-house")) " " (typed(&h.address.house))
                }
                @if let Some(kind) = h.housing.kind { dt { (t.text("console-housing")) } dd { (t.text(&kind.label_key())) @if let Some(rent) = h.housing.monthly_rent { " · " (amount(rent.0)) " " (t.text("console-kwd")) } } }
                dt { (t.text("console-income")) } dd { (amount(income)) " " (t.text("console-kwd")) }
                dt { (t.text("console-expenses")) } dd { (amount(expenses)) " " (t.text("console-kwd")) }
                @if !h.notes.is_empty() { dt { (t.text("console-notes")) } dd dir="auto" { (h.notes) } }
            }
            table.cards.members {
                thead { tr { th { (t.text("console-name")) } th { (t.text("console-relation")) } th { (t.text("field-civil-id")) } th { (t.text("console-birth-date")) } th { (t.text("field-phone")) } } }
                tbody {
                    @for m in &h.members {
                        tr {
                            td.lead { (typed(&m.name_ar)) @if !m.name_en.is_empty() { br; small { (typed(&m.name_en)) } } }
                            td data-label=(t.text("console-relation")) { (t.text(&m.relation.label_key())) }
                            td data-label=(t.text("field-civil-id")) { @if !m.civil_id.is_empty() { (ltr(&m.civil_id)) } }
                            td data-label=(t.text("console-birth-date")) { @if let Some(d) = &m.birth_date { (date(d)) } }
                            td data-label=(t.text("field-phone")) { @if !m.phone.is_empty() { (ltr(&m.phone)) } }
                        }
                    }
                }
            }
            @if !h.income.is_empty() || !h.expenses.is_empty() {
                table.lines {
                    thead { tr { th { (t.text("console-line")) } th.num { (t.text("console-monthly")) } } }
                    tbody {
                        @for l in &h.income { tr { td { (t.text(&l.kind.label_key())) } td.num { (amount(l.monthly.0)) } } }
                        // An expense is money going out: a negative amount, its sign in front.
                        @for l in &h.expenses { tr { td { (t.text(&l.kind.label_key())) } td.num { (amount(-l.monthly.0)) } } }
                    }
                }
            }
        }
    }
}

/// A photo or signature on the case's page: the picture when the server has it, else a note
/// that it has not arrived yet (never a broken image).
pub(super) fn photo(cx: &Console, present: &Photos, sha: &str, alt: &str, class: &str) -> Markup {
    html! {
        @if present.contains(sha) {
            img class=(class) src=(format!("/console/blobs/{sha}")) alt=(alt) loading="lazy";
        } @else {
            span.photo-missing role="img" aria-label=(alt) { (cx.t.text("console-photo-not-received")) }
        }
    }
}

/// The photos of a case the server holds (by sha-256).
pub(super) type Photos = std::collections::HashSet<String>;

pub(super) fn documents_section(cx: &Console, case: &CaseFile, present: &Photos) -> Markup {
    let t = &cx.t;
    html! {
        section #documents {
            h2 { (t.text("console-documents")) }
            div.thumbs {
                @for d in &case.documents {
                    figure {
                        @let shown = if d.thumbnail_sha256.is_empty() { &d.sha256 } else { &d.thumbnail_sha256 };
                        @if present.contains(&d.sha256) {
                            a href=(format!("/console/blobs/{}", d.sha256)) target="_blank" {
                                (photo(cx, present, shown, &t.text(&d.kind.label_key()), "thumb"))
                            }
                        } @else {
                            (photo(cx, present, shown, &t.text(&d.kind.label_key()), "thumb"))
                        }
                        figcaption {
                            (t.text(&d.kind.label_key()))
                            @if let Some(m) = d.member.as_ref().and_then(|id| case.household.members.iter().find(|m| &m.id == id)) { " · " (typed(name(cx.lang, m))) }
                        }
                    }
                }
            }
            @if case.documents.is_empty() { p.empty { (t.text("console-nothing")) } }
        }
    }
}

pub(super) fn visits_section(cx: &Console, names: &Names, case: &CaseFile) -> Markup {
    let t = &cx.t;
    html! {
        section #visits {
            h2 { (t.text("console-visits")) }
            @for v in &case.visits {
                article {
                    h3 { (when(v.at.millis())) " · " (typed(names.person(v.by.as_str()))) }
                    @if let Some(p) = &v.location { p { (t.text("console-location")) " " (ltr(&format!("{:.5}, {:.5}", p.lat, p.lon))) } }
                    dl {
                        @for (q, a) in &v.answers {
                            @let key = format!("console-question-{q}");
                            dt { @if t.has(&key) { (t.text(&key)) } @else { bdi { (q) } } }
                            dd dir="auto" { (a) }
                        }
                    }
                    @if !v.notes.is_empty() { p dir="auto" { (v.notes) } }
                }
            }
            @if case.visits.is_empty() { p.empty { (t.text("console-nothing")) } }
        }
    }
}

pub(super) fn timeline_section(
    cx: &Console,
    names: &Names,
    case: &CaseFile,
    states: &[RequestState],
) -> Markup {
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
                        (when(e.at.millis())) " "
                        strong { (t.text(&e.kind.label_key())) }
                        " · " (typed(names.person(e.actor.as_str()))) " (" (t.text(&e.role.label_key())) ")"
                        @if !e.reason.is_empty() { " · " q dir="auto" { (e.reason) } }
                        @if refused.contains(&&e.id) { " · " em { (t.text("console-event-refused")) } }
                    }
                }
            }
        }
    }
}

pub(super) fn referrals_section(cx: &Console, names: &Names, case: &CaseFile) -> Markup {
    let t = &cx.t;
    let may_answer = access::may_answer_referrals(cx.role());
    html! {
        @if !case.referrals.is_empty() {
            section #referrals {
                h2 { (t.text("console-referrals")) }
                @for r in &case.referrals {
                    article.referral {
                        p { strong dir="auto" { (r.question) } " · " (typed(names.person(r.by.as_str()))) " · " (when(r.at.millis())) }
                        @if let Some(a) = &r.answer {
                            p.answer { (typed(a)) " · " (typed(r.answered_by.as_ref().map(|u| names.person(u.as_str())).unwrap_or(""))) }
                        } @else if may_answer {
                            form method="post" action=(format!("/console/cases/{}/answer", case.id.as_str())) {
                                (csrf_field(cx))
                                input type="hidden" name="referral" value=(r.id.as_str());
                                label { (t.text("console-answer")) textarea name="answer" rows="3" dir="auto" {} }
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

pub(super) fn contacts_section(cx: &Console, case: &CaseFile) -> Markup {
    let t = &cx.t;
    html! {
        section #contacts {
            h2 { (t.text("console-contacts")) }
            @if case.contacts.is_empty() { p.empty { (t.text("console-nothing")) } }
            table.cards {
                tbody {
                    @for c in &case.contacts {
                        tr {
                            td.lead { (when(c.at.millis())) }
                            td { (t.text(&c.channel.label_key())) }
                            td { (t.text(&c.direction.label_key())) }
                            td dir="auto" { (c.summary) }
                            td { @if let Some(d) = &c.follow_up_on { (t.text_with("contact-follow-up-due", &[("date", &d.to_string())])) } }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn services_section(cx: &Console, case: &CaseFile) -> Markup {
    let t = &cx.t;
    html! {
        section #services {
            h2 { (t.text("console-services")) }
            @if case.services.is_empty() { p.empty { (t.text("console-nothing")) } }
            table.cards {
                tbody {
                    @for s in &case.services {
                        tr {
                            td.lead { (day(s.delivered_at.millis())) }
                            td { (t.text(&s.kind.label_key())) }
                            td dir="auto" { (s.description) }
                            td.num { (amount(s.value.0)) }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn surveys_section(cx: &Console, case: &CaseFile) -> Markup {
    let t = &cx.t;
    let score = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "–".into());
    html! {
        section #surveys {
            h2 { (t.text("console-surveys")) }
            @if case.surveys.is_empty() { p.empty { (t.text("console-nothing")) } }
            table.cards {
                thead { tr { th { (t.text("console-date")) } th.num { (t.text("console-overall")) } th { (t.text("console-comment")) } } }
                tbody {
                    @for s in &case.surveys {
                        tr { td.lead { (day(s.at.millis())) } td.num data-label=(t.text("console-overall")) { (score(s.overall)) } td data-label=(t.text("console-comment")) { @if !s.comment.is_empty() { (typed(&s.comment)) } } }
                    }
                }
            }
        }
    }
}
