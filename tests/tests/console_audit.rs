//! The audit log in the console (issue 16, and issue 18's export): console sign-ins and device
//! enrolments are recorded; actions read as translated words, people and devices by name
//! (no raw keys such as "revoke-device", no "rows 22", no ids); filtered by who, what and
//! when; exported as CSV in words, with the guard against formulas.

use mandoob_shared::i18n::{Lang, Translator};
use mandoob_tests::{ConsoleClient, Device, TestServer};

/// The `data-action` of each row on an audit page, in order.
fn actions(page: &str) -> Vec<String> {
    page.split("data-action=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_audit_log_reads_in_words_and_filters_and_exports() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let rep = Device::enrol(&server, "rep-a").await?;
    let device = rep.login.device.as_str().to_owned();
    let admin = ConsoleClient::sign_in(&server, "admin").await?;
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let res = admin
        .post(
            "/console/admin/users",
            &[
                ("username", "new.clerk"),
                ("display_name", "=SUM(A1)"),
                ("role", "committee"),
                ("branch", "QRN"),
                ("password", "a long enough password"),
            ],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    let res = admin
        .post(
            &format!("/console/admin/devices/{device}/revoke"),
            &[("confirm", "yes")],
            true,
        )
        .await?;
    assert_eq!(res.status(), 303);
    assert_eq!(
        committee
            .get("/console/export/requests.csv")
            .await?
            .status(),
        200
    );

    // In Arabic (the default): every action in words, nothing raw.
    let ar = Translator::new(Lang::Ar);
    let page = admin.get("/console/audit").await?.text().await?;
    let listed = actions(&page);
    for action in [
        "sign-in",
        "enrol-device",
        "create-user",
        "revoke-device",
        "export",
    ] {
        assert!(listed.iter().any(|a| a == action), "{action} in {listed:?}");
        let label = ar.text(&format!("console-audit-{action}"));
        assert!(page.contains(&label), "{label}");
    }
    assert_eq!(
        listed.iter().filter(|a| *a == "sign-in").count(),
        2,
        "both console sign-ins"
    );
    for raw in [
        ">revoke-device<",
        ">create-user<",
        ">sign-in<",
        "rows",
        ">requests.csv<",
    ] {
        assert!(!page.contains(raw), "{raw} shown as is");
    }
    // The device by its code, owner and name; the new user by name and username.
    assert!(page.contains(&device) && page.contains("rep-a phone"));
    assert!(page.contains("=SUM(A1) (new.clerk)"));
    assert!(page.contains(&ar.text("role-committee")));

    // Filters: who, what, when.
    let by_committee = actions(
        &admin
            .get("/console/audit?who=committee")
            .await?
            .text()
            .await?,
    );
    assert_eq!(by_committee, ["export", "sign-in"]);
    let revoked = admin
        .get("/console/audit?what=revoke-device")
        .await?
        .text()
        .await?;
    assert_eq!(actions(&revoked), ["revoke-device"]);
    let today = mandoob_shared::workflow::kuwait_date(mandoob_shared::ids::Timestamp::now());
    let tomorrow = today.succ_opt().expect("a tomorrow");
    let later = admin
        .get(&format!("/console/audit?from={tomorrow}"))
        .await?
        .text()
        .await?;
    assert!(actions(&later).is_empty(), "nothing from tomorrow on");
    let until_today = admin
        .get(&format!("/console/audit?from={today}&to={today}"))
        .await?
        .text()
        .await?;
    assert_eq!(
        actions(&until_today).len(),
        listed.len(),
        "today holds them all"
    );

    // Exported with the page's filters, in words, formulas made inert; the export is audited.
    let res = admin
        .get("/console/audit.csv?who=admin&what=create-user")
        .await?;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()?
            .contains("mandoob-audit-")
    );
    let bytes = res.bytes().await?;
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark");
    let mut csv = csv::Reader::from_reader(&bytes[3..]);
    let headings: Vec<String> = csv.headers()?.iter().map(str::to_owned).collect();
    assert_eq!(headings[2], ar.text("console-action"));
    let rows: Vec<csv::StringRecord> = csv.records().collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(&rows[0][2], ar.text("console-audit-create-user"));
    assert_eq!(&rows[0][3], "'=SUM(A1) (new.clerk)", "no formula");
    let after = admin
        .get("/console/audit?what=export")
        .await?
        .text()
        .await?;
    assert_eq!(actions(&after).len(), 2, "the audit export is audited");
    assert!(after.contains(&ar.text("console-nav-audit")));
    // Administrators only.
    assert_eq!(committee.get("/console/audit.csv").await?.status(), 403);
    Ok(())
}
