//! The console's long lists are paged (issue 16): with 10,000 cases awaiting a decision (all
//! overdue), the committee's queue, the dashboard's overdue list and the audit log each come
//! a page at a time, every page under 300 KB, and the next page continues where the first
//! stopped (the previous page goes back), keeping the queue's filters.

use mandoob_shared::access::Scope;
use mandoob_shared::doc::Author;
use mandoob_shared::ids::{BranchCode, Timestamp, UserId};
use mandoob_shared::sample::realistic_case;
use mandoob_sync_server::admin;
use mandoob_sync_server::storage::{AuditEntry, RequestFilter};
use mandoob_tests::{ConsoleClient, TestServer};

const CASES: u64 = 10_000;
const MAX_PAGE_BYTES: usize = 300_000;

/// The values of `attribute` on the page, in order.
fn values(page: &str, attribute: &str) -> Vec<String> {
    page.split(&format!("{attribute}=\""))
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The page's link with `rel` (`next`, `prev`), as a path.
fn link(page: &str, rel: &str) -> Option<String> {
    let after = page.split(&format!("rel=\"{rel}\" href=\"")).nth(1)?;
    Some(after.split('"').next()?.replace("&amp;", "&"))
}

async fn page(client: &ConsoleClient, path: &str) -> anyhow::Result<String> {
    let res = client.get(path).await?;
    anyhow::ensure!(res.status() == 200, "{path} answered {}", res.status());
    let body = res.text().await?;
    eprintln!("{path}: {} bytes", body.len());
    anyhow::ensure!(
        body.len() < MAX_PAGE_BYTES,
        "{path} is {} bytes",
        body.len()
    );
    Ok(body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_lists_come_a_page_at_a_time() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let storage = server.storage()?;
    // 10,000 families with a request submitted in October 2026 (overdue since), stored as the
    // sync benchmark stores them.
    let rep = UserId::new("rep-a");
    let author = Author {
        user: rep.clone(),
        at: Timestamp::now(),
    };
    let seeds: Vec<u64> = (0..CASES).collect();
    for chunk in seeds.chunks(1000) {
        let batch: Vec<_> = chunk
            .iter()
            .map(|&seed| {
                let mut c = realistic_case(seed);
                mandoob_shared::sample::attribute_to(&mut c, &rep);
                c.branch = BranchCode::new("QRN");
                c
            })
            .collect();
        admin::store_whole(storage.as_ref(), &batch, &author).await?;
    }
    let committee = ConsoleClient::sign_in(&server, "committee").await?;

    // The queue: 50 requests a page, in the storage's order, filters kept from page to page.
    let expected: Vec<String> = storage
        .requests(&Scope::All, &RequestFilter::default(), 100)
        .await?
        .into_iter()
        .map(|r| r.reference)
        .collect();
    let first = page(&committee, "/console/queue?branch=QRN&kind=monthly-aid").await?;
    assert!(first.contains("10000"), "the queue counts every request");
    let refs_1 = values(&first, "data-reference");
    assert_eq!(refs_1.len(), 50);
    let next = link(&first, "next").expect("a link to the next page");
    assert!(
        next.contains("branch=QRN") && next.contains("kind=monthly-aid") && next.contains("page=2"),
        "{next}"
    );
    assert!(
        link(&first, "prev").is_none(),
        "the first page has no previous page"
    );
    let second = page(&committee, &next).await?;
    let refs_2 = values(&second, "data-reference");
    let both: Vec<String> = refs_1.iter().chain(&refs_2).cloned().collect();
    assert_eq!(both, expected, "page 2 continues where page 1 stopped");
    let back = link(&second, "prev").expect("a link to the previous page");
    assert_eq!(
        values(&page(&committee, &back).await?, "data-reference"),
        refs_1
    );
    let last = page(&committee, "/console/queue?page=200").await?;
    assert_eq!(values(&last, "data-reference").len(), 50);
    assert!(
        link(&last, "next").is_none(),
        "the last page has no next page"
    );

    // The dashboard: every request counted, the overdue list a page at a time.
    let dashboard = page(&committee, "/console/dashboard").await?;
    let overdue_1 = values(&dashboard, "data-reference");
    assert_eq!(overdue_1.len(), 50);
    let next = link(&dashboard, "next").expect("the overdue list's next page");
    let overdue_2 = values(&page(&committee, &next).await?, "data-reference");
    assert_eq!(overdue_2.len(), 50);
    assert!(
        overdue_2.iter().all(|r| !overdue_1.contains(r)),
        "the next page lists other requests"
    );

    // The audit log, 1,000 entries: the newest first, 100 a page.
    let admin_user = ConsoleClient::sign_in(&server, "admin").await?;
    for i in 0..1000 {
        storage
            .audit(&AuditEntry {
                at: 1_767_225_600_000 + i,
                user: UserId::new("admin"),
                action: "export".into(),
                target: format!("T{i:04}"),
                detail: "1".into(),
            })
            .await?;
    }
    let targets = |page: &str| -> Vec<String> {
        page.split(">T")
            .skip(1)
            .filter_map(|s| s.get(..4))
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .map(|s| format!("T{s}"))
            .collect()
    };
    let audit = page(&admin_user, "/console/audit").await?;
    let first_targets = targets(&audit);
    assert_eq!(first_targets.first().map(String::as_str), Some("T0999"));
    assert_eq!(first_targets.len(), 100);
    let next = link(&audit, "next").expect("the audit log's next page");
    let second_targets = targets(&page(&admin_user, &next).await?);
    assert_eq!(second_targets.first().map(String::as_str), Some("T0899"));
    assert_eq!(second_targets.last().map(String::as_str), Some("T0800"));
    Ok(())
}
