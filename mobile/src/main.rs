//! The field app on the desktop (development, branch-office PCs) and, through `dx`, on phones.

use mandoob_engine::handle::{EngineHandle, Location};
use mandoob_mobile::backend::Backend;
use mandoob_mobile::platform::Renderer;
use mandoob_mobile::ui::App;

fn main() {
    let path = mandoob_mobile::default_database();
    let (engine, _thread) = match EngineHandle::start(Location::File(path.clone())) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot open the device database {}: {e}", path.display());
            std::process::exit(1);
        }
    };
    let backend = match futures_executor::block_on(Backend::new(engine)) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot start: {e}");
            std::process::exit(1);
        }
    };
    let builder = dioxus::LaunchBuilder::new()
        .with_context(backend)
        .with_context(Renderer::Native);
    #[cfg(feature = "desktop")]
    let builder = builder.with_cfg(
        dioxus::desktop::Config::new().with_window(
            dioxus::desktop::WindowBuilder::new()
                .with_title("مندوب")
                .with_inner_size(dioxus::desktop::LogicalSize::new(400.0, 760.0)),
        ),
    );
    builder.launch(App);
}
