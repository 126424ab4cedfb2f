//! The sign-in limits over HTTP (issue 18): concurrent guesses are counted before any password
//! is checked, an attacker's address is slowed without locking the real user out, an account
//! locks only past a much higher threshold and an administrator unlocks it, the number of
//! password checks at once is capped, and the limiter's tables stay bounded.
//!
//! The tests count password checks with the process's own counters
//! (`auth::password_checks`), so they run one at a time.

use std::time::{Duration, Instant};

use mandoob_sync_server::Settings;
use mandoob_sync_server::auth::{password_checks, reset_peak_password_checks};
use mandoob_sync_server::sign_in_limits::{
    ACCOUNT_LOCK_FAILURES, ADDRESS_QUIET, BoundedTable, FREE_FAILURES, HASH_WAIT,
};
use mandoob_tests::{ConsoleClient, PASSWORD, TestServer, seed_accounts, temp_dir};
use reqwest::StatusCode;

/// One test at a time: the password-check counters are the process's.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A server behind a proxy on 127.0.0.1 (so tests choose the client's address with
/// `X-Forwarded-For`), with at most `hashes` password checks at once.
async fn server(trust_proxy: bool, hashes: usize) -> anyhow::Result<TestServer> {
    let settings = Settings {
        data_dir: temp_dir("server"),
        trusted_proxies: if trust_proxy {
            vec!["127.0.0.1".parse()?]
        } else {
            Vec::new()
        },
        sign_in_hashes: hashes,
        ..Settings::default()
    };
    seed_accounts(mandoob_sync_server::open_storage(&settings)?.as_ref()).await?;
    TestServer::start_on(settings).await
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// A console sign-in from `from` (through the proxy): its answer.
async fn console(
    http: &reqwest::Client,
    server: &TestServer,
    from: &str,
    user: &str,
    password: &str,
) -> anyhow::Result<reqwest::Response> {
    Ok(http
        .post(server.url("/console/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-for", from)
        .body(format!("username={user}&password={password}"))
        .send()
        .await?)
}

/// A device's enrolment from `from`: its answer.
async fn enrol(
    http: &reqwest::Client,
    server: &TestServer,
    from: &str,
    user: &str,
    password: &str,
) -> anyhow::Result<reqwest::Response> {
    Ok(http
        .post(server.url("/api/v1/login"))
        .header("x-forwarded-for", from)
        .json(&serde_json::json!({
            "username": user, "password": password, "device_name": "test phone"
        }))
        .send()
        .await?)
}

fn checks() -> u64 {
    password_checks().0
}

/// 50 wrong guesses at once from one address, half in the console and half as enrolments: at
/// most the free failures are checked, every other one is refused before its hash with a
/// `Retry-After`. The real user, at another address, signs in at once; the attacker's own
/// address waits even with the right password; the account is not locked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_guesses_are_counted_before_any_hash() -> anyhow::Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = server(true, 4).await?;
    let http = client()?;
    let attacker = "203.0.113.7";
    let before = checks();
    let guesses = (0..50).map(|i| {
        let (http, server) = (&http, &server);
        async move {
            let guess = format!("guess-number-{i}");
            let res = if i % 2 == 0 {
                console(http, server, attacker, "admin", &guess).await?
            } else {
                enrol(http, server, attacker, "admin", &guess).await?
            };
            let retry = res.headers().contains_key("retry-after");
            anyhow::Ok((res.status(), retry))
        }
    });
    let answers = futures_join_all(guesses).await?;
    let checked = checks() - before;
    let wrong = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    let waiting = answers
        .iter()
        .filter(|(s, retry)| *s == StatusCode::TOO_MANY_REQUESTS && *retry)
        .count();
    assert!(
        checked <= u64::from(FREE_FAILURES),
        "{checked} passwords checked for 50 concurrent guesses"
    );
    assert_eq!(wrong as u64, checked, "{answers:?}");
    assert_eq!(wrong + waiting, 50, "{answers:?}");

    // The attacker's address waits, even with the right password...
    let res = console(&http, &server, attacker, "admin", PASSWORD).await?;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await?.contains("حاول مرة أخرى بعد"));
    // ...the real user's does not, in the console or enrolling a phone.
    let res = console(&http, &server, "198.51.100.2", "admin", PASSWORD).await?;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = enrol(&http, &server, "198.51.100.2", "admin", PASSWORD).await?;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!server.storage()?.users().await?.iter().any(|u| u.locked));
    Ok(())
}

