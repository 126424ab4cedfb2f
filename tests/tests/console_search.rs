//! The console's household search against the real server: names in the spellings people
//! type (hamza forms, "عبد الله" written apart or joined, no diacritics), civil IDs, phones in
//! Arabic-Indic digits, references; households without a request; and the user's scope.

use mandoob_engine::engine::NewHousehold;
use mandoob_shared::ids::CaseId;
use mandoob_shared::model::{Address, Governorate, Member, Relation};
use mandoob_shared::validate::civil_id;
use mandoob_tests::{ConsoleClient, Device, TestServer, form_encode, submitted_case};

fn household(name: &str, serial: u16, phone: &str) -> NewHousehold {
    let birth = chrono::NaiveDate::from_ymd_opt(1975, 8, 9).expect("date");
    let mut head = Member::new(name, Relation::Head);
    head.civil_id = (serial..serial + 30)
        .find_map(|s| civil_id::compose(birth, s))
        .expect("a civil ID");
    head.phone = phone.into();
    NewHousehold {
        head,
        address: Address {
            governorate: Some(Governorate::Jahra),
            area: "الجهراء".into(),
            ..Address::default()
        },
        not_a_duplicate: true,
    }
}

async fn search(console: &ConsoleClient, q: &str, none: bool) -> anyhow::Result<String> {
    let mut path = format!("/console/households?q={}", form_encode(q));
    if none {
        path.push_str("&none=1");
    }
    let res = console.get(&path).await?;
    anyhow::ensure!(res.status() == 200, "{path}: {}", res.status());
    Ok(res.text().await?)
}

fn lists(page: &str, reference: &str) -> bool {
    page.contains(&format!("data-reference=\"{reference}\""))
}

#[tokio::test]
async fn households_are_found_by_any_spelling_and_number_within_scope() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let new = household("أحمد عبد الله الكنْدري", 11, "99112233");
    let civil = new.head.civil_id.clone();
    let ahmad = rep.engine.create_case(new)?;
    let other = rep.engine.create_case({
        let mut h = household("فاطمة سالم العنزي", 41, "66554433");
        h.head.name_en = "Fatima Salem Al-Enezi".into();
        h
    })?;
    let with_request = submitted_case(&mut rep, 7, 2);
    rep.sync().await?;
    let mut far = Device::enrol(&server, "rep-b").await?;
    let elsewhere = far
        .engine
        .create_case(household("أحمد عبدالله الرشيدي", 71, "55443322"))?;
    far.sync().await?;
    let reference = |device: &mut Device, id: &CaseId| -> anyhow::Result<String> {
        Ok(device
            .engine
            .open_case(id)?
            .case
            .reference
            .as_str()
            .to_owned())
    };
    let ahmad_ref = reference(&mut rep, &ahmad)?;
    let other_ref = reference(&mut rep, &other)?;
    let request_ref = reference(&mut rep, &with_request)?;
    let elsewhere_ref = reference(&mut far, &elsewhere)?;

    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    // Spellings: no hamza, joined "عبدالله", no sukun; and only the family name.
    for q in ["احمد عبدالله", "أحمد عبد الله", "الكندري"] {
        let page = search(&committee, q, false).await?;
        assert!(lists(&page, &ahmad_ref), "{q}");
        assert!(!lists(&page, &other_ref), "{q}");
    }
    // Any part of a word (infix), Arabic and Latin: "عنزي" for العنزي, "nezi" for Al-Enezi.
    for q in ["عنزي", "نزي", "Enezi", "nezi"] {
        let page = search(&committee, q, false).await?;
        assert!(lists(&page, &other_ref), "{q}");
        assert!(!lists(&page, &ahmad_ref), "{q}");
    }
    // Both Ahmads, of both branches, for the committee.
    let page = search(&committee, "احمد عبدالله", false).await?;
    assert!(lists(&page, &elsewhere_ref));
    // Numbers: the civil ID, the phone in Arabic-Indic digits, the reference in lower case.
    assert!(lists(&search(&committee, &civil, false).await?, &ahmad_ref));
    assert!(lists(
        &search(&committee, "٩٩١١٢٢٣٣", false).await?,
        &ahmad_ref
    ));
    let page = search(&committee, &ahmad_ref.to_lowercase(), false).await?;
    assert!(lists(&page, &ahmad_ref) && !lists(&page, &other_ref));
    assert!(!lists(
        &search(&committee, "محمود", false).await?,
        &ahmad_ref
    ));

    // Households without a request: the registered ones, not the one that asked.
    let page = search(&committee, "", true).await?;
    assert!(lists(&page, &ahmad_ref) && lists(&page, &other_ref));
    assert!(!lists(&page, &request_ref));
    let page = search(&committee, "", false).await?;
    assert!(lists(&page, &request_ref), "everyone without the filter");

    // The social-research officer of QRN sees QRN's households only.
    let researcher = ConsoleClient::sign_in(&server, "researcher").await?;
    let page = search(&researcher, "احمد", false).await?;
    assert!(lists(&page, &ahmad_ref));
    assert!(!lists(&page, &elsewhere_ref), "another branch's household");
    Ok(())
}
