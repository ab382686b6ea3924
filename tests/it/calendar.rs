//! The calendar: fetching a URL a user typed (refusals for loopback, private, link-local
//! and metadata addresses, before and after redirects; size cap; timeouts; revalidation),
//! and end to end over a loopback fake feed serving the fixtures in
//! `tests/fixtures/calendar/`. Every instant is fixed; no test reads the clock.

use crate::support::{scope, TestApp};
use chrono::{Duration, TimeZone, Utc};
use twohats::app::{Refreshed, Reply};
use twohats::domain::calendar::CalendarReply;
use twohats::domain::nudge::{Nudge, NudgeKind};
use twohats::domain::team::OneOnOneSource;
use twohats::fetch::{fetch, FetchError, FetchPolicy, Fetched};
use twohats::store::prelude::*;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GOOGLE: &str = include_str!("../fixtures/calendar/google.ics");
const OUTLOOK: &str = include_str!("../fixtures/calendar/outlook.ics");

/// What the tests' fake feed needs: plain http on loopback. Nothing else is loosened.
fn loopback_policy() -> FetchPolicy {
    FetchPolicy {
        allow_loopback_http: true,
        ..FetchPolicy::default()
    }
}

fn refused(result: Result<Fetched, FetchError>) -> bool {
    matches!(result, Err(FetchError::Refused(_)))
}

#[tokio::test]
async fn loopback_private_link_local_and_metadata_addresses_are_refused() {
    let policy = FetchPolicy::default();
    for url in [
        "https://127.0.0.1/cal.ics",
        "https://10.0.0.1/cal.ics",
        "https://[::1]/cal.ics",
        "https://169.254.169.254/latest/meta-data/",
        "https://192.168.0.10/cal.ics",
        "https://[fd00:ec2::254]/cal.ics",
        "https://[::ffff:127.0.0.1]/cal.ics",
        // A name that resolves to loopback is refused after resolving it.
        "https://localhost/cal.ics",
    ] {
        assert!(refused(fetch(url, None, None, &policy).await), "{url}");
    }
    // Plain http is refused outright; the test-only setting allows it on loopback only.
    assert!(refused(
        fetch("http://example.com/cal.ics", None, None, &policy).await
    ));
    let loose = loopback_policy();
    assert!(refused(
        fetch("https://10.0.0.1/cal.ics", None, None, &loose).await
    ));
    assert!(refused(
        fetch("https://169.254.169.254/", None, None, &loose).await
    ));
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/cal.ics"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("Location", "https://10.0.0.1/cal.ics"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/meta"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("Location", "http://169.254.169.254/latest/meta-data/"),
        )
        .mount(&server)
        .await;
    let policy = loopback_policy();
    let url = format!("{}/cal.ics", server.uri());
    assert!(refused(fetch(&url, None, None, &policy).await));
    let url = format!("{}/meta", server.uri());
    assert!(refused(fetch(&url, None, None, &policy).await));
}

#[tokio::test]
async fn redirects_are_followed_at_most_three_times() {
    let server = MockServer::start().await;
    for (from, to) in [("/a", "/b"), ("/b", "/c"), ("/c", "/d"), ("/d", "/e")] {
        Mock::given(method("GET"))
            .and(path(from))
            .respond_with(ResponseTemplate::new(302).insert_header("Location", to))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/e"))
        .respond_with(ResponseTemplate::new(200).set_body_string(GOOGLE))
        .mount(&server)
        .await;
    let policy = loopback_policy();
    let too_many = fetch(&format!("{}/a", server.uri()), None, None, &policy).await;
    assert_eq!(too_many, Err(FetchError::TooManyRedirects));
    let three = fetch(&format!("{}/b", server.uri()), None, None, &policy).await;
    assert!(matches!(three, Ok(Fetched::Body { .. })), "{three:?}");
}

#[tokio::test]
async fn an_oversized_feed_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_bytes(vec![b'x'; twohats::fetch::MAX_BYTES + 1]),
        )
        .mount(&server)
        .await;
    let got = fetch(
        &format!("{}/big.ics", server.uri()),
        None,
        None,
        &loopback_policy(),
    )
    .await;
    assert_eq!(got, Err(FetchError::TooLarge));
}

#[tokio::test]
async fn a_slow_feed_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(GOOGLE)
                .set_delay(std::time::Duration::from_secs(30)),
        )
        .mount(&server)
        .await;
    let policy = FetchPolicy {
        total_timeout: std::time::Duration::from_millis(300),
        ..loopback_policy()
    };
    let got = fetch(&format!("{}/slow.ics", server.uri()), None, None, &policy).await;
    assert_eq!(got, Err(FetchError::Timeout));
}

