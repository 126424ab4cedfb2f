//! A revoked device (issue 18): at its next contact it hands over what it had not sent, which
//! the server holds unapplied, and wipes its case data; an administrator then applies or
//! discards each item on the user's page. Over HTTP, with a device whose store is a file, so
//! that the wipe is checked in the file's raw bytes.

use mandoob_engine::engine::{Engine, ListQuery};
use mandoob_engine::sync_client::{SyncClient, SyncError};
use mandoob_shared::i18n::{Lang, Translator};
use mandoob_shared::ids::UserId;
use mandoob_shared::model::DocumentKind;
use mandoob_shared::sync::{self as wire, ApiErrorCode, HandOver, HandOverReceipt, PushDoc};
use mandoob_tests::{ConsoleClient, Device, PASSWORD, TestServer};

/// Whether `needle` (as UTF-8) occurs anywhere in the files of the database at `path`.
fn in_files(path: &std::path::Path, needle: &str) -> bool {
    ["", "-wal", "-journal"].iter().any(|suffix| {
        let file = format!("{}{suffix}", path.display());
        std::fs::read(&file)
            .is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
    })
}

async fn post_hand_over(
    server: &TestServer,
    token: &str,
    push: Vec<PushDoc>,
) -> anyhow::Result<reqwest::Response> {
    let body = wire::encode(&HandOver {
        protocol: wire::PROTOCOL_VERSION,
        push,
    });
    Ok(reqwest::Client::new()
        .post(server.url("/api/v1/hand-over"))
        .bearer_auth(token)
        .body(body)
        .send()
        .await?)
}

#[tokio::test]
async fn a_revoked_device_hands_over_its_unsent_work_then_wipes_its_data() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let storage = server.storage()?;
    let ar = Translator::new(Lang::Ar);
    let dir = mandoob_tests::temp_dir("hand-over");
    let db = dir.join("device.sqlite");
    let mut engine = Engine::open(&db)?;
    let (client, login) = SyncClient::login(
        &server.url(""),
        "rep-a",
        PASSWORD,
        "rep-a phone",
        &mut engine,
    )
    .await?;
    let mut device = Device {
        engine,
        client,
        login,
    };
    device.sync().await?;

    // Offline: a household registered with a photo of a civil ID, not yet sent.
    let case = mandoob_tests::submitted_case(&mut device, 41, 0);
    let file = device.engine.open_case(&case)?.case;
    let head = file.household.members[0].clone();
    let photo = std::fs::read(mandoob_tests::repo().join("tests/fixtures/photos/jolla.jpg"))?;
    let attached = device.engine.attach_photo(
        &case,
        &photo,
        DocumentKind::CivilId,
        Some(head.id.clone()),
        None,
        None,
    )?;
    assert!(
        in_files(&db, &head.civil_id),
        "the test's needle is there before"
    );

    // An enrolled device may not hand over: it syncs.
    let res = post_hand_over(&server, device.client.token(), Vec::new()).await?;
    assert_eq!(res.status(), 409);

    // The phone is lost; the administrator revokes it.
    let admin = ConsoleClient::sign_in(&server, "admin").await?;
    let code = device.login.device.as_str().to_owned();
    let res = admin
        .post(
            &format!("/console/admin/devices/{code}/revoke"),
            &[("confirm", "yes")],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);

    // Its next sync is refused as revoked; it hands over and wipes.
    let refused = device.sync().await.unwrap_err();
    let refused = refused.downcast::<SyncError>()?;
    assert_eq!(refused.code(), Some(ApiErrorCode::DeviceRevoked));
    let done = device.client.hand_over_and_wipe(&mut device.engine).await?;
    assert_eq!(done.cases, 1, "{done:?}");
    assert!(done.changes >= 1 && done.photos >= 1, "{done:?}");
    assert!(device.engine.list(&ListQuery::default())?.is_empty());
    let stats = device.engine.stats()?;
    assert_eq!((stats.cases, stats.blobs), (0, 0), "{stats:?}");
    assert_eq!(device.engine.credentials()?, None, "the token is forgotten");
    let token = device.client.token().to_owned();
    drop(device);
    for needle in [
        head.civil_id.as_str(),
        head.name_ar.as_str(),
        head.name_en.as_str(),
    ] {
        assert!(
            !in_files(&db, needle),
            "{needle} is still in the device's files"
        );
    }

    // Held, not applied: the case is not on the server yet.
    assert!(storage.case(&case).await?.is_none());
    let held = storage.held_items(&UserId::new("rep-a")).await?;
    assert!(
        held.len() >= 2,
        "the case's changes and the photo: {held:?}"
    );
    // A hand-over sent again (after a cut) is held once.
    let again = storage
        .held_body(held[0].id)
        .await?
        .map(|(_, body)| wire::decode::<PushDoc>(&body))
        .transpose()?
        .expect("held");
    let res = post_hand_over(&server, &token, vec![again]).await?;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<HandOverReceipt>().await?.held, 1);
    assert_eq!(
        storage.held_items(&UserId::new("rep-a")).await?.len(),
        held.len()
    );
    // A photo whose bytes do not match its name is refused.
    let res = reqwest::Client::new()
        .put(server.url(&format!("/api/v1/hand-over/photos/{}", "0".repeat(64))))
        .bearer_auth(&token)
        .body(b"not that photo".to_vec())
        .send()
        .await?;
    assert_eq!(res.status(), 400);

    // The user's page shows it; the administrator applies the changes and the photo.
    let page = admin
        .get("/console/admin/users/rep-a")
        .await?
        .text()
        .await?;
    assert!(page.contains(&ar.text("console-held-title")));
    for item in &held {
        assert!(page.contains(&format!("data-held=\"{}\"", item.id)));
    }
    // Discarding asks for the box to be ticked.
    let res = admin
        .post(
            &format!("/console/admin/held/{}/discard", held[0].id),
            &[],
            true,
        )
        .await?;
    assert_eq!(res.status(), 400);
    for item in &held {
        let res = admin
            .post(&format!("/console/admin/held/{}/apply", item.id), &[], true)
            .await?;
        assert_eq!(res.status(), 303, "apply {}", item.id);
    }
    let stored = storage.case(&case).await?.expect("applied");
    let doc = mandoob_shared::doc::CaseDoc::load(&stored.snapshot)?;
    assert_eq!(
        doc.read_with_conflicts()?.0.household.members[0].civil_id,
        head.civil_id
    );
    assert!(
        storage.blob(&attached.sha256).await?.is_some(),
        "the photo is stored"
    );
    // Applied once: again is refused, and the audit says who did what.
    let res = admin
        .post(
            &format!("/console/admin/held/{}/apply", held[0].id),
            &[],
            true,
        )
        .await?;
    assert_eq!(res.status(), 400);
    let audit = storage.audit_log(100).await?;
    for action in ["hold-push", "apply-held", "revoke-device"] {
        assert!(audit.iter().any(|e| e.action == action), "{action}");
    }
    let page = admin
        .get("/console/admin/users/rep-a")
        .await?
        .text()
        .await?;
    assert!(page.contains(&ar.text("console-held-applied-photo")));
    Ok(())
}