/// Without a trusted proxy, `X-Forwarded-For` is the client's to invent, so it is ignored: a
/// guesser who changes it at each try is still one address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_count_only_from_a_trusted_proxy() -> anyhow::Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = server(false, 4).await?;
    let http = client()?;
    let before = checks();
    let mut statuses = Vec::new();
    for i in 0..20 {
        let from = format!("198.51.100.{i}");
        statuses.push(
            console(&http, &server, &from, "committee", "wrong-guess")
                .await?
                .status(),
        );
    }
    assert_eq!(checks() - before, u64::from(FREE_FAILURES), "{statuses:?}");
    assert!(
        statuses[FREE_FAILURES as usize..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS)
    );
    Ok(())
}

/// Guesses from many addresses (one each) lock the account only at the threshold, at most that
/// many checked; the real user is then told it is locked; an administrator unlocks it (audited,
/// as is the lock) and the real user signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_locks_past_a_high_threshold_until_an_administrator_unlocks_it()
-> anyhow::Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = server(true, 4).await?;
    let http = client()?;
    let before = checks();
    let tries = ACCOUNT_LOCK_FAILURES as usize + 10;
    let guesses = (0..tries).map(|i| {
        let (http, server) = (&http, &server);
        async move {
            let from = format!("10.1.{}.{}", i / 200, i % 200);
            anyhow::Ok(
                enrol(http, server, &from, "committee", "wrong-guess")
                    .await?
                    .status(),
            )
        }
    });
    let statuses = futures_join_all(guesses).await?;
    let checked = checks() - before;
    assert!(
        checked <= u64::from(ACCOUNT_LOCK_FAILURES),
        "{checked} checked"
    );
    // Each was checked (401), found the account locked (403), or found no free place to be
    // checked in time or as many tries for the account in progress as would lock it (503,
    // nothing counted).
    let count = |status: StatusCode| statuses.iter().filter(|s| **s == status).count() as u64;
    assert_eq!(count(StatusCode::UNAUTHORIZED), checked, "{statuses:?}");
    assert_eq!(
        checked + count(StatusCode::FORBIDDEN) + count(StatusCode::SERVICE_UNAVAILABLE),
        tries as u64,
        "{statuses:?}"
    );
    // On a busy machine some were answered 503: one at a time from new addresses until the
    // lock. It comes at exactly the threshold.
    let mut i = 0;
    loop {
        let from = format!("10.1.100.{i}");
        let status = enrol(&http, &server, &from, "committee", "wrong-guess")
            .await?
            .status();
        match status {
            StatusCode::FORBIDDEN => break,
            StatusCode::UNAUTHORIZED | StatusCode::SERVICE_UNAVAILABLE => {}
            other => panic!("unexpected {other}"),
        }
        i += 1;
        assert!(i < 200, "never locked");
    }
    assert_eq!(checks() - before, u64::from(ACCOUNT_LOCK_FAILURES));
    let storage = server.storage()?;
    let committee = |users: Vec<mandoob_sync_server::storage::UserRecord>| {
        users.into_iter().find(|u| u.id.as_str() == "committee")
    };
    assert!(committee(storage.users().await?).is_some_and(|u| u.locked));

    // The real user, from her own address: locked, and told so.
    let res = console(&http, &server, "198.51.100.9", "committee", PASSWORD).await?;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await?.contains("مدير النظام"));
    // Other accounts are not affected; the administrator sees the lock and lifts it.
    let admin = ConsoleClient::sign_in(&server, "admin").await?;
    let page = admin.get("/console/admin").await?.text().await?;
    assert!(
        page.contains("/console/admin/users/committee/unlock"),
        "no unlock button"
    );
    let res = admin
        .post("/console/admin/users/committee/unlock", &[], true)
        .await?;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(committee(storage.users().await?).is_some_and(|u| !u.locked));
    let res = console(&http, &server, "198.51.100.9", "committee", PASSWORD).await?;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let log = storage.audit_log(20).await?;
    assert!(log.iter().any(|e| e.action == "lock-user"
        && e.target == "committee"
        && e.user.as_str() == "server:sign-in-limits"));
    assert!(log.iter().any(|e| e.action == "unlock-user"
        && e.target == "committee"
        && e.user.as_str() == "admin"));
    Ok(())
}

