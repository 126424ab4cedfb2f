//! Sync on the links representatives really have (issue 17): answers bounded in bytes, resumed
//! after cuts, through the test link (`mandoob_tests::link`).

use std::collections::HashSet;

use mandoob_engine::engine::{Edit, ListQuery};
use mandoob_shared::ids::CaseId;
use mandoob_shared::sync::{self as wire, Pulled, SyncRequest, SyncResponse};
use mandoob_tests::{Device, TestServer, seed_cases};

/// The bytes the server counts for an item of an answer.
fn item_size(p: &Pulled) -> usize {
    match p {
        Pulled::Whole { case, doc, summary } => {
            case.as_str().len()
                + doc.0.len()
                + summary.as_ref().map_or(0, |s| wire::encode(s).len())
        }
        Pulled::Changes { case, changes } => changes
            .iter()
            .map(|c| c.0.len() + case.as_str().len())
            .sum(),
    }
}

/// One raw sync request from `device` (nothing pushed).
async fn pull(
    server: &TestServer,
    device: &Device,
    cursor: u64,
    whole_after: Option<CaseId>,
    budget: Option<u32>,
) -> anyhow::Result<SyncResponse> {
    let body = wire::encode(&SyncRequest {
        protocol: wire::PROTOCOL_VERSION,
        cursor,
        whole_after,
        push: Vec::new(),
        page: 2000,
        budget,
    });
    let resp = reqwest::Client::new()
        .post(server.url("/api/v1/sync"))
        .bearer_auth(&device.login.token)
        .body(body)
        .send()
        .await?;
    anyhow::ensure!(resp.status() == 200, "sync answered {}", resp.status());
    Ok(wire::decode(&resp.bytes().await?)?)
}

#[tokio::test]
async fn answers_stay_within_the_byte_budget_and_older_devices_get_pages() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    seed_cases(server.storage()?.as_ref(), 0..60, "QRN").await?;
    let device = Device::enrol(&server, "rep-a").await?;
    let budget = 20_000;

    // A first sync: whole documents, each answer within the budget (or one document alone).
    let (mut cursor, mut after, mut seen) = (0, None, Vec::new());
    let mut answers = 0;
    loop {
        let r = pull(&server, &device, cursor, after.clone(), Some(budget)).await?;
        answers += 1;
        let size: usize = r.pulled.iter().map(item_size).sum();
        assert!(
            size <= budget as usize || r.pulled.len() == 1,
            "{size} bytes in {} documents",
            r.pulled.len()
        );
        let left = r.remaining.expect("a backlog");
        if r.more {
            assert!(left.items > 0 && left.bytes > 0, "{left:?}");
        } else {
            assert_eq!(left, wire::Backlog::default());
        }
        for p in &r.pulled {
            let Pulled::Whole { case, .. } = p else {
                panic!("a first sync sends whole documents");
            };
            seen.push(case.clone());
        }
        assert_eq!(seen.len() as u64 + left.items, 60);
        cursor = r.cursor;
        after = r.whole_after;
        if !r.more {
            break;
        }
    }
    assert_eq!(seen.len(), 60);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 60, "each once");
    assert!(answers >= 6, "{answers} answers for ~180 kB in 20 kB");
    eprintln!("first sync: 60 cases in {answers} answers of at most {budget} bytes");

    // A device from before budgets gets a page of documents, whatever their size.
    let r = pull(&server, &device, 0, None, None).await?;
    assert_eq!(r.pulled.len(), 60);
    assert!(!r.more);

    // The changes feed: another device edits 40 cases; each answer within the budget.
    let mut editor = Device::enrol(&server, "rep-a").await?;
    editor.sync().await?;
    let ids: Vec<_> = editor
        .engine
        .list(&ListQuery {
            limit: 40,
            ..ListQuery::default()
        })?
        .into_iter()
        .map(|c| c.id)
        .collect();
    for (i, id) in ids.iter().enumerate() {
        // Long notes, so that the changes add up to several budgets.
        let notes = format!("زيارة متابعة رقم {i}: ").repeat(60);
        editor.engine.edit(id, Edit::SetHouseholdNotes(notes))?;
    }
    editor.sync().await?;
    let (mut changes, mut answers) = (0, 0);
    loop {
        let r = pull(&server, &device, cursor, None, Some(budget)).await?;
        answers += 1;
        let size: usize = r.pulled.iter().map(item_size).sum();
        let items: usize = r
            .pulled
            .iter()
            .map(|p| match p {
                Pulled::Changes { changes, .. } => changes.len(),
                Pulled::Whole { .. } => 1,
            })
            .sum();
        assert!(size <= budget as usize || items == 1, "{size} bytes");
        changes += items;
        cursor = r.cursor;
        if !r.more {
            break;
        }
    }
    assert!(changes >= 40, "{changes} changes");
    assert!(answers >= 2, "{answers} answers");
    eprintln!("feed: {changes} changes in {answers} answers");
    Ok(())
}

