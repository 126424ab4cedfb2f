//! Security headers on every response (issue 18), one middleware around all the routes:
//! - a Content-Security-Policy per part of the server: the console runs no script at all and
//!   takes its style from its stylesheet only ([`CONSOLE_CSP`]); the web app at `/app/` may
//!   run its own files, compile its wasm, start its worker and service worker and style itself
//!   inline (Dioxus writes a `<style>` element and style attributes), and its pages' own inline
//!   scripts are allowed by their SHA-256, computed from the page served ([`app_csp`]);
//!   everything else (the device API, `/healthz`, not-found answers) may load nothing
//!   ([`OTHER_CSP`]);
//! - framing refused twice (`frame-ancestors 'none'` and `X-Frame-Options: DENY`, which older
//!   browsers read), `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`;
//! - `Strict-Transport-Security` on answers that went over HTTPS (the server's own listener
//!   marks its requests `X-Forwarded-Proto: https`, as a proxy in front does; browsers ignore
//!   the header over plain HTTP anyway).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The console's policy: its own stylesheet and pictures (photos, from `/console/blobs/`), forms
/// posted to itself, no script of any kind, never in a frame.
pub const CONSOLE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Answers that are not pages (the device API, health, not found): nothing may load.
pub const OTHER_CSP: &str = "default-src 'none'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// The web app's policy, before the hashes of a page's inline scripts. `'wasm-unsafe-eval'`
/// lets it compile its wasm; `'unsafe-eval'` is there because Dioxus's `document::eval`, which
/// the app uses for the browser's APIs (update banner, storage, share sheet, print, location),
/// runs its script through `new Function`. Photos show as `data:` and `blob:` URLs; the worker
/// and the service worker are its own files; it talks to this server only.
const APP_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'";
const APP_CSP_REST: &str = "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
     connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; \
     base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// HSTS: a year.
pub const HSTS: &str = "max-age=31536000";

/// The largest page whose inline scripts are hashed (the app's pages are a few kilobytes).
const MAX_PAGE_BYTES: usize = 1 << 20;

/// The web app's policy, allowing `inline` scripts by their SHA-256.
pub fn app_policy(inline: &[String]) -> String {
    let mut csp = APP_CSP.to_owned();
    for hash in inline {
        csp.push_str(" 'sha256-");
        csp.push_str(hash);
        csp.push('\'');
    }
    csp.push_str("; ");
    csp.push_str(APP_CSP_REST);
    csp
}

/// The SHA-256 (base64) of each inline script of `html` (`<script>` elements without `src`),
/// as a browser hashes it: the text between the tags, line endings as the HTML parser makes
/// them (`\r\n` and `\r` read as `\n`).
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut at = 0;
    while let Some(start) = lower[at..].find("<script").map(|i| at + i) {
        let Some(open_end) = lower[start..].find('>').map(|i| start + i + 1) else {
            break;
        };
        let Some(close) = lower[open_end..].find("</script").map(|i| open_end + i) else {
            break;
        };
        if !lower[start..open_end].contains("src=") {
            let text = html[open_end..close]
                .replace("\r\n", "\n")
                .replace('\r', "\n");
            hashes.push(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text)));
        }
        at = close + 1;
    }
    hashes
}

/// Which policy a path gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Console,
    App,
    Other,
}

fn part(path: &str) -> Part {
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    if under("/console") {
        Part::Console
    } else if under("/app") {
        Part::App
    } else {
        Part::Other
    }
}

/// The middleware: every answer gets the headers above.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let part = part(request.uri().path());
    let head = request.method() == Method::HEAD;
    let https = request
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let response = next.run(request).await;
    let (mut response, csp) = match part {
        Part::Console => (response, Some(HeaderValue::from_static(CONSOLE_CSP))),
        Part::Other => (response, Some(HeaderValue::from_static(OTHER_CSP))),
        Part::App => app_csp(response, head).await,
    };
    let h = response.headers_mut();
    if let Some(csp) = csp {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// The web app's policy for `response`. A page (HTML, 200) is read to hash its inline scripts.
/// An answer without the page's body (`304 Not Modified`, a partial answer, `HEAD`) gets no
/// policy: a browser would lay it over the one it keeps with the cached page, which has the
/// hashes.
async fn app_csp(response: Response, head: bool) -> (Response, Option<HeaderValue>) {
    let status = response.status();
    if head || status == StatusCode::NOT_MODIFIED || status == StatusCode::PARTIAL_CONTENT {
        return (response, None);
    }
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html || status != StatusCode::OK {
        return (response, HeaderValue::from_str(&app_policy(&[])).ok());
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "a page of the web app could not be read");
            return (StatusCode::INTERNAL_SERVER_ERROR.into_response(), None);
        }
    };
    let hashes = inline_script_hashes(&String::from_utf8_lossy(&bytes));
    let csp = HeaderValue::from_str(&app_policy(&hashes)).ok();
    (Response::from_parts(parts, Body::from(bytes)), csp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_as_browsers_hash_them() {
        let html = "<head><script src=\"boot.js\"></script>\n<SCRIPT type=\"module\">\r\n  \
                    init();\r\n</script></head>";
        let hashes = inline_script_hashes(html);
        let expected =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest("\n  init();\n"));
        assert_eq!(hashes.len(), 1);
        assert_eq!(hashes[0], expected);
        let csp = app_policy(&hashes);
        assert!(
            csp.contains(&format!("'sha256-{expected}'; style-src")),
            "{csp}"
        );
        assert!(inline_script_hashes("<p>no script</p>").is_empty());
    }

    #[test]
    fn paths_get_their_part() {
        assert_eq!(part("/console/queue"), Part::Console);
        assert_eq!(part("/console"), Part::Console);
        assert_eq!(part("/consoles"), Part::Other);
        assert_eq!(part("/app/"), Part::App);
        assert_eq!(part("/app"), Part::App);
        assert_eq!(part("/api/v1/login"), Part::Other);
    }
}
