//! Accounts over HTTP (issue 18): changing one's own password in the console and from a
//! device, an administrator's reset (changed at the next sign-in, old sessions ended), one
//! password rule (common passwords refused), roles changed and audited, devices per user with
//! their last address, and a re-enrolment after a revocation waiting for approval.

use mandoob_engine::engine::Engine;
use mandoob_engine::sync_client::SyncClient;
use mandoob_shared::i18n::{Lang, Translator};
use mandoob_shared::sync::ApiErrorCode;
use mandoob_tests::{ConsoleClient, Device, PASSWORD, TestServer, console_sign_in};

const NEW_PASSWORD: &str = "the committee meets on sundays";
const RESET_PASSWORD: &str = "given by the administrator 7";

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn passwords_change_and_reset_in_the_console() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let ar = Translator::new(Lang::Ar);
    let mine = ConsoleClient::sign_in(&server, "committee").await?;
    let other = ConsoleClient::sign_in(&server, "committee").await?;
    let change = |current: &str, new: &str, repeat: &str| {
        let (current, new, repeat) = (current.to_owned(), new.to_owned(), repeat.to_owned());
        let mine = &mine;
        async move {
            mine.post(
                "/console/password",
                &[("current", &current), ("new", &new), ("repeat", &repeat)],
                true,
            )
            .await
        }
    };

    // Refusals come back beside their field, in the user's language.
    let res = change("not my password", NEW_PASSWORD, NEW_PASSWORD).await?;
    assert_eq!(res.status(), 401);
    let page = res.text().await?;
    assert!(
        page.contains("password-current-error"),
        "beside the current password"
    );
    assert!(page.contains(&ar.text("console-wrong-current-password")));
    let res = change(PASSWORD, "Password2024!", "Password2024!").await?;
    assert_eq!(res.status(), 400);
    let page = res.text().await?;
    assert!(page.contains("password-new-error"));
    assert!(page.contains(&ar.text("console-common-password")));
    let res = change(PASSWORD, NEW_PASSWORD, "something else entirely").await?;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await?
            .contains(&ar.text("console-password-mismatch"))
    );
    // Still the old password.
    assert_eq!(
        console_sign_in(&server, "committee", PASSWORD).await?.0,
        303
    );

    let res = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await?;
    assert_eq!(res.status(), 303);
    assert_eq!(header(&res, "location"), "/console/password?done=yes");
    // The session that changed it goes on; the other one ended.
    assert_eq!(mine.get("/console/queue").await?.status(), 200);
    let res = other.get("/console/queue").await?;
    assert_eq!(res.status(), 303);
    assert_eq!(header(&res, "location"), "/console/sign-in");
    assert_eq!(
        console_sign_in(&server, "committee", PASSWORD).await?.0,
        401
    );
    assert_eq!(
        console_sign_in(&server, "committee", NEW_PASSWORD).await?.0,
        303
    );

    // An administrator resets it: the rule applies, the person's sessions end, and their
    // next sign-in goes to the password page first.
    let admin = ConsoleClient::sign_in(&server, "admin").await?;
    let res = admin
        .post(
            "/console/admin/users/committee/password",
            &[("password", "qwerty123456")],
            true,
        )
        .await?;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await?
            .contains(&ar.text("console-common-password"))
    );
    let res = admin
        .post(
            "/console/admin/users/committee/password",
            &[("password", RESET_PASSWORD)],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(
        mine.get("/console/queue").await?.status(),
        303,
        "session ended"
    );
    let user_page = admin
        .get("/console/admin/users/committee")
        .await?
        .text()
        .await?;
    assert!(user_page.contains(&ar.text("console-must-change-badge")));

    let (status, location, cookie) = console_sign_in(&server, "committee", RESET_PASSWORD).await?;
    assert_eq!((status, location.as_str()), (303, "/console/password"));
    let forced = ConsoleClient::on_session(&server, &cookie, "/console/password").await?;
    let res = forced.get("/console/queue").await?;
    assert_eq!(
        header(&res, "location"),
        "/console/password",
        "nothing else first"
    );
    let page = forced.get("/console/password").await?.text().await?;
    assert!(page.contains(&ar.text("console-password-must-change")));
    let res = forced
        .post(
            "/console/password",
            &[
                ("current", RESET_PASSWORD),
                ("new", "my own words this time"),
                ("repeat", "my own words this time"),
            ],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(forced.get("/console/queue").await?.status(), 200);

    // Every step is in the audit log, in words.
    let audit = admin.get("/console/audit").await?.text().await?;
    for action in ["change-password", "reset-password"] {
        assert!(
            audit.contains(&format!("data-action=\"{action}\"")),
            "{action}"
        );
        assert!(audit.contains(&ar.text(&format!("console-audit-{action}"))));
    }
    Ok(())
}

#[tokio::test]
async fn roles_change_audited_and_never_ones_own() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let ar = Translator::new(Lang::Ar);
    let admin = ConsoleClient::sign_in(&server, "admin").await?;
    let res = admin
        .post(
            "/console/admin/users/researcher/role",
            &[("role", "committee")],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    let storage = server.storage()?;
    let researcher = storage
        .user(&mandoob_shared::ids::UserId::new("researcher"))
        .await?
        .expect("user");
    assert_eq!(researcher.role, mandoob_shared::workflow::Role::Committee);
    let res = admin
        .post(
            "/console/admin/users/admin/role",
            &[("role", "committee")],
            true,
        )
        .await?;
    assert_eq!(res.status(), 400);
    assert!(res.text().await?.contains(&ar.text("console-own-role")));
    let audit = admin
        .get("/console/audit?action=change-role")
        .await?
        .text()
        .await?;
    assert!(audit.contains("data-action=\"change-role\""));
    let from_to = ar.text_with(
        "console-audit-role-change",
        &[
            ("from", &ar.text("role-social-researcher")),
            ("to", &ar.text("role-committee")),
        ],
    );
    assert!(audit.contains(&from_to), "the change in words: {from_to}");
    Ok(())
}

#[tokio::test]
async fn a_device_changes_its_password_and_a_reenrolment_waits_for_approval() -> anyhow::Result<()>
{
    let server = TestServer::start().await?;
    let ar = Translator::new(Lang::Ar);
    let admin = ConsoleClient::sign_in(&server, "admin").await?;

    // A reset password: the device signs in, is told to change it, and may not sync first.
    let res = admin
        .post(
            "/console/admin/users/rep-a/password",
            &[("password", RESET_PASSWORD)],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    let mut engine = Engine::in_memory()?;
    let (client, login) = SyncClient::login(
        &server.url(""),
        "rep-a",
        RESET_PASSWORD,
        "rep-a phone",
        &mut engine,
    )
    .await?;
    assert!(login.must_change_password);
    let refused = client.sync(&mut engine).await.unwrap_err();
    assert_eq!(refused.code(), Some(ApiErrorCode::PasswordChangeRequired));
    let weak = client
        .change_password(RESET_PASSWORD, "password1234")
        .await
        .unwrap_err();
    assert_eq!(weak.code(), Some(ApiErrorCode::PasswordCommon));
    let short = client
        .change_password(RESET_PASSWORD, "short")
        .await
        .unwrap_err();
    assert_eq!(short.code(), Some(ApiErrorCode::PasswordWeak));
    let wrong = client
        .change_password("not the password", NEW_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), Some(ApiErrorCode::SignInWrong));
    client.change_password(RESET_PASSWORD, NEW_PASSWORD).await?;
    client.sync(&mut engine).await?;
    let first = login.device.as_str().to_owned();

    // The user's page lists the device with its last address.
    let page = admin
        .get("/console/admin/users/rep-a")
        .await?
        .text()
        .await?;
    assert!(page.contains(&format!("data-device=\"{first}\"")));
    assert!(page.contains("127.0.0.1"), "the last address");

    // Revoked: the old token is told so (not just "not signed in").
    let res = admin
        .post(
            &format!("/console/admin/devices/{first}/revoke"),
            &[("confirm", "yes")],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    let revoked = client.sync(&mut engine).await.unwrap_err();
    assert_eq!(revoked.code(), Some(ApiErrorCode::DeviceRevoked));

    // Signing straight back in gives a device that waits for an administrator.
    let mut again = Engine::in_memory()?;
    let (client, login) = SyncClient::login(
        &server.url(""),
        "rep-a",
        NEW_PASSWORD,
        "rep-a phone",
        &mut again,
    )
    .await?;
    assert!(login.pending_approval);
    let pending = client.sync(&mut again).await.unwrap_err();
    assert_eq!(pending.code(), Some(ApiErrorCode::DevicePending));
    // Nor may it change the password (someone who knows it would lock the person out).
    let pending = client
        .change_password(NEW_PASSWORD, "a phrase of the finder")
        .await
        .unwrap_err();
    assert_eq!(pending.code(), Some(ApiErrorCode::DevicePending));
    let second = login.device.as_str().to_owned();
    let page = admin
        .get("/console/admin/users/rep-a")
        .await?
        .text()
        .await?;
    assert!(page.contains(&ar.text("console-waiting-approval")));
    assert!(page.contains(&format!("/console/admin/devices/{second}/approve")));
    let res = admin
        .post(
            &format!("/console/admin/devices/{second}/approve"),
            &[],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    client.sync(&mut again).await?;
    // Approving twice is refused (nothing waits).
    let res = admin
        .post(
            &format!("/console/admin/devices/{second}/approve"),
            &[],
            true,
        )
        .await?;
    assert_eq!(res.status(), 400);
    // Once approved, the next enrolment of this user goes straight through.
    let mut third = Engine::in_memory()?;
    let (client, login) = SyncClient::login(
        &server.url(""),
        "rep-a",
        NEW_PASSWORD,
        "rep-a tablet",
        &mut third,
    )
    .await?;
    assert!(!login.pending_approval);
    client.sync(&mut third).await?;
    // Another person's enrolments never waited.
    assert!(
        !Device::enrol(&server, "rep-b")
            .await?
            .login
            .pending_approval
    );

    let audit = admin.get("/console/audit").await?.text().await?;
    assert!(audit.contains("data-action=\"approve-device\""));
    assert!(audit.contains("data-action=\"change-password\""));
    Ok(())
}
