//! What differs between renderers, behind one small interface.
//!
//! Photos: the desktop and web renderers hand a picked file's bytes over with the `change`
//! event. Dioxus liveview (0.7.10) does not carry file contents over its websocket, and its
//! fallback reads a file *of the same name on the server*: so under liveview the bytes are read
//! in the page and returned through `eval`. Native Android/iOS need a camera plugin (Dioxus
//! 0.7.10 intercepts file inputs there for a dialog that is not implemented; see
//! PLATFORM.md): that renderer reports photos as unavailable until the plugin exists.

use base64::Engine as _;
use dioxus::prelude::*;

/// How this renderer gets a picked photo's bytes. Provided as root context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renderer {
    /// Desktop webview: files come with the event.
    Native,
    /// Dioxus liveview: read in the page.
    Liveview,
    /// The installable web app (wasm, engine in a Web Worker): files come with the event; the
    /// browser decides how long the data is kept ([`browser_storage`]).
    Web,
}

/// The server a new sign-in proposes. The web app proposes the address it was loaded from;
/// provided as root context there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeServer(pub String);

impl Default for HomeServer {
    fn default() -> Self {
        Self("http://127.0.0.1:8080".into())
    }
}

/// What the browser says of the web app's storage.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct BrowserStorage {
    /// Whether the browser promised not to clear the data when space runs low.
    pub persisted: bool,
    /// Bytes this origin uses (database, cached app files).
    pub usage: Option<f64>,
    pub quota: Option<f64>,
}

/// Asks the browser to keep the app's data (`navigator.storage.persist()`, which browsers
/// grant silently or after a prompt) and reports what it uses. `None` where the browser has
/// no storage manager.
pub async fn browser_storage() -> Option<BrowserStorage> {
    let script = r#"const s = navigator.storage;
        if (!s || !s.estimate) return null;
        let persisted = s.persisted ? await s.persisted() : false;
        if (!persisted && s.persist) { try { persisted = await s.persist(); } catch (e) {} }
        const e = await s.estimate();
        return { persisted, usage: e.usage ?? null, quota: e.quota ?? null };"#;
    document::eval(script)
        .join::<Option<BrowserStorage>>()
        .await
        .ok()
        .flatten()
}

/// The most a picked file may be (the capture pipeline refuses anything larger anyway).
pub const MAX_PICKED_BYTES: usize = 40 * 1024 * 1024;

/// The bytes of the file picked in the `<input type=file id=input_id>` of `event`.
pub async fn picked_file(
    renderer: Renderer,
    event: &FormEvent,
    input_id: &str,
) -> Result<Option<Vec<u8>>, String> {
    match renderer {
        Renderer::Native | Renderer::Web => {
            let Some(file) = event.files().into_iter().next() else {
                return Ok(None);
            };
            if file.size() as usize > MAX_PICKED_BYTES {
                return Err("too-large".into());
            }
            file.read_bytes()
                .await
                .map(|b| Some(b.to_vec()))
                .map_err(|e| e.to_string())
        }
        Renderer::Liveview => read_in_page(input_id).await,
    }
}

async fn read_in_page(input_id: &str) -> Result<Option<Vec<u8>>, String> {
    // The id is ours (alphanumeric and dashes), never user text; JSON-quote it anyway.
    let id = serde_json::to_string(input_id).map_err(|e| e.to_string())?;
    let script = format!(
        r#"const el = document.getElementById({id});
        const f = el && el.files && el.files[0];
        if (!f) return null;
        if (f.size > {max}) return "too-large";
        const buf = new Uint8Array(await f.arrayBuffer());
        let s = "";
        for (let i = 0; i < buf.length; i += 0x8000) {{
            s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
        }}
        el.value = "";
        return btoa(s);"#,
        max = MAX_PICKED_BYTES
    );
    let value: Option<String> = document::eval(&script)
        .join()
        .await
        .map_err(|e| e.to_string())?;
    match value.as_deref() {
        None => Ok(None),
        Some("too-large") => Err("too-large".into()),
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map(Some)
            .map_err(|e| e.to_string()),
    }
}

