//! Typed settings: defaults, then a TOML file, then environment variables (`MANDOOB_*`).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The server's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where to listen. Default `127.0.0.1:8080`; `0.0.0.0:8080` to serve phones on the LAN.
    pub bind: SocketAddr,
    /// Where the embedded database and blobs live.
    pub data_dir: PathBuf,
    /// The largest request body accepted (a sync push or a blob part); larger ones get 413.
    pub max_body_bytes: usize,
    /// The most changes or whole documents in one sync answer.
    pub max_page: u32,
    /// The built web app (`wasm-bindgen` output and its page), served at `/app/`.
    pub web_dir: PathBuf,
    /// HTTPS, beside the plain HTTP of `bind` (keep that one on loopback when serving a
    /// network): where to listen, the certificate chain and its private key (PEM). Phones on
    /// the network need it for the web app (see `tls.rs`; `admin make-certificate` makes a
    /// local certificate).
    pub tls_bind: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Reverse proxies in front of the server whose `X-Forwarded-For` names the client (the
    /// sign-in limits count per client address); nobody else's is believed. Default none.
    pub trusted_proxies: Vec<IpAddr>,
    /// The most password checks (argon2, about 19 MiB each) at once; default the number of
    /// processors.
    pub sign_in_hashes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            max_body_bytes: 32 * 1024 * 1024,
            max_page: 2000,
            web_dir: PathBuf::from("target/web"),
            tls_bind: None,
            tls_cert: None,
            tls_key: None,
            trusted_proxies: Vec::new(),
            sign_in_hashes: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// Settings that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read settings file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("settings file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("environment variable {name} is not valid: {value:?}")]
    Env { name: &'static str, value: String },
    #[error(
        "HTTPS needs tls_bind, tls_cert and tls_key (MANDOOB_TLS_BIND, MANDOOB_TLS_CERT and MANDOOB_TLS_KEY)"
    )]
    Tls,
}

impl Settings {
    /// Loads settings: defaults, then `file` if given, then the environment.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let mut settings = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| SettingsError::Parse {
                    path: path.to_owned(),
                    source,
                })?
            }
            None => Settings::default(),
        };
        if let Some(value) = env("MANDOOB_BIND") {
            settings.bind = value.parse().map_err(|_| SettingsError::Env {
                name: "MANDOOB_BIND",
                value,
            })?;
        }
        if let Some(value) = env("MANDOOB_DATA_DIR") {
            settings.data_dir = PathBuf::from(value);
        }
        if let Some(value) = env("MANDOOB_WEB_DIR") {
            settings.web_dir = PathBuf::from(value);
        }
        if let Some(value) = env("MANDOOB_TLS_BIND") {
            settings.tls_bind = Some(value.parse().map_err(|_| SettingsError::Env {
                name: "MANDOOB_TLS_BIND",
                value,
            })?);
        }
        if let Some(value) = env("MANDOOB_TLS_CERT") {
            settings.tls_cert = Some(PathBuf::from(value));
        }
        if let Some(value) = env("MANDOOB_TLS_KEY") {
            settings.tls_key = Some(PathBuf::from(value));
        }
        if let Some(value) = env("MANDOOB_TRUSTED_PROXIES") {
            settings.trusted_proxies = value
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|_| SettingsError::Env {
                    name: "MANDOOB_TRUSTED_PROXIES",
                    value: value.clone(),
                })?;
        }
        if let Some(value) = env("MANDOOB_SIGN_IN_HASHES") {
            settings.sign_in_hashes =
                value
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(SettingsError::Env {
                        name: "MANDOOB_SIGN_IN_HASHES",
                        value,
                    })?;
        }
        let tls = [
            settings.tls_bind.is_some(),
            settings.tls_cert.is_some(),
            settings.tls_key.is_some(),
        ];
        if tls.contains(&true) && tls.contains(&false) {
            return Err(SettingsError::Tls);
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("mandoob-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("server.toml");
        std::fs::write(&file, "bind = \"127.0.0.1:9000\"\ndata_dir = \"/srv/m\"\n").expect("write");
        let s = Settings::load(Some(&file), |_| None).expect("load");
        assert_eq!(s.bind.port(), 9000);
        assert_eq!(s.data_dir, PathBuf::from("/srv/m"));
        let s = Settings::load(Some(&file), |k| {
            (k == "MANDOOB_BIND").then(|| "127.0.0.1:9100".to_owned())
        })
        .expect("load");
        assert_eq!(s.bind.port(), 9100);
        assert_eq!(s.data_dir, PathBuf::from("/srv/m"));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        let err = Settings::load(None, |_| Some("not an address".into())).expect_err("bad bind");
        assert!(err.to_string().contains("MANDOOB_BIND"), "{err}");
        let err = Settings::load(Some(Path::new("/nonexistent/m.toml")), |_| None)
            .expect_err("missing file");
        assert!(err.to_string().contains("/nonexistent/m.toml"), "{err}");
        let err = Settings::load(None, |k| (k == "MANDOOB_TLS_CERT").then(|| "c.pem".into()))
            .expect_err("a certificate without its key");
        assert!(err.to_string().contains("tls_key"), "{err}");
        let s = Settings::load(None, |k| {
            (k == "MANDOOB_TRUSTED_PROXIES").then(|| "10.0.0.1, ::1".into())
        })
        .expect("proxies");
        assert_eq!(s.trusted_proxies.len(), 2);
        let err = Settings::load(None, |k| {
            (k == "MANDOOB_TRUSTED_PROXIES").then(|| "10.0.0.1, proxy".into())
        })
        .expect_err("not an address");
        assert!(err.to_string().contains("MANDOOB_TRUSTED_PROXIES"), "{err}");
    }
}
