//! Test certificates: a self-signed certificate for 127.0.0.1 made with
//! `openssl` (HAProxy takes it as one PEM with the key; clients trust the
//! certificate alone).

use std::path::PathBuf;

/// A self-signed server certificate for 127.0.0.1 in a fresh directory.
pub struct SelfSigned {
    /// The directory holding the files (removed by the caller when done).
    pub dir: PathBuf,
    /// The certificate (PEM), for clients to trust.
    pub cert_pem: Vec<u8>,
    /// Certificate then key in one PEM file (HAProxy's `crt`).
    pub bundle: PathBuf,
}

/// Makes a certificate valid for a day for `IP:127.0.0.1`.
///
/// # Errors
///
/// `openssl` is missing or fails.
pub async fn self_signed_loopback() -> anyhow::Result<SelfSigned> {
    let dir = std::env::temp_dir().join(format!("tls-{:x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir)?;
    let (cert, key, bundle) = (
        dir.join("cert.pem"),
        dir.join("key.pem"),
        dir.join("both.pem"),
    );
    let made = tokio::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .await?;
    anyhow::ensure!(
        made.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let cert_pem = std::fs::read(&cert)?;
    std::fs::write(&bundle, [cert_pem.clone(), std::fs::read(&key)?].concat())?;
    Ok(SelfSigned {
        dir,
        cert_pem,
        bundle,
    })
}
