//! The app's one way to the device engine and the server: engine commands on the engine's
//! thread (the UI never waits on SQLite or image decoding), and sync over HTTP.

use std::sync::{Arc, Mutex};

use mandoob_engine::EngineApi;
use mandoob_engine::engine::{
    AttachedPhoto, CaseSummary, CivilIdHolder, Credentials, DuplicateCandidate, Edit, EngineError,
    Event, ListQuery, NewHousehold, OpenCase, StorageStats,
};
use mandoob_engine::handle::EngineHandle;
use mandoob_engine::sync::SyncSummary;
use mandoob_engine::sync_client::{SyncClient, SyncError, session_of};
use mandoob_shared::doc::FieldPath;
use mandoob_shared::ids::{CaseId, Date, MemberId, RequestId};
use mandoob_shared::model::{DocumentKind, Referral, ServiceRecord};
use mandoob_shared::sync::ApiErrorCode;
use mandoob_shared::workflow::EventKind;

/// A failure the UI shows, in the representative's language where it can be translated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The server cannot be reached (the detail is for the log, never shown).
    #[error("no connection to the server: {0}")]
    Offline(String),
    /// The server refused the sign-in: a wrong username or password, a locked account, too
    /// many tries from here (its code says which; `None` from a server that gave none).
    #[error("the server refused the sign-in: {0:?}")]
    SignInRefused(Option<ApiErrorCode>),
    /// The server answered with an error (its code, when it gave one; details in the log).
    #[error("the server answered with an error: {0:?}")]
    Server(Option<ApiErrorCode>),
    /// The server no longer accepts this device's token (revoked or signed out elsewhere).
    #[error("this device was signed out by the server")]
    Revoked,
    /// An administrator revoked this device: its unsent work was handed over to the server
    /// and its case data wiped.
    #[error("this device was revoked; its unsent work was handed over and its data wiped")]
    Wiped,
    #[error("not signed in")]
    NotSignedIn,
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Unauthorized(_) => AppError::Revoked,
            SyncError::Engine(e) => AppError::Engine(e),
            SyncError::Offline(m) => AppError::Offline(m),
            SyncError::Server(said) => {
                tracing::warn!(error = %said, "the server refused");
                AppError::Server(said.code)
            }
        }
    }
}

/// A sign-in that went through, and what the server asks of this device first.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedIn {
    pub credentials: Credentials,
    /// An administrator set the password: it is changed before anything else.
    pub must_change_password: bool,
    /// Enrolled after one of the user's devices was revoked: an administrator approves it
    /// before it may sync.
    pub pending_approval: bool,
}

/// Why a full photo cannot be shown.
#[derive(Debug, Clone, PartialEq)]
pub enum PhotoError {
    /// Not on this device, and the server cannot be reached (or nobody is signed in).
    Offline,
    /// The server could not give it now (not sent yet by the device that took it, or damaged
    /// on the way), or the device could not keep it.
    Unavailable(String),
}

/// Cloned into every component through context.
#[derive(Clone)]
pub struct Backend {
    engine: EngineHandle,
    client: Arc<Mutex<Option<SyncClient>>>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").finish_non_exhaustive()
    }
}

impl PartialEq for Backend {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.client, &other.client)
    }
}

impl Backend {
    /// Wraps a running engine; signs in with stored credentials, if any.
    pub async fn new(engine: EngineHandle) -> Result<Self, AppError> {
        let client = engine
            .clone()
            .credentials()
            .await?
            .map(|c| SyncClient::new(&c.server, &c.token));
        Ok(Self {
            engine,
            client: Arc::new(Mutex::new(client)),
        })
    }

