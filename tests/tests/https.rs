//! HTTPS with a local certificate (`admin make-certificate`): what a phone on the branch
//! office's network needs to run the web app (browsers give it offline storage and a service
//! worker only in a secure context).

use mandoob_sync_server::Settings;
use mandoob_sync_server::tls::local_certificates;
use mandoob_tests::{PASSWORD, TestServer, seed_accounts, temp_dir};

#[tokio::test]
async fn the_server_speaks_https_with_a_local_certificate() -> anyhow::Result<()> {
    let dir = temp_dir("tls");
    // The authority the phones installed, from a first certificate for another address.
    let first = local_certificates(&dir, &["192.168.1.20".into()])?;
    let installed = std::fs::read(&first.authority)?;
    // The machine's address changed: a new certificate under the same authority.
    let files = local_certificates(&dir, &["localhost".into(), "127.0.0.1".into()])?;
    assert_eq!(
        std::fs::read(&files.authority)?,
        installed,
        "the same authority"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let settings = Settings {
        data_dir: temp_dir("server"),
        tls_bind: Some(([127, 0, 0, 1], port).into()),
        tls_cert: Some(files.certificate.clone()),
        tls_key: Some(files.key.clone()),
        ..Settings::default()
    };
    seed_accounts(mandoob_sync_server::open_storage(&settings)?.as_ref()).await?;
    let server = TestServer::start_on(settings).await?;

    // A phone that installed the local authority trusts the server.
    let authority = reqwest::Certificate::from_pem(&installed)?;
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
        // Over HTTPS, browsers are told to keep to it (issue 18); plain HTTP is not told so.
        assert_eq!(
            resp.headers()
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok()),
            Some(mandoob_sync_server::headers::HSTS),
            "{host}"
        );
    }
    // A console session started over HTTPS has a cookie that is never sent over plain HTTP.
    let no_redirects = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&installed)?)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let signed_in = no_redirects
        .post(format!("https://localhost:{port}/console/sign-in"))
        .form(&[("username", "committee"), ("password", PASSWORD)])
        .send()
        .await?;
    let cookie = signed_in
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    // Plain HTTP goes on on its own address (the desktop app, the console on the machine).
    let plain = reqwest::get(server.url("/healthz")).await?;
    assert!(plain.status().is_success());
    assert!(plain.headers().get("strict-transport-security").is_none());
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

/// `/app` without its slash would load the page with every relative URL wrong.
#[tokio::test]
async fn the_web_app_address_gets_its_slash() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let resp = client.get(server.url("/app")).send().await?;
    assert_eq!(resp.status(), reqwest::StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        resp.headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/app/")
    );
    server.stop().await?;
    Ok(())
}
