//! HTTPS when a certificate is configured (`tls_cert` and `tls_key`). Browsers give the web
//! app its service worker and its offline storage only in a secure context: `127.0.0.1` is
//! one, a phone opening `http://192.168.1.20:8080/app/` is not. So HQ serves HTTPS, with a
//! certificate from its own domain's authority, or, on a branch office's network with no
//! domain, with a local one made by [`local_certificates`]: a small certificate authority
//! (installed once on each phone) and a server certificate it signs for the server's names and
//! addresses, made again under the same authority when those change or it nears expiry.

use std::path::{Path, PathBuf};

use anyhow::Context;
use axum_server::tls_rustls::RustlsConfig;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// The files [`local_certificates`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCertificates {
    /// The authority's certificate, to install on the phones (it holds no secret).
    pub authority: PathBuf,
    /// The authority's private key (owner-only): it signs the next server certificate, so the
    /// phones keep trusting the server when its addresses change or its certificate expires.
    /// Anyone who has it can make certificates these phones trust: keep it like a password.
    pub authority_key: PathBuf,
    /// The server's certificate chain and key: the `tls_cert` and `tls_key` settings.
    pub certificate: PathBuf,
    pub key: PathBuf,
}

const AUTHORITY_NAME: &str = "Mandoob HQ local authority";

/// The authority's certificate parameters. Signing needs only its name and key, so the same
/// parameters rebuilt around the kept key sign certificates that chain to the authority the
/// phones installed.
fn authority_params() -> anyhow::Result<CertificateParams> {
    let now = time::OffsetDateTime::now_utc();
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, AUTHORITY_NAME);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = now - time::Duration::days(1);
    ca.not_after = now + time::Duration::days(3650);
    Ok(ca)
}

/// Makes a server certificate for `names` (host names and IP addresses) in `dir`, signed by
/// the local authority there, which is made first if `dir` has none.
pub fn local_certificates(dir: &Path, names: &[String]) -> anyhow::Result<LocalCertificates> {
    anyhow::ensure!(!names.is_empty(), "name at least one host name or address");
    for name in names {
        anyhow::ensure!(
            name.parse::<std::net::IpAddr>().is_ok() || is_host_name(name),
            "{name:?} is neither a host name nor an IP address"
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = LocalCertificates {
        authority: dir.join("authority.pem"),
        authority_key: dir.join("authority.key"),
        certificate: dir.join("server.pem"),
        key: dir.join("server.key"),
    };
    let (ca_cert, ca_key) = if files.authority.exists() && files.authority_key.exists() {
        let pem = std::fs::read_to_string(&files.authority_key)
            .with_context(|| format!("reading {}", files.authority_key.display()))?;
        let key = KeyPair::from_pem(&pem)
            .with_context(|| format!("{} is not a key", files.authority_key.display()))?;
        (authority_params()?.self_signed(&key)?, key)
    } else {
        let key = KeyPair::generate()?;
        let cert = authority_params()?.self_signed(&key)?;
        write_secret(&files.authority_key, key.serialize_pem().as_bytes())?;
        std::fs::write(&files.authority, cert.pem())?;
        (cert, key)
    };
    let authority_pem = std::fs::read_to_string(&files.authority)?;

    let now = time::OffsetDateTime::now_utc();
    let mut server = CertificateParams::new(names.to_vec())?;
    server
        .distinguished_name
        .push(DnType::CommonName, names[0].clone());
    server.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.not_before = now - time::Duration::days(1);
    // Browsers refuse server certificates valid for more than 398 days.
    server.not_after = now + time::Duration::days(397);
    let key = KeyPair::generate()?;
    let cert = server.signed_by(&key, &ca_cert, &ca_key)?;
    write_secret(&files.key, key.serialize_pem().as_bytes())?;
    std::fs::write(&files.certificate, cert.pem() + &authority_pem)?;
    Ok(files)
}

/// Letters, digits and hyphens in dot-separated labels (RFC 1123).
fn is_host_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Writes a private key readable by its owner only (also when the file was there before).
fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    (&file).write_all(bytes)
}

/// The TLS configuration of a certificate chain and key (PEM files).
pub async fn config(certificate: &Path, key: &Path) -> anyhow::Result<RustlsConfig> {
    // One crypto provider for the process (ring, as reqwest uses); installing twice is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    RustlsConfig::from_pem_file(certificate, key)
        .await
        .with_context(|| {
            format!(
                "cannot use the certificate {} with the key {}",
                certificate.display(),
                key.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_certificates_make_a_usable_configuration() {
        let dir = std::env::temp_dir().join(format!("mandoob-tls-{}", std::process::id()));
        let files = local_certificates(&dir, &["hq.local".into(), "192.168.1.20".into()])
            .expect("certificates");
        let chain = std::fs::read_to_string(&files.certificate).expect("chain");
        assert_eq!(
            chain.matches("BEGIN CERTIFICATE").count(),
            2,
            "leaf and authority"
        );
        assert!(config(&files.certificate, &files.key).await.is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&files.key)
                .expect("key")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the key is private");
        }
        // A key that does not match, or a file that is not a certificate: a clear error.
        std::fs::write(dir.join("bad.pem"), "not a certificate").expect("write");
        let err = config(&dir.join("bad.pem"), &files.key)
            .await
            .expect_err("bad");
        assert!(err.to_string().contains("bad.pem"), "{err}");
        assert!(local_certificates(&dir, &[]).is_err());
        assert!(local_certificates(&dir, &["not a name!".into()]).is_err());
        std::fs::remove_dir_all(dir).ok();
    }
}