    pub fn events(&self) -> futures_util::stream::BoxStream<'static, Event> {
        use futures_util::StreamExt;
        self.engine.events().boxed()
    }

    fn client(&self) -> Option<SyncClient> {
        self.client.lock().ok().and_then(|c| c.clone())
    }

    pub fn signed_in(&self) -> bool {
        self.client().is_some()
    }

    /// The engine, for its typed commands ([`EngineApi`]); a clone shares the same engine.
    fn engine(&self) -> EngineHandle {
        self.engine.clone()
    }

    /// Signs in online once; the token is kept for offline use.
    pub async fn sign_in(
        &self,
        server: &str,
        username: &str,
        password: &str,
        device_name: &str,
    ) -> Result<SignedIn, AppError> {
        let (client, login) = SyncClient::sign_in(server, username, password, device_name)
            .await
            .map_err(|e| match e {
                SyncError::Unauthorized(said) => {
                    tracing::info!(error = %said, "sign-in refused");
                    AppError::SignInRefused(said.code)
                }
                // A locked account, too many tries, a busy server: still a refused sign-in,
                // said in its own words.
                SyncError::Server(said)
                    if matches!(
                        said.code,
                        Some(
                            ApiErrorCode::AccountLocked
                                | ApiErrorCode::SignInWait
                                | ApiErrorCode::ServerBusy
                        )
                    ) =>
                {
                    tracing::info!(error = %said, "sign-in refused");
                    AppError::SignInRefused(said.code)
                }
                other => AppError::from(other),
            })?;
        let credentials = Credentials {
            server: client.base().to_owned(),
            token: client.token().to_owned(),
            username: login.user.as_str().to_owned(),
            display_name: login.display_name.clone(),
        };
        let mut engine = self.engine();
        engine.set_session(session_of(&login)).await?;
        engine.save_credentials(credentials.clone()).await?;
        if let Ok(mut c) = self.client.lock() {
            *c = Some(client);
        }
        Ok(SignedIn {
            credentials,
            must_change_password: login.must_change_password,
            pending_approval: login.pending_approval,
        })
    }

    /// Changes the signed-in user's password (online). A refusal is the server's code:
    /// `sign-in-wrong` for a wrong current password, `password-common`, `password-weak`.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<(), AppError> {
        let client = self.client().ok_or(AppError::NotSignedIn)?;
        Ok(client.change_password(current, new).await?)
    }

    pub async fn credentials(&self) -> Result<Option<Credentials>, AppError> {
        Ok(self.engine().credentials().await?)
    }

    /// Forgets the token; case files stay on the device.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        self.engine().sign_out().await?;
        if let Ok(mut c) = self.client.lock() {
            *c = None;
        }
        Ok(())
    }

    /// One full sync: push, pull until up to date, photos. A device an administrator revoked
    /// hands its unsent work over and wipes its case data instead ([`AppError::Wiped`]); when
    /// the hand-over cannot finish now, everything stays for the next try.
    pub async fn sync(&self) -> Result<SyncSummary, AppError> {
        let client = self.client().ok_or(AppError::NotSignedIn)?;
        match client.sync(&mut self.engine()).await {
            Err(SyncError::Unauthorized(said))
                if said.code == Some(ApiErrorCode::DeviceRevoked) =>
            {
                client.hand_over_and_wipe(&mut self.engine()).await?;
                if let Ok(mut c) = self.client.lock() {
                    *c = None;
                }
                Err(AppError::Wiped)
            }
            other => Ok(other?),
        }
    }

    pub async fn list(&self, q: ListQuery) -> Result<Vec<CaseSummary>, AppError> {
        Ok(self.engine().list(q).await?)
    }

    pub async fn duplicates(
        &self,
        name: String,
        civil_id: String,
        phone: String,
    ) -> Result<Vec<DuplicateCandidate>, AppError> {
        Ok(self.engine().find_duplicates(name, civil_id, phone).await?)
    }

    /// The households on this device (but `except`) with a member holding this civil ID.
    pub async fn civil_id_holders(
        &self,
        civil_id: String,
        except: Option<CaseId>,
    ) -> Result<Vec<CivilIdHolder>, AppError> {
        Ok(self.engine().civil_id_holders(civil_id, except).await?)
    }

    pub async fn create(&self, new: NewHousehold) -> Result<CaseId, AppError> {
        Ok(self.engine().create_case(new).await?)
    }

    pub async fn open(&self, id: CaseId) -> Result<OpenCase, AppError> {
        Ok(self.engine().open_case(id).await?)
    }

    pub async fn edit(&self, case: CaseId, edit: Edit) -> Result<(), AppError> {
        Ok(self.engine().edit(case, edit).await?)
    }

    /// Several edits of one user action, all written or none.
    pub async fn edit_all(&self, case: CaseId, edits: Vec<Edit>) -> Result<(), AppError> {
        Ok(self.engine().edit_all(case, edits).await?)
    }

    /// Refers a case to the social-research officer (one transaction).
    pub async fn refer(&self, case: CaseId, referral: Referral) -> Result<(), AppError> {
        Ok(self.engine().refer(case, referral).await?)
    }

    /// Records a service delivered (and its workflow step when allowed), one transaction.
    pub async fn deliver_service(
        &self,
        case: CaseId,
        service: ServiceRecord,
    ) -> Result<(), AppError> {
        Ok(self.engine().deliver_service(case, service).await?)
    }

    /// Signs a request's declaration with the drawn signature, one transaction.
    pub async fn sign_declaration(
        &self,
        case: CaseId,
        request: RequestId,
        signed_by: MemberId,
        signature_png: Vec<u8>,
    ) -> Result<AttachedPhoto, AppError> {
        Ok(self
            .engine()
            .sign_declaration(
                case,
                request,
                signed_by,
                signature_png,
                "declaration-v1".into(),
            )
            .await?)
    }

    /// Keeps one concurrent value and notes the others, one transaction.
    pub async fn keep_both(
        &self,
        case: CaseId,
        path: FieldPath,
        keep: serde_json::Value,
        notes: String,
    ) -> Result<(), AppError> {
        Ok(self.engine().keep_both(case, path, keep, notes).await?)
    }

    pub async fn record_event(
        &self,
        case: CaseId,
        request: RequestId,
        kind: EventKind,
        reason: String,
    ) -> Result<(), AppError> {
        Ok(self
            .engine()
            .record_event(case, request, kind, reason)
            .await?)
    }

    pub async fn resolve(
        &self,
        case: CaseId,
        path: FieldPath,
        value: serde_json::Value,
    ) -> Result<(), AppError> {
        Ok(self.engine().resolve_conflict(case, path, value).await?)
    }

    pub async fn attach(
        &self,
        case: CaseId,
        bytes: Vec<u8>,
        kind: DocumentKind,
        member: Option<MemberId>,
        request: Option<RequestId>,
        expires_on: Option<Date>,
    ) -> Result<AttachedPhoto, AppError> {
        Ok(self
            .engine()
            .attach_photo(case, bytes, kind, member, request, expires_on)
            .await?)
    }

    pub async fn blob(&self, sha256: String) -> Result<Option<Vec<u8>>, AppError> {
        Ok(self.engine().blob(sha256).await?)
    }

    /// A full photo: from the device when it is kept there, else fetched from the server and
    /// kept, so that it can be seen offline afterwards.
    pub async fn photo(&self, sha256: String) -> Result<Vec<u8>, PhotoError> {
        let mut engine = self.engine();
        let Some(client) = self.client() else {
            return match engine.blob(sha256).await {
                Ok(Some(bytes)) => Ok(bytes),
                Ok(None) => Err(PhotoError::Offline),
                Err(e) => Err(PhotoError::Unavailable(e.to_string())),
            };
        };
        client
            .fetch_photo(&mut engine, &sha256)
            .await
            .map_err(|e| match e {
                SyncError::Offline(_) => PhotoError::Offline,
                other => PhotoError::Unavailable(other.to_string()),
            })
    }

    /// The reference documents HQ published, as of the last sync.
    /// How the app is read on this device (language, digits).
    pub async fn preferences(&self) -> Result<mandoob_engine::engine::Preferences, AppError> {
        Ok(self.engine().preferences().await?)
    }

    pub async fn save_preferences(
        &self,
        preferences: mandoob_engine::engine::Preferences,
    ) -> Result<(), AppError> {
        Ok(self.engine().save_preferences(preferences).await?)
    }

    pub async fn library(&self) -> Result<mandoob_shared::sync::Library, AppError> {
        Ok(self.engine().library().await?)
    }

    pub async fn stats(&self) -> Result<StorageStats, AppError> {
        Ok(self.engine().stats().await?)
    }
}