#[tokio::test]
async fn etag_and_last_modified_revalidate() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("If-None-Match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("ETag", "\"v1\"")
                .insert_header("Last-Modified", "Fri, 27 Nov 2026 08:00:00 GMT")
                .set_body_string(GOOGLE),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let url = format!("{}/cal.ics", server.uri());
    let first = fetch(&url, None, None, &loopback_policy()).await.unwrap();
    let Fetched::Body {
        etag,
        last_modified,
        ..
    } = first
    else {
        panic!("expected a body");
    };
    assert_eq!(etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        last_modified.as_deref(),
        Some("Fri, 27 Nov 2026 08:00:00 GMT")
    );
    let again = fetch(
        &url,
        etag.as_deref(),
        last_modified.as_deref(),
        &loopback_policy(),
    )
    .await;
    assert_eq!(again, Ok(Fetched::NotModified));
}

async fn feed(body: &'static str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/calendar/ical/alice/private-secret/basic.ics"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .mount(&server)
        .await;
    server
}

fn feed_url(server: &MockServer) -> String {
    format!(
        "{}/calendar/ical/alice/private-secret/basic.ics",
        server.uri()
    )
}

#[tokio::test]
async fn confirm_a_series_then_the_summary_shows_the_1on1s_logged_and_no_1on1_nudge() {
    let server = feed(GOOGLE).await;
    let mut t = TestApp::new();
    // Bob joined the roster at the start of the month; it's Friday 27 Nov in Berlin now.
    t.now = Utc.with_ymd_and_hms(2026, 11, 2, 15, 0, 0).unwrap();
    t.run("alice", "tz Europe/Berlin");
    t.run("alice", "target 70");
    t.run("alice", "team add @bob");
    t.now = Utc.with_ymd_and_hms(2026, 11, 27, 15, 0, 0).unwrap();
    let reply = t.run("alice", &format!("calendar {}", feed_url(&server)));
    let Reply::Calendar(CalendarReply::Linked { masked, .. }) = &reply else {
        panic!("{reply:?}");
    };
    assert!(
        masked.starts_with("127.0.0.1:") && masked.ends_with("/…"),
        "{masked}"
    );
    assert!(!t.say("alice", "calendar off").is_empty());
    t.run("alice", &format!("calendar {}", feed_url(&server)));

    // Before the refresh: bob is never met, so the 1:1 nudge is there.
    let before = t.summary("alice");
    assert!(before.calendar.is_none());
    assert!(before
        .nudges
        .iter()
        .any(|n| n.kind() == NudgeKind::OneOnOnes));

    let policy = loopback_policy();
    let refreshed = t
        .app
        .refresh_calendar(&scope("alice"), t.now, &policy)
        .await
        .unwrap();
    let Refreshed::Updated { offered, logged } = refreshed else {
        panic!("{refreshed:?}");
    };
    assert_eq!(logged, 0);
    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0].with.id.as_str(), "UBOB");
    // At most hourly.
    let again = t
        .app
        .refresh_calendar(&scope("alice"), t.now, &policy)
        .await
        .unwrap();
    assert_eq!(again, Refreshed::TooSoon);

    let summary = t.summary("alice");
    let figures = summary.calendar.expect("figures");
    assert_eq!((figures.meeting_hours(), figures.focus_blocks), (5, 5));
    let text =
        twohats::render::text::to_text(&twohats::render::summary::summary_doc(&t.summary("alice")));
    assert!(
        text.contains("*Calendar:* 5 h in meetings, 5 focus blocks of 2 h+"),
        "{text}"
    );

    // Yes: the next refresh logs the 18th (moved) and the 24th; the cancelled 10th and the
    // excluded 3rd are not logged.
    let yes = t.run("alice", "calendar yes @bob");
    assert!(
        matches!(
            yes,
            Reply::Calendar(CalendarReply::Answered { yes: true, .. })
        ),
        "{yes:?}"
    );
    let refreshed = t
        .app
        .refresh_calendar(&scope("alice"), t.now, &policy)
        .await
        .unwrap();
    assert_eq!(
        refreshed,
        Refreshed::Updated {
            offered: vec![],
            logged: 2
        }
    );
    let summary = t.summary("alice");
    assert_eq!(summary.one_on_ones_this_week, 1);
    assert!(
        !summary
            .nudges
            .iter()
            .any(|n| n.kind() == NudgeKind::OneOnOnes),
        "{:?}",
        summary.nudges
    );
    let bob = summary
        .reports
        .iter()
        .find(|r| r.person.id.as_str() == "UBOB")
        .unwrap();
    assert_eq!(
        bob.last,
        Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap())
    );
    let text =
        twohats::render::text::to_text(&twohats::render::summary::summary_doc(&t.summary("alice")));
    assert!(
        text.contains("last 1:1 Tue 24 Nov (from your calendar, 3 days ago)"),
        "{text}"
    );
    // Hand logging still works: the 24th again (the day the calendar logged) and today.
    assert!(matches!(
        t.run("alice", "1on1 @bob 2026-11-24"),
        Reply::OneOnOneLogged { .. }
    ));
    let summary = t.summary("alice");
    assert_eq!(
        summary.one_on_ones_this_week, 1,
        "one 1:1 on the 24th, not two"
    );
    let bob = summary
        .reports
        .iter()
        .find(|r| r.person.id.as_str() == "UBOB")
        .unwrap();
    assert_eq!(bob.last_source, OneOnOneSource::ByHand);
    assert!(matches!(
        t.run("alice", "1on1 @bob"),
        Reply::OneOnOneLogged { .. }
    ));
    let d = |day| chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
    let mut sources: Vec<_> = t
        .store
        .one_on_ones_for(&scope("alice"), &[], d(1))
        .unwrap()
        .into_iter()
        .map(|o| (o.date, o.source))
        .collect();
    sources.sort_by_key(|(date, source)| (*date, source.is_by_hand()));
    assert_eq!(
        sources,
        vec![
            (d(18), OneOnOneSource::Calendar),
            (d(24), OneOnOneSource::Calendar),
            (d(24), OneOnOneSource::ByHand),
            (d(27), OneOnOneSource::ByHand),
        ]
    );
    assert_eq!(t.summary("alice").one_on_ones_this_week, 2);

    // A refresh an hour later logs nothing twice.
    t.advance(Duration::hours(1));
    let refreshed = t
        .app
        .refresh_calendar(&scope("alice"), t.now, &policy)
        .await
        .unwrap();
    assert_eq!(
        refreshed,
        Refreshed::Updated {
            offered: vec![],
            logged: 0
        }
    );

    // Export has it, the URL included (it's the user's own); forget deletes it.
    let export = serde_json::to_string(&t.export("alice")).unwrap();
    assert!(export.contains("\"calendar\""), "{export}");
    t.run("alice", "forget confirm");
    assert!(t.store.user(&scope("alice")).unwrap().is_none());
}