/// At most `sign_in_hashes` passwords are checked at once, whatever the number of sign-ins;
/// those that find no free place within `HASH_WAIT` are answered 503 quickly, with a
/// `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_checks_at_once_are_capped() -> anyhow::Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    // With one place, 200 sign-ins need far longer than HASH_WAIT: some are answered "busy".
    for (cap, tries) in [(1, 200), (3, 40)] {
        let server = server(true, cap).await?;
        let http = client()?;
        reset_peak_password_checks();
        let started = Instant::now();
        let sign_ins = (0..tries).map(|i| {
            let (http, server) = (&http, &server);
            async move {
                let from = format!("10.2.{}.{}", i / 100, i % 100);
                let asked = Instant::now();
                let res = enrol(http, server, &from, "rep-a", PASSWORD).await?;
                let retry = res.headers().contains_key("retry-after");
                anyhow::Ok((res.status(), retry, asked.elapsed()))
            }
        });
        let answers = futures_join_all(sign_ins).await?;
        let (_, peak) = password_checks();
        assert!(peak <= cap, "{peak} passwords checked at once, cap {cap}");
        for (status, retry, took) in &answers {
            match *status {
                StatusCode::OK => {}
                StatusCode::SERVICE_UNAVAILABLE => {
                    assert!(*retry, "503 without Retry-After");
                    assert!(
                        *took < HASH_WAIT + Duration::from_secs(2),
                        "a slow 503: {took:?}"
                    );
                }
                other => panic!("unexpected {other}"),
            }
        }
        let busy = answers
            .iter()
            .filter(|a| a.0 == StatusCode::SERVICE_UNAVAILABLE)
            .count();
        if cap == 1 {
            assert!(busy > 0, "200 sign-ins through one place, none busy");
        } else {
            assert!(peak > 1, "the measure saw no concurrency ({peak})");
        }
        eprintln!(
            "cap {cap}: {} signed in, {busy} busy, peak {peak}, {:?}",
            answers.len() - busy,
            started.elapsed()
        );
    }
    Ok(())
}

/// Usernames are cut before anything else, and a sign-in body is small.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_usernames_are_cut_and_large_bodies_refused() -> anyhow::Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = server(true, 2).await?;
    let http = client()?;
    let huge = "a".repeat(1 << 20);
    let res = console(&http, &server, "10.3.0.1", &huge, "wrong-guess").await?;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = enrol(&http, &server, "10.3.0.1", &huge, "wrong-guess").await?;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A long one that fits: refused as any wrong sign-in, and the page does not repeat it whole.
    let long = "b".repeat(10_000);
    let res = console(&http, &server, "10.3.0.2", &long, "wrong-guess").await?;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let page = res.text().await?;
    assert!(!page.contains(&"b".repeat(65)), "the username kept whole");
    Ok(())
}

/// 100,000 distinct keys (usernames here) through a table of 1,024: it never holds more, and
/// an entry with many failures outlives the flood.
#[test]
fn a_hundred_thousand_usernames_keep_the_table_bounded() {
    let now = Instant::now();
    let mut table = BoundedTable::<String>::new(1024, ADDRESS_QUIET);
    for _ in 0..20 {
        table.fail(&"admin".to_owned(), now);
    }
    for i in 0..100_000 {
        table.fail(&format!("made-up-user-{i}"), now);
        assert!(table.len() <= table.capacity());
    }
    assert_eq!(table.len(), 1024);
    assert_eq!(table.get(&"admin".to_owned()).map(|e| e.failures), Some(20));
}

