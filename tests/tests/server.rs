//! The real server binary's library, on a real socket.

use mandoob_tests::TestServer;

#[tokio::test]
async fn healthz_answers_ok_and_shutdown_is_graceful() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let response = reqwest::get(server.url("/healthz")).await?;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await?;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["schema_version"], mandoob_shared::SCHEMA_VERSION);
    let unknown = reqwest::get(server.url("/no-such-page")).await?;
    assert_eq!(unknown.status(), 404);
    server.stop().await?;
    Ok(())
}
