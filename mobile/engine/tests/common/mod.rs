//! What the engine's test files share: the signed-in representative and a draft request.
//! (Each test file is its own crate and uses part of this.)
#![allow(dead_code)]

use mandoob_engine::engine::{Engine, Session};
use mandoob_shared::ids::{BranchCode, DeviceCode, RequestId, UserId};
use mandoob_shared::model::{RequestType, SupportRequest};
use mandoob_shared::workflow::Role;

/// The session of user `rep-7` of branch QRN on device A7, in `role`.
pub fn session(role: Role) -> Session {
    Session {
        user: UserId::new("rep-7"),
        role,
        branch: BranchCode::new("QRN"),
        device: DeviceCode::new("A7"),
    }
}

/// An in-memory engine with the representative signed in.
pub fn engine() -> Engine {
    let mut e = Engine::in_memory().expect("engine");
    e.set_session(session(Role::Representative))
        .expect("session");
    e
}

/// A draft request for a food basket, with nothing attached.
pub fn food_basket() -> SupportRequest {
    SupportRequest {
        id: RequestId::generate(),
        kind: RequestType::FoodBasket,
        amount: None,
        reason: "الأسرة بحاجة إلى سلة غذائية".into(),
        documents: Vec::new(),
        declaration: None,
    }
}
