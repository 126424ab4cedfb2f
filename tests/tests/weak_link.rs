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

/// The field link of the issue: 128 kbit/s each way, 300 ms round trips, a cut every 30 s.
fn field_link() -> mandoob_tests::link::LinkConfig {
    use mandoob_tests::link::{Cuts, LinkConfig};
    use std::time::Duration;
    LinkConfig::kbit(128, Duration::from_millis(300))
        .with_cuts(Cuts::Every(Duration::from_secs(30)))
}

/// Cases on the field link (the benchmark `weak_link` runs 1,000; the suite runs this many, so
/// that a run takes under a minute and still meets a cut).
const FIELD_CASES: u64 = 200;

#[tokio::test]
async fn a_first_sync_at_128_kbit_with_a_cut_every_30_s_completes() -> anyhow::Result<()> {
    use mandoob_engine::sync_client::SyncClient;
    use mandoob_sync_server::storage::Scope;
    use mandoob_tests::link::Link;
    let server = TestServer::start().await?;
    let storage = server.storage()?;
    seed_cases(storage.as_ref(), 0..FIELD_CASES, "QRN").await?;
    let (docs, _) = storage.whole_documents(&Scope::All, None, u32::MAX).await?;
    let payload: usize = docs
        .iter()
        .map(|d| d.snapshot.len() + d.summary.as_ref().map_or(0, |s| wire::encode(s).len()))
        .sum();
    let config = field_link();
    let link = Link::start(server.addr, config).await?;
    let mut device = Device::enrol(&server, "rep-a").await?;
    device.client = SyncClient::new(&link.url(), device.client.token());
    let started = std::time::Instant::now();
    device.sync().await?;
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(device.engine.stats()?.cases, FIELD_CASES);
    let stats = link.stats();
    let rate = config.rate.expect("a rate") as f64;
    eprintln!(
        "{FIELD_CASES} cases at 128 kbit/s, 300 ms, a cut every 30 s: {seconds:.1} s, {} bytes \
         down ({:.3}x the compacted cases and summaries, {payload} bytes), floor {:.1} s \
         ({:.2}x), {} cuts, {} connections",
        stats.down,
        stats.down as f64 / payload as f64,
        stats.down as f64 / rate,
        seconds / (stats.down as f64 / rate),
        stats.cuts,
        stats.connections
    );
    assert!(
        (stats.down as f64) <= 1.2 * payload as f64,
        "{} bytes down for {payload}",
        stats.down
    );
    // No answer downloaded twice, but those a cut interrupted (each asked again after it).
    let sync: Vec<_> = link
        .exchanges()
        .into_iter()
        .filter(|e| e.path == "/api/v1/sync")
        .collect();
    let whole = whole_answers(&link);
    let distinct: HashSet<_> = whole.iter().collect();
    assert_eq!(distinct.len(), whole.len(), "an answer downloaded twice");
    let cut_short = sync
        .iter()
        .filter(|e| e.request_complete && !e.response_complete)
        .count();
    assert!(
        cut_short as u64 <= stats.cuts,
        "{cut_short} answers cut short by {} cuts",
        stats.cuts
    );
    Ok(())
}

#[tokio::test]
async fn a_visit_with_five_photos_uploads_through_the_same_link() -> anyhow::Result<()> {
    use mandoob_engine::sync_client::SyncClient;
    use mandoob_shared::model::DocumentKind;
    use mandoob_tests::link::Link;
    let server = TestServer::start().await?;
    let mut device = Device::enrol(&server, "rep-a").await?;
    let case = mandoob_tests::submitted_case(&mut device, 5, 0);
    let mut photos = Vec::new();
    for name in [
        "Portrait_1.jpg",
        "Portrait_3.jpg",
        "Portrait_6.jpg",
        "Portrait_8.jpg",
        "DSCN0010.jpg",
    ] {
        let path = format!("{}/fixtures/photos/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(path)?;
        let attached =
            device
                .engine
                .attach_photo(&case, &bytes, DocumentKind::CivilId, None, None, None)?;
        let stored = device.engine.blob(&attached.sha256)?.expect("kept");
        photos.push((attached.sha256, stored));
    }
    // The photos and their thumbnails.
    let mut total = 0;
    for sha in device.engine.pending_blobs()? {
        total += device.engine.blob(&sha)?.map_or(0, |b| b.len());
    }
    let link = Link::start(server.addr, field_link()).await?;
    device.client = SyncClient::new(&link.url(), device.client.token());
    let started = std::time::Instant::now();
    device.sync().await?;
    let seconds = started.elapsed().as_secs_f64();
    let stats = link.stats();
    eprintln!(
        "5 photos and thumbnails, {total} bytes, at 128 kbit/s with a cut every 30 s: {seconds:.1} s, {} bytes \
         up ({:.3}x), {} cuts",
        stats.up,
        stats.up as f64 / total as f64,
        stats.cuts
    );
    assert!(device.engine.pending_blobs()?.is_empty());
    let storage = server.storage()?;
    let log = link.exchanges();
    for (sha, bytes) in &photos {
        assert_eq!(
            storage.blob(sha).await?.as_ref(),
            Some(bytes),
            "{sha} on the server"
        );
        // Verified once: one last part reached the server whole.
        let last_parts = log
            .iter()
            .filter(|e| e.method == "PATCH" && e.path.ends_with(sha.as_str()) && e.request_complete)
            .filter(|e| {
                let offset: usize = e
                    .header("upload-offset")
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0);
                offset + e.body.len() == bytes.len()
            })
            .count();
        assert_eq!(
            last_parts, 1,
            "{sha}: its last part sent {last_parts} times"
        );
    }
    Ok(())
}
