//! The engine's commands, listed once. [`commands!`](crate::commands) turns the table below
//! into:
//!
//! - the [`Command`] enum (what the app, the tests and the Web Worker serialize);
//! - [`Engine::handle`], which carries out a command and wraps its result in a [`Reply`];
//! - [`EngineApi`], a typed async method per command for anything that can carry a command to
//!   the engine and bring back its reply (a [`Transport`]: the engine itself, the native
//!   engine thread's handle, the web worker's handle), with the one check that the reply is
//!   the one the command gives.
//!
//! A new command is one line in the table (and its method on [`Engine`]).

use serde::{Deserialize, Serialize};

use mandoob_shared::doc::FieldPath;
use mandoob_shared::ids::{CaseId, Date, MemberId, RequestId};
use mandoob_shared::model::{DocumentKind, Referral, ServiceRecord};
use mandoob_shared::sync::{Library, PushDoc, SyncRequest, SyncResponse};
use mandoob_shared::workflow::EventKind;

use crate::engine::Engine;
use crate::protocol::*;
use crate::sync::{RefusedLocal, SyncSummary};

/// Something that carries a command to the engine and brings back its reply: the engine
/// itself (tests, benchmarks), or a handle to its thread or worker (the app).
#[allow(async_fn_in_trait)] // used with concrete types; no Send bound needed
pub trait Transport {
    async fn call(&mut self, command: Command) -> Result<Reply, EngineError>;
}

impl Transport for Engine {
    async fn call(&mut self, command: Command) -> Result<Reply, EngineError> {
        self.handle(command)
    }
}

/// The one answer to a reply that is not the one its command gives.
fn unexpected(reply: Reply) -> EngineError {
    EngineError::Storage(format!("unexpected engine reply: {reply:?}"))
}

/// What a command's typed method returns: `()` for commands answered with [`Reply::Done`].
macro_rules! returns {
    () => {
        ()
    };
    ($ty:ty) => {
        $ty
    };
}

