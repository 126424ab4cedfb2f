//! A first sync on the field link of issue 17, through the test link (`mandoob_tests::link`):
//! 300 ms round trips, a cut every 30 s, at 128 kbit/s and 1 Mbit/s; one figure per line:
//! `cargo bench -p mandoob-tests --bench weak_link` (1,000 cases; under `cargo test
//! --all-targets`, a smoke run with 40).
//!
//! The floor is the time the bytes need at the link's rate: the answers' payload (compacted
//! cases and their summaries) and what actually went down the link (with HTTP, cut answers
//! and retries).

use std::time::{Duration, Instant};

use mandoob_engine::sync_client::SyncClient;
use mandoob_sync_server::storage::Scope;
use mandoob_tests::link::{Cuts, Link, LinkConfig};
use mandoob_tests::{Device, TestServer, seed_cases};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let cases = if full { 1_000 } else { 40 };
    let server = TestServer::start().await?;
    let storage = server.storage()?;
    seed_cases(storage.as_ref(), 0..cases, "QRN").await?;
    let (docs, _) = storage.whole_documents(&Scope::All, None, u32::MAX).await?;
    let compacted: usize = docs.iter().map(|d| d.snapshot.len()).sum();
    let summaries: usize = docs
        .iter()
        .filter_map(|d| d.summary.as_ref())
        .map(|s| mandoob_shared::sync::encode(s).len())
        .sum();
    let payload = (compacted + summaries) as f64;
    println!("cases {cases}");
    println!("cases_compacted_bytes {compacted}");
    println!("summary_bytes {summaries}");
    for kbit in [128, 1000] {
        let config = LinkConfig::kbit(kbit, Duration::from_millis(300))
            .with_cuts(Cuts::Every(Duration::from_secs(30)));
        let rate = config.rate.expect("a rate") as f64;
        let link = Link::start(server.addr, config).await?;
        let mut device = Device::enrol(&server, "rep-a").await?;
        device.client = SyncClient::new(&link.url(), device.client.token());
        let t = Instant::now();
        device.sync().await?;
        let seconds = t.elapsed().as_secs_f64();
        assert_eq!(device.engine.stats()?.cases, cases);
        let stats = link.stats();
        let whole = link
            .exchanges()
            .iter()
            .filter(|e| e.path == "/api/v1/sync" && e.response_complete)
            .count();
        let cut_short = link
            .exchanges()
            .iter()
            .filter(|e| e.path == "/api/v1/sync" && e.request_complete && !e.response_complete)
            .count();
        let floor = payload / rate;
        println!("kbit_{kbit}_seconds {seconds:.1}");
        println!("kbit_{kbit}_bytes_down {}", stats.down);
        println!("kbit_{kbit}_bytes_up {}", stats.up);
        println!(
            "kbit_{kbit}_bytes_over_payload {:.3}",
            stats.down as f64 / payload
        );
        println!("kbit_{kbit}_floor_seconds {floor:.1}");
        println!("kbit_{kbit}_seconds_over_floor {:.2}", seconds / floor);
        println!(
            "kbit_{kbit}_floor_of_bytes_down_seconds {:.1}",
            stats.down as f64 / rate
        );
        println!("kbit_{kbit}_answers {whole}");
        println!("kbit_{kbit}_answers_cut_short {cut_short}");
        println!("kbit_{kbit}_cuts {}", stats.cuts);
    }
    Ok(())
}
