//! Sync figures over loopback HTTP against the real server, one per line:
//! `cargo bench -p mandoob-tests --bench sync`. (Under `cargo test --all-targets` it runs a
//! quick smoke version with fewer cases and devices.)
//!
//! Bytes are sync payload bytes (before HTTP compression, so an upper bound of the wire).

use std::time::{Duration, Instant};

use mandoob_engine::engine::{Edit, Engine, ListQuery};
use mandoob_engine::sync_client::SyncClient;
use mandoob_shared::doc::Author;
use mandoob_shared::ids::{BranchCode, Timestamp, UserId};
use mandoob_shared::sample::realistic_case;
use mandoob_sync_server::admin;
use mandoob_sync_server::storage::Scope;
use mandoob_tests::{Device, PASSWORD, TestServer};

/// CPU time (user + system) of this process so far, in seconds, on Linux: a figure that a
/// busy shared machine disturbs far less than wall-clock time.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let (cases, devices) = if full {
        (10_000u64, 200usize)
    } else {
        (200, 10)
    };
    let server = TestServer::start().await?;
    let storage = server.storage()?;
    let rep = UserId::new("rep-a");
    let author = Author {
        user: rep.clone(),
        at: Timestamp::now(),
    };
    let make = |seed: u64, branch: &str| {
        let mut c = realistic_case(seed);
        c.created_by = rep.clone();
        c.branch = BranchCode::new(branch);
        for e in &mut c.events {
            e.actor = rep.clone();
        }
        c
    };
    let t = Instant::now();
    for chunk in (0..cases).collect::<Vec<_>>().chunks(1000) {
        let batch: Vec<_> = chunk.iter().map(|s| make(*s, "QRN")).collect();
        admin::store_whole(storage.as_ref(), &batch, &author).await?;
    }
    let jhr: Vec<_> = (0..20).map(|s| make(1_000_000 + s, "JHR")).collect();
    admin::store_whole(storage.as_ref(), &jhr, &author).await?;
    eprintln!("seeded {cases} cases in {:.1}s", t.elapsed().as_secs_f64());
    let (docs, _) = storage
        .whole_documents(&Scope::Branch(BranchCode::new("QRN")), None, u32::MAX)
        .await?;
    let compacted: usize = docs.iter().map(|d| d.snapshot.len()).sum();
    let summaries: usize = docs
        .iter()
        .filter_map(|d| d.summary.as_ref())
        .map(|s| mandoob_shared::sync::encode(s).len())
        .sum();

    // Cold sync onto an empty device.
    let mut device = Device::enrol(&server, "rep-a").await?;
    let cpu = cpu_seconds();
    let t = Instant::now();
    device.sync().await?;
    let cold = t.elapsed();
    let cpu = cpu.zip(cpu_seconds()).map(|(a, b)| b - a);
    let stats = device.client.stats();
    println!("cases {cases}");
    println!("cold_sync_seconds {:.2}", cold.as_secs_f64());
    if let Some(cpu) = cpu {
        // Server and device together (they share this process), on all cores.
        println!("cold_sync_cpu_seconds {cpu:.2}");
    }
    println!("cold_sync_requests {}", stats.requests);
    println!(
        "cold_sync_bytes {}",
        stats.bytes_sent + stats.bytes_received
    );
    println!("cases_compacted_bytes {compacted}");
    println!("cold_sync_summary_bytes {summaries}");
    println!(
        "cold_sync_bytes_over_compacted {:.3}",
        (stats.bytes_sent + stats.bytes_received) as f64 / compacted as f64
    );
    assert_eq!(device.engine.stats()?.cases, cases);

    // Nothing changed.
    device.client.reset_stats();
    let t = Instant::now();
    device.sync().await?;
    let idle = t.elapsed();
    let stats = device.client.stats();
    println!("idle_sync_requests {}", stats.requests);
    println!(
        "idle_sync_bytes {}",
        stats.bytes_sent + stats.bytes_received
    );
    println!("idle_sync_ms {:.2}", idle.as_secs_f64() * 1000.0);

    // 100 cases edited on the device.
    let ids: Vec<_> = device
        .engine
        .list(&ListQuery {
            limit: 100,
            ..ListQuery::default()
        })?
        .into_iter()
        .map(|c| c.id)
        .collect();
    for (i, id) in ids.iter().enumerate() {
        device
            .engine
            .edit(id, Edit::SetHouseholdNotes(format!("زيارة متابعة {i}")))?;
    }
    let request = device.engine.prepare_sync(2000)?;
    let change_bytes: usize = request
        .push
        .iter()
        .flat_map(|p| &p.changes)
        .map(|c| c.0.len())
        .sum();
    drop(request);
    device.client.reset_stats();
    device.sync().await?;
    let stats = device.client.stats();
    println!("edited_100_requests {}", stats.requests);
    println!(
        "edited_100_bytes {}",
        stats.bytes_sent + stats.bytes_received
    );
    println!("edited_100_change_bytes {change_bytes}");
    println!(
        "edited_100_bytes_over_changes {:.2}",
        (stats.bytes_sent + stats.bytes_received) as f64 / change_bytes as f64
    );

    // Many devices at once (branch JHR: 20 cases each; each pushes one edit and pulls).
    let base = server.url("");
    let mut enrolled = Vec::new();
    for _ in 0..devices {
        let mut engine = Engine::in_memory()?;
        let (client, _) = SyncClient::login(&base, "rep-b", PASSWORD, "bench", &mut engine).await?;
        client.sync(&mut engine).await?;
        let id = engine.list(&ListQuery::default())?[0].id.clone();
        engine.edit(
            &id,
            Edit::SetHouseholdNotes(format!("{:?}", Instant::now())),
        )?;
        enrolled.push((engine, client));
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (mut engine, client) in enrolled {
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = client.sync(&mut engine).await;
            (t.elapsed(), r.is_ok())
        }));
    }
    let mut times = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (d, ok) = t.await?;
        times.push(d);
        if !ok {
            errors += 1;
        }
    }
    times.sort();
    println!("concurrent_devices {devices}");
    println!("concurrent_sync_seconds_p50 {:.3}", percentile(&times, 0.5));
    println!(
        "concurrent_sync_seconds_p95 {:.3}",
        percentile(&times, 0.95)
    );
    println!("concurrent_sync_errors {errors}");
    eprintln!(
        "all {devices} done in {:.2}s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
