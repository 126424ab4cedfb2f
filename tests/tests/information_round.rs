//! Information rounds end to end (issue 15), against the real server and its console:
//! the committee asks for a missing document with a note; the representative's device shows the
//! question after sync; the representative corrects a member's civil ID, attaches the document
//! and resubmits offline, then syncs; the case is back first in the committee's queue with the
//! round shown; the committee grants a smaller amount; the device shows the granted amount,
//! and the export has both.
//!
//! `information_round_in_the_browser` does the representative's part in the web app in
//! headless Chromium (tests/e2e/information_round.mjs); this file's first test does it
//! through the device engine, to check every step's data precisely.

use mandoob_engine::engine::{Edit, ListQuery};
use mandoob_shared::ids::{CaseId, Fils, RequestId};
use mandoob_shared::model::{DocumentKind, Relation};
use mandoob_shared::sample::realistic_case;
use mandoob_shared::workflow::{EventKind, RequestStatus, SlaPolicy};
use mandoob_sync_server::Settings;
use mandoob_sync_server::storage::{RequestFilter, Scope};
use mandoob_tests::{
    BrowserScript, ConsoleClient, Device, PASSWORD, TestServer, repo, seed_accounts,
    submitted_case, temp_dir, web_bundle,
};

const QUESTION: &str = "نحتاج صورة عقد الإيجار الحالي، والرقم المدني للزوجة غير صحيح";
const ANSWER: &str = "أرفقنا عقد الإيجار وصحّحنا الرقم المدني للزوجة";

/// The committee's decision form, posted as the page posts it.
async fn decide(
    committee: &ConsoleClient,
    case: &CaseId,
    request: &RequestId,
    fields: &[(&str, &str)],
) -> anyhow::Result<String> {
    let mut all = vec![("request", request.as_str())];
    all.extend_from_slice(fields);
    let res = committee
        .post(
            &format!("/console/cases/{}/decide", case.as_str()),
            &all,
            true,
        )
        .await?;
    anyhow::ensure!(res.status() == 303, "decide answered {}", res.status());
    Ok(res.headers()["location"].to_str()?.to_owned())
}

/// A decision the console refuses: the case's page comes back (422) with the form as it was
/// typed and the reason beside the field.
async fn decide_refused(
    committee: &ConsoleClient,
    case: &CaseId,
    request: &RequestId,
    fields: &[(&str, &str)],
) -> anyhow::Result<String> {
    let mut all = vec![("request", request.as_str())];
    all.extend_from_slice(fields);
    let res = committee
        .post(
            &format!("/console/cases/{}/decide", case.as_str()),
            &all,
            true,
        )
        .await?;
    anyhow::ensure!(res.status() == 422, "decide answered {}", res.status());
    Ok(res.text().await?)
}

/// The case's page in the console, which shows the round's question and answer.
async fn round_on_case_page(committee: &ConsoleClient, case: &CaseId) -> anyhow::Result<String> {
    let page = committee
        .get(&format!("/console/cases/{}", case.as_str()))
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        page.contains(QUESTION) && page.contains(ANSWER),
        "the round is not on the case's page"
    );
    Ok(page)
}

