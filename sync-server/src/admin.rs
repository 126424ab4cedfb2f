//! Administration from the command line: users (through [`accounts`]) and the demo data.

use chrono::Utc;
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::{BranchCode, UserId};
use mandoob_shared::sample;
use mandoob_shared::workflow::Role;

use crate::service::accounts::{self, NewUser};
use crate::service::audit::By;
use crate::storage::{ImportedCase, Storage, StorageError};

/// Creates a user with an argon2id-hashed password, by the command line, under the same rules
/// as the console ([`accounts::create_user`]).
pub async fn create_user(
    storage: &dyn Storage,
    id: &str,
    display_name: &str,
    role: Role,
    branch: &BranchCode,
    password: &str,
) -> anyhow::Result<()> {
    let new = NewUser {
        username: id,
        display_name,
        role,
        branch: branch.as_str(),
        password,
    };
    accounts::create_user(storage, new, &By::command_line()).await?;
    Ok(())
}

/// Branch QRN with one user per role (password `mandoob-demo`), and `cases` sample cases.
pub async fn seed_demo(storage: &dyn Storage, cases: u64) -> anyhow::Result<()> {
    let qrn = BranchCode::new("QRN");
    match storage.create_branch(&qrn, "فرع القرين").await {
        Ok(()) | Err(StorageError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    for (id, name, role) in [
        ("rep1", "مندوب القرين", Role::Representative),
        ("research1", "الباحث الاجتماعي", Role::SocialResearcher),
        ("committee1", "عضو لجنة البحث", Role::Committee),
        ("admin", "مدير النظام", Role::Administrator),
    ] {
        if storage.user(&UserId::new(id)).await?.is_none() {
            create_user(storage, id, name, role, &qrn, "mandoob-demo").await?;
        }
    }
    let author = Author {
        user: UserId::new("rep1"),
        at: mandoob_shared::ids::Timestamp::new(Utc::now()),
    };
    let samples: Vec<_> = (0..cases)
        .map(|seed| {
            let mut case = sample::realistic_case(seed);
            case.created_by = author.user.clone();
            for e in &mut case.events {
                e.actor = author.user.clone();
            }
            case
        })
        .collect();
    store_whole(storage, &samples, &author).await?;
    Ok(())
}

/// Stores whole cases as their changes, in one transaction (demo data, benchmarks).
pub async fn store_whole(
    storage: &dyn Storage,
    cases: &[mandoob_shared::model::CaseFile],
    author: &Author,
) -> anyhow::Result<()> {
    let mut items = Vec::with_capacity(cases.len());
    for case in cases {
        let mut doc = CaseDoc::create(case, author)?;
        let changes: Vec<(String, Vec<u8>)> = doc
            .automerge()
            .get_changes(&[])
            .into_iter()
            .map(|c| (c.hash().to_string(), c.raw_bytes().to_vec()))
            .collect();
        // A document made of one change holds no concurrent values.
        items.push(ImportedCase::of(case, false, &mut doc, changes));
    }
    storage.import_cases(items).await?;
    Ok(())
}
