//! Photos on every device of the branch (issue 15): a photo taken on one device reaches the
//! others of its branch (thumbnails with sync, the full photo when someone opens it, kept for
//! offline use afterwards), never a device of another branch, and never damaged.

use mandoob_engine::sync_client::{SyncClient, SyncError};
use mandoob_shared::ids::{BranchCode, CaseId};
use mandoob_shared::model::DocumentKind;
use mandoob_shared::workflow::Role;
use mandoob_tests::{Device, PASSWORD, TestServer};

fn fixture(name: &str) -> anyhow::Result<Vec<u8>> {
    Ok(std::fs::read(
        mandoob_tests::repo()
            .join("tests/fixtures/photos")
            .join(name),
    )?)
}

/// Takes a real photo on `device` for `case`: (the photo's name, its thumbnail's name).
fn take_photo(device: &mut Device, case: &CaseId, file: &str) -> anyhow::Result<(String, String)> {
    let attached = device.engine.attach_photo(
        case,
        &fixture(file)?,
        DocumentKind::CivilId,
        None,
        None,
        None,
    )?;
    let thumbnail = device
        .engine
        .open_case(case)?
        .case
        .documents
        .iter()
        .find(|d| d.id == attached.document)
        .map(|d| d.thumbnail_sha256.clone())
        .ok_or_else(|| anyhow::anyhow!("no document"))?;
    Ok((attached.sha256, thumbnail))
}

/// A second representative of branch QRN (beside rep-a).
async fn second_rep_of_qrn(server: &TestServer) -> anyhow::Result<()> {
    mandoob_sync_server::admin::create_user(
        server.storage()?.as_ref(),
        "rep-c",
        "rep-c",
        Role::Representative,
        &BranchCode::new("QRN"),
        PASSWORD,
    )
    .await
}

#[tokio::test]
async fn photos_reach_the_other_devices_of_the_branch_and_no_other() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    second_rep_of_qrn(&server).await?;
    let mut a = Device::enrol(&server, "rep-a").await?;
    let case = mandoob_tests::submitted_case(&mut a, 21, 1);
    let (photo, thumb) = take_photo(&mut a, &case, "Portrait_1.jpg")?;
    a.sync().await?;
    let a_photo = a.engine.blob(&photo)?.expect("kept on A");
    let a_thumb = a.engine.blob(&thumb)?.expect("kept on A");

    // Device B of the same branch: the thumbnail comes with its first sync, byte for byte; the
    // full photo stays on the server until someone opens it.
    let mut b = Device::enrol(&server, "rep-c").await?;
    let summary = b.sync().await?;
    assert_eq!(summary.thumbnails_fetched, 1, "{summary:?}");
    assert_eq!(b.engine.blob(&thumb)?.as_deref(), Some(a_thumb.as_slice()));
    assert_eq!(b.engine.blob(&photo)?, None);
    // Fetched, so never uploaded back.
    assert!(b.engine.pending_blobs()?.is_empty());
    // The other documents of the sample case name photos no device uploaded: they are not
    // on the server, which does not fail the sync, and nothing more is fetched.
    assert_eq!(b.sync().await?.thumbnails_fetched, 0);

    // Opened on B: fetched, and the same photo.
    let opened = b.client.fetch_photo(&mut b.engine, &photo).await?;
    assert_eq!(opened, a_photo);
    assert_eq!(b.engine.blob(&photo)?.as_deref(), Some(a_photo.as_slice()));
    assert!(b.engine.pending_blobs()?.is_empty());

    // A photo taken later reaches B with the changes feed (not a whole document).
    let (photo2, thumb2) = take_photo(&mut a, &case, "Portrait_3.jpg")?;
    a.sync().await?;
    assert_eq!(b.sync().await?.thumbnails_fetched, 1);
    assert_eq!(b.engine.blob(&thumb2)?, a.engine.blob(&thumb2)?);

    // Offline: what B fetched is still there; what it did not is said to need a connection.
    let offline = SyncClient::new("http://127.0.0.1:9", b.client.token());
    assert_eq!(offline.fetch_photo(&mut b.engine, &photo).await?, a_photo);
    let err = offline
        .fetch_photo(&mut b.engine, &photo2)
        .await
        .expect_err("not on B");
    assert!(matches!(err, SyncError::Offline(_)), "{err:?}");

    // A device of another branch gets neither, whatever it asks (the answer of a missing
    // blob), and keeps nothing.
    let mut other = Device::enrol(&server, "rep-b").await?;
    assert_eq!(other.sync().await?.thumbnails_fetched, 0);
    let http = reqwest::Client::new();
    for sha in [&photo, &thumb, &photo2, &thumb2] {
        let resp = http
            .get(server.url(&format!("/api/v1/blobs/{sha}")))
            .bearer_auth(other.client.token())
            .send()
            .await?;
        assert!(
            matches!(resp.status().as_u16(), 403 | 404),
            "{sha}: {}",
            resp.status()
        );
        let err = other
            .client
            .fetch_photo(&mut other.engine, sha)
            .await
            .expect_err("refused");
        assert!(matches!(err, SyncError::Server(_)), "{err:?}");
        assert_eq!(other.engine.blob(sha)?, None);
    }
    Ok(())
}