/// Waits until a new version of the web app is installed and waiting beside the running one
/// (`web/static/boot.js` registers the service worker); `false` at once where there is none.
pub async fn update_available() -> bool {
    document::eval("if (!window.mandoobUpdate) return false; return await window.mandoobUpdate;")
        .join::<bool>()
        .await
        .unwrap_or(false)
}

/// Switches to the waiting version: the new service worker takes over and the page reloads.
/// Every change is already saved on the device by then (each one is its own transaction).
pub fn apply_update() {
    let _ = document::eval("if (window.mandoobApplyUpdate) await window.mandoobApplyUpdate();");
}

/// How a text for the family left the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    /// The phone's share sheet took it (WhatsApp, SMS, e-mail: the family's choice).
    Sheet,
    /// No share sheet here (desktop, liveview): the text is on the clipboard.
    Copied,
    /// The person closed the share sheet.
    Cancelled,
    /// Neither works here: the text stays on screen to be read out or copied by hand.
    Unavailable,
}

/// Hands `text` to the phone's share sheet (Web Share API), or copies it where there is none.
pub async fn share_text(title: &str, text: &str) -> Shared {
    let args = serde_json::json!({ "title": title, "text": text }).to_string();
    let script = format!(
        r#"const a = {args};
        if (navigator.share) {{
            try {{ await navigator.share(a); return "sheet"; }}
            catch (e) {{ if (e && e.name === "AbortError") return "cancelled"; }}
        }}
        if (navigator.clipboard && navigator.clipboard.writeText) {{
            try {{ await navigator.clipboard.writeText(a.text); return "copied"; }} catch (e) {{}}
        }}
        return "unavailable";"#
    );
    match document::eval(&script).join::<String>().await.as_deref() {
        Ok("sheet") => Shared::Sheet,
        Ok("copied") => Shared::Copied,
        Ok("cancelled") => Shared::Cancelled,
        _ => Shared::Unavailable,
    }
}

/// Opens the browser's print dialog for the page shown (the receipt's print style hides the
/// app around it).
pub fn print_page() {
    let _ = document::eval("window.print();");
}

/// A name for this device as the browser describes it ("Chrome · Android"), for the
/// representative to keep or change at sign-in, so an administrator can tell their phones
/// apart; empty where the renderer cannot tell.
pub async fn device_name_guess() -> String {
    let script = r#"const ua = navigator.userAgent || "";
        const data = navigator.userAgentData;
        const brand = (data && data.brands || []).map((b) => b.brand)
            .find((b) => !/Not.?A.?Brand|Chromium/i.test(b));
        const browser = brand || (/Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge"
            : /Chrome\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "");
        const platform = (data && data.platform) || (/Android/.test(ua) ? "Android"
            : /iPhone|iPad/.test(ua) ? "iOS" : /Windows/.test(ua) ? "Windows"
            : /Mac OS/.test(ua) ? "macOS" : /Linux/.test(ua) ? "Linux" : "");
        return [browser, platform].filter(Boolean).join(" · ");"#;
    document::eval(script)
        .join::<String>()
        .await
        .unwrap_or_default()
        .chars()
        .take(60)
        .collect()
}

/// Where the phone is, when it can tell within a few seconds (the browser asks the person
/// first; no network is needed for GPS). `None` when refused, unavailable or too slow.
pub async fn current_position() -> Option<mandoob_shared::model::GeoPoint> {
    let script = r#"if (!navigator.geolocation) return null;
        return await new Promise((done) => navigator.geolocation.getCurrentPosition(
            (p) => done([p.coords.latitude, p.coords.longitude, p.coords.accuracy]),
            () => done(null),
            { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }));"#;
    let found: Option<(f64, f64, f64)> = document::eval(script).join().await.ok().flatten();
    let (lat, lon, accuracy) = found?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some(
        mandoob_shared::model::GeoPoint {
            lat,
            lon,
            accuracy_m: (accuracy.is_finite() && accuracy >= 0.0).then_some(accuracy),
        },
    )
}
