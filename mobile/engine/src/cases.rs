//! The case commands: register a household, edit a case file, resolve a conflict, record a
//! workflow step, attach a photo, and the commands of user actions that change several things
//! (save the interview, refer, deliver a service, sign the declaration, keep both values).
//! Each is one SQLite transaction (one automerge change, but for keeping both values of a
//! conflict: the choice and the note): all of it is written, or nothing.

use mandoob_shared::doc::{CaseDoc, FieldPath};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::validate;
use mandoob_shared::workflow::{self, EventKind};

use crate::capture;
use crate::engine::Engine;
use crate::protocol::{AttachedPhoto, Edit, EngineError, Event, NewHousehold, OpenCase};
use crate::search::index_row;
use crate::store::{self, StoreError, blobs, settings};

impl Engine {
    /// Registers a new household. Refuses with the candidates when a household with the same
    /// civil ID, or a similar name and phone, is already on file, unless `not_a_duplicate`.
    pub fn create_case(&mut self, new: NewHousehold) -> Result<CaseId, EngineError> {
        let author = self.author()?;
        let session = self.session.clone().ok_or(EngineError::NoSession)?;
        if !new.not_a_duplicate {
            let found =
                self.find_duplicates(&new.head.name_ar, &new.head.civil_id, &new.head.phone)?;
            let found: Vec<_> = if new.head.name_en.trim().is_empty() {
                found
            } else {
                let mut all = found;
                for c in
                    self.find_duplicates(&new.head.name_en, &new.head.civil_id, &new.head.phone)?
                {
                    if !all.iter().any(|a| a.case.id == c.case.id) {
                        all.push(c);
                    }
                }
                all
            };
            if !found.is_empty() {
                return Err(EngineError::PossibleDuplicates(found));
            }
        }
        // Everything that can be checked offline, before anything is written: the head's
        // fields, and that the head is an adult.
        let today = self.today();
        let mut errors = validate::member(&new.head, today);
        errors.extend(validate::head_minor(&new.head, today));
        if !errors.is_empty() {
            return Err(EngineError::Invalid(errors));
        }
        let mut head = new.head;
        head.relation = Relation::Head;
        let tx_session = session.clone();
        let case_id = self.store.transaction(|tx| {
            let seq = settings::get(tx, settings::CASE_SEQUENCE)?.unwrap_or(0) + 1;
            settings::set(tx, settings::CASE_SEQUENCE, &seq)?;
            let reference =
                CaseReference::compose(&tx_session.branch, &tx_session.device, seq as u32);
            let mut case = CaseFile::new(
                reference,
                tx_session.branch.clone(),
                author.user.clone(),
                author.at,
            );
            case.household.members.push(head);
            case.household.address = new.address;
            let mut doc = CaseDoc::create(&case, &author)?;
            // A document with one change has no concurrent values.
            let row = index_row(&case, false, &self.sla, true);
            store::write_index(tx, &row)?;
            store::write_snapshot(tx, case.id.as_str(), &mut doc)?;
            Ok((case.id, doc))
        })?;
        let (id, doc) = case_id;
        self.cache_put(id.as_str().to_owned(), doc);
        self.events.push(Event::CaseChanged(id.clone()));
        Ok(id)
    }

    /// Applies `f` to a case as one change and one transaction. The document is only kept
    /// (cached) when the transaction commits; on any error the stored case is unchanged.
    fn change_case(
        &mut self,
        id: &CaseId,
        f: impl FnOnce(&mut CaseFile),
    ) -> Result<(), EngineError> {
        self.change_case_with(id, f, |_| Ok(()))
    }

