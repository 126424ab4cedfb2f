//! The case commands: register a household, edit a case file, resolve a conflict, record a
//! workflow step, attach a photo. Each is one automerge change and one SQLite transaction.

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
        let errors = validate::member(&new.head, self.today());
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
        if let Edit::AddSurvey(s) = &edit {
            let errors = validate::survey(s);
            if !errors.is_empty() {
                return Err(EngineError::Invalid(errors));
            }
        }
        self.change_case(id, move |c| apply_edit(c, edit))
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
        let author = self.author()?;
        let mut doc = self.cache_take(id.as_str())?;
        let before = doc.clone();
        let heads = doc.heads();
        let result = (|| -> Result<(), EngineError> {
            doc.resolve(path, value, &author)?;
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
        let author = self.author()?;
        let role = self.session.as_ref().ok_or(EngineError::NoSession)?.role;
        let opened = self.open_case(id)?;
        let state = opened
            .requests
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
        };
        state.check(&event).map_err(EngineError::Refused)?;
        if matches!(kind, EventKind::Submitted | EventKind::InfoProvided) {
            validate::submission(&opened.case, request, &self.catalog, self.today())
                .map_err(EngineError::Invalid)?;
        }
        self.change_case(id, move |c| c.events.push(event))
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
                    r.documents.push(doc_id);
                }
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
