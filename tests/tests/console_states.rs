//! The console leaves nothing unclear (issue 16): no decision is chosen in advance and a
//! decision without one is refused in words; dangerous buttons do not look like the main
//! action; creating a user says so; a refused form comes back as typed with the reason beside
//! its field; satisfaction bars are on the scale of 5; branches and people show by name.

use mandoob_shared::i18n::{Lang, Translator};
use mandoob_tests::{ConsoleClient, Device, TestServer, submitted_case};

#[tokio::test]
async fn the_console_says_what_it_wants_and_what_it_did() -> anyhow::Result<()> {
    let ar = Translator::new(Lang::Ar);
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let id = submitted_case(&mut rep, 7, 3);
    rep.sync().await?;
    let case = rep.engine.open_case(&id)?;
    let request = case.requests[0].request.as_str().to_owned();
    let survey = case.case.surveys[0].overall.expect("a satisfaction score");

    // The decision form: nothing chosen; a post without a choice is refused in words.
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let path = format!("/console/cases/{}", id.as_str());
    let page = committee.get(&path).await?.text().await?;
    assert!(page.contains("name=\"outcome\""));
    assert!(!page.contains("checked"), "no outcome chosen in advance");
    assert!(page.contains("القرين"), "the branch by its name");
    let res = committee
        .post(
            &format!("{path}/decide"),
            &[("request", &request), ("reason", "سبب")],
            true,
        )
        .await?;
    assert_eq!(res.status(), 422);
    let page = res.text().await?;
    assert!(page.contains(&ar.text("console-choose-outcome")));
    assert!(page.contains(">سبب</textarea>"), "the reason as typed");

    // The queue names the branch; satisfaction bars are drawn on the scale of 5.
    let queue = committee.get("/console/queue").await?.text().await?;
    assert!(queue.contains(">القرين<") && !queue.contains(">QRN<"));
    let dashboard = committee.get("/console/dashboard").await?.text().await?;
    let satisfaction = dashboard
        .split(&ar.text("console-chart-satisfaction-branch"))
        .nth(1)
        .expect("the satisfaction chart");
    let width = satisfaction
        .split("class=\"bar\" x=\"0\" y=\"0\" width=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a bar");
    assert_eq!(
        width,
        format!("{:.2}", survey as f64 * 20.0),
        "{survey} of 5"
    );

    // Administration: deactivating looks dangerous; creating a user is confirmed.
    let admin = ConsoleClient::sign_in(&server, "admin").await?;
    let page = admin.get("/console/admin").await?.text().await?;
    assert!(page.contains(&format!(
        "<button class=\"danger\" type=\"submit\">{}</button>",
        ar.text("console-deactivate")
    )));
    let user = |username: &'static str, name: &'static str, branch: &'static str| {
        [
            ("username", username),
            ("display_name", name),
            ("role", "committee"),
            ("branch", branch),
            ("password", "a long enough password"),
        ]
    };
    let res = admin
        .post("/console/admin/users", &user("sara", "سارة", "QRN"), true)
        .await?;
    assert_eq!(res.status(), 303);
    let created = res.headers()["location"].to_str()?.to_owned();
    let page = admin.get(&created).await?.text().await?;
    assert!(page.contains("role=\"status\""), "a confirmation");
    assert!(page.contains("سارة") && page.contains("sara"));

    // The same username again: the form comes back as typed, the reason beside the username.
    let res = admin
        .post(
            "/console/admin/users",
            &user("sara", "Sara Other", "JHR"),
            true,
        )
        .await?;
    assert_eq!(res.status(), 409);
    let page = res.text().await?;
    let form = page
        .split("id=\"new-user\"")
        .nth(1)
        .expect("the new-user form");
    assert!(form.contains("value=\"sara\""));
    assert!(form.contains("value=\"Sara Other\""));
    assert!(form.contains("value=\"committee\" selected"));
    assert!(form.contains("value=\"JHR\" selected"));
    assert!(
        !form.contains("a long enough password"),
        "no password sent back"
    );
    let username = form
        .split("name=\"username\"")
        .nth(1)
        .expect("the username");
    assert!(username.contains("aria-invalid=\"true\""));
    assert!(username.contains(&ar.text("console-user-exists")));
    // A refused name keeps the rest and marks the name.
    let res = admin
        .post("/console/admin/users", &user("new.one", " ", "QRN"), true)
        .await?;
    assert_eq!(res.status(), 400);
    let page = res.text().await?;
    assert!(page.contains("value=\"new.one\""));
    let name = page
        .split("name=\"display_name\"")
        .nth(1)
        .expect("the name");
    assert!(name.contains("aria-invalid=\"true\"") && name.contains(&ar.text("console-bad-name")));
    Ok(())
}
