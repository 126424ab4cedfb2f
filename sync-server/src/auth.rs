//! Accounts and tokens: passwords hashed with argon2id; a device signs in once online and
//! keeps a random bearer token, which the server stores only as a SHA-256 hash (a stolen
//! database does not give working tokens) and which stops working when the device is revoked.
//! How often passwords may be tried is [`crate::sign_in_limits`].

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// argon2's working memory (19 MiB for its default cost), kept between hashes: one buffer
/// per hash running at once (the limiter caps those), reused. Allocating and freeing 19 MiB
/// per sign-in made glibc raise its mmap threshold and keep the freed blocks in its arenas: a
/// flood of wrong sign-ins took the process from 0.2 to 5 GB resident, and it stayed there.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// The most memory a stored hash may ask for (in 1 KiB blocks): 256 MiB.
const MAX_BLOCKS: usize = 256 * 1024;

/// Runs `f` with `blocks` blocks of argon2 memory from [`MEMORY`]; `None` when more are asked
/// than [`MAX_BLOCKS`].
fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> Option<T> {
    if blocks > MAX_BLOCKS {
        return None;
    }
    let mut memory = MEMORY
        .lock()
        .ok()
        .and_then(|mut pool| pool.pop())
        .unwrap_or_default();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let out = f(&mut memory[..blocks]);
    if let Ok(mut pool) = MEMORY.lock() {
        pool.push(memory);
    }
    Some(out)
}

/// Hashes a password with argon2id (its default cost) and a random salt (PHC string format).
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let params = Params::default();
    let mut out = vec![0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    with_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, memory)
    })
    .ok_or("argon2 asks for too much memory")?
    .map_err(|e| e.to_string())?;
    let salt_string = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(salt_string.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(hash.to_string())
}

/// Whether `password` gives the stored `hash` (the comparison in constant time).
fn matches(password: &str, hash: &str) -> Option<bool> {
    let parsed = PasswordHash::new(hash).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).ok()?;
    let expected = parsed.hash?;
    let mut salt = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    with_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory)
    })?
    .ok()?;
    // `Output`'s equality is constant-time.
    Some(Output::new(&out).ok()? == expected)
}

/// Checks a password against its stored hash. Sign-ins call it only through the limiter
/// ([`crate::sign_in_limits`]), which bounds how many run at once.
pub fn verify_password(password: &str, hash: &str) -> bool {
    CHECKS.fetch_add(1, Ordering::Relaxed);
    let running = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    PEAK.fetch_max(running, Ordering::SeqCst);
    let ok = matches(password, hash).unwrap_or(false);
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

    /// Hashes stored before the memory was pooled (made by the crate's own hasher) still
    /// verify, and the crate's verifier accepts the new ones: the same PHC strings.
    #[test]
    fn pooled_hashes_are_the_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::encode_b64(b"sixteen byte slt").expect("salt");
        let old = Argon2::default()
            .hash_password(b"a stored password", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_password("a stored password", &old));
        assert!(!verify_password("a stored passwore", &old));
        let new = hash_password("a new password here").expect("hash");
        let parsed = PasswordHash::new(&new).expect("phc");
        assert!(
            Argon2::default()
                .verify_password(b"a new password here", &parsed)
                .is_ok()
        );
        // A hash asking for more memory than the server gives is refused, not computed.
        let greedy = old.replace("m=19456", "m=4194304");
        assert_ne!(greedy, old);
        assert!(!verify_password("a stored password", &greedy));
    }
}
