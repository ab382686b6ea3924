//! GitHub signals against a fake GitHub (wiremock on loopback) in the shapes of GitHub's
//! documented responses, served under a GHES base path (`/api/v3`): `/tlm github`, the
//! refresh, the `reviews` nudge and the summary lines through the scheduler, ETags,
//! `Link` pages, rate limits, a bad token, an outage, `forget`.

use crate::support::{invalid, scope, TestApp};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;
use twohats::app::github::{GithubApi, GithubError, Searched};
use twohats::app::Reply;
use twohats::domain::nudge::Nudge;
use twohats::github::{GithubClient, Timeouts};
use twohats::render::text::to_text;
use twohats::store::prelude::*;
use wiremock::matchers::{header, method, path, path_regex, query_param, query_param_contains};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BASE: &str = "/api/v3";

fn utc(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap()
}

fn client(server: &MockServer) -> GithubClient {
    GithubClient::new(
        &format!("{}{BASE}", server.uri()),
        "ghp_test",
        Timeouts {
            connect: std::time::Duration::from_secs(2),
            call: std::time::Duration::from_secs(2),
        },
    )
    .unwrap()
}

fn item(repo: &str, number: u64, created: DateTime<Utc>) -> serde_json::Value {
    json!({
        "url": format!("https://api.github.com/repos/{repo}/issues/{number}"),
        "repository_url": format!("https://api.github.com/repos/{repo}"),
        "html_url": format!("https://github.com/{repo}/pull/{number}"),
        "number": number,
        "state": "open",
        "title": "A change",
        "user": {"login": "someone", "id": 1},
        "created_at": created.to_rfc3339(),
        "updated_at": created.to_rfc3339(),
        "pull_request": {"url": format!("https://api.github.com/repos/{repo}/pulls/{number}")}
    })
}

fn page(total: u32, items: Vec<serde_json::Value>) -> serde_json::Value {
    json!({"total_count": total, "incomplete_results": false, "items": items})
}

