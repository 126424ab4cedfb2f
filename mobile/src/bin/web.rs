//! The field app as an installable web app (issue 7): this page runs the Dioxus UI; the device
//! engine runs in a dedicated Web Worker (`worker.js`, crate `mandoob-web-worker`) with SQLite
//! on OPFS, behind the same async `EngineHandle` as the native engine thread. Built by
//! `web/build.sh` (cargo for wasm32 plus wasm-bindgen) and served by the HQ server at `/app/`.

#[cfg(target_arch = "wasm32")]
fn main() {
    wasm_bindgen_futures::spawn_local(start());
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("mandoob-web is the browser build of the app: build it with web/build.sh");
    std::process::exit(2);
}

#[cfg(target_arch = "wasm32")]
async fn start() {
    use dioxus::prelude::*;
    use mandoob_engine::handle::EngineHandle;
    use mandoob_mobile::backend::Backend;
    use mandoob_mobile::platform::{HomeServer, Renderer};
    use mandoob_mobile::ui::{App, Unavailable, UnavailableProps};

    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    let started = match EngineHandle::start_worker("./worker.js").await {
        Ok(engine) => Backend::new(engine).await.map_err(|e| e.to_string()),
        Err(reason) => Err(reason),
    };
    let vdom = match started {
        Ok(backend) => VirtualDom::new(App)
            .with_root_context(backend)
            .with_root_context(Renderer::Web)
            .with_root_context(HomeServer(origin)),
        Err(reason) => VirtualDom::new_with_props(Unavailable, UnavailableProps { reason }),
    };
    dioxus::web::launch::launch_virtual_dom(vdom, dioxus::web::Config::new());
}
