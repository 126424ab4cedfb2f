//! The server's own protections over HTTP (issue 18): exports that a spreadsheet cannot run.

use calamine::{Data, Reader, Xlsx};
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::{CaseId, Fils, RequestId, Timestamp};
use mandoob_shared::model::CaseFile;
use mandoob_tests::{ConsoleClient, Device, TestServer};

/// A realistic case whose head is named `name`, registered by `device`'s user and submitted to
/// the committee, not yet synced; its id and its request's.
fn case_named(device: &mut Device, seed: u64, name: &str) -> (CaseId, RequestId) {
    let mut case: CaseFile = mandoob_shared::sample::realistic_case(seed);
    let user = device.login.user.clone();
    mandoob_shared::sample::attribute_to(&mut case, &user);
    case.branch = device.login.branch.clone();
    let head = case
        .household
        .members
        .iter_mut()
        .find(|m| m.relation == mandoob_shared::model::Relation::Head)
        .expect("a head");
    head.name_ar = name.to_owned();
    head.name_en = name.to_owned();
    case.requests[0].amount = Some(Fils::from_kwd(150));
    let request = case.requests[0].id.clone();
    let author = Author {
        user,
        at: Timestamp::now(),
    };
    let mut doc = CaseDoc::create(&case, &author).expect("create");
    let id = device.engine.import_case(&mut doc, true).expect("import");
    (id, request)
}

/// A beneficiary named with a formula and decisions whose reasons begin with `+`, `-` and `@`:
/// in the CSV every such cell begins with a single quote (read back with a CSV reader), the
/// amounts are still plain numbers; in the XLSX they are text cells, no formula anywhere.
#[tokio::test]
async fn exported_cells_never_run_as_formulas() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let names = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "+1+1",
        "@SUM(1,1)",
        "\t=1+1",
    ];
    let reasons = ["+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)", "=1+1"];
    let mut cases = Vec::new();
    for (i, name) in names.iter().enumerate() {
        cases.push(case_named(&mut rep, 300 + i as u64, name));
    }
    rep.sync().await?;
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    for ((case, request), reason) in cases.iter().zip(reasons) {
        let res = committee
            .post(
                &format!("/console/cases/{}/decide", case.as_str()),
                &[
                    ("request", request.as_str()),
                    ("outcome", "accepted"),
                    ("reason", reason),
                    ("in_kind", "-a food basket"),
                ],
                true,
            )
            .await?;
        assert_eq!(res.status(), 303);
        let back = res.headers()["location"].to_str()?.to_owned();
        assert!(back.contains("done="), "{back}");
    }

    // CSV, read back with a CSV reader.
    let csv = committee
        .get("/console/export/requests.csv")
        .await?
        .bytes()
        .await?;
    let csv = csv
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("a byte-order mark");
    let mut reader = csv::Reader::from_reader(csv);
    let headings = reader.headers()?.clone();
    let column = |name: &str| {
        headings
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let (head, amount, reason, in_kind) = (
        column("رب الأسرة"),
        column("المبلغ (د.ك)"),
        column("السبب"),
        column("الممنوح عينيًا"),
    );
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), names.len());
    for (name, reason_given) in names.iter().zip(reasons) {
        let row = rows
            .iter()
            .find(|r| r[head] == format!("'{name}"))
            .unwrap_or_else(|| panic!("{name} not exported inert: {rows:?}"));
        assert_eq!(row[reason], format!("'{reason_given}"));
        assert_eq!(&row[in_kind], "'-a food basket");
        assert_eq!(row[amount].parse::<f64>()?, 150.0, "the amount is a number");
    }
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "an active cell: {cell:?}"
            );
        }
    }

    // XLSX: the same text as text cells, and no formula in the sheet.
    let bytes = committee
        .get("/console/export/requests.xlsx")
        .await?
        .bytes()
        .await?;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))?;
    let sheet = book.worksheet_range("requests")?;
    for name in names {
        assert!(
            sheet
                .rows()
                .any(|r| r.get(2) == Some(&Data::String(name.to_owned()))),
            "{name} is not a text cell"
        );
    }
    assert!(
        sheet
            .rows()
            .skip(1)
            .all(|r| matches!(r.get(4), Some(Data::Float(a)) if *a == 150.0)),
        "amounts are numbers"
    );
    let formulas = book.worksheet_formula("requests")?;
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "a formula in the XLSX"
    );
    Ok(())
}
