//! Sign-in, offline use, a revoked device and sign-out, through the app's backend against the
//! real server on 127.0.0.1.

use mandoob_engine::engine::{ListQuery, NewHousehold};
use mandoob_engine::handle::{EngineHandle, Location};
use mandoob_mobile::backend::{AppError, Backend};
use mandoob_shared::model::{Member, Relation};
use mandoob_sync_server::Settings;
use mandoob_tests::{PASSWORD, TestServer, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_once_then_offline_then_revoked() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (port, data_dir) = (server.addr.port(), server.data_dir.clone());
    let db = temp_dir("sign-in").join("device.sqlite");
    let (engine, thread) = EngineHandle::start(Location::File(db.clone()))?;
    let backend = Backend::new(engine).await?;
    // A wrong password is a clear refusal, and nothing is stored.
    let wrong = backend
        .sign_in(&server.url(""), "rep-a", "not-the-password", "phone")
        .await;
    assert!(
        matches!(
            wrong,
            Err(AppError::SignInRefused(Some(
                mandoob_shared::sync::ApiErrorCode::SignInWrong
            )))
        ),
        "{wrong:?}"
    );
    assert!(backend.credentials().await?.is_none());
    let signed = backend
        .sign_in(&server.url(""), "rep-a", PASSWORD, "phone")
        .await?;
    assert_eq!(signed.credentials.username, "rep-a");
    assert!(!signed.must_change_password && !signed.pending_approval);
    backend.sync().await?;
    let device = server
        .storage()?
        .devices()
        .await?
        .pop()
        .expect("device")
        .code;
    server.stop().await?;

    // The app restarts with no server: still signed in; work goes on and is kept.
    drop(backend);
    thread.join();
    let (engine, _thread) = EngineHandle::start(Location::File(db.clone()))?;
    let backend = Backend::new(engine).await?;
    assert!(backend.signed_in());
    let mut head = Member::new("سالم", Relation::Head);
    head.civil_id = String::new();
    let id = backend
        .create(NewHousehold {
            head,
            address: Default::default(),
            not_a_duplicate: true,
        })
        .await?;
    assert!(matches!(backend.sync().await, Err(AppError::Offline(_))));

    // Headquarters revokes the device (a lost phone): at its next sync it hands the unsent
    // case over and wipes its case data, and says so plainly.
    let server = TestServer::start_on_port(
        Settings {
            data_dir,
            ..Settings::default()
        },
        port,
    )
    .await?;
    assert!(server.storage()?.revoke_device(&device).await?);
    assert_eq!(backend.sync().await.unwrap_err(), AppError::Wiped);
    assert!(!backend.signed_in());
    assert!(backend.credentials().await?.is_none());
    assert!(backend.list(ListQuery::default()).await?.is_empty());
    let held = server
        .storage()?
        .held_items(&mandoob_shared::ids::UserId::new("rep-a"))
        .await?;
    assert!(
        held.iter().any(|h| h.case.as_ref() == Some(&id)),
        "the unsent case is held for an administrator: {held:?}"
    );
    Ok(())
}

/// A password an administrator reset: the sign-in says it must be changed, sync is refused
/// until it is, and the change goes through the app's backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_password_is_changed_before_syncing() -> anyhow::Result<()> {
    use mandoob_shared::sync::ApiErrorCode;
    let server = TestServer::start().await?;
    let storage = server.storage()?;
    let given = "given by the administrator 7";
    mandoob_sync_server::service::passwords::reset(
        storage.as_ref(),
        "rep-a",
        given,
        &mandoob_sync_server::service::audit::By::command_line(),
    )
    .await?;
    let db = temp_dir("reset").join("device.sqlite");
    let (engine, _thread) = EngineHandle::start(Location::File(db))?;
    let backend = Backend::new(engine).await?;
    let signed = backend
        .sign_in(&server.url(""), "rep-a", given, "phone")
        .await?;
    assert!(signed.must_change_password);
    assert_eq!(
        backend.sync().await.unwrap_err(),
        AppError::Server(Some(ApiErrorCode::PasswordChangeRequired))
    );
    assert_eq!(
        backend
            .change_password("not it", "a courtyard with two palm trees")
            .await,
        Err(AppError::Server(Some(ApiErrorCode::SignInWrong)))
    );
    assert_eq!(
        backend.change_password(given, "password123456").await,
        Err(AppError::Server(Some(ApiErrorCode::PasswordCommon)))
    );
    backend
        .change_password(given, "a courtyard with two palm trees")
        .await?;
    backend.sync().await?;
    Ok(())
}
