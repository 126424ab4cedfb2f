//! `mandoob-engine-writer DB FIRST LAST`: writes edits FIRST..=LAST into the store at DB and
//! prints `ack N` after each edit's call has returned. The crash test kills it at random
//! moments and checks that every acknowledged edit survived; it is also a quick way to put
//! write load on a device database.

use std::io::Write;

use mandoob_engine::engine::{Edit, Engine, ListQuery, NewHousehold, Session};
use mandoob_shared::ids::*;
use mandoob_shared::model::*;
use mandoob_shared::workflow::Role;

const CASES: usize = 10;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, db, first, last] = args.as_slice() else {
        return Err("usage: mandoob-engine-writer DB FIRST LAST".into());
    };
    let (first, last): (u64, u64) = (first.parse()?, last.parse()?);
    let mut engine = Engine::open(std::path::Path::new(db)).map_err(|e| e.to_string())?;
    engine
        .set_session(Session {
            user: UserId::new("writer"),
            role: Role::Representative,
            branch: BranchCode::new("QRN"),
            device: DeviceCode::new("W1"),
        })
        .map_err(|e| e.to_string())?;
    let mut cases: Vec<CaseId> = engine
        .list(&ListQuery {
            limit: 100,
            ..ListQuery::default()
        })
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|c| c.id)
        .collect();
    cases.sort();
    while cases.len() < CASES {
        let id = engine
            .create_case(NewHousehold {
                head: Member::new(format!("أسرة {}", cases.len()), Relation::Head),
                address: Address::default(),
                not_a_duplicate: true,
            })
            .map_err(|e| e.to_string())?;
        cases.push(id);
        cases.sort();
    }
    let out = std::io::stdout();
    for n in first..=last {
        let case = &cases[(n as usize) % CASES];
        let entry = ContactEntry {
            id: ContactId::generate(),
            channel: Channel::Phone,
            direction: Direction::Outbound,
            at: Timestamp::now(),
            by: UserId::new("writer"),
            summary: format!("edit {n}"),
            follow_up_on: None,
            follow_up_done: false,
        };
        engine
            .edit(case, Edit::UpsertContact(entry))
            .map_err(|e| e.to_string())?;
        let mut lock = out.lock();
        writeln!(lock, "ack {n}")?;
        lock.flush()?;
    }
    Ok(())
}
