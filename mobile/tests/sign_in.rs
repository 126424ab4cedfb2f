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
    let creds = backend
        .sign_in(&server.url(""), "rep-a", PASSWORD, "phone")
        .await?;
    assert_eq!(creds.username, "rep-a");
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

    // Headquarters revokes the device (a lost phone): the next sync says so plainly.
    let server = TestServer::start_on_port(
        Settings {
            data_dir,
            ..Settings::default()
        },
        port,
    )
    .await?;
    assert!(server.storage()?.revoke_device(&device).await?);
    assert_eq!(backend.sync().await.unwrap_err(), AppError::Revoked);
    // Signing out forgets the token; the unsent case stays on the device.
    backend.sign_out().await?;
    assert!(!backend.signed_in());
    assert!(backend.credentials().await?.is_none());
    let rows = backend.list(ListQuery::default()).await?;
    assert!(rows.iter().any(|r| r.id == id && r.unsynced));
    Ok(())
}
