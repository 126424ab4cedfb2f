//! The server's shared state: what every adapter (device API, console, command line) hands to
//! the services.

use std::sync::Arc;

use crate::service::push::CaseLocks;
use crate::settings::Settings;
use crate::sign_in_limits::SignInLimiter;
use crate::storage::Storage;

/// Shared state of the handlers and services.
#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
    /// One lock per case, taken by [`crate::service::push::push_case`] (the only writer of
    /// case documents) so that its read-check-write is atomic while other cases go on.
    pub case_locks: Arc<CaseLocks>,
    /// The most changes or whole documents in one sync answer.
    pub max_page: u32,
    /// Failed sign-ins per address and account, and the cap on password checks at once
    /// (device API and console).
    pub sign_in_limiter: Arc<SignInLimiter>,
}

impl AppState {
    /// The state for `storage` with `settings`' limits.
    pub fn new(storage: Arc<dyn Storage>, settings: &Settings) -> Self {
        Self {
            storage,
            case_locks: Arc::new(CaseLocks::default()),
            max_page: settings.max_page,
            sign_in_limiter: Arc::new(SignInLimiter::new(
                settings.sign_in_hashes,
                settings.trusted_proxies.clone(),
            )),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
