//! HTTPS when a certificate is configured (`tls_cert` and `tls_key`). Browsers give the web
//! app its service worker and its offline storage only in a secure context: `127.0.0.1` is
//! one, a phone opening `http://192.168.1.20:8080/app/` is not. So HQ serves HTTPS, with a
//! certificate from its own domain's authority, or, on a branch office's network with no
//! domain, with a local one made by [`local_certificates`]: a small certificate authority
//! (installed once on each phone) and a server certificate it signs for the server's names and
//! addresses.

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
    /// The server's certificate chain and key: the `tls_cert` and `tls_key` settings.
    pub certificate: PathBuf,
    pub key: PathBuf,
}

/// Makes a local certificate authority and a server certificate for `names` (host names and
/// IP addresses) in `dir`. The authority's key is not kept: a new server certificate needs a
/// new authority (installed again), so a copied data folder cannot mint certificates.
pub fn local_certificates(dir: &Path, names: &[String]) -> anyhow::Result<LocalCertificates> {
    anyhow::ensure!(!names.is_empty(), "name at least one host name or address");
    for name in names {
        anyhow::ensure!(
            name.parse::<std::net::IpAddr>().is_ok() || is_host_name(name),
            "{name:?} is neither a host name nor an IP address"
        );
    }
    let now = time::OffsetDateTime::now_utc();
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "Mandoob HQ local authority");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = now - time::Duration::days(1);
    ca.not_after = now + time::Duration::days(3650);
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;

    let mut server = CertificateParams::new(names.to_vec())
        .context("a name is neither a host name nor an IP address")?;
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

    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = LocalCertificates {
        authority: dir.join("authority.pem"),
        certificate: dir.join("server.pem"),
        key: dir.join("server.key"),
    };
    std::fs::write(&files.authority, ca_cert.pem())?;
    std::fs::write(&files.certificate, cert.pem() + &ca_cert.pem())?;
    write_secret(&files.key, key.serialize_pem().as_bytes())?;
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

/// Writes a private key readable by its owner only.
fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
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
