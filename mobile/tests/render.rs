//! Server-side renders of the app's first screens (dioxus-ssr), without a window.

use dioxus::prelude::*;
use mandoob_engine::handle::{EngineHandle, Location};
use mandoob_mobile::backend::Backend;
use mandoob_mobile::platform::Renderer;
use mandoob_mobile::ui::App;

fn render(backend: Backend) -> String {
    let mut dom = VirtualDom::new(App)
        .with_root_context(backend)
        .with_root_context(Renderer::Native);
    dom.rebuild_in_place();
    dioxus_ssr::render(&dom)
}

#[tokio::test]
async fn a_new_device_opens_on_sign_in_in_arabic_right_to_left() {
    let (engine, _thread) = EngineHandle::start(Location::Memory).expect("engine");
    let backend = Backend::new(engine).await.expect("backend");
    assert!(!backend.signed_in());
    let html = render(backend);
    assert!(html.contains(r#"dir="rtl""#), "{html}");
    assert!(html.contains(r#"lang="ar""#));
    assert!(html.contains("تسجيل الدخول على هذا الجهاز"), "{html}");
    assert!(html.contains(r#"id="signin""#));
    // No navigation before sign-in.
    assert!(!html.contains(r#"id="nav-cases""#));
}

#[tokio::test]
async fn a_signed_in_device_opens_on_its_cases_offline() {
    use mandoob_engine::engine::{Command, Credentials, Session};
    use mandoob_shared::ids::{BranchCode, DeviceCode, UserId};
    use mandoob_shared::workflow::Role;
    let (engine, _thread) = EngineHandle::start(Location::Memory).expect("engine");
    engine
        .call(Command::SetSession(Session {
            user: UserId::new("rep1"),
            role: Role::Representative,
            branch: BranchCode::new("QRN"),
            device: DeviceCode::new("D1"),
        }))
        .await
        .expect("session");
    // A server that is not there: the app must still open.
    engine
        .call(Command::SaveCredentials(Credentials {
            server: "http://127.0.0.1:9".into(),
            token: "t".into(),
            username: "rep1".into(),
            display_name: "مندوب".into(),
        }))
        .await
        .expect("credentials");
    let backend = Backend::new(engine).await.expect("backend");
    assert!(backend.signed_in());
    let html = render(backend);
    assert!(html.contains(r#"id="nav-cases""#), "{html}");
    assert!(html.contains("ملفات الأسر"), "{html}");
    assert!(html.contains(r#"id="search""#));
}

#[test]
fn a_tab_that_cannot_open_the_data_says_why_in_both_languages() {
    use mandoob_mobile::ui::{Unavailable, UnavailableProps};
    let mut dom = VirtualDom::new_with_props(
        Unavailable,
        UnavailableProps {
            reason: "the app's storage is in use by another tab".into(),
        },
    );
    dom.rebuild_in_place();
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains(r#"id="unavailable""#), "{html}");
    assert!(html.contains("لا يمكن فتح التطبيق في هذه النافذة"), "{html}");
    assert!(
        html.contains("The app cannot open in this window"),
        "{html}"
    );
    assert!(html.contains("in use by another tab"), "{html}");
}

#[tokio::test]
async fn the_sign_in_proposes_the_server_the_app_came_from() {
    use mandoob_mobile::platform::HomeServer;
    let (engine, _thread) = EngineHandle::start(Location::Memory).expect("engine");
    let backend = Backend::new(engine).await.expect("backend");
    let mut dom = VirtualDom::new(App)
        .with_root_context(backend)
        .with_root_context(Renderer::Native)
        .with_root_context(HomeServer("https://hq.example:8443".into()));
    dom.rebuild_in_place();
    let html = dioxus_ssr::render(&dom);
    assert!(html.contains("https://hq.example:8443"), "{html}");
}