/// The fake GitHub for `ann-gh`, who reviews for her report `bob-gh`.
async fn fake_github() -> MockServer {
    let server = MockServer::start().await;
    for (login, status) in [("ann-gh", 200), ("bob-gh", 200), ("nobody", 404)] {
        Mock::given(method("GET"))
            .and(path(format!("{BASE}/users/{login}")))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(json!({"login": login, "id": 7, "type": "User"})),
            )
            .mount(&server)
            .await;
    }
    // The review queue: two pages, linked.
    let next = format!(
        "<{}{BASE}/search/issues?q=is%3Apr&page=2>; rel=\"next\", <{}{BASE}/search/issues?q=is%3Apr&page=2>; rel=\"last\"",
        server.uri(),
        server.uri()
    );
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/search/issues")))
        .and(query_param_contains("q", "user-review-requested:ann-gh"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", next.as_str())
                .insert_header("etag", "\"queue-1\"")
                .set_body_json(page(
                    4,
                    vec![
                        item("acme/payments", 1, utc(11, 10, 9)),
                        item("acme/payments", 2, utc(11, 26, 9)),
                    ],
                )),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/search/issues")))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            4,
            vec![
                item("acme/docs", 3, utc(11, 26, 10)),
                item("acme/docs", 4, utc(11, 26, 11)),
            ],
        )))
        .with_priority(1)
        .mount(&server)
        .await;
    // PR 1 was opened on the 10th but its review re-requested on the 24th: it has waited
    // three days, not seventeen.
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/repos/acme/payments/issues/1/timeline")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"event": "review_requested", "created_at": "2026-11-20T10:00:00Z",
             "requested_reviewer": {"login": "ann-gh"}, "actor": {"login": "someone"}},
            {"event": "commented", "created_at": "2026-11-21T10:00:00Z", "actor": {"login": "ann-gh"}},
            {"event": "review_requested", "created_at": "2026-11-24T16:00:00Z",
             "requested_reviewer": {"login": "ann-gh"}, "actor": {"login": "someone"}},
            {"event": "review_requested", "created_at": "2026-11-25T16:00:00Z",
             "requested_reviewer": {"login": "cat-gh"}, "actor": {"login": "someone"}}
        ])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(format!(
            "^{BASE}/repos/[^/]+/[^/]+/issues/[0-9]+/timeline$"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .with_priority(10)
        .mount(&server)
        .await;
    // Hands-on: five merged this week, three in the core repo.
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/search/issues")))
        .and(query_param_contains(
            "q",
            "author:ann-gh merged:>=2026-11-23T00:00:00+00:00",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            5,
            vec![
                item("acme/payments", 20, utc(11, 23, 9)),
                item("acme/payments", 21, utc(11, 24, 9)),
                item("Acme/Payments", 22, utc(11, 25, 9)),
                item("acme/docs", 23, utc(11, 25, 9)),
                item("acme/docs", 24, utc(11, 26, 9)),
            ],
        )))
        .mount(&server)
        .await;
    // Multiplier: two of Bob's PRs Ann reviewed; only one review is from this week.
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/search/issues")))
        .and(query_param_contains(
            "q",
            "reviewed-by:ann-gh author:bob-gh",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            2,
            vec![
                item("acme/payments", 30, utc(11, 20, 9)),
                item("acme/payments", 31, utc(11, 5, 9)),
            ],
        )))
        .mount(&server)
        .await;
    for (number, submitted) in [(30, "2026-11-24T12:00:00Z"), (31, "2026-11-06T12:00:00Z")] {
        Mock::given(method("GET"))
            .and(path(format!(
                "{BASE}/repos/acme/payments/pulls/{number}/reviews"
            )))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                {"id": 1, "user": {"login": "cat-gh"}, "state": "COMMENTED",
                 "submitted_at": "2026-11-25T12:00:00Z"},
                {"id": 2, "user": {"login": "ann-gh"}, "state": "APPROVED",
                 "submitted_at": submitted}
            ])))
            .mount(&server)
            .await;
    }
    server
}

/// Ann (TLM, summary Fridays 16:00 UTC) with Bob on her roster, both linked.
fn linked(server: &MockServer) -> TestApp {
    let mut bot = TestApp::new();
    bot.app = bot.app.clone().with_github(Arc::new(client(server)));
    bot.now = utc(11, 27, 15) - Duration::minutes(30); // Friday 14:30
    bot.run("ann", "team add @bob");
    assert!(matches!(bot.run("ann", "github ann-gh"), Reply::Github(_)));
    assert!(matches!(bot.run("bob", "github bob-gh"), Reply::Github(_)));
    assert!(matches!(
        bot.run("ann", "github core acme/payments"),
        Reply::Github(_)
    ));
    bot
}