/// References in the committee's queue, in its order.
async fn queue_order(committee: &ConsoleClient) -> anyhow::Result<Vec<String>> {
    let page = committee.get("/console/queue").await?.text().await?;
    Ok(page
        .split("data-reference=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect())
}

/// A spouse's valid civil ID and birth date from another sample household.
fn other_spouse() -> (String, Option<mandoob_shared::ids::Date>) {
    let other = realistic_case(4242);
    let spouse = other
        .household
        .members
        .iter()
        .find(|m| m.relation == Relation::Spouse)
        .expect("spouse in the sample");
    (spouse.civil_id.clone(), spouse.birth_date)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_answered_goes_back_first_and_a_smaller_amount_is_granted() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    // Two requests waiting: ours was submitted 10 days ago, another 5 days ago.
    let id = submitted_case(&mut rep, 31, 10);
    let newer = submitted_case(&mut rep, 32, 5);
    rep.sync().await?;
    let case = rep.engine.open_case(&id)?.case;
    let request = case.requests[0].id.clone();
    let requested = case.requests[0].amount.expect("an amount is requested");
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let reference = case.reference.as_str().to_owned();
    let newer_ref = rep
        .engine
        .open_case(&newer)?
        .case
        .reference
        .as_str()
        .to_owned();
    assert_eq!(
        queue_order(&committee).await?,
        [reference.clone(), newer_ref.clone()]
    );

    // The committee asks; an answer cannot be sent before the question arrives.
    let back = decide(
        &committee,
        &id,
        &request,
        &[("outcome", "info-requested"), ("reason", QUESTION)],
    )
    .await?;
    assert!(back.contains("done=console-done-info-requested"), "{back}");
    assert_eq!(
        queue_order(&committee).await?,
        std::slice::from_ref(&newer_ref)
    );
    rep.sync().await?;
    let open = rep.engine.open_case(&id)?;
    let round = open.requests[0]
        .open_round()
        .expect("the question is on the device");
    assert_eq!(round.question, QUESTION);
    let waiting = rep.engine.list(&ListQuery {
        status: Some(RequestStatus::InfoRequested),
        ..ListQuery::default()
    })?;
    assert_eq!(
        waiting.len(),
        1,
        "the list's filter finds the case to answer"
    );

    // Offline: the spouse's civil ID corrected, the rent contract attached, then the answer.
    let mut spouse = open
        .case
        .household
        .members
        .iter()
        .find(|m| m.relation == Relation::Spouse)
        .expect("spouse")
        .clone();
    let wrong = Edit::UpsertMember({
        let mut m = spouse.clone();
        m.civil_id = "12345".into();
        m
    });
    assert!(
        rep.engine.edit(&id, wrong).is_err(),
        "an invalid civil ID is refused"
    );
    let (civil_id, birth) = other_spouse();
    spouse.civil_id = civil_id.clone();
    spouse.birth_date = birth;
    rep.engine.edit(&id, Edit::UpsertMember(spouse.clone()))?;
    let photo = std::fs::read(repo().join("tests/fixtures/photos/DSCN0010.jpg"))?;
    rep.engine.attach_photo(
        &id,
        &photo,
        DocumentKind::RentContract,
        None,
        Some(request.clone()),
        None,
    )?;
    // An empty answer is not sent.
    assert!(
        rep.engine
            .record_event(&id, &request, EventKind::InfoProvided, "  ")
            .is_err()
    );
    rep.engine
        .record_event(&id, &request, EventKind::InfoProvided, ANSWER)?;
    rep.sync().await?;

    // Back in the queue, first (its clock paused while the family looked for the contract),
    // with the round shown on the queue and on the case.
    assert_eq!(
        queue_order(&committee).await?,
        [reference.clone(), newer_ref]
    );
    let queue = committee.get("/console/queue").await?.text().await?;
    assert!(
        queue.contains("badge round") && queue.contains("جولة المعلومات"),
        "the round is shown in the queue"
    );
    let page = round_on_case_page(&committee, &id).await?;
    assert!(
        page.contains(&civil_id),
        "the corrected civil ID reached headquarters"
    );
    let storage = server.storage()?;
    let row = storage
        .requests(&Scope::All, &RequestFilter::default(), 100)
        .await?
        .into_iter()
        .find(|r| r.case_id == id.as_str())
        .expect("row");
    assert_eq!((row.status.as_str(), row.rounds), ("awaiting-decision", 1));
    let whole = storage
        .whole_documents(&Scope::All, None, 100)
        .await?
        .0
        .into_iter()
        .find(|c| c.case == id)
        .expect("case at headquarters");
    let hq = mandoob_shared::doc::CaseDoc::load(&whole.snapshot)?.hydrate()?;
    assert!(
        hq.documents
            .iter()
            .any(|d| d.kind == DocumentKind::RentContract),
        "the contract reached headquarters"
    );

    // A grant with an unreadable amount, or on a rejection, is refused and changes nothing.
    // The form comes back as typed, the reason beside the amount.
    let ar = mandoob_shared::i18n::Translator::new(mandoob_shared::i18n::Lang::Ar);
    let page = decide_refused(
        &committee,
        &id,
        &request,
        &[
            ("outcome", "accepted"),
            ("reason", "سبب مكتوب"),
            ("granted", "مئة"),
            ("in_kind", "سلة غذائية"),
        ],
    )
    .await?;
    let amount_field = page
        .split("name=\"granted\"")
        .nth(1)
        .and_then(|rest| rest.split("</label>").next())
        .unwrap_or_default();
    assert!(
        amount_field.contains("value=\"مئة\""),
        "the amount as typed"
    );
    assert!(
        amount_field.contains(&ar.text("console-granted-unreadable")),
        "the reason beside the amount"
    );
    assert!(
        page.contains(">سبب مكتوب</textarea>"),
        "the reason as typed"
    );
    assert!(
        page.contains(">سلة غذائية</textarea>"),
        "help in kind as typed"
    );
    assert!(
        page.contains("value=\"accepted\" required checked"),
        "the outcome as chosen"
    );
    let page = decide_refused(
        &committee,
        &id,
        &request,
        &[("outcome", "rejected"), ("reason", "ر"), ("granted", "10")],
    )
    .await?;
    assert!(
        page.contains(&ar.text("refusal-invalid-grant")),
        "invalid grant said"
    );
    // Granted: less than requested, with the reason.
    let granted = Fils(requested.0 / 2 / 1000 * 1000);
    let granted_text = (granted.0 / 1000).to_string();
    let back = decide(
        &committee,
        &id,
        &request,
        &[
            ("outcome", "accepted"),
            ("reason", "الدخل يغطي جزءًا من الاحتياج"),
            ("granted", &granted_text),
        ],
    )
    .await?;
    assert!(back.contains("done=console-done-accepted"), "{back}");
    rep.sync().await?;
    let state = rep.engine.open_case(&id)?.requests[0].clone();
    assert_eq!(state.status, RequestStatus::Accepted);
    let grant = state.decision.and_then(|d| d.grant).expect("a grant");
    assert_eq!(grant.amount, Some(granted));
    // The queue and the case show what was requested and what was granted.
    let kwd = |f: Fils| format!("{}.{:03}", f.0 / 1000, f.0 % 1000);
    let accepted = committee
        .get("/console/queue?status=accepted")
        .await?
        .text()
        .await?;
    let row = accepted
        .split(&format!("data-reference=\"{reference}\""))
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .expect("the accepted request in the queue");
    assert!(
        row.contains(&kwd(requested)) && row.contains(&kwd(granted)),
        "{row}"
    );
    let page = committee
        .get(&format!("/console/cases/{}", id.as_str()))
        .await?
        .text()
        .await?;
    let granted_dd = page
        .split("<dd class=\"granted\">")
        .nth(1)
        .and_then(|rest| rest.split("</dd>").next())
        .expect("the grant on the case");
    assert!(granted_dd.contains(&kwd(granted)), "{granted_dd}");
    // The clock paused while the family answered: it moved by exactly the time waited.
    assert_eq!(state.rounds.len(), 1);
    let round = &state.rounds[0];
    let waited = round.answered_at.expect("answered").millis() - round.asked_at.millis();
    let submitted = state.submitted_at.expect("submitted");
    let restarted = state.clock_started_at.expect("clock");
    assert_eq!(restarted.millis() - submitted.millis(), waited);
    let sla = SlaPolicy::default();
    assert!(sla.due_date(restarted) >= sla.due_date(submitted));

    // The export has what was requested and what was granted.
    let csv = committee
        .get("/console/export/requests.csv")
        .await?
        .text()
        .await?;
    let line = csv
        .lines()
        .find(|l| l.contains(&reference))
        .expect("the request in the export");
    let requested_kwd = format!("{}", requested.0 as f64 / 1000.0);
    let granted_kwd = format!("{}", granted.0 as f64 / 1000.0);
    assert!(
        line.contains(&requested_kwd) && line.contains(&granted_kwd),
        "{line}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn information_round_in_the_browser() -> anyhow::Result<()> {
    let web = web_bundle()?;
    let settings = Settings {
        data_dir: temp_dir("server"),
        web_dir: web.clone(),
        ..Settings::default()
    };
    seed_accounts(mandoob_sync_server::open_storage(&settings)?.as_ref()).await?;
    let server = TestServer::start_on(settings).await?;
    // The case was registered and submitted from the representative's other device.
    let mut other = Device::enrol(&server, "rep-a").await?;
    // Ours was submitted 10 days ago, another 5 days ago: back first means before it.
    let id = submitted_case(&mut other, 31, 10);
    let newer = submitted_case(&mut other, 32, 5);
    other.sync().await?;
    let newer_ref = other
        .engine
        .open_case(&newer)?
        .case
        .reference
        .as_str()
        .to_owned();
    let case = other.engine.open_case(&id)?.case;
    let request = case.requests[0].id.clone();
    let requested = case.requests[0].amount.expect("amount");
    let reference = case.reference.as_str().to_owned();
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    decide(
        &committee,
        &id,
        &request,
        &[("outcome", "info-requested"), ("reason", QUESTION)],
    )
    .await?;
    assert_eq!(
        queue_order(&committee).await?,
        std::slice::from_ref(&newer_ref),
        "while the family is asked, only the other request waits"
    );

    let (civil_id, birth) = other_spouse();
    let granted = Fils(requested.0 / 2 / 1000 * 1000);
    let shots = repo().join("target/screenshots/information-round");
    let mut node = BrowserScript::start(
        "information_round.mjs",
        &[
            ("APP_URL", server.url("/app/")),
            ("USERNAME", "rep-a".to_owned()),
            ("PASSWORD", PASSWORD.to_owned()),
            ("REFERENCE", reference.clone()),
            ("QUESTION", QUESTION.to_owned()),
            ("ANSWER", ANSWER.to_owned()),
            (
                "SPOUSE_INDEX",
                case.household
                    .members
                    .iter()
                    .position(|m| m.relation == Relation::Spouse)
                    .expect("spouse")
                    .to_string(),
            ),
            ("SPOUSE_CIVIL_ID", civil_id.clone()),
            (
                "SPOUSE_BIRTH",
                birth.map(|d| d.to_string()).unwrap_or_default(),
            ),
            (
                "PHOTOS",
                repo().join("tests/fixtures/photos").display().to_string(),
            ),
            ("PROFILE", temp_dir("profile").display().to_string()),
            ("REQUESTED", requested.to_string()),
            ("GRANTED", granted.to_string()),
            ("SHOTS", shots.display().to_string()),
        ],
    )?;
    let said = node.next().await?;
    anyhow::ensure!(
        said == format!("ANSWERED {reference}"),
        "unexpected: {said}"
    );

    // Back first in the queue, with the round, the answer and the corrections.
    assert_eq!(
        queue_order(&committee).await?,
        [reference.clone(), newer_ref],
        "back first in the queue, before the newer request"
    );
    round_on_case_page(&committee, &id).await?;
    // The phone enrolled under the name given at sign-in.
    let devices = server.storage()?.devices().await?;
    assert!(
        devices.iter().any(|d| d.name == "هاتف المندوب ٢"),
        "{devices:?}"
    );
    other.sync().await?;
    let now = other.engine.open_case(&id)?;
    let spouse = now
        .case
        .household
        .members
        .iter()
        .find(|m| m.relation == Relation::Spouse)
        .expect("spouse");
    assert_eq!(spouse.civil_id, civil_id);
    assert!(
        now.case.documents.len() > case.documents.len(),
        "the document attached in the browser reached headquarters"
    );
    decide(
        &committee,
        &id,
        &request,
        &[
            ("outcome", "accepted"),
            ("reason", "الدخل يغطي جزءًا من الاحتياج"),
            ("granted", &(granted.0 / 1000).to_string()),
        ],
    )
    .await?;
    node.say("DECIDED")?;
    anyhow::ensure!(node.next().await? == "DONE");
    node.finish()?;
    Ok(())
}
