//! What `/tlm github …` asks for: link or unlink a GitHub login, mark core repositories.

/// One `/tlm github` command. Logins and repositories are already in GitHub's shapes
/// (checked by the parser); whether the login exists is the app's question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GithubCommand {
    /// `github`: what is linked, and the last figures.
    Show,
    /// `github <login>`.
    Link(String),
    /// `github off`.
    Unlink,
    /// `github core <owner/repo>…` (lowercased).
    CoreAdd(Vec<String>),
    /// `github core off <owner/repo>…`.
    CoreRemove(Vec<String>),
}
