//! Accounts and tokens: passwords hashed with argon2id; a device signs in once online and
//! keeps a random bearer token, which the server stores only as a SHA-256 hash (a stolen
//! database does not give working tokens) and which stops working when the device is revoked.
//! How often passwords may be tried is [`crate::sign_in_limits`].

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

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

/// Checks a password against its stored hash (constant-time inside argon2). Sign-ins call it
/// only through the limiter ([`crate::sign_in_limits`]), which bounds how many run at once.
pub fn verify_password(password: &str, hash: &str) -> bool {
    CHECKS.fetch_add(1, Ordering::Relaxed);
    let running = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    PEAK.fetch_max(running, Ordering::SeqCst);
    let ok = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    ok
}

static CHECKS: AtomicU64 = AtomicU64::new(0);
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Password checks made by this process, and the most that ran at once since
/// [`reset_peak_password_checks`] (the limiter's tests measure with them).
pub fn password_checks() -> (u64, usize) {
    (CHECKS.load(Ordering::SeqCst), PEAK.load(Ordering::SeqCst))
}

/// Starts measuring the most password checks at once afresh.
pub fn reset_peak_password_checks() {
    PEAK.store(RUNNING.load(Ordering::SeqCst), Ordering::SeqCst);
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
}