#[tokio::test]
async fn damaged_photos_are_not_kept_and_the_next_sync_fetches_them() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    second_rep_of_qrn(&server).await?;
    let mut a = Device::enrol(&server, "rep-a").await?;
    let case = mandoob_tests::submitted_case(&mut a, 22, 1);
    let (photo, thumb) = take_photo(&mut a, &case, "Portrait_6.jpg")?;
    a.sync().await?;

    // Device B syncs through a proxy that damages every photo it carries.
    let mut b = Device::enrol(&server, "rep-c").await?;
    let direct = b.client.clone();
    b.client = SyncClient::new(&damaging_proxy(server.url("")).await?, direct.token());
    let summary = b.sync().await?;
    assert!(summary.pulled_cases >= 1, "the sync itself went through");
    assert_eq!(summary.thumbnails_fetched, 0);
    assert_eq!(b.engine.blob(&thumb)?, None);
    let err = b
        .client
        .fetch_photo(&mut b.engine, &photo)
        .await
        .expect_err("damaged");
    assert!(matches!(err, SyncError::Engine(_)), "{err:?}");
    assert_eq!(b.engine.blob(&photo)?, None);

    // Straight to the server: the next sync tries again and keeps the right bytes.
    b.client = direct;
    assert_eq!(b.sync().await?.thumbnails_fetched, 1);
    assert_eq!(b.engine.blob(&thumb)?, a.engine.blob(&thumb)?);
    assert_eq!(
        b.client.fetch_photo(&mut b.engine, &photo).await?,
        a.engine.blob(&photo)?.expect("on A")
    );
    Ok(())
}

/// A proxy in front of the server at `target` that passes requests through and flips the last
/// byte of every photo it carries (`GET /api/v1/blobs/…`). Its address.
async fn damaging_proxy(target: String) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let http = reqwest::Client::new();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (http, target) = (http.clone(), target.clone());
            tokio::spawn(async move {
                if let Err(e) = relay(stream, &http, &target).await {
                    eprintln!("proxy: {e}");
                }
            });
        }
    });
    Ok(base)
}

/// One request through the proxy (answered with `connection: close`).
async fn relay(
    mut stream: tokio::net::TcpStream,
    http: &reqwest::Client,
    target: &str,
) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "closed before the request's head");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let path = request_line.next().unwrap_or_default().to_owned();
    let mut length = 0usize;
    let mut headers = Vec::new();
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
        if k == "content-length" {
            length = v.parse()?;
        }
        if ["authorization", "content-type", "content-encoding"].contains(&k.as_str()) {
            headers.push((k, v));
        }
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        anyhow::ensure!(n > 0, "closed before the request's body");
        body.extend_from_slice(&chunk[..n]);
    }
    let mut request = http
        .request(
            reqwest::Method::from_bytes(method.as_bytes())?,
            format!("{target}{path}"),
        )
        .body(body);
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let resp = request.send().await?;
    let status = resp.status();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let mut bytes = resp.bytes().await?.to_vec();
    if method == "GET"
        && path.starts_with("/api/v1/blobs/")
        && status.is_success()
        && let Some(last) = bytes.last_mut()
    {
        *last ^= 0xff;
    }
    let head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Status"),
        bytes.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&bytes).await?;
    stream.shutdown().await?;
    Ok(())
}