    /// [`Self::change_case`], with more writes (`also`) in the same transaction.
    fn change_case_with(
        &mut self,
        id: &CaseId,
        f: impl FnOnce(&mut CaseFile),
        also: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<(), EngineError> {
        let author = self.author()?;
        let mut doc = self.cache_take(id.as_str())?;
        let before = doc.clone();
        let heads = doc.heads();
        let result = (|| -> Result<bool, EngineError> {
            // What the server would refuse as a rewrite of history is not written here either.
            let mut frozen = None;
            let edited = doc.edit(&author, |c| {
                let before = c.clone();
                f(c);
                if let Err(v) = mandoob_shared::history::check(&before, c) {
                    *c = before;
                    frozen = Some(v);
                }
            })?;
            if let Some(v) = frozen {
                return Err(EngineError::Frozen(v.message));
            }
            let Some(case) = edited else {
                return Ok(false);
            };
            let changes = doc.changes_since(&heads);
            let row = index_row(&case, doc.has_conflicts()?, &self.sla, true);
            self.store.transaction(|tx| {
                also(tx)?;
                store::append_changes(tx, id.as_str(), &changes, &mut doc)?;
                store::write_index(tx, &row)?;
                Ok(())
            })?;
            Ok(true)
        })();
        match result {
            Ok(changed) => {
                self.cache_put(id.as_str().to_owned(), doc);
                if changed {
                    self.events.push(Event::CaseChanged(id.clone()));
                }
                Ok(())
            }
            Err(e) => {
                self.cache_put(id.as_str().to_owned(), before);
                Err(e)
            }
        }
    }

    /// Applies a field-level edit.
    pub fn edit(&mut self, id: &CaseId, edit: Edit) -> Result<(), EngineError> {
        self.check_edit(&edit)?;
        self.check_in_case(id, std::slice::from_ref(&edit))?;
        self.change_case(id, move |c| apply_edit(c, edit))
    }

    /// Refuses an edit that would store what the form should have refused: an invalid member
    /// (civil ID, phone, birth date; a head must be an adult), an address without its
    /// governorate, an income or expense line of no amount, an empty or out-of-range survey.
    /// Nothing is written.
    fn check_edit(&self, edit: &Edit) -> Result<(), EngineError> {
        let errors = match edit {
            Edit::AddSurvey(s) => validate::survey(s),
            Edit::SetAddress(a) => validate::address(a),
            Edit::UpsertIncome(l) => validate::money_line(l, "income"),
            Edit::UpsertExpense(l) => validate::money_line(l, "expenses"),
            Edit::UpsertMember(m) => {
                let mut errors = validate::member(m, self.today());
                if m.relation == Relation::Head {
                    errors.extend(validate::head_minor(m, self.today()));
                }
                errors
            }
            _ => Vec::new(),
        };
        if errors.is_empty() {
            Ok(())
        } else {
            Err(EngineError::Invalid(errors))
        }
    }

    /// Refuses a member whose civil ID another member of the same household has (the same
    /// civil ID in another household is only a warning: see `civil_id_holders`), and the
    /// removal of the head or of a member who signed a declaration.
    fn check_in_case(&mut self, id: &CaseId, edits: &[Edit]) -> Result<(), EngineError> {
        if !edits
            .iter()
            .any(|e| matches!(e, Edit::UpsertMember(_) | Edit::RemoveMember(_)))
        {
            return Ok(());
        }
        let case = self.open_case(id)?.case;
        let today = self.today();
        let errors: Vec<_> = edits
            .iter()
            .filter_map(|e| match e {
                Edit::UpsertMember(m) => validate::civil_id_repeated(&case, m, today),
                Edit::RemoveMember(m) => validate::member_removal(&case, m),
                _ => None,
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(EngineError::Invalid(errors))
        }
    }

    /// Opens a case: the case file, its conflicts and its requests' derived states.
    pub fn open_case(&mut self, id: &CaseId) -> Result<OpenCase, EngineError> {
        let mut doc = self.cache_take(id.as_str())?;
        let result = (|| {
            let case = doc.hydrate()?;
            let conflicts = doc.conflicts()?;
            let requests = workflow::derive(&case);
            Ok::<_, EngineError>(OpenCase {
                case,
                conflicts,
                requests,
            })
        })();
        self.cache_put(id.as_str().to_owned(), doc);
        result
    }

    /// Resolves a same-field conflict with the chosen value.
    pub fn resolve_conflict(
        &mut self,
        id: &CaseId,
        path: &FieldPath,
        value: &serde_json::Value,
    ) -> Result<(), EngineError> {
        self.resolve_then(id, path, value, |_| {})
    }

    /// Resolves a conflict, then applies `also` to the case, as one transaction.
    fn resolve_then(
        &mut self,
        id: &CaseId,
        path: &FieldPath,
        value: &serde_json::Value,
        also: impl FnOnce(&mut CaseFile),
    ) -> Result<(), EngineError> {
        let author = self.author()?;
        let mut doc = self.cache_take(id.as_str())?;
        let before = doc.clone();
        let heads = doc.heads();
        let result = (|| -> Result<(), EngineError> {
            doc.resolve(path, value, &author)?;
            doc.edit(&author, also)?;
            let changes = doc.changes_since(&heads);
            let (case, conflicts) = doc.read_with_conflicts()?;
            let row = index_row(&case, conflicts, &self.sla, true);
            self.store.transaction(|tx| {
                store::append_changes(tx, id.as_str(), &changes, &mut doc)?;
                store::write_index(tx, &row)
            })?;
            Ok(())
        })();
        match result {
            Ok(()) => {
                self.cache_put(id.as_str().to_owned(), doc);
                self.events.push(Event::CaseChanged(id.clone()));
                Ok(())
            }
            Err(e) => {
                self.cache_put(id.as_str().to_owned(), before);
                Err(e)
            }
        }
    }

    /// Records a workflow step by the signed-in user. A submission is validated first (policy
    /// step 2: verify the data at the time of submission).
    pub fn record_event(
        &mut self,
        id: &CaseId,
        request: &RequestId,
        kind: EventKind,
        reason: &str,
    ) -> Result<(), EngineError> {
        let case = self.open_case(id)?.case;
        let event = self.step(&case, request, kind, reason)?;
        self.change_case(id, move |c| c.events.push(event))
    }

    /// The workflow step `kind` on `request` of `case` by the signed-in user, if the request's
    /// state allows it (and, for a submission, the case passes the submission check).
    fn step(
        &self,
        case: &CaseFile,
        request: &RequestId,
        kind: EventKind,
        reason: &str,
    ) -> Result<WorkflowEvent, EngineError> {
        let author = self.author()?;
        let role = self.session.as_ref().ok_or(EngineError::NoSession)?.role;
        let states = workflow::derive(case);
        let state = states
            .iter()
            .find(|s| &s.request == request)
            .ok_or(EngineError::NoSuchRequest)?;
        let event = WorkflowEvent {
            id: EventId::generate(),
            kind,
            request: request.clone(),
            actor: author.user.clone(),
            role,
            at: author.at,
            reason: reason.trim().to_owned(),
            grant: None,
        };
        state.check(&event).map_err(EngineError::Refused)?;
        // The committee reads the answer with the resubmission: it is never sent empty.
        if kind == EventKind::InfoProvided && event.reason.is_empty() {
            return Err(EngineError::Refused(workflow::Refusal::ReasonRequired));
        }
        if matches!(kind, EventKind::Submitted | EventKind::InfoProvided) {
            validate::submission(case, request, &self.catalog, self.today())
                .map_err(EngineError::Invalid)?;
        }
        Ok(event)
    }

    /// Several edits of one user action (saving the interview: the request and the household
    /// notes) as one change and one transaction: all of them are written, or none.
    pub fn edit_all(&mut self, id: &CaseId, edits: Vec<Edit>) -> Result<(), EngineError> {
        for edit in &edits {
            self.check_edit(edit)?;
        }
        self.check_in_case(id, &edits)?;
        self.change_case(id, move |c| {
            for edit in edits {
                apply_edit(c, edit);
            }
        })
    }

    /// Refers a case to the social-research officer: the referral and, when it is about a
    /// request, the request's "referred" step, in one transaction.
    pub fn refer(&mut self, id: &CaseId, referral: Referral) -> Result<(), EngineError> {
        let mut case = self.open_case(id)?.case;
        let question = referral.question.clone();
        let request = referral.request.clone();
        upsert(&mut case.referrals, referral.clone(), |a, b| a.id == b.id);
        let event = match &request {
            Some(r) => Some(self.step(&case, r, EventKind::Referred, &question)?),
            None => None,
        };
        self.change_case(id, move |c| {
            upsert(&mut c.referrals, referral, |a, b| a.id == b.id);
            c.events.extend(event);
        })
    }

    /// Records a service delivered and, when it is for a request whose state allows it (the
    /// family registered), the request's "service delivered" step, in one transaction.
    pub fn deliver_service(
        &mut self,
        id: &CaseId,
        service: ServiceRecord,
    ) -> Result<(), EngineError> {
        let case = self.open_case(id)?.case;
        // A service may be given before the request's registration (in kind, urgently): it is
        // recorded, and the step is left for when the workflow allows it.
        let event = service
            .request
            .as_ref()
            .and_then(|r| self.step(&case, r, EventKind::ServiceDelivered, "").ok());
        self.change_case(id, move |c| {
            upsert(&mut c.services, service, |a, b| a.id == b.id);
            c.events.extend(event);
        })
    }

    /// Signs a request's declaration (policy: the applicant signs that the data is true): the
    /// drawn signature captured as a document and the declaration that points to it, in one
    /// transaction.
    pub fn sign_declaration(
        &mut self,
        id: &CaseId,
        request: &RequestId,
        signed_by: MemberId,
        signature_png: &[u8],
        text_version: String,
    ) -> Result<AttachedPhoto, EngineError> {
        let case = self.open_case(id)?.case;
        if !case.requests.iter().any(|r| &r.id == request) {
            return Err(EngineError::NoSuchRequest);
        }
        let request = request.clone();
        let signer = signed_by.clone();
        self.attach_with(
            id,
            signature_png,
            DocumentKind::Signature,
            Some(signed_by),
            None,
            None,
            move |c, document, at| {
                if let Some(r) = c.requests.iter_mut().find(|r| r.id == request) {
                    r.declaration = Some(Declaration {
                        signed_by: signer,
                        signature: document.clone(),
                        signed_at: at,
                        text_version,
                    });
                }
            },
        )
    }

    /// Keeps both of a field's concurrent values: `keep` stays in the field and the household
    /// notes get `notes` (which names the others): two changes (a resolution is a change of its
    /// own), in one transaction.
    pub fn keep_both(
        &mut self,
        id: &CaseId,
        path: &FieldPath,
        keep: &serde_json::Value,
        notes: String,
    ) -> Result<(), EngineError> {
        self.resolve_then(id, path, keep, move |c| c.household.notes = notes)
    }

    /// Captures a photo and attaches it to a case (and to a request, when given). A photo
    /// that cannot be used changes nothing.
    pub fn attach_photo(
        &mut self,
        id: &CaseId,
        bytes: &[u8],
        kind: DocumentKind,
        member: Option<MemberId>,
        request: Option<RequestId>,
        expires_on: Option<Date>,
    ) -> Result<AttachedPhoto, EngineError> {
        self.attach_with(id, bytes, kind, member, request, expires_on, |_, _, _| {})
    }

    /// [`Self::attach_photo`], with `also` applied to the case in the same change (given the
    /// new document's id and the time).
    #[allow(clippy::too_many_arguments)]
    fn attach_with(
        &mut self,
        id: &CaseId,
        bytes: &[u8],
        kind: DocumentKind,
        member: Option<MemberId>,
        request: Option<RequestId>,
        expires_on: Option<Date>,
        also: impl FnOnce(&mut CaseFile, &DocumentId, Timestamp),
    ) -> Result<AttachedPhoto, EngineError> {
        let author = self.author()?;
        if !self.store.has_case(id.as_str())? {
            return Err(EngineError::NoSuchCase);
        }
        let shot = capture::capture(bytes, &self.capture)?;
        let meta = DocumentMeta {
            id: DocumentId::generate(),
            kind,
            member,
            sha256: shot.sha256.clone(),
            thumbnail_sha256: shot.thumbnail_sha256.clone(),
            bytes: shot.jpeg.len() as u64,
            width: u64::from(shot.width),
            height: u64::from(shot.height),
            captured_at: author.at,
            captured_by: author.user.clone(),
            expires_on,
        };
        let document = meta.id.clone();
        // The photo, its thumbnail and the document's metadata land in one transaction.
        let now = author.at.millis();
        let now_at = author.at;
        let req = request.clone();
        let doc_id = document.clone();
        let (jpeg, thumb) = (&shot.jpeg, &shot.thumbnail);
        let (sha, thumb_sha) = (&shot.sha256, &shot.thumbnail_sha256);
        self.change_case_with(
            id,
            move |c| {
                c.documents.push(meta);
                if let Some(req) = req
                    && let Some(r) = c.requests.iter_mut().find(|r| r.id == req)
                {
                    r.documents.push(doc_id.clone());
                }
                also(c, &doc_id, now_at);
            },
            |tx| {
                blobs::put_jpeg(tx, sha, jpeg, now)?;
                blobs::put_jpeg(tx, thumb_sha, thumb, now)
            },
        )?;
        Ok(AttachedPhoto {
            document,
            sha256: shot.sha256,
            bytes: shot.jpeg.len() as u64,
            warnings: shot.warnings,
        })
    }
}

fn upsert<T>(list: &mut Vec<T>, item: T, same: impl Fn(&T, &T) -> bool) {
    match list.iter_mut().find(|x| same(x, &item)) {
        Some(slot) => *slot = item,
        None => list.push(item),
    }
}

fn apply_edit(c: &mut CaseFile, edit: Edit) {
    match edit {
        Edit::UpsertMember(m) => upsert(&mut c.household.members, m, |a, b| a.id == b.id),
        Edit::RemoveMember(id) => c.household.members.retain(|m| m.id != id),
        Edit::SetAddress(a) => c.household.address = a,
        Edit::SetHousing(h) => c.household.housing = h,
        Edit::SetHouseholdNotes(n) => c.household.notes = n,
        Edit::UpsertIncome(l) => upsert(&mut c.household.income, l, |a, b| a.id == b.id),
        Edit::RemoveIncome(id) => c.household.income.retain(|l| l.id != id),
        Edit::UpsertExpense(l) => upsert(&mut c.household.expenses, l, |a, b| a.id == b.id),
        Edit::RemoveExpense(id) => c.household.expenses.retain(|l| l.id != id),
        Edit::UpsertRequest(r) => upsert(&mut c.requests, r, |a, b| a.id == b.id),
        Edit::UpsertVisit(v) => upsert(&mut c.visits, v, |a, b| a.id == b.id),
        Edit::SetVisitAnswer {
            visit,
            question,
            answer,
        } => {
            if let Some(v) = c.visits.iter_mut().find(|v| v.id == visit) {
                v.answers.insert(question, answer);
            }
        }
        Edit::UpsertContact(e) => upsert(&mut c.contacts, e, |a, b| a.id == b.id),
        Edit::UpsertReferral(r) => upsert(&mut c.referrals, r, |a, b| a.id == b.id),
        Edit::AddService(s) => upsert(&mut c.services, s, |a, b| a.id == b.id),
        Edit::AddSurvey(s) => upsert(&mut c.surveys, s, |a, b| a.id == b.id),
    }
}
