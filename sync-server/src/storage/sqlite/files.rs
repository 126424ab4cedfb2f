//! The data directory and the database readable by the server's own account only (issue 18):
//! the database holds password hashes, civil IDs and the photos themselves (blobs are rows of
//! it, not files), so the directory is made `0700` and the database and its companion files
//! (`-wal`, `-shm`, `-journal`) `0600` when created. At every start, permissions found looser
//! (a directory made by hand, a copied backup) are tightened with a warning in the log.

use std::io;
use std::path::{Path, PathBuf};

/// The data directory's mode.
pub const DIR_MODE: u32 = 0o700;
/// The database files' mode.
pub const FILE_MODE: u32 = 0o600;

/// The database's file name in the data directory.
pub const DATABASE: &str = "mandoob.sqlite";
/// What SQLite keeps beside the database.
const COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Creates `dir` owner-only with an empty owner-only database file in it, or tightens the
/// modes of an existing one; the paths it found readable or writable by others.
pub fn secure_data_dir(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut loose = Vec::new();
    create_dir(dir)?;
    tighten(dir, DIR_MODE, &mut loose)?;
    create_database(&dir.join(DATABASE))?;
    secure_database_files(dir, &mut loose)?;
    Ok(loose)
}

/// Tightens the database and its companion files that exist in `dir`.
pub fn secure_database_files(dir: &Path, loose: &mut Vec<PathBuf>) -> io::Result<()> {
    let files = std::iter::once(DATABASE.to_owned())
        .chain(COMPANIONS.iter().map(|c| format!("{DATABASE}{c}")));
    for name in files {
        let path = dir.join(name);
        if path.exists() {
            tighten(&path, FILE_MODE, loose)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn create_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// An empty database file made with the right mode, so SQLite (which gives its `-wal` and
/// `-shm` files the database's mode) never makes one readable by others, whatever the umask.
#[cfg(unix)]
fn create_database(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn create_database(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// Takes from `path` every permission beyond `mode` (never adds one), with a warning.
#[cfg(unix)]
fn tighten(path: &Path, mode: u32, loose: &mut Vec<PathBuf>) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let found = std::fs::metadata(path)?.permissions().mode() & 0o7777;
    if found & !mode != 0 {
        tracing::warn!(
            path = %path.display(),
            found = format!("{found:o}"),
            now = format!("{:o}", found & mode),
            "the data directory was open to other accounts: made owner-only"
        );
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(found & mode))?;
        loose.push(path.to_owned());
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _mode: u32, _loose: &mut Vec<PathBuf>) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn new_directories_are_owner_only_and_loose_ones_are_tightened() {
        let dir = std::env::temp_dir().join(format!("mandoob-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let data = dir.join("nested/data");
        assert!(secure_data_dir(&data).expect("made").is_empty());
        assert_eq!(mode(&data), DIR_MODE);
        assert_eq!(mode(&data.join(DATABASE)), FILE_MODE);
        // Loosened by hand: tightened and reported.
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let wal = data.join(format!("{DATABASE}-wal"));
        std::fs::write(&wal, b"").expect("wal");
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let loose = secure_data_dir(&data).expect("tightened");
        assert_eq!(loose, [data.clone(), wal.clone()]);
        assert_eq!(mode(&data), DIR_MODE);
        assert_eq!(mode(&wal), FILE_MODE);
        // Stricter than asked stays so.
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        assert!(secure_data_dir(&data).expect("again").is_empty());
        assert_eq!(mode(&wal), 0o400);
        std::fs::remove_dir_all(dir).ok();
    }
}