#[tokio::test]
async fn a_week_without_focus_time_nudges_and_ooo_days_pause() {
    // The Outlook feed in California: the week has focus blocks; the OOO days pause.
    let server = feed(OUTLOOK).await;
    let mut t = TestApp::new();
    t.now = Utc.with_ymd_and_hms(2026, 11, 27, 20, 0, 0).unwrap();
    t.run("carl", "tz America/Los_Angeles");
    t.run("carl", "target 70");
    // Working hours of 90 minutes hold no 2-hour block, whatever the feed says.
    t.run("carl", "hours mon-fri 10:00-11:30");
    t.run("carl", &format!("calendar {}", feed_url(&server)));
    let policy = loopback_policy();
    let refreshed = t
        .app
        .refresh_calendar(&scope("carl"), t.now, &policy)
        .await
        .unwrap();
    assert!(
        matches!(refreshed, Refreshed::Updated { .. }),
        "{refreshed:?}"
    );
    let summary = t.summary("carl");
    assert_eq!(summary.calendar.map(|c| c.focus_blocks), Some(0));
    assert!(
        summary.nudges.contains(&Nudge::Focus { target_pct: 70 }),
        "{:?}",
        summary.nudges
    );
    let text = twohats::render::text::to_text(&twohats::render::summary::summary_doc(&summary));
    assert!(text.contains("No 2-hour focus block this week, and your target is 70% engineering — block one for tomorrow morning?"), "{text}");
    // Snoozed per kind.
    t.run("carl", "snooze focus");
    assert!(!t
        .summary("carl")
        .nudges
        .iter()
        .any(|n| n.kind() == NudgeKind::Focus));

    // Monday 30 Nov is out of office ("Conference", marked OOF): paused, no nudges.
    t.now = Utc.with_ymd_and_hms(2026, 11, 30, 20, 0, 0).unwrap();
    let monday = t.summary("carl");
    assert!(monday.paused.is_some() && monday.nudges.is_empty());
    // `resume` wins.
    assert!(matches!(
        t.run("carl", "resume"),
        Reply::Resumed { was_paused: true }
    ));
    assert!(t.summary("carl").paused.is_none());
}

#[test]
fn plain_http_and_private_addresses_are_refused_when_linking_and_store_nothing() {
    let t = TestApp::new();
    for url in [
        "http://calendar.example.com/basic.ics",
        "https://10.0.0.1/basic.ics",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/x.ics",
    ] {
        let reply = t.run("erin", &format!("calendar {url}"));
        assert!(matches!(reply, Reply::Invalid { .. }), "{url}: {reply:?}");
    }
    assert!(
        t.store.user(&scope("erin")).unwrap().is_none(),
        "nothing stored"
    );
}

