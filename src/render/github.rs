//! The words of GitHub signals: the summary's GitHub lines and the `/tlm github` replies.

use super::Doc;
use crate::domain::github::{GithubFigures, GithubLine, GithubLink};
use crate::view::GithubView;

/// The summary's GitHub lines, e.g. "GitHub: 5 PRs merged (3 in core repos)".
pub fn summary_lines(line: &GithubLine) -> String {
    let f = &line.figures;
    let mut text = format!("*GitHub:* {}", merged_phrase(f));
    text.push_str(&format!("\n{}", queue_phrase(f)));
    if f.reviewed_for_reports > 0 {
        text.push_str(&format!(
            "\nYou reviewed {} from {} of your reports.",
            prs(f.reviewed_for_reports),
            f.reports_reviewed
        ));
    }
    if let Some(hours) = line.stale_hours {
        text.push_str(&format!(
            "\n_GitHub figures from {} ago — GitHub didn't answer since._",
            age(hours)
        ));
    }
    text
}

fn merged_phrase(f: &GithubFigures) -> String {
    if f.merged_core > 0 {
        format!("{} merged ({} in core repos)", prs(f.merged), f.merged_core)
    } else {
        format!("{} merged", prs(f.merged))
    }
}

fn queue_phrase(f: &GithubFigures) -> String {
    match f.review_queue {
        0 => "No PRs waiting on your review.".to_string(),
        n => format!("{} waiting on your review.", prs(n)),
    }
}

fn prs(n: u32) -> String {
    if n == 1 {
        "1 PR".into()
    } else {
        format!("{n} PRs")
    }
}

fn age(hours: i64) -> String {
    if hours >= 48 {
        format!("{} days", hours / 24)
    } else {
        format!("{hours} hours")
    }
}

/// The App Home's GitHub setting, once a login is linked (a workspace without GitHub sees
/// nothing of it).
pub fn home_line(link: Option<&GithubLink>) -> Option<String> {
    let link = link?;
    Some(match link {
        link if link.core.is_empty() => format!(
            "*GitHub:* `{}`, no core repositories — `/tlm github core owner/repo` marks one.",
            link.login
        ),
        link => format!(
            "*GitHub:* `{}`, core repositories {}.",
            link.login,
            link.core
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// The reply to `/tlm github …`.
pub fn reply_doc(view: &GithubView) -> Doc {
    match view {
        GithubView::Disabled => Doc::line(
            "GitHub signals are off in this workspace. An admin turns them on by setting `GITHUB_TOKEN` (a read-only token for the org's repositories) where twohats runs — see \"GitHub signals\" in the README.",
        ),
        GithubView::Shown(None) => Doc::line(
            "No GitHub login linked. `/tlm github <login>` links yours; twohats then counts your review queue and merged PRs beside your check-ins.",
        ),
        GithubView::Shown(Some(link)) => Doc::line(shown(link)),
        GithubView::Linked(login) => Doc::line(format!(
            "Linked GitHub login `{login}`. Your review queue and merged PRs show up in your next summary. Mark core repositories with `/tlm github core owner/repo`."
        )),
        GithubView::Unlinked(Some(login)) => Doc::line(format!(
            "Unlinked `{login}` and dropped its GitHub figures."
        )),
        GithubView::Unlinked(None) => Doc::line("No GitHub login was linked — nothing to change."),
        GithubView::Core(repos) if repos.is_empty() => {
            Doc::line("No core repositories marked.")
        }
        GithubView::Core(repos) => Doc::line(format!(
            "Core repositories: {}.",
            repos.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
        )),
    }
}

fn shown(link: &GithubLink) -> String {
    let core = if link.core.is_empty() {
        "no core repositories marked".to_string()
    } else {
        format!("core: {}", link.core.join(", "))
    };
    let mut text = format!("GitHub login `{}` ({core}).", link.login);
    match &link.figures {
        Some(f) => {
            text.push_str(&format!(
                " Last figures ({}): {}; {}",
                f.fetched_at.format("%a %-d %b %H:%M UTC"),
                merged_phrase(f),
                queue_phrase(f)
            ));
            for url in &f.waiting_urls {
                text.push_str(&format!("\n• <{url}>"));
            }
        }
        None => text.push_str(" No figures fetched yet: they come before your next summary."),
    }
    text
}
