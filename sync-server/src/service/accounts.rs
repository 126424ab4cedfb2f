//! Accounts: sign-in, users, branches and devices, with one set of rules for the console and
//! the command line (`admin create-user` and the console's form refuse the same usernames,
//! passwords and branch codes). Every change is written to the audit log.

use mandoob_shared::ids::{BranchCode, DeviceCode, UserId};
use mandoob_shared::workflow::Role;

use super::audit::{self, By};
use super::{ServiceError, passwords};
use crate::auth;
use crate::sign_in_limits::{ACCOUNT_LOCK_FAILURES, MAX_USERNAME_CHARS, Refusal};
use crate::state::AppState;
use crate::storage::{Storage, StorageError, UserRecord};

/// The fewest characters of a password.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The most characters of a password (argon2 hashes any length; this bounds the work).
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// The most characters of a person's or a branch's name.
pub const MAX_NAME_CHARS: usize = 100;

/// A rule an account change breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rule {
    #[error("a username is 2 to 40 lowercase Latin letters, digits, dots, dashes or underscores")]
    Username,
    #[error("a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")]
    Password,
    #[error("a name is required, at most {MAX_NAME_CHARS} characters")]
    Name,
    #[error("a branch code is 2 to 6 capital Latin letters")]
    BranchCode,
    #[error("there is no branch {0}")]
    UnknownBranch(String),
    #[error("the user {0} already exists")]
    UserExists(String),
    #[error("the branch {0} already exists")]
    BranchExists(String),
    #[error("there is no device {0}")]
    NoSuchDevice(String),
    #[error("there is no user {0}")]
    NoSuchUser(String),
    #[error("nobody deactivates their own account")]
    NotYourself,
    #[error("this password is too common or too easy to guess")]
    CommonPassword,
    #[error("the new password is the same as the current one")]
    SamePassword,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("too many failed password checks; try again in {0} seconds")]
    Wait(u64),
    #[error("this account is locked after too many failed sign-ins")]
    Locked,
    #[error("the server is busy checking other passwords; try again in a moment")]
    Busy,
    #[error("nobody changes their own role")]
    OwnRole,
    #[error("there is no device waiting for approval {0}")]
    NotWaiting(String),
    #[error("this handed-over item was already applied or discarded")]
    NotHeld,
}

impl Rule {
    /// The message's translation key (the console shows it in the user's language).
    pub fn key(&self) -> &'static str {
        match self {
            Rule::Username => "console-bad-username",
            Rule::Password => "console-bad-password",
            Rule::Name => "console-bad-name",
            Rule::BranchCode => "console-bad-branch",
            Rule::UnknownBranch(_) => "console-unknown-branch",
            Rule::UserExists(_) => "console-user-exists",
            Rule::BranchExists(_) => "console-branch-exists",
            Rule::NoSuchDevice(_) => "console-no-such-device",
            Rule::NotHeld => "console-not-held",
            Rule::NoSuchUser(_) => "console-no-such-user",
            Rule::NotYourself => "console-not-yourself",
            Rule::CommonPassword => "console-common-password",
            Rule::SamePassword => "console-same-password",
            Rule::WrongPassword => "console-wrong-current-password",
            Rule::Wait(_) => "console-password-wait",
            Rule::Locked => "console-account-locked",
            Rule::Busy => "console-busy",
            Rule::OwnRole => "console-own-role",
            Rule::NotWaiting(_) => "console-not-waiting",
        }
    }
}

/// A username as stored: trimmed and lowercased, 2 to 40 of `[a-z0-9._-]`.
pub fn username(raw: &str) -> Result<UserId, Rule> {
    let name = raw.trim().to_lowercase();
    let valid = (2..=40).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if valid {
        Ok(UserId::new(name))
    } else {
        Err(Rule::Username)
    }
}

/// A person's or a branch's name: trimmed, not empty, at most [`MAX_NAME_CHARS`].
pub fn name(raw: &str) -> Result<String, Rule> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        Err(Rule::Name)
    } else {
        Ok(name.to_owned())
    }
}

/// A branch code as stored: trimmed and in capitals, 2 to 6 Latin letters (codes start every
/// case reference, `QRN-D7-00042`).
pub fn branch_code(raw: &str) -> Result<BranchCode, Rule> {
    let code = raw.trim().to_uppercase();
    if (2..=6).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(BranchCode::new(code))
    } else {
        Err(Rule::BranchCode)
    }
}

/// A new account, as typed (by an administrator in the console, or on the command line).
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub branch: &'a str,
    pub password: &'a str,
}

