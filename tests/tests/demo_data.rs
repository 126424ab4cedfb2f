//! The README's run command seeds demo cases: their documents are real (generated) pictures,
//! so the console shows no broken image.

use mandoob_tests::{ConsoleClient, TestServer};

fn between<'a>(text: &'a str, start: &str, end: char) -> Vec<&'a str> {
    text.split(start)
        .skip(1)
        .filter_map(|s| s.split(end).next())
        .collect()
}

#[tokio::test]
async fn every_demo_document_has_a_picture() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let storage = server.storage()?;
    mandoob_sync_server::admin::seed_demo(storage.as_ref(), 3).await?;
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let list = committee.get("/console/households").await?.text().await?;
    let cases = between(&list, "href=\"/console/cases/", '"');
    assert_eq!(cases.len(), 3, "the three demo households are listed");
    let mut pictures = 0;
    for case in cases {
        let page = committee
            .get(&format!("/console/cases/{case}"))
            .await?
            .text()
            .await?;
        let mut shas = between(&page, "src=\"/console/blobs/", '"');
        // The full photos behind the thumbnails too.
        shas.extend(between(&page, "href=\"/console/blobs/", '"'));
        for sha in shas {
            let res = committee.get(&format!("/console/blobs/{sha}")).await?;
            assert_eq!(res.status(), 200, "{sha} of case {case}");
            assert_eq!(res.headers()["content-type"], "image/jpeg");
            let bytes = res.bytes().await?;
            assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
            pictures += 1;
        }
    }
    assert!(
        pictures >= 3,
        "only {pictures} pictures on the demo cases' pages"
    );
    Ok(())
}