/// The typed value out of a reply.
macro_rules! unwrap_reply {
    ($reply:expr) => {
        match $reply {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    };
    ($reply:expr, $variant:ident) => {
        match $reply {
            Reply::$variant(value) => Ok(value),
            other => Err(unexpected(other)),
        }
    };
}

/// An engine method's result as a reply.
macro_rules! wrap_reply {
    ($result:expr) => {
        $result.map(|()| Reply::Done)
    };
    ($result:expr, $variant:ident) => {
        $result.map(Reply::$variant)
    };
}

/// The command table: `Variant(arg: Type)`, `Variant { field: Type, … }` or `Variant`; then
/// `=> method`, `-> ReturnType = ReplyVariant` unless the reply is [`Reply::Done`]; then `:`
/// and how the engine (named by the first line) carries it out.
macro_rules! commands {
    (
        |$engine:ident|
        $(
            $(#[$doc:meta])*
            $variant:ident
            $( ( $arg:ident : $arg_ty:ty ) )?
            $( { $( $field:ident : $field_ty:ty ),* $(,)? } )?
            => $method:ident $( -> $ret:ty = $reply:ident )?
            : $run:expr;
        )*
    ) => {
        /// A command to the engine.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[allow(clippy::large_enum_variant)]
        pub enum Command {
            $(
                $(#[$doc])*
                $variant $( ($arg_ty) )? $( { $( $field: $field_ty ),* } )?,
            )*
        }

        /// Out of [`EngineApi`]'s scope, so that `engine.method(…)` is always the engine's own
        /// method (on a `&mut Engine`, a trait method taking `&mut self` would come first).
        mod dispatch {
            use super::{Command, Engine, EngineError, Reply};

            impl Engine {
                /// Carries out one command.
                pub fn handle(&mut self, command: Command) -> Result<Reply, EngineError> {
                    let $engine = self;
                    match command {
                        $(
                            Command::$variant $( ($arg) )? $( { $( $field ),* } )? => {
                                wrap_reply!($run $(, $reply)?)
                            }
                        )*
                    }
                }
            }
        }

        /// The engine's commands as typed async methods, for any [`Transport`].
        ///
        /// Not in scope where a `&mut Engine` calls the engine's own methods: there, a method of
        /// this trait of the same name would be called instead (it takes `&mut self`).
        #[allow(async_fn_in_trait)] // used with concrete types; no Send bound needed
        pub trait EngineApi: Transport {
            $(
                $(#[$doc])*
                async fn $method(
                    &mut self $(, $arg: $arg_ty)? $( $(, $field: $field_ty)* )?
                ) -> Result<returns!($($ret)?), EngineError> {
                    let reply = self
                        .call(Command::$variant $( ($arg) )? $( { $( $field ),* } )?)
                        .await?;
                    unwrap_reply!(reply $(, $reply)?)
                }
            )*
        }

        impl<T: Transport + ?Sized> EngineApi for T {}
    };
}

commands! {
    |engine|
    /// Signs a user in on this device.
    SetSession(session: Session) => set_session: engine.set_session(session);
    /// Registers a new household.
    CreateCase(new: NewHousehold) => create_case -> CaseId = Created: engine.create_case(new);
    /// Applies a field-level edit.
    Edit { case: CaseId, edit: Edit } => edit: engine.edit(&case, edit);
    /// Several edits of one user action, as one change and one transaction.
    EditAll { case: CaseId, edits: Vec<Edit> } => edit_all: engine.edit_all(&case, edits);
    /// Refers a case to the social-research officer (the referral and the request's step).
    Refer { case: CaseId, referral: Referral } => refer: engine.refer(&case, referral);
    /// Records a service and, when its request allows it, the "service delivered" step.
    DeliverService { case: CaseId, service: ServiceRecord }
        => deliver_service: engine.deliver_service(&case, service);
    /// Signs a request's declaration with a drawn signature (PNG).
    SignDeclaration {
        case: CaseId,
        request: RequestId,
        signed_by: MemberId,
        signature_png: Vec<u8>,
        text_version: String,
    } => sign_declaration -> AttachedPhoto = Photo
        : engine.sign_declaration(&case, &request, signed_by, &signature_png, text_version);
    /// Keeps one of a field's concurrent values and notes the others in the household notes.
    KeepBoth { case: CaseId, path: FieldPath, keep: serde_json::Value, notes: String }
        => keep_both: engine.keep_both(&case, &path, &keep, notes);
    /// Opens a case: the case file, its conflicts and its requests' states.
    OpenCase(case: CaseId) => open_case -> OpenCase = Case: engine.open_case(&case);
    /// Resolves a same-field conflict with the chosen value.
    ResolveConflict { case: CaseId, path: FieldPath, value: serde_json::Value }
        => resolve_conflict: engine.resolve_conflict(&case, &path, &value);
    /// Records a workflow step by the signed-in user.
    RecordEvent { case: CaseId, request: RequestId, kind: EventKind, reason: String }
        => record_event: engine.record_event(&case, &request, kind, &reason);
    /// Lists cases, newest first, filtered and searched.
    List(query: ListQuery) => list -> Vec<CaseSummary> = Cases: engine.list(&query);
    /// Households on file that may be the one being registered.
    FindDuplicates { name: String, civil_id: String, phone: String }
        => find_duplicates -> Vec<DuplicateCandidate> = Duplicates
        : engine.find_duplicates(&name, &civil_id, &phone);
    /// The households on this device (but `except`) with a member holding this civil ID.
    CivilIdHolders { civil_id: String, except: Option<CaseId> }
        => civil_id_holders -> Vec<CivilIdHolder> = Holders
        : engine.civil_id_holders(&civil_id, except.as_ref());
    /// Captures a photo and attaches it to a case (and to a request, when given).
    AttachPhoto {
        case: CaseId,
        bytes: Vec<u8>,
        kind: DocumentKind,
        member: Option<MemberId>,
        request: Option<RequestId>,
        expires_on: Option<Date>,
    } => attach_photo -> AttachedPhoto = Photo
        : engine.attach_photo(&case, &bytes, kind, member, request, expires_on);
    /// A stored blob (photo or thumbnail) by its hash.
    Blob(sha256: String) => blob -> Option<Vec<u8>> = Blob: engine.blob(&sha256);
    /// Storage use.
    Stats => stats -> StorageStats = Stats: engine.stats();
    /// The next sync request.
    PrepareSync { page: u32 } => prepare_sync -> SyncRequest = SyncRequest
        : engine.prepare_sync(page);
    /// Applies the server's answer to the last sync request.
    ApplySync(response: SyncResponse) => apply_sync -> SyncSummary = SyncApplied
        : engine.apply_sync(response);
    /// Local changes the server refused.
    RefusedChanges => refused_changes -> Vec<RefusedLocal> = Refused: engine.refused_changes();
    /// Photos not yet confirmed on the server.
    PendingBlobs => pending_blobs -> Vec<String> = Blobs: engine.pending_blobs();
    /// Records that the server has a blob.
    MarkUploaded(sha256: String) => mark_uploaded: engine.mark_uploaded(&sha256);
    /// Thumbnails of this device's cases that are not stored here and are due a try.
    WantedThumbnails { limit: u32 } => wanted_thumbnails -> Vec<String> = Blobs
        : engine.wanted_thumbnails(limit);
    /// Keeps a photo or thumbnail fetched from the server once its bytes match its SHA-256.
    SaveFetchedBlob { sha256: String, bytes: Vec<u8> } => save_fetched_blob
        : engine.save_fetched_blob(&sha256, &bytes);
    /// Records that a blob could not be fetched now (tried again later).
    BlobFetchFailed(sha256: String) => blob_fetch_failed: engine.blob_fetch_failed(&sha256);
    /// Passes an event to every listener (the sync transport reports its state this way).
    Announce(event: Event) => announce: {
        engine.push_event(event);
        Ok(())
    };
    /// Remembers the server and this device's token after a sign-in.
    SaveCredentials(credentials: Credentials) => save_credentials
        : engine.save_credentials(&credentials);
    /// The stored server and token, if signed in.
    Credentials => credentials -> Option<Credentials> = Credentials: engine.credentials();
    /// Forgets the token and the session (sign-out, or a revoked device). Case files stay.
    SignOut => sign_out: engine.sign_out();
    /// Every local change the server has not acknowledged (a revoked device hands it over).
    UnsentWork => unsent_work -> Vec<PushDoc> = Pushes: engine.unsent_work();
    /// Removes every case file, photo and the token (a revoked device, after handing over).
    Wipe => wipe: engine.wipe();
    /// How the app is read on this device (language, digits); the defaults when never set.
    Preferences => preferences -> Preferences = Preferences: engine.preferences();
    /// Keeps how the app is read on this device.
    SavePreferences(preferences: Preferences) => save_preferences
        : engine.save_preferences(&preferences);
    /// The reference documents HQ published.
    Library => library -> Library = Library: engine.library();
    /// Keeps the reference documents HQ published.
    SaveLibrary(library: Library) => save_library: engine.save_library(&library);
}
