//! Modals and buttons: submissions run the same use cases; refusals come back as field
//! errors and store nothing.

use super::{reply_text, Served};
use serde_json::{json, Value};

fn user() -> Value {
    json!({"id": "U0ANN", "username": "ann", "name": "ann", "team_id": "T0TEAM"})
}

fn submission(callback_id: &str, values: Value) -> Value {
    json!({
        "type": "view_submission",
        "team": {"id": "T0TEAM", "domain": "acme"},
        "user": user(),
        "api_app_id": "A0APP",
        "trigger_id": "1.2.3",
        "view": {"id": "V0VIEW", "type": "modal", "callback_id": callback_id, "state": {"values": values}, "hash": "h"}
    })
}

#[tokio::test]
async fn a_checkin_modal_submission_is_stored() {
    let served = Served::start().await;
    let values = json!({
        "eng": {"value": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "70%"}, "value": "70"}}},
        "energy": {"value": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "4"}, "value": "4"}}},
        "cp": {"value": {"type": "checkboxes", "selected_options": []}},
        "fires": {"value": {"type": "checkboxes", "selected_options": [{"text": {"type": "plain_text", "text": "x"}, "value": "people"}]}},
        "kinds": {"value": {"type": "checkboxes", "selected_options": [{"text": {"type": "plain_text", "text": "x"}, "value": "design"}]}},
        "note": {"value": {"type": "plain_text_input", "value": "design review for search"}}
    });
    let (status, body) = served.interact(submission("twohats.checkin", values)).await;
    assert_eq!(
        (status, body),
        (200, Value::Null),
        "accepted: the modal closes"
    );
    let (_, summary) = served.command("U0ANN", "summary").await;
    let text = reply_text(&summary);
    assert!(
        text.contains("70% engineering")
            && text.contains("*Fires:* people")
            && text.contains("design 1 day"),
        "{text}"
    );
}

#[tokio::test]
async fn a_one_on_one_in_the_future_comes_back_as_a_field_error_and_stores_nothing() {
    let served = Served::start().await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let values = json!({
        "with": {"value": {"type": "users_select", "selected_user": "U0BOB"}},
        "date": {"value": {"type": "datepicker", "selected_date": tomorrow}}
    });
    let (status, body) = served.interact(submission("twohats.1on1", values)).await;
    assert_eq!(status, 200);
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(
        body["errors"]["date"]
            .as_str()
            .unwrap()
            .contains("in the future"),
        "{body}"
    );
    served.command("U0ANN", "export").await;
    let uploaded = served.calls("/upload/F0FILE", 1).await;
    let data: Value = serde_json::from_slice(&uploaded[0].body).unwrap();
    assert_eq!(data["one_on_ones"], json!([]), "nothing stored");
}

#[tokio::test]
async fn a_one_on_one_with_yourself_is_refused_on_the_person_field() {
    let served = Served::start().await;
    let values = json!({
        "with": {"value": {"type": "users_select", "selected_user": "U0ANN"}},
        "date": {"value": {"type": "datepicker", "selected_date": "2026-01-05"}}
    });
    let (_, body) = served.interact(submission("twohats.1on1", values)).await;
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(
        body["errors"]["with"]
            .as_str()
            .unwrap()
            .contains("takes two")
            && body["errors"]["date"].is_null(),
        "{body}"
    );
}

#[tokio::test]
async fn modal_refusals_are_worded_as_the_slash_command_words_them() {
    let served = Served::start().await;
    let select = |value: &str| json!({"value": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}});
    let values = json!({"eng": select("60"), "energy": select("9")});
    let (_, body) = served.interact(submission("twohats.checkin", values)).await;
    assert_eq!(
        body["errors"]["energy"],
        "`9` won't do: energy goes from 1 (running on empty) to 5 (plenty left).",
        "{body}"
    );
    let values = json!({"eng": select("60"), "note": {"value": {"type": "plain_text_input", "value": "x".repeat(501)}}});
    let (_, body) = served.interact(submission("twohats.checkin", values)).await;
    assert!(
        body["errors"]["note"]
            .as_str()
            .unwrap()
            .contains("up to 500 characters, and this one is 501"),
        "{body}"
    );
    let values = json!({"target": select("120")});
    let (_, body) = served
        .interact(submission("twohats.settings", values))
        .await;
    assert!(
        body["errors"]["target"]
            .as_str()
            .unwrap()
            .contains("between 0 and 100"),
        "{body}"
    );
}

#[tokio::test]
async fn a_settings_submission_with_a_bad_zone_and_schedule_names_both_fields() {
    let served = Served::start().await;
    let values = json!({
        "target": {"value": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "80%"}, "value": "80"}}},
        "tz": {"value": {"type": "plain_text_input", "value": "Mars/Olympus"}},
        "checkin_schedule": {"value": {"type": "plain_text_input", "value": "someday 25:00"}},
        "summary_schedule": {"value": {"type": "plain_text_input", "value": "fri 16:00"}}
    });
    let (_, body) = served
        .interact(submission("twohats.settings", values))
        .await;
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(
        body["errors"]["tz"].is_string() && body["errors"]["checkin_schedule"].is_string(),
        "{body}"
    );
    let (_, summary) = served.command("U0ANN", "summary").await;
    assert!(
        reply_text(&summary).contains("target 50% engineering"),
        "the valid target was not half-applied"
    );
}

#[tokio::test]
async fn buttons_open_modals_and_snooze() {
    let served = Served::start().await;
    served.command("U0ANN", "cp on").await;
    let press = |action_id: &str, value: &str, view: Value| {
        json!({
            "type": "block_actions",
            "team": {"id": "T0TEAM"},
            "user": user(),
            "trigger_id": "9.9.9",
            "response_url": format!("{}/respond/1", served.slack.uri()),
            "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b", "action_ts": "1"}],
            "view": view,
        })
    };
    wiremock::Mock::given(wiremock::matchers::path("/respond/1"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&served.slack)
        .await;
    served
        .interact(press("twohats.log_1on1:0", "U0BOB", Value::Null))
        .await;
    let opened = served.calls("/api/views.open", 1).await;
    let view: Value = serde_json::from_slice(&opened[0].body).unwrap();
    assert_eq!(view["view"]["callback_id"], "twohats.1on1");
    assert_eq!(
        view["view"]["blocks"][0]["element"]["initial_user"],
        "U0BOB"
    );

    served
        .interact(press("twohats.snooze:1", "cp", Value::Null))
        .await;
    let responded = served.calls("/respond/1", 1).await;
    let answer: Value = serde_json::from_slice(&responded[0].body).unwrap();
    assert!(
        answer.to_string().contains("Snoozed the `cp` nudge"),
        "{answer}"
    );

    served
        .interact(press(
            "twohats.open_settings:home",
            "",
            json!({"type": "home"}),
        ))
        .await;
    let opened = served.calls("/api/views.open", 2).await;
    let view: Value = serde_json::from_slice(&opened[1].body).unwrap();
    assert_eq!(view["view"]["callback_id"], "twohats.settings");
    assert!(
        !view.to_string().contains("github_login"),
        "no GitHub fields without a GitHub token: {view}"
    );
}
