//! The first start: a server with no active administrator asks for one on the command line
//! (a branch first when there is none), under the console's rules, instead of shipping a
//! known password. Without anyone to answer (no terminal, nothing on standard input) it
//! refuses to start and says how to create one. The demo accounts (`admin seed-demo`) are
//! for `.ci/start` and tests only.

use std::io::{BufRead, Write};

use mandoob_shared::workflow::Role;

use crate::service::ServiceError;
use crate::service::accounts::{self, NewUser};
use crate::service::audit::By;
use crate::storage::Storage;

/// How often a refused answer is asked again before giving up.
const TRIES: usize = 5;

/// What to tell someone starting a server nobody can administer.
pub const NO_ADMINISTRATOR: &str = "no administrator account yet. Start the server in a terminal \
to create one, or run `mandoob-sync-server admin create-branch CODE NAME` and then \
`mandoob-sync-server admin create-user ID NAME administrator CODE` (the password from \
MANDOOB_PASSWORD or the first line of standard input)";

/// Whether the store has an active administrator.
pub async fn has_administrator(storage: &dyn Storage) -> Result<bool, ServiceError> {
    Ok(storage
        .users()
        .await?
        .iter()
        .any(|u| u.role == Role::Administrator && u.active))
}

/// A conversation on the terminal: lines read, prompts written, passwords read without echo.
pub struct Prompt<'a> {
    pub input: &'a mut dyn BufRead,
    pub output: &'a mut dyn Write,
    /// Reads a password after showing the prompt (without echo on a terminal).
    pub password: &'a mut dyn FnMut(&str) -> std::io::Result<String>,
}

impl Prompt<'_> {
    fn ask(&mut self, question: &str) -> anyhow::Result<String> {
        write!(self.output, "{question}: ")?;
        self.output.flush()?;
        let mut line = String::new();
        if self.input.read_line(&mut line)? == 0 {
            anyhow::bail!("{NO_ADMINISTRATOR}");
        }
        Ok(line.trim().to_owned())
    }

    fn say(&mut self, text: &str) -> anyhow::Result<()> {
        writeln!(self.output, "{text}")?;
        Ok(())
    }
}

/// Asks for the first administrator (and a branch when there is none) until the answers pass
/// the rules; the administrator's username.
pub async fn create_first_administrator(
    storage: &dyn Storage,
    prompt: &mut Prompt<'_>,
) -> anyhow::Result<String> {
    let by = By::command_line();
    prompt.say("No administrator account yet: create the first one now.")?;
    let mut branch = storage
        .branches()
        .await?
        .first()
        .map(|(c, _)| c.as_str().to_owned());
    for _ in 0..TRIES {
        if branch.is_some() {
            break;
        }
        let code = prompt.ask("Branch code (2 to 6 capital letters, e.g. HQ)")?;
        let name = prompt.ask("Branch name")?;
        match accounts::create_branch(storage, &code, &name, &by).await {
            Ok(code) => branch = Some(code.as_str().to_owned()),
            Err(ServiceError::Rule(rule)) => prompt.say(&format!("Refused: {rule}."))?,
            Err(e) => return Err(e.into()),
        }
    }
    let branch = branch.ok_or_else(|| anyhow::anyhow!("no branch; {NO_ADMINISTRATOR}"))?;
    for _ in 0..TRIES {
        let username = prompt.ask("Administrator's username (lowercase Latin letters, digits)")?;
        let display_name = prompt.ask("Their full name")?;
        let password =
            (prompt.password)("Password (at least 12 characters, not a common one; not shown): ")?;
        let again = (prompt.password)("The password again: ")?;
        if password != again {
            prompt.say("Refused: the two passwords differ.")?;
            continue;
        }
        let new = NewUser {
            username: &username,
            display_name: &display_name,
            role: Role::Administrator,
            branch: &branch,
            password: &password,
        };
        match accounts::create_user(storage, new, &by).await {
            Ok(id) => {
                prompt.say(&format!(
                    "Administrator {id} created: sign in at /console to create the other accounts."
                ))?;
                return Ok(id.as_str().to_owned());
            }
            Err(ServiceError::Rule(rule)) => prompt.say(&format!("Refused: {rule}."))?,
            Err(e) => return Err(e.into()),
        }
    }
    anyhow::bail!("no administrator created after {TRIES} tries; {NO_ADMINISTRATOR}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::sqlite::SqliteStorage;

    fn storage() -> (SqliteStorage, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "mandoob-first-start-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        (SqliteStorage::open(&dir).expect("opens"), dir)
    }

    async fn answer(
        storage: &dyn Storage,
        lines: &str,
        passwords: &[&str],
    ) -> (anyhow::Result<String>, String) {
        let mut input = std::io::Cursor::new(lines.as_bytes().to_vec());
        let mut output = Vec::new();
        let mut given = passwords.iter().map(|p| (*p).to_owned());
        let mut password = |_: &str| Ok(given.next().unwrap_or_default());
        let mut prompt = Prompt {
            input: &mut input,
            output: &mut output,
            password: &mut password,
        };
        let result = create_first_administrator(storage, &mut prompt).await;
        (result, String::from_utf8_lossy(&output).into_owned())
    }

    #[tokio::test]
    async fn asks_for_a_branch_and_an_administrator_until_the_rules_pass() {
        let (storage, dir) = storage();
        assert!(!has_administrator(&storage).await.unwrap());
        // A bad branch code, then a good one; a common password, then differing ones, then
        // a good one.
        let lines = "Q1\nالمقر\nHQ\nالمقر الرئيسي\nboss\nمدير\nboss\nمدير\nboss\nمدير\n";
        let passwords = [
            "password1234",
            "password1234",
            "first-long-passphrase",
            "another-passphrase",
            "first-long-passphrase",
            "first-long-passphrase",
        ];
        let (result, said) = answer(&storage, lines, &passwords).await;
        assert_eq!(result.unwrap(), "boss", "{said}");
        assert!(said.contains("Refused: a branch code"), "{said}");
        assert!(said.contains("too common"), "{said}");
        assert!(said.contains("differ"), "{said}");
        assert!(has_administrator(&storage).await.unwrap());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn nobody_to_answer_means_no_start() {
        let (storage, dir) = storage();
        let (result, _) = answer(&storage, "", &[]).await;
        let error = result.unwrap_err().to_string();
        assert!(error.contains("admin create-user"), "{error}");
        assert!(!has_administrator(&storage).await.unwrap());
        let _ = std::fs::remove_dir_all(dir);
    }
}