#[tokio::test]
async fn a_sync_goes_on_through_cuts_and_a_black_hole() -> anyhow::Result<()> {
    use mandoob_engine::engine::Event;
    use mandoob_engine::sync_client::SyncClient;
    use mandoob_tests::link::{Cuts, Link, LinkConfig};
    use std::time::Duration;
    let server = TestServer::start().await?;
    seed_cases(server.storage()?.as_ref(), 0..120, "QRN").await?;
    let link = Link::start(
        server.addr,
        LinkConfig::kbit(2000, Duration::from_millis(40)).with_cuts(Cuts::Randomly {
            min: Duration::from_millis(300),
            max: Duration::from_millis(900),
        }),
    )
    .await?;
    let mut device = Device::enrol(&server, "rep-a").await?;
    device.client = SyncClient::new(&link.url(), device.client.token())
        .with_stall_timeout(Duration::from_secs(1));
    // A black hole longer than the stall timeout, a little after the start.
    let link = std::sync::Arc::new(link);
    let hole = {
        let link = link.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            link.black_hole(Duration::from_millis(2500));
        })
    };
    device.engine.take_events();
    device.sync().await?;
    hole.await?;
    assert_eq!(device.engine.stats()?.cases, 120);
    let stats = link.stats();
    assert!(stats.cuts >= 1, "{stats:?}");
    // The progress of the whole sync: it only grows, and ends at its total.
    let progress: Vec<(u64, u64, u64, u64)> = device
        .engine
        .take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::SyncProgress {
                documents,
                bytes,
                total_documents,
                total_bytes,
            } => Some((documents, bytes, total_documents, total_bytes)),
            _ => None,
        })
        .collect();
    assert!(progress.len() > 1, "{progress:?}");
    assert!(
        progress
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1)
    );
    let last = progress.last().expect("progress");
    assert_eq!((last.0, last.1), (last.2, last.3), "{progress:?}");
    assert_eq!(last.0, 120);
    // Each position of the feed was answered whole once (cut answers asked again).
    let whole = whole_answers(&link);
    eprintln!(
        "120 cases through {} cuts and a black hole: {} connections, {} answers whole, {} bytes down",
        stats.cuts,
        stats.connections,
        whole.len(),
        stats.down
    );
    let distinct: HashSet<_> = whole.iter().collect();
    assert_eq!(distinct.len(), whole.len(), "an answer downloaded twice");
    Ok(())
}

/// Where each sync request that reached the device whole asked to continue from (cursor and
/// first-sync position), in order.
fn whole_answers(link: &mandoob_tests::link::Link) -> Vec<(u64, Option<CaseId>)> {
    link.exchanges()
        .into_iter()
        .filter(|e| e.path == "/api/v1/sync" && e.response_complete && e.status == Some(200))
        .map(|e| {
            let r: SyncRequest = wire::decode(&e.body).expect("a sync request");
            (r.cursor, r.whole_after)
        })
        .collect()
}
