//! Passwords: one rule everywhere (the console, the device API and the command line), a change
//! of one's own password that proves the current one within the sign-in limits, and an
//! administrator's reset, to be changed at the next sign-in. Every change is audited.
//!
//! The rule: 12 to 1024 characters, at least 5 different ones, and not a common password, even
//! with digits or signs around it. The list is the 10,000 most frequent passwords of the zxcvbn
//! project's lists (`assets/common-passwords.txt`, MIT, see `assets/LICENSES.md`), with the
//! society's and the app's own names added.

use std::collections::HashSet;
use std::sync::OnceLock;

use mandoob_shared::ids::UserId;

use super::ServiceError;
use super::accounts::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, Rule, SignIn, verify_sign_in};
use super::audit::{self, By};
use crate::auth;
use crate::state::AppState;
use crate::storage::Storage;

/// The fewest different characters of a password ("aaaaaaaaaaaa", "121212121212" are not).
pub const MIN_DISTINCT_CHARS: usize = 5;

/// Words anyone guessing a password of this server would try first.
const LOCAL_WORDS: &[&str] = &[
    "mandoob",
    "mandoub",
    "qurain",
    "kuwait",
    "charity",
    "society",
    "cooperative",
    "committee",
    "welcome",
    "admin",
    "administrator",
    "changeme",
];

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        include_str!("../../../assets/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .chain(LOCAL_WORDS.iter().copied())
            .collect()
    })
}

/// Whether `password` is a common one, or one with only digits and signs around a common one
/// or the username ("Password2024!", "rep1rep1rep1").
pub fn is_common(password: &str, username: &str) -> bool {
    let lower = password.to_lowercase();
    let common = common_passwords();
    if common.contains(lower.as_str()) {
        return true;
    }
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let user = username.trim().to_lowercase();
    if core.is_empty() || common.contains(core) {
        return true;
    }
    // The username, repeated or with digits: "rep1rep1rep1", "admin-admin-2026".
    if user.chars().count() >= 3 {
        let rest = core.replace(&user, "");
        if !rest.chars().any(char::is_alphabetic) {
            return true;
        }
    }
    false
}

/// The one password rule (see the module's text), for the account `username`.
pub fn check(password: &str, username: &str) -> Result<(), Rule> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(Rule::Password);
    }
    let distinct: HashSet<char> = password.chars().collect();
    if distinct.len() < MIN_DISTINCT_CHARS || is_common(password, username) {
        return Err(Rule::CommonPassword);
    }
    Ok(())
}

/// An argon2id hash of `password`, off the async workers (argon2 is slow on purpose).
pub async fn hash(password: &str) -> Result<String, ServiceError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(ServiceError::Internal)
}

/// Changes `user`'s own password after checking the current one. The check counts as a
/// sign-in from `address` (so it cannot be used to guess passwords faster than the sign-in
/// form). Their other console sessions end (`keep_session`, the one asking, goes on); their
/// devices stay signed in.
pub async fn change_own(
    state: &AppState,
    address: std::net::IpAddr,
    user: &UserId,
    current: &str,
    new: &str,
    keep_session: Option<&[u8]>,
) -> Result<(), ServiceError> {
    check(new, user.as_str())?;
    if new == current {
        return Err(Rule::SamePassword.into());
    }
    match verify_sign_in(state, address, user.as_str(), current).await? {
        SignIn::Ok(_) => {}
        SignIn::Wrong => return Err(Rule::WrongPassword.into()),
        SignIn::Wait(wait) => return Err(Rule::Wait(wait.as_secs().max(1)).into()),
        SignIn::Locked => return Err(Rule::Locked.into()),
        SignIn::Busy => return Err(Rule::Busy.into()),
    }
    let hash = hash(new).await?;
    let storage = state.storage.as_ref();
    if !storage
        .set_password(user, &hash, false, keep_session)
        .await?
    {
        return Err(Rule::NoSuchUser(user.as_str().to_owned()).into());
    }
    tracing::info!(%user, "password changed");
    audit::record(
        storage,
        &By(user.clone()),
        "change-password",
        user.as_str(),
        "",
    )
    .await;
    Ok(())
}

/// An administrator (or the command line) gives `user` a new password, which they must change
/// at their next sign-in; their console sessions end, and a lock of the sign-in limits is
/// lifted (the reset is how a locked-out person gets back in).
pub async fn reset(
    storage: &dyn Storage,
    user: &str,
    new: &str,
    by: &By,
) -> Result<(), ServiceError> {
    let id = UserId::new(user);
    let Some(record) = storage.user(&id).await? else {
        return Err(Rule::NoSuchUser(user.to_owned()).into());
    };
    check(new, user)?;
    let hash = hash(new).await?;
    storage.set_password(&id, &hash, true, None).await?;
    tracing::info!(%user, by = %by.0, "password reset");
    audit::record(storage, by, "reset-password", user, "").await;
    if record.locked {
        storage.set_user_locked(&id, None).await?;
        audit::record(storage, by, "unlock-user", user, "").await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused_even_dressed_up() {
        for weak in [
            "password1234",
            "Password2024!",
            "qwerty123456",
            "123456789012",
            "!!!sunshine!!!",
            "mandoob-2026",
            "aaaaaaaaaaaa",
            "121212121212",
            "abcabcabcabc",
        ] {
            assert_eq!(check(weak, "rep1"), Err(Rule::CommonPassword), "{weak:?}");
        }
        // The username, repeated or with digits around it.
        assert_eq!(check("rep1rep1rep1", "rep1"), Err(Rule::CommonPassword));
        assert_eq!(
            check("committee1-2026", "committee1"),
            Err(Rule::CommonPassword)
        );
    }

    #[test]
    fn good_passwords_pass() {
        for good in [
            "a-good-long-password",
            "mandoob-demo",
            "correct horse battery staple",
            "كلمة سر طويلة جدا",
            "Qurain branch 7 visits",
        ] {
            assert_eq!(check(good, "rep1"), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn length_is_checked_in_characters() {
        assert_eq!(check("short", "rep1"), Err(Rule::Password));
        assert_eq!(check(&"xy".repeat(513), "rep1"), Err(Rule::Password));
        assert_eq!(check("كلمةمرورطويل", "rep1"), Ok(()));
    }

    #[test]
    fn the_list_is_shipped_whole() {
        assert!(common_passwords().len() >= 10_000);
        assert!(common_passwords().contains("password"));
    }
}