/// Creates an account with an argon2id-hashed password, after every rule is checked.
pub async fn create_user(
    storage: &dyn Storage,
    new: NewUser<'_>,
    by: &By,
) -> Result<UserId, ServiceError> {
    let id = username(new.username)?;
    let display_name = name(new.display_name)?;
    passwords::check(new.password, id.as_str())?;
    let branch = branch_code(new.branch)?;
    let known = storage.branches().await?;
    if !known.iter().any(|(code, _)| *code == branch) {
        return Err(Rule::UnknownBranch(branch.as_str().to_owned()).into());
    }
    let hash = passwords::hash(new.password).await?;
    let user = UserRecord {
        id: id.clone(),
        display_name,
        role: new.role,
        branch,
        password_hash: hash,
        active: true,
        locked: false,
        must_change_password: false,
        enrol_needs_approval: false,
    };
    match storage.create_user(&user).await {
        Ok(()) => {}
        Err(StorageError::Conflict(_)) => {
            return Err(Rule::UserExists(id.as_str().to_owned()).into());
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(storage, by, "create-user", id.as_str(), new.role.code()).await;
    Ok(id)
}

/// Creates a branch.
pub async fn create_branch(
    storage: &dyn Storage,
    code: &str,
    branch_name: &str,
    by: &By,
) -> Result<BranchCode, ServiceError> {
    let code = branch_code(code)?;
    let branch_name = name(branch_name)?;
    match storage.create_branch(&code, &branch_name).await {
        Ok(()) => {}
        Err(StorageError::Conflict(_)) => {
            return Err(Rule::BranchExists(code.as_str().to_owned()).into());
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(storage, by, "create-branch", code.as_str(), &branch_name).await;
    Ok(code)
}

/// Revokes a device's token (a lost or stolen phone): its next request is refused.
pub async fn revoke_device(storage: &dyn Storage, code: &str, by: &By) -> Result<(), ServiceError> {
    if !storage.revoke_device(&DeviceCode::new(code)).await? {
        return Err(Rule::NoSuchDevice(code.to_owned()).into());
    }
    tracing::info!(device = %code, by = %by.0, "device revoked");
    audit::record(storage, by, "revoke-device", code, "").await;
    Ok(())
}

/// Changes a user's role (audited with the old and the new role); nobody changes their own.
pub async fn set_role(
    storage: &dyn Storage,
    user: &str,
    role: Role,
    by: &By,
) -> Result<(), ServiceError> {
    if user == by.0.as_str() {
        return Err(Rule::OwnRole.into());
    }
    let id = UserId::new(user);
    let Some(before) = storage.user(&id).await? else {
        return Err(Rule::NoSuchUser(user.to_owned()).into());
    };
    if before.role == role {
        return Ok(());
    }
    storage.set_role(&id, role).await?;
    let detail = format!("{} {}", before.role.code(), role.code());
    audit::record(storage, by, "change-role", user, &detail).await;
    Ok(())
}

/// Approves a device enrolled after one of its user's devices was revoked (audited).
pub async fn approve_device(
    storage: &dyn Storage,
    code: &str,
    by: &By,
) -> Result<(), ServiceError> {
    if !storage.approve_device(&DeviceCode::new(code)).await? {
        return Err(Rule::NotWaiting(code.to_owned()).into());
    }
    tracing::info!(device = %code, by = %by.0, "device approved");
    audit::record(storage, by, "approve-device", code, "").await;
    Ok(())
}

/// Activates or deactivates an account (a deactivated one cannot sign in).
pub async fn set_user_active(
    storage: &dyn Storage,
    user: &str,
    active: bool,
    by: &By,
) -> Result<(), ServiceError> {
    if user == by.0.as_str() {
        return Err(Rule::NotYourself.into());
    }
    if !storage.set_user_active(&UserId::new(user), active).await? {
        return Err(Rule::NoSuchUser(user.to_owned()).into());
    }
    let action = if active {
        "activate-user"
    } else {
        "deactivate-user"
    };
    audit::record(storage, by, action, user, "").await;
    Ok(())
}

/// Enrols a device for a signed-in user (its token stored hashed), audited; the device's code.
pub async fn enrol_device(
    storage: &dyn Storage,
    user: &UserRecord,
    name: &str,
    token_hash: &[u8],
) -> Result<DeviceCode, ServiceError> {
    let device = storage
        .create_device(
            &user.id,
            name,
            token_hash,
            chrono::Utc::now().timestamp_millis(),
        )
        .await?;
    tracing::info!(user = %user.id, %device, "device signed in");
    audit::record(
        storage,
        &By(user.id.clone()),
        "enrol-device",
        device.as_str(),
        name,
    )
    .await;
    Ok(device)
}

/// What a sign-in attempt comes to.
#[derive(Debug)]
pub enum SignIn {
    Ok(UserRecord),
    Wrong,
    /// Too many failures from this address: try again after this long.
    Wait(std::time::Duration),
    /// The account is locked after too many failures, until an administrator unlocks it.
    Locked,
    /// Too many passwords being checked at once: try again in a moment.
    Busy,
}

/// Who locks an account past the threshold in the audit log (a name no account can have).
fn limiter() -> By {
    By(UserId::new("server:sign-in-limits"))
}

/// Checks a username and password from the client at `address` (device API and console),
/// within the sign-in limits ([`crate::sign_in_limits`]): the username is cut to
/// [`MAX_USERNAME_CHARS`] first; an address that must wait is refused before anything is
/// read; the try is counted before the hash is computed, and the hash waits for a free place.
pub async fn verify_sign_in(
    state: &AppState,
    address: std::net::IpAddr,
    username_typed: &str,
    password: &str,
) -> Result<SignIn, ServiceError> {
    let typed: String = username_typed.chars().take(MAX_USERNAME_CHARS).collect();
    let limits = &state.sign_in_limiter;
    if let Some(wait) = limits.address_wait(address) {
        return Ok(SignIn::Wait(wait));
    }
    // Only a well-formed name can be an account; anything else is not looked up.
    let user = match username(&typed) {
        Ok(id) => state.storage.user(&id).await?,
        Err(_) => None,
    };
    let attempt = match limits.begin(
        address,
        user.as_ref().map(|u| &u.id),
        user.as_ref().is_some_and(|u| u.locked),
    ) {
        Ok(attempt) => attempt,
        Err(Refusal::Wait(wait)) => return Ok(SignIn::Wait(wait)),
        Err(Refusal::Locked) => return Ok(SignIn::Locked),
        Err(Refusal::Busy) => return Ok(SignIn::Busy),
    };
    let Some(permit) = limits.hash_permit().await else {
        // Never checked: not a failure of this address or account.
        let _ = limits.finish(attempt, false);
        return Ok(SignIn::Busy);
    };
    // An unknown user costs the same argon2 work as a known one, so timing does not tell
    // which usernames exist.
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let password = password.to_owned();
    // argon2 is deliberately slow: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let hash = hash.unwrap_or_else(unknown_user_hash);
        auth::verify_password(&password, &hash)
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let account = attempt.account().cloned();
    match user {
        Some(user) if ok && user.active => {
            let _ = limits.finish(attempt, false);
            Ok(SignIn::Ok(user))
        }
        _ => {
            if limits.finish(attempt, true)
                && let Some(id) = account
            {
                lock_account(state, &id).await;
            }
            Ok(SignIn::Wrong)
        }
    }
}

/// Locks `id` in the database after too many failures, with a warning and an audit entry.
async fn lock_account(state: &AppState, id: &UserId) {
    let now = chrono::Utc::now().timestamp_millis();
    match state.storage.set_user_locked(id, Some(now)).await {
        Ok(_) => {
            state.sign_in_limiter.lock_written(id);
            tracing::warn!(user = %id, "account locked after too many failed sign-ins");
            // The number of failures; the console says it in words.
            let detail = ACCOUNT_LOCK_FAILURES.to_string();
            audit::record(
                state.storage.as_ref(),
                &limiter(),
                "lock-user",
                id.as_str(),
                &detail,
            )
            .await;
        }
        Err(e) => tracing::error!(user = %id, error = %e, "could not lock an account"),
    }
}

/// Unlocks an account locked by the sign-in limits (the console's administrator or the
/// command line), audited.
pub async fn unlock_user(storage: &dyn Storage, user: &str, by: &By) -> Result<(), ServiceError> {
    if !storage.set_user_locked(&UserId::new(user), None).await? {
        return Err(Rule::NoSuchUser(user.to_owned()).into());
    }
    audit::record(storage, by, "unlock-user", user, "").await;
    Ok(())
}

/// An argon2id hash of a random password nobody knows (verified against for unknown users),
/// made once per process.
fn unknown_user_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let mut secret = [0u8; 32];
        let _ = getrandom::fill(&mut secret);
        auth::hash_password(&hex::encode(secret)).unwrap_or_default()
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercase_latin() {
        assert_eq!(username(" Rep1 ").unwrap().as_str(), "rep1");
        assert!(username("a.b_c-d").is_ok());
        for bad in ["a", "", "has space", "مندوب", "semi;colon", &"x".repeat(41)] {
            assert_eq!(username(bad), Err(Rule::Username), "{bad:?}");
        }
    }

    #[test]
    fn branch_codes_are_short_capitals() {
        assert_eq!(branch_code(" qrn ").unwrap().as_str(), "QRN");
        for bad in ["Q", "QRNQRNQ", "QR1", "Q-R", ""] {
            assert_eq!(branch_code(bad), Err(Rule::BranchCode), "{bad:?}");
        }
    }
}
