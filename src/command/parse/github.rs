//! `/tlm github [<login>|off]`, `/tlm github core [off] <owner/repo>…`.

use super::words::{is, Input};
use super::ParseError;
use crate::command::{Command, GithubCommand};
use crate::domain::echo::echo;
use crate::domain::github::{normalize_repo, valid_login, MAX_CORE_REPOS};

pub(super) fn github(input: &Input<'_>) -> Result<Command, ParseError> {
    let command = match input.words {
        [] => GithubCommand::Show,
        [off] if is(off, "off") => GithubCommand::Unlink,
        [core, rest @ ..] if is(core, "core") => {
            let (remove, repos) = match rest {
                [off, repos @ ..] if is(off, "off") => (true, repos),
                repos => (false, repos),
            };
            if repos.is_empty() {
                return input.fail("Name at least one repository as `owner/repo`.");
            }
            if repos.len() > MAX_CORE_REPOS {
                return input.fail(format!(
                    "At most {MAX_CORE_REPOS} core repositories — pick the ones with the core business logic."
                ));
            }
            let mut names = Vec::with_capacity(repos.len());
            for repo in repos {
                match normalize_repo(repo.text) {
                    Some(name) => names.push(name),
                    None => {
                        return input.fail(format!(
                        "`{}` isn't a repository — write it as `owner/repo`, e.g. `acme/payments`.",
                        echo(repo.text)
                    ))
                    }
                }
            }
            if remove {
                GithubCommand::CoreRemove(names)
            } else {
                GithubCommand::CoreAdd(names)
            }
        }
        [login] => {
            let login = login.text.trim_start_matches('@');
            if !valid_login(login) {
                return input.fail(format!(
                    "`{}` isn't a GitHub login: up to 39 letters, digits and single hyphens.",
                    echo(login)
                ));
            }
            GithubCommand::Link(login.to_string())
        }
        [_, extra, ..] => {
            return input.fail(format!(
                "One login only, so I stopped at `{}`.",
                echo(extra.text)
            ))
        }
    };
    Ok(Command::Github(command))
}

#[cfg(test)]
mod tests {
    use crate::command::parse::testing::*;
    use crate::command::GithubCommand;

    #[test]
    fn github_links_unlinks_and_marks_core_repos() {
        assert_eq!(ok("github"), Command::Github(GithubCommand::Show));
        assert_eq!(
            ok("github @Octo-Cat"),
            Command::Github(GithubCommand::Link("Octo-Cat".into()))
        );
        assert_eq!(ok("github OFF"), Command::Github(GithubCommand::Unlink));
        assert_eq!(
            ok("github core Acme/Payments acme/core-api"),
            Command::Github(GithubCommand::CoreAdd(vec![
                "acme/payments".into(),
                "acme/core-api".into()
            ]))
        );
        assert_eq!(
            ok("github core off acme/payments"),
            Command::Github(GithubCommand::CoreRemove(vec!["acme/payments".into()]))
        );
    }

    #[test]
    fn github_refuses_what_github_would_not_accept() {
        fails(
            "github not--valid",
            CommandName::Github,
            "isn't a GitHub login",
        );
        fails("github a b", CommandName::Github, "One login only");
        fails(
            "github core",
            CommandName::Github,
            "at least one repository",
        );
        fails("github core payments", CommandName::Github, "`owner/repo`");
    }
}