/// The resident memory of this process (the server runs in it), in bytes.
fn resident() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Over HTTP: 100,000 enrolments with distinct 4,000-character usernames (400 MB of names)
/// from a hundred addresses. The server's memory does not grow with them (argon2's memory is
/// reused, `auth::with_memory`), each address is checked only as often as its delays allow, and an account's count survives the flood: the
/// failures against it before and after lock it at exactly the threshold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_usernames_over_http_keep_memory_bounded() -> anyhow::Result<()> {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = server(true, 2).await?;
    let http = client()?;
    let half = ACCOUNT_LOCK_FAILURES / 2;
    let mut failed = 0;
    for i in 0..100 {
        let from = format!("10.7.0.{i}");
        for _ in 0..FREE_FAILURES {
            if failed == half {
                break;
            }
            let status = enrol(&http, &server, &from, "committee", "wrong-guess")
                .await?
                .status();
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            failed += 1;
        }
    }
    let before = (resident(), checks());
    let started = Instant::now();
    let name = |i: usize| format!("{i:08}{}", "x".repeat(3_992));
    const FLOOD: usize = 100_000;
    const AT_ONCE: usize = 64;
    let mut statuses = std::collections::HashMap::<u16, usize>::new();
    for chunk in (0..FLOOD).collect::<Vec<_>>().chunks(AT_ONCE) {
        let round = chunk.iter().map(|&i| {
            let (http, server) = (&http, &server);
            let from = format!("10.8.0.{}", i % 100);
            let user = name(i);
            async move {
                anyhow::Ok(
                    enrol(http, server, &from, &user, "wrong-guess")
                        .await?
                        .status(),
                )
            }
        });
        for status in futures_join_all(round).await? {
            *statuses.entry(status.as_u16()).or_default() += 1;
        }
    }
    let after = (resident(), checks());
    let grown = after.0.saturating_sub(before.0);
    println!(
        "100,000 usernames over HTTP: {:.1} s, resident {} MiB -> {} MiB, {} checked, {statuses:?}",
        started.elapsed().as_secs_f64(),
        before.0 >> 20,
        after.0 >> 20,
        after.1 - before.1
    );
    // Each address: its free failures, then one more each time its wait has passed.
    let elapsed = started.elapsed();
    let mut allowed = FREE_FAILURES;
    let mut waited = Duration::ZERO;
    loop {
        waited += mandoob_sync_server::sign_in_limits::delay(allowed);
        if waited > elapsed {
            break;
        }
        allowed += 1;
    }
    assert!(
        after.1 - before.1 <= 100 * u64::from(allowed),
        "{} checked, at most {allowed} per address",
        after.1 - before.1
    );
    assert!(grown < 96 << 20, "the server kept {} MiB", grown >> 20);
    // The account's count survived: the rest of the threshold locks it, not one try earlier.
    let mut i = 0;
    while failed < ACCOUNT_LOCK_FAILURES {
        let from = format!("10.9.{}.{}", i / 5, i % 5);
        let status = enrol(&http, &server, &from, "committee", "wrong-guess")
            .await?
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "try {failed}");
        failed += 1;
        i += 1;
    }
    let status = enrol(&http, &server, "10.9.99.1", "committee", PASSWORD)
        .await?
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN, "locked at the threshold");
    // Nobody else is: another user signs in from her own address.
    let status = enrol(&http, &server, "198.51.100.20", "rep-a", PASSWORD)
        .await?
        .status();
    assert_eq!(status, StatusCode::OK);
    Ok(())
}

/// `futures::future::try_join_all` without the crate: the futures run together on this task
/// (they borrow the client and the server); the server sees them at once.
async fn futures_join_all<T>(
    futures: impl Iterator<Item = impl std::future::Future<Output = anyhow::Result<T>>>,
) -> anyhow::Result<Vec<T>> {
    let all: Vec<_> = futures.map(Box::pin).collect();
    let mut out = Vec::with_capacity(all.len());
    for r in join_all(all).await {
        out.push(r?);
    }
    Ok(out)
}

/// Polls every future until all are done (a minimal `join_all`).
async fn join_all<F: std::future::Future + Unpin>(mut futures: Vec<F>) -> Vec<F::Output> {
    let mut results: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, r) in futures.iter_mut().zip(results.iter_mut()) {
            if r.is_none() {
                match std::pin::Pin::new(f).poll(cx) {
                    std::task::Poll::Ready(v) => *r = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}
