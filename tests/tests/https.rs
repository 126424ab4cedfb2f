//! HTTPS with a local certificate (`admin make-certificate`): what a phone on the branch
//! office's network needs to run the web app (browsers give it offline storage and a service
//! worker only in a secure context).

use mandoob_sync_server::Settings;
use mandoob_sync_server::tls::local_certificates;
use mandoob_tests::{TestServer, temp_dir};

#[tokio::test]
async fn the_server_speaks_https_with_a_local_certificate() -> anyhow::Result<()> {
    let dir = temp_dir("tls");
    let files = local_certificates(&dir, &["localhost".into(), "127.0.0.1".into()])?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let server = TestServer::start_on(Settings {
        data_dir: temp_dir("server"),
        tls_bind: Some(([127, 0, 0, 1], port).into()),
        tls_cert: Some(files.certificate.clone()),
        tls_key: Some(files.key.clone()),
        ..Settings::default()
    })
    .await?;

    // A phone that installed the local authority trusts the server.
    let authority = reqwest::Certificate::from_pem(&std::fs::read(&files.authority)?)?;
    let trusted = reqwest::Client::builder()
        .add_root_certificate(authority)
        .build()?;
    // The HTTPS listener is bound as the server starts, just after this test got its handle.
    let mut attempts = 0;
    while trusted
        .get(format!("https://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_err()
        && attempts < 100
    {
        attempts += 1;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for host in ["127.0.0.1", "localhost"] {
        let resp = trusted
            .get(format!("https://{host}:{port}/healthz"))
            .send()
            .await?;
        assert!(resp.status().is_success(), "{host}: {}", resp.status());
    }
    // Plain HTTP goes on on its own address (the desktop app, the console on the machine).
    assert!(
        reqwest::get(server.url("/healthz"))
            .await?
            .status()
            .is_success()
    );
    // A client without the authority refuses the server; plain HTTP on the HTTPS port gets no
    // answer.
    let untrusted = reqwest::Client::new();
    assert!(
        untrusted
            .get(format!("https://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_err()
    );
    assert!(
        untrusted
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_err()
    );
    server.stop().await?;
    Ok(())
}
