//! What the console changes on a case besides decisions: conflict resolution and referral
//! answers.

use super::*;

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
    // What was answered (its start), rather than the referral's id.
    let said: String = form.answer.trim().chars().take(300).collect();
    cx.audit(&state, "referral-answer", case.reference.as_str(), &said)
        .await;
    Ok(Redirect::to(&format!(
        "/console/cases/{id}?done=console-done-answered#referrals"
    ))
    .into_response())
}
