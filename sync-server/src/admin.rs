//! Administration from the command line: users (through [`accounts`]) and the demo data
//! (sample cases whose documents have generated pictures).

use chrono::Utc;
use mandoob_shared::doc::{Author, CaseDoc};
use mandoob_shared::ids::{BranchCode, UserId};
use mandoob_shared::model::DocumentKind;
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
    let mut samples = Vec::new();
    for seed in 0..cases {
        let mut case = sample::realistic_case(seed);
        case.created_by = author.user.clone();
        for e in &mut case.events {
            e.actor = author.user.clone();
        }
        // Every document gets a picture, so the console of a demo shows no broken image.
        for (i, d) in case.documents.iter_mut().enumerate() {
            let picture = seed * 100 + i as u64;
            let (photo, width, height) = demo_picture(d.kind, picture, 960)?;
            let (thumbnail, _, _) = demo_picture(d.kind, picture, 320)?;
            d.sha256 = sha256_hex(&photo);
            d.thumbnail_sha256 = sha256_hex(&thumbnail);
            d.bytes = photo.len() as u64;
            d.width = u64::from(width);
            d.height = u64::from(height);
            storage.import_blob(&d.sha256, &photo).await?;
            storage.import_blob(&d.thumbnail_sha256, &thumbnail).await?;
        }
        samples.push(case);
    }
    store_whole(storage, &samples, &author).await?;
    Ok(())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A generated picture standing for a document of `kind` (a paper with a coloured header and
/// lines of "text", or a signature's stroke), `width` pixels wide, as JPEG; its size.
pub fn demo_picture(
    kind: DocumentKind,
    seed: u64,
    width: u32,
) -> anyhow::Result<(Vec<u8>, u32, u32)> {
    let height = width * 3 / 4;
    let mut rng = fastrand::Rng::with_seed(seed);
    let signature = kind == DocumentKind::Signature;
    let index = DocumentKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0) as u32;
    let hue = (index * 47 % 200) as u8;
    let header = image::Rgb([40 + hue / 2, 90 + hue / 3, 140 + hue / 4]);
    let lines: Vec<(u32, u32)> = (0..8)
        .map(|i| {
            let y = height * (30 + i * 8) / 100;
            (y, width * rng.u32(45..90) / 100)
        })
        .collect();
    let phase = rng.f32() * 6.0;
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let paper = image::Rgb([246, 243, 236]);
        if signature {
            // One flowing stroke across the middle.
            let t = x as f32 / width as f32 * 12.0 + phase;
            let centre = height as f32 * (0.5 + 0.18 * t.sin() * (t * 0.37).cos());
            return if (y as f32 - centre).abs() < width as f32 / 240.0 + 1.0 {
                image::Rgb([20, 30, 80])
            } else {
                paper
            };
        }
        if y < height / 5 {
            return header;
        }
        let margin = width / 12;
        for (line_y, len) in &lines {
            // Right-aligned, as Arabic text is.
            let end = width - margin;
            if y >= *line_y && y < line_y + height / 60 + 1 && x < end && x + len > end {
                return image::Rgb([90, 90, 100]);
            }
        }
        paper
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80).encode_image(&img)?;
    Ok((bytes, width, height))
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