fn summary_text(bot: &TestApp) -> String {
    bot.app.tick(bot.now).unwrap();
    let mut sent = Vec::new();
    bot.app
        .drain_outbox_to(bot.now, |item| sent.push(item.clone()))
        .unwrap();
    let summary = sent
        .iter()
        .find(|i| i.channel == "UANN" && i.doc.fallback.starts_with("Your week"))
        .expect("Ann's summary went out");
    to_text(&summary.doc)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_review_queue_nudge_and_the_summary_lines_arrive_with_the_weekly_summary() {
    let server = fake_github().await;
    let mut bot = linked(&server);
    // Not yet within the hour before the summary: nothing fetched.
    assert_eq!(bot.app.refresh_github_due(bot.now, Duration::hours(1)), 0);
    bot.now = utc(11, 27, 15) + Duration::minutes(30);
    assert_eq!(bot.app.refresh_github_due(bot.now, Duration::hours(1)), 1);
    assert_eq!(
        bot.app.refresh_github_due(bot.now, Duration::hours(1)),
        0,
        "at most hourly"
    );

    bot.now = utc(11, 27, 16);
    let summary = bot.summary("ann");
    assert_eq!(
        summary
            .nudges
            .iter()
            .find(|n| matches!(n, Nudge::Reviews { .. })),
        Some(&Nudge::Reviews {
            waiting: 4,
            oldest_days: 3
        })
    );
    let text = summary_text(&bot);
    for line in [
        "*GitHub:* 5 PRs merged (3 in core repos)",
        "4 PRs waiting on your review.",
        "You reviewed 1 PR from 1 of your reports.",
        "4 PRs are waiting on your review, the oldest for 3 days — review the oldest today or hand 2 to someone else.",
    ] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
    // Bob sees nothing of Ann's, and his own link shows no figures yet.
    let bobs = bot.say("bob", "github");
    assert!(bobs.contains("bob-gh") && !bobs.contains("acme"), "{bobs}");
    // Ann's own view lists the waiting PRs, oldest first.
    let anns = bot.say("ann", "github");
    assert!(
        anns.contains("https://github.com/acme/payments/pull/1"),
        "{anns}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_login_is_refused_and_nothing_is_stored() {
    let server = fake_github().await;
    let mut bot = TestApp::new();
    bot.app = bot.app.clone().with_github(Arc::new(client(&server)));
    let refused = invalid(&bot.run("ann", "github nobody"));
    assert!(refused.contains("GitHub has no user `nobody`"), "{refused}");
    assert!(bot.store.user(&scope("ann")).unwrap().is_none());
    let not_linked = invalid(&bot.run("ann", "github core acme/payments"));
    assert!(not_linked.contains("Link your GitHub login first"));
}

#[test]
fn without_a_token_github_says_how_an_admin_turns_it_on() {
    let bot = TestApp::new();
    let text = bot.say("ann", "github ann-gh");
    assert!(text.contains("`GITHUB_TOKEN`"), "{text}");
    assert!(bot.store.user(&scope("ann")).unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_github_outage_leaves_the_last_figures_with_their_age_and_the_summary_on_time() {
    let server = fake_github().await;
    let mut bot = linked(&server);
    bot.now = utc(11, 26, 9); // Thursday: an early fetch
    assert!(bot.app.refresh_github(&scope("ann"), bot.now).unwrap());
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    bot.now = utc(11, 27, 15) + Duration::minutes(30);
    assert_eq!(bot.app.refresh_github_due(bot.now, Duration::hours(1)), 0);
    let record = bot.store.user(&scope("ann")).unwrap().unwrap();
    let link = record.github.unwrap();
    assert_eq!(link.failed_at, Some(bot.now));
    assert_eq!(link.figures.unwrap().fetched_at, utc(11, 26, 9));

    bot.now = utc(11, 27, 16);
    let text = summary_text(&bot);
    assert!(
        text.contains("*GitHub:* 5 PRs merged (3 in core repos)"),
        "{text}"
    );
    assert!(text.contains("GitHub figures from 31 hours ago"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn export_includes_the_github_figures_and_forget_deletes_them() {
    let server = fake_github().await;
    let mut bot = linked(&server);
    bot.now = utc(11, 27, 15) + Duration::minutes(30);
    assert!(bot.app.refresh_github(&scope("ann"), bot.now).unwrap());
    let export = bot.export("ann");
    let link = export.settings.unwrap().github.unwrap();
    assert_eq!(link.login, "ann-gh");
    assert_eq!(link.figures.unwrap().merged, 5);
    bot.run("ann", "forget confirm");
    assert!(bot.store.user(&scope("ann")).unwrap().is_none());
    assert!(bot.export("ann").settings.is_none());
    // Unlinking drops the figures too.
    bot.run("bob", "github off");
    let bob = bot.store.user(&scope("bob")).unwrap().unwrap();
    assert!(bob.github.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_search_sends_its_etag_and_a_304_keeps_the_counts() {
    let server = fake_github().await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/search/issues")))
        .and(header("if-none-match", "\"queue-1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    let gh = client(&server);
    let q = "is:pr is:open archived:false user-review-requested:ann-gh";
    let Searched::Found { total, items, etag } = gh.search(q, None).unwrap() else {
        panic!("a first search finds")
    };
    assert_eq!((total, items.len()), (4, 4), "both linked pages");
    assert_eq!(etag.as_deref(), Some("\"queue-1\""));
    assert_eq!(
        gh.search(q, etag.as_deref()).unwrap(),
        Searched::NotModified
    );

    // Through the app: the second refresh an hour later reuses the cached count.
    let mut bot = linked(&server);
    bot.now = utc(11, 27, 10);
    assert!(bot.app.refresh_github(&scope("ann"), bot.now).unwrap());
    bot.now = utc(11, 27, 11);
    assert!(bot.app.refresh_github(&scope("ann"), bot.now).unwrap());
    let figures = bot
        .store
        .user(&scope("ann"))
        .unwrap()
        .unwrap()
        .github
        .unwrap()
        .figures
        .unwrap();
    assert_eq!(
        (figures.review_queue, figures.fetched_at),
        (4, utc(11, 27, 11))
    );
    assert_eq!(figures.oldest_waiting_since, Some(utc(11, 24, 16)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_rate_limit_stops_calls_until_its_reset() {
    let server = MockServer::start().await;
    let reset = 4_102_444_800_i64; // 2100-01-01: far enough that the test never reaches it
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .set_body_json(json!({"message": "API rate limit exceeded"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let gh = client(&server);
    let until = DateTime::from_timestamp(reset, 0).unwrap();
    assert_eq!(
        gh.user_exists("ann-gh"),
        Err(GithubError::RateLimited { until })
    );
    assert_eq!(
        gh.search("is:pr", None),
        Err(GithubError::RateLimited { until }),
        "no second call before the reset"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secondary_limit_waits_retry_after_and_a_bad_token_is_named() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/users/ann-gh")))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{BASE}/search/issues")))
        .respond_with(ResponseTemplate::new(403).insert_header("retry-after", "120"))
        .mount(&server)
        .await;
    let gh = client(&server);
    assert_eq!(gh.user_exists("ann-gh"), Err(GithubError::BadToken));
    match gh.search("is:pr", None) {
        Err(GithubError::RateLimited { until }) => {
            let wait = until - Utc::now();
            assert!(wait > Duration::seconds(100) && wait <= Duration::seconds(120));
        }
        other => panic!("expected a rate limit, got {other:?}"),
    }
}

#[test]
fn the_console_demo_shows_the_github_lines_and_the_reviews_nudge() {
    let dir = tempfile::tempdir().unwrap();
    let (out, err, ok) = crate::support::console(
        dir.path(),
        &["--demo", "--now", "2026-11-27T16:00Z"],
        "/tlm summary\n",
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("*GitHub:* 5 PRs merged (3 in core repos)"),
        "{out}"
    );
    assert!(out.contains("You reviewed 6 PRs from 3 of your reports."));
    assert!(
        out.contains("4 PRs are waiting on your review, the oldest for 3 days"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_fetches_from_whatever_github_api_url_points_at() {
    use std::io::Write;
    let server = fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_twohats"))
        .args(["console", "--now", "2026-11-27T15:30Z", "--data-dir"])
        .arg(dir.path())
        .env("GITHUB_TOKEN", "github_pat_console")
        .env("GITHUB_API_URL", format!("{}{BASE}", server.uri()))
        .env_remove("TWOHATS_DEFAULT_TZ")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"/tlm github ann-gh\n/tlm github core acme/payments\n:github\n/tlm summary\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Fetched your GitHub figures"), "{text}");
    assert!(
        text.contains("*GitHub:* 5 PRs merged (3 in core repos)"),
        "{text}"
    );
    assert!(text.contains("4 PRs are waiting on your review, the oldest for 2 days"));
    assert!(!text.contains("github_pat_console"));
}