#[tokio::test]
async fn nothing_from_the_calendar_reaches_a_team_digest() {
    let server = feed(GOOGLE).await;
    let mut t = TestApp::new();
    t.now = Utc.with_ymd_and_hms(2026, 11, 27, 15, 0, 0).unwrap();
    t.run("alice", "tz Europe/Berlin");
    t.run("alice", "digest #eng");
    t.run("alice", &format!("calendar {}", feed_url(&server)));
    t.app
        .refresh_calendar(&scope("alice"), t.now, &loopback_policy())
        .await
        .unwrap();
    assert!(t.summary("alice").calendar.is_some());
    let channel = twohats::domain::ids::ChannelId::parse("CENG").unwrap();
    let digest = t
        .app
        .digest(&scope("alice").team, &channel, t.now)
        .unwrap()
        .expect("subscribed");
    let text = twohats::render::text::to_text(&twohats::render::summary::digest_doc(&digest));
    for word in [
        "Calendar",
        "meeting",
        "focus",
        "1:1",
        "Vacation",
        "127.0.0.1",
    ] {
        assert!(!text.contains(word), "{word} in {text}");
    }
}

#[tokio::test]
async fn a_failing_calendar_never_blocks_a_summary() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let t = TestApp::new();
    t.run("dana", &format!("calendar {}/cal.ics", server.uri()));
    let got = t
        .app
        .refresh_calendar(&scope("dana"), t.now, &loopback_policy())
        .await
        .unwrap();
    assert_eq!(got, Refreshed::Failed);
    let summary = t.summary("dana");
    assert!(summary.calendar.is_none());
    // Nothing from the calendar is in a reply but the masked host.
    let linked = t.say("dana", &format!("calendar {}/other.ics", server.uri()));
    assert!(!linked.contains("other.ics"), "{linked}");
}

/// The console with a fixture feed: link, read, confirm the series, read again; the summary
/// shows the figures and the 1:1 logged, and an out-of-office day is paused.
#[tokio::test]
async fn the_console_reads_a_fixture_feed() {
    let server = feed(GOOGLE).await;
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "/tlm tz Europe/Berlin\n/tlm team add @bob\n:advance 25d\n/tlm calendar {}\n:calendar\n\
         /tlm calendar yes @bob\n:tick\n/tlm summary\n:advance 6d\n/tlm summary\n",
        feed_url(&server)
    );
    let data_dir = dir.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_twohats"))
            .args(["console", "--now", "2026-11-02T15:00Z", "--data-dir"])
            .arg(&data_dir)
            .env_remove("TWOHATS_DEFAULT_TZ")
            .env("TWOHATS_CALENDAR_ALLOW_LOOPBACK_HTTP", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("Calendar linked (127.0.0.1:"), "{out}");
    // The console echoes its input; no reply repeats the URL.
    assert_eq!(
        out.matches("private-secret").count(),
        1,
        "the URL is never echoed: {out}"
    );
    assert!(out.contains("Is this your 1:1 with @bob?"), "{out}");
    assert!(
        out.contains("Calendar read: 2 1:1s logged from it."),
        "{out}"
    );
    assert!(
        out.contains("*Calendar:* 5 h in meetings, 5 focus blocks of 2 h+"),
        "{out}"
    );
    assert!(
        out.contains("@bob — last 1:1 Tue 24 Nov (from your calendar, 3 days ago)"),
        "{out}"
    );
    assert!(out.contains("Paused through Fri 4 Dec"), "{out}");
}

/// An out-of-office day skips the check-in prompt as `pause` does; the next working day
/// gets it again.
#[tokio::test]
async fn an_ooo_day_skips_the_prompt_and_the_next_day_gets_it() {
    let server = feed(OUTLOOK).await;
    let mut t = TestApp::new();
    t.now = Utc.with_ymd_and_hms(2026, 11, 27, 20, 0, 0).unwrap();
    t.run("carl", "tz America/Los_Angeles");
    t.run("carl", "schedule checkin weekdays 17:00");
    t.run("carl", &format!("calendar {}", feed_url(&server)));
    t.app
        .refresh_calendar(&scope("carl"), t.now, &loopback_policy())
        .await
        .unwrap();
    // Monday 30 Nov 17:00 in California ("Conference", marked OOF, 30 Nov - 1 Dec).
    let monday = Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap();
    let report = t.app.tick(monday).unwrap();
    assert_eq!((report.queued, report.skipped), (0, 1), "{report:?}");
    // Wednesday 2 Dec 17:00: back.
    let wednesday = Utc.with_ymd_and_hms(2026, 12, 3, 1, 0, 0).unwrap();
    let report = t.app.tick(wednesday).unwrap();
    assert_eq!((report.queued, report.skipped), (1, 0), "{report:?}");
}
