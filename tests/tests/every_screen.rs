//! Every screen of the field app and of the HQ console, in Arabic and in English, looked at as
//! a person would (issue 16; tests/e2e/every_screen.mjs in headless Chromium against the real
//! server and the web app).
//!
//! The representative's branch holds a household in each state a screen can show: a draft
//! with the whole visit still open, a request accepted with a smaller grant and a referral
//! still open whose household has a 60-letter Arabic name and a long English one, a request
//! the committee asked a question about, and one waiting. The script visits every screen of
//! the app at 360x640 and 320x640 and every page of the console at 360x640 and 1280x900, in
//! both languages, and fails when a page is wider than the window, text runs out of its box
//! or is cut, a Latin word that is not data shows in the Arabic UI, a message key shows raw,
//! a character is drawn as an empty box, text is under 16 px or a control under 44 px on a
//! phone, or a date, reference or amount reads in the wrong order. Screenshots at 360 (and
//! 1280 for the console) go to `target/screenshots/every-screen/`.

use mandoob_shared::ids::{CaseId, RequestId};
use mandoob_shared::model::{CaseFile, Relation};
use mandoob_sync_server::Settings;
use mandoob_tests::{
    BrowserScript, ConsoleClient, Device, PASSWORD, TestServer, refer, repo, seed_accounts,
    submitted_case, submitted_case_with, temp_dir, web_bundle,
};

/// A head of household's Arabic name of 60 letters (spaces aside), and a long English one.
pub const LONG_NAME_AR: &str =
    "عبدالرحمن محمد عبدالله سليمان ناصر عبدالعزيز فهيد مبارك العنزي الشمري";
pub const LONG_NAME_EN: &str =
    "Abdulrahman Mohammed Abdullah Sulaiman Nasser Abdulaziz Fahad Mubarak Al-Enezi Al-Shammari";

/// The password an administrator gives the representative, and the one they choose.
const RESET_PASSWORD: &str = "given by the administrator 7";
const NEW_PASSWORD: &str = "a courtyard with two palm trees";

fn long_names(case: &mut CaseFile) {
    if let Some(head) = case
        .household
        .members
        .iter_mut()
        .find(|m| m.relation == Relation::Head)
    {
        head.name_ar = LONG_NAME_AR.to_owned();
        head.name_en = LONG_NAME_EN.to_owned();
    }
    for m in &mut case.household.members {
        if m.relation != Relation::Head {
            m.name_ar = format!("{} {}", m.name_ar, "عبدالرحمن محمد عبدالله سليمان");
        }
    }
}

async fn decide(
    committee: &ConsoleClient,
    case: &CaseId,
    request: &RequestId,
    fields: &[(&str, &str)],
) -> anyhow::Result<()> {
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
    Ok(())
}

#[test]
fn the_long_name_has_sixty_letters() {
    assert_eq!(
        LONG_NAME_AR.chars().filter(|c| c.is_alphabetic()).count(),
        60
    );
    assert!(LONG_NAME_EN.len() > 80);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_in_both_languages_holds_at_phone_width() -> anyhow::Result<()> {
    let web = web_bundle()?;
    let settings = Settings {
        data_dir: temp_dir("server"),
        web_dir: web.clone(),
        ..Settings::default()
    };
    seed_accounts(mandoob_sync_server::open_storage(&settings)?.as_ref()).await?;
    let server = TestServer::start_on(settings).await?;

    // The branch's households, from the representative's other device.
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let draft = submitted_case_with(&mut rep, 51, 0, |c| {
        c.events.clear();
        c.surveys.clear();
    });
    let decided = submitted_case_with(&mut rep, 52, 20, long_names);
    let asked = submitted_case(&mut rep, 53, 3);
    let waiting = submitted_case(&mut rep, 54, 1);
    let request = |rep: &mut Device, id: &CaseId| -> anyhow::Result<RequestId> {
        Ok(rep.engine.open_case(id)?.case.requests[0].id.clone())
    };
    let decided_request = request(&mut rep, &decided)?;
    refer(
        &mut rep,
        &decided,
        &decided_request,
        "هل يُحتسب دخل الابن الأكبر ضمن دخل الأسرة؟",
    )?;
    rep.sync().await?;
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let asked_request = request(&mut rep, &asked)?;
    decide(
        &committee,
        &asked,
        &asked_request,
        &[
            ("outcome", "info-requested"),
            ("reason", "نحتاج كشف حساب بنكي لآخر ثلاثة أشهر"),
        ],
    )
    .await?;
    decide(
        &committee,
        &decided,
        &decided_request,
        &[
            ("outcome", "accepted"),
            ("reason", "الدخل يغطي جزءًا من الاحتياج"),
            ("granted", "100"),
        ],
    )
    .await?;
    let reference = |rep: &mut Device, id: &CaseId| -> anyhow::Result<String> {
        Ok(rep.engine.open_case(id)?.case.reference.as_str().to_owned())
    };
    let refs = [
        ("DRAFT_REF", reference(&mut rep, &draft)?),
        ("DECIDED_REF", reference(&mut rep, &decided)?),
        ("ASKED_REF", reference(&mut rep, &asked)?),
        ("WAITING_REF", reference(&mut rep, &waiting)?),
    ];
    let case_path = |id: &CaseId| format!("/console/cases/{}", id.as_str());
    // An administrator resets the representative's password: the app asks for a new one
    // before anything else.
    let admin = ConsoleClient::sign_in(&server, "admin").await?;
    let res = admin
        .post(
            "/console/admin/users/rep-a/password",
            &[("password", RESET_PASSWORD)],
            true,
        )
        .await?;
    anyhow::ensure!(res.status() == 303, "reset answered {}", res.status());

    let shots = repo().join("target/screenshots/every-screen");
    let mut env = vec![
        ("APP_URL", server.url("/app/")),
        ("SERVER_URL", server.url("")),
        ("USERNAME", "rep-a".to_owned()),
        ("PASSWORD", PASSWORD.to_owned()),
        ("RESET_PASSWORD", RESET_PASSWORD.to_owned()),
        ("NEW_PASSWORD", NEW_PASSWORD.to_owned()),
        ("PROFILE", temp_dir("profile").display().to_string()),
        ("FTL", repo().join("assets/i18n").display().to_string()),
        ("SHOTS", shots.display().to_string()),
        ("DECIDED_CASE", case_path(&decided)),
        ("ASKED_CASE", case_path(&asked)),
        ("WAITING_CASE", case_path(&waiting)),
        ("LONG_NAME_AR", LONG_NAME_AR.to_owned()),
        ("LONG_NAME_EN", LONG_NAME_EN.to_owned()),
        ("DEVICE", rep.login.device.as_str().to_owned()),
    ];
    env.extend(refs.iter().map(|(k, v)| (*k, v.clone())));
    let mut node = BrowserScript::start("every_screen.mjs", &env)?;
    let said = node.next().await?;
    anyhow::ensure!(said == "DONE", "the browser script said {said}");
    node.finish()?;
    // The screenshots people look at.
    for name in [
        "ar-app-cases-360",
        "en-app-cases-360",
        "ar-app-password-forced-360",
        "en-app-password-forced-360",
        "ar-app-decided-visit-registration-360",
        "en-app-decided-visit-registration-360",
        "ar-console-case-decided-360",
        "en-console-case-decided-1280",
    ] {
        let file = shots.join(format!("{name}.png"));
        anyhow::ensure!(
            std::fs::metadata(&file)
                .map(|m| m.len() > 5_000)
                .unwrap_or(false),
            "{} is missing or empty",
            file.display()
        );
    }
    Ok(())
}
