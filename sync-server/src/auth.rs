//! Accounts and tokens: passwords hashed with argon2id; a device signs in once online and
//! keeps a random bearer token, which the server stores only as a SHA-256 hash (a stolen
//! database does not give working tokens) and which stops working when the device is revoked.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against its stored hash (constant-time inside argon2).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A new random token (256 bits, URL-safe base64) and the hash to store.
pub fn new_token() -> Result<(String, Vec<u8>), String> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| e.to_string())?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// What is stored for a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Failed sign-ins allowed per account within [`LOCKOUT`] before further tries are refused.
pub const MAX_FAILURES: usize = 5;
/// How long failed sign-ins count, and how long an account stays locked after too many.
pub const LOCKOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Limits password guessing: after [`MAX_FAILURES`] failed sign-ins for one username within
/// [`LOCKOUT`], further attempts are refused (even with the right password) until the oldest
/// failure is that old. Shared by the device API and the console. In memory: a restart forgets,
/// which only gives an attacker one more window every restart.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    failures: std::sync::Mutex<std::collections::HashMap<String, Vec<std::time::Instant>>>,
}

impl SignInLimiter {
    fn key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// `Err(wait)` while `username` is locked.
    pub fn check(&self, username: &str) -> Result<(), std::time::Duration> {
        let now = std::time::Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(list) = map.get_mut(&Self::key(username)) else {
            return Ok(());
        };
        list.retain(|t| now.duration_since(*t) < LOCKOUT);
        if list.len() >= MAX_FAILURES {
            let oldest = list.iter().min().copied().unwrap_or(now);
            return Err(LOCKOUT.saturating_sub(now.duration_since(oldest)));
        }
        Ok(())
    }

    /// Records a failed sign-in.
    pub fn failed(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Bound the memory an attacker can make us use with made-up names.
        if map.len() > 100_000 {
            map.clear();
        }
        map.entry(Self::key(username))
            .or_default()
            .push(std::time::Instant::now());
    }

    /// Forgets the failures of an account that signed in.
    pub fn succeeded(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&Self::key(username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_tokens_are_random() {
        let h = hash_password("كلمة سر طويلة").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("كلمة سر طويلة", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
        let (a, ha) = new_token().expect("token");
        let (b, _) = new_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), ha);
        assert!(a.len() >= 43);
    }

    #[test]
    fn too_many_failures_lock_the_account_only() {
        let limiter = SignInLimiter::default();
        for _ in 0..MAX_FAILURES - 1 {
            limiter.failed("Committee1");
        }
        assert!(limiter.check("committee1").is_ok());
        limiter.failed("committee1 ");
        let wait = limiter.check("COMMITTEE1").expect_err("locked");
        assert!(wait <= LOCKOUT && wait > LOCKOUT / 2);
        assert!(limiter.check("rep1").is_ok());
        limiter.succeeded("committee1");
        assert!(limiter.check("committee1").is_ok());
    }
}
