//! The desktop app opens under Xvfb and draws its first screen; a screenshot is kept in
//! `target/screenshots/desktop/sign-in.png`.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn desktop_app_opens_under_xvfb() -> Result<(), Box<dyn std::error::Error>> {
    for tool in ["xvfb-run", "import"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()?
            .status
            .success();
        assert!(
            found,
            "{tool} is not installed (.ci/run installs xvfb and imagemagick)"
        );
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out_dir = root.join("target/screenshots/desktop");
    std::fs::create_dir_all(&out_dir)?;
    let shot = out_dir.join("sign-in.png");
    let _ = std::fs::remove_file(&shot);
    let db = std::env::temp_dir().join(format!(
        "mandoob-desktop-smoke-{}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&db);
    // The app runs for a few seconds in a virtual display; the screen is captured, then it is
    // stopped. Any crash before the capture leaves no screenshot.
    let script = format!(
        "\"{app}\" & pid=$!; \
         for i in $(seq 1 16); do sleep 0.5; kill -0 $pid 2>/dev/null || exit 3; done; \
         import -window root \"{shot}\"; kill $pid; wait $pid 2>/dev/null; exit 0",
        app = env!("CARGO_BIN_EXE_mandoob"),
        shot = shot.display()
    );
    let status = Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 400x760x24", "sh", "-c", &script])
        .env("MANDOOB_DEVICE_DB", &db)
        .env("LANG", "C.UTF-8")
        .status()?;
    let _ = std::fs::remove_file(&db);
    assert!(
        status.success(),
        "the app did not stay up under Xvfb: {status}"
    );
    let img = image::open(&shot)?.to_rgb8();
    // Not a blank screen: the app drew text and buttons (many distinct colours).
    let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 20,
        "the screenshot looks blank ({} colours)",
        colours.len()
    );
    Ok(())
}
