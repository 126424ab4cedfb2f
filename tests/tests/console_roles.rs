//! Who may decide: the policy gives the decision on a request to the research committee. The
//! console offers the decision form to its members only, and refuses a decision posted by
//! anyone else (an administrator, a social-research officer) with a page, not a silent failure.

use mandoob_shared::workflow::RequestStatus;
use mandoob_sync_server::storage::{RequestFilter, Scope};
use mandoob_tests::{ConsoleClient, Device, TestServer, submitted_case};

#[tokio::test]
async fn only_the_committee_is_offered_the_decision_and_a_forged_one_is_refused()
-> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let id = submitted_case(&mut rep, 9, 2);
    rep.sync().await?;
    let request = rep.engine.open_case(&id)?.case.requests[0].id.clone();
    let page = format!("/console/cases/{}", id.as_str());
    let decide = format!("{page}/decide");

    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let shown = committee.get(&page).await?.text().await?;
    assert!(
        shown.contains(&format!("action=\"{decide}\"")),
        "the committee is offered the decision"
    );

    for user in ["admin", "researcher"] {
        let console = ConsoleClient::sign_in(&server, user).await?;
        let shown = console.get(&page).await?.text().await?;
        assert!(
            !shown.contains(&format!("action=\"{decide}\"")),
            "{user} is offered a decision the workflow would refuse"
        );
        // A decision posted anyway (with a valid session and token) is refused with a page
        // that says why, in the user's language.
        let res = console
            .post(
                &decide,
                &[
                    ("request", request.as_str()),
                    ("outcome", "accepted"),
                    ("reason", "قرار مزور"),
                ],
                true,
            )
            .await?;
        assert_eq!(res.status(), 403, "{user}");
        let body = res.text().await?;
        assert!(
            body.contains("<html lang=\"ar\"")
                && body.contains("role=\"alert\"")
                && body.contains("دورك لا يسمح"),
            "{user}: {body}"
        );
    }
    // Nothing was decided.
    let rows = server
        .storage()?
        .requests(&Scope::All, &RequestFilter::default(), 100)
        .await?;
    let status = rows
        .into_iter()
        .find(|r| r.case_id == id.as_str())
        .map(|r| r.status);
    assert_eq!(
        status.as_deref(),
        Some(RequestStatus::AwaitingDecision.code())
    );
    Ok(())
}

/// The committee may decide while a referral to the social-research officer is open, but the
/// decision form says so, until the officer answers.
#[tokio::test]
async fn the_decision_form_warns_of_an_open_referral() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let id = submitted_case(&mut rep, 43, 1);
    rep.sync().await?;
    let page = format!("/console/cases/{}", id.as_str());
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let shown = committee.get(&page).await?.text().await?;
    assert!(shown.contains("form class=\"decide\""));
    assert!(
        !shown.contains("class=\"warning\""),
        "no referral, no warning"
    );

    let request = rep.engine.open_case(&id)?.case.requests[0].id.clone();
    let referral = mandoob_tests::refer(&mut rep, &id, &request, "هل يعمل الابن الأكبر؟")?;
    rep.sync().await?;
    let shown = committee.get(&page).await?.text().await?;
    let form = shown
        .split("form class=\"decide\"")
        .nth(1)
        .expect("the decision form is still offered");
    assert!(
        form.contains("class=\"warning\"") && form.contains("ما زالت إحالة"),
        "the open referral is named in the form: {}",
        form.chars().take(700).collect::<String>()
    );

    let researcher = ConsoleClient::sign_in(&server, "researcher").await?;
    researcher
        .post(
            &format!("{page}/answer"),
            &[("referral", referral.as_str()), ("answer", "لا يعمل")],
            true,
        )
        .await?;
    let shown = committee.get(&page).await?.text().await?;
    assert!(
        !shown.contains("class=\"warning\""),
        "answered: no warning any more"
    );
    Ok(())
}
