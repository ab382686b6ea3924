//! Prometheus metrics, served at `GET /metrics` in the text format.
//!
//! Label values come from small fixed sets (command words, outcomes, Web API method names,
//! status classes) so a scrape never grows with user input, and never carries it.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CommandLabels {
    pub command: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkLabels {
    pub work: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ApiLabels {
    pub method: String,
    pub status: String,
}

pub struct Metrics {
    registry: Registry,
    /// `/tlm` commands by command word and outcome (`ok`, `invalid`, `failed`).
    pub commands: Family<CommandLabels, Counter>,
    /// Time from receiving a Slack request to answering it, by route.
    pub ack_seconds: Family<RouteLabels, Histogram>,
    /// How late scheduled messages were claimed after their fire time.
    pub scheduler_lag_seconds: Histogram,
    /// Scheduler rounds run: a flat line means the scheduler has stopped.
    pub scheduler_ticks: Counter,
    /// Scheduled jobs (or whole rounds) that panicked, were logged and skipped.
    pub scheduler_panics: Counter,
    /// Messages waiting in the outbox.
    pub outbox_depth: Gauge,
    /// Seconds since the oldest unsent outbox message was queued; 0 when the outbox is empty.
    pub outbox_oldest_age_seconds: Gauge<f64, AtomicU64>,
    /// Background Web API work (profile lookup, modal, Home tab, export, response_url)
    /// dropped because as much was already running, by kind.
    pub background_dropped: Family<WorkLabels, Counter>,
    /// Web API calls by method and result (`ok`, `refused`, `429`, `5xx`, `error`).
    pub slack_calls: Family<ApiLabels, Counter>,
    /// 429 answers from Slack.
    pub rate_limited: Counter,
    /// Store flushes (fsyncs); each makes every write waiting at the time durable.
    pub store_flushes: Counter,
    /// Writes made durable; divided by `store_flushes`, how many share an fsync.
    pub store_durable_waits: Counter,
    /// Stored rows met that didn't decode: skipped by loops, or their owner's request failed.
    pub store_undecodable_rows: Counter,
    /// When the last scheduled backup was written, in Unix seconds (at start: the newest one
    /// already in `TWOHATS_BACKUP_DIR`); 0 when there is none.
    pub backup_last_success_timestamp_seconds: Gauge,
    /// Serialises [`Metrics::observe_flushes`], so two scrapes can't both add the same delta.
    flush_sync: std::sync::Mutex<()>,
}

fn ack_histogram() -> Histogram {
    // 0.25 ms to about 4 s: Slack's deadline is 3 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("twohats");
        let commands = Family::<CommandLabels, Counter>::default();
        let ack_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(
            ack_histogram as fn() -> Histogram,
        );
        let scheduler_lag_seconds = Histogram::new(exponential_buckets(0.5, 2.0, 14));
        let scheduler_ticks = Counter::default();
        let scheduler_panics = Counter::default();
        let outbox_depth = Gauge::default();
        let outbox_oldest_age_seconds = Gauge::<f64, AtomicU64>::default();
        let background_dropped = Family::<WorkLabels, Counter>::default();
        let slack_calls = Family::<ApiLabels, Counter>::default();
        let rate_limited = Counter::default();
        let store_flushes = Counter::default();
        let store_durable_waits = Counter::default();
        let store_undecodable_rows = Counter::default();
        let backup_last_success_timestamp_seconds = Gauge::default();
        registry.register(
            "commands",
            "Slash commands by command word and outcome",
            commands.clone(),
        );
        registry.register(
            "ack_seconds",
            "Time to answer a Slack request, by route",
            ack_seconds.clone(),
        );
        registry.register(
            "scheduler_lag_seconds",
            "Delay between a scheduled fire time and the message being queued",
            scheduler_lag_seconds.clone(),
        );
        registry.register(
            "scheduler_ticks",
            "Scheduler rounds run (each looks for due messages and claims them)",
            scheduler_ticks.clone(),
        );
        registry.register(
            "scheduler_panics",
            "Scheduled jobs or rounds that panicked and were skipped",
            scheduler_panics.clone(),
        );
        registry.register(
            "outbox_depth",
            "Scheduled messages waiting to be delivered",
            outbox_depth.clone(),
        );
        registry.register(
            "outbox_oldest_age_seconds",
            "Seconds the oldest undelivered scheduled message has waited (0: none waiting)",
            outbox_oldest_age_seconds.clone(),
        );
        registry.register(
            "background_dropped",
            "Background Slack calls dropped because the limit of concurrent ones was reached",
            background_dropped.clone(),
        );
        registry.register(
            "slack_api_calls",
            "Slack Web API calls by method and result",
            slack_calls.clone(),
        );
        registry.register(
            "slack_rate_limited",
            "429 answers from the Slack Web API",
            rate_limited.clone(),
        );
        registry.register(
            "store_flushes",
            "Store flushes (fsyncs), each shared by every write waiting at the time",
            store_flushes.clone(),
        );
        registry.register(
            "store_durable_waits",
            "Writes made durable; divided by store_flushes, the writes sharing each fsync",
            store_durable_waits.clone(),
        );
        registry.register(
            "store_undecodable_rows",
            "Stored rows met that did not decode (skipped, or only their owner's request failed)",
            store_undecodable_rows.clone(),
        );
        registry.register(
            "backup_last_success_timestamp_seconds",
            "Unix time the last scheduled backup was written (0: none yet)",
            backup_last_success_timestamp_seconds.clone(),
        );
        Arc::new(Self {
            registry,
            commands,
            ack_seconds,
            scheduler_lag_seconds,
            scheduler_ticks,
            scheduler_panics,
            outbox_depth,
            outbox_oldest_age_seconds,
            background_dropped,
            slack_calls,
            rate_limited,
            store_flushes,
            store_durable_waits,
            store_undecodable_rows,
            backup_last_success_timestamp_seconds,
            flush_sync: std::sync::Mutex::new(()),
        })
    }

    /// Brings the store's counters up to date (flushes are counted by the flusher thread,
    /// undecodable rows by the store, neither of which knows of metrics); called on each
    /// scrape.
    pub fn observe_flushes(&self, stats: crate::store::StoreStats) {
        let _one_at_a_time = self
            .flush_sync
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (counter, now) in [
            (&self.store_flushes, stats.flushes),
            (&self.store_durable_waits, stats.waits),
            (&self.store_undecodable_rows, stats.undecodable_rows),
        ] {
            counter.inc_by(now.saturating_sub(counter.get()));
        }
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub fn command(&self, command: &str, outcome: &str) {
        self.commands
            .get_or_create(&CommandLabels {
                command: command.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    pub fn ack(&self, route: &str, seconds: f64) {
        self.ack_seconds
            .get_or_create(&RouteLabels {
                route: route.into(),
            })
            .observe(seconds);
    }

    /// The age of the oldest unsent message (`None`: the outbox is empty).
    pub fn outbox_oldest_age(&self, age: Option<chrono::Duration>) {
        let seconds = age.map_or(0.0, |a| a.num_milliseconds().max(0) as f64 / 1000.0);
        self.outbox_oldest_age_seconds.set(seconds);
    }

    /// One piece of background work dropped; `work` is from a fixed set of kinds.
    pub fn background_dropped(&self, work: &str) {
        self.background_dropped
            .get_or_create(&WorkLabels { work: work.into() })
            .inc();
    }

    pub fn slack_call(&self, method: &str, status: &str) {
        self.slack_calls
            .get_or_create(&ApiLabels {
                method: method.into(),
                status: status.into(),
            })
            .inc();
        if status == "429" {
            self.rate_limited.inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_every_metric() {
        let m = Metrics::new();
        m.command("checkin", "ok");
        m.ack("commands", 0.002);
        m.slack_call("chat.postMessage", "429");
        m.outbox_depth.set(3);
        m.outbox_oldest_age(Some(chrono::Duration::milliseconds(421_500)));
        m.background_dropped("profile_tz");
        m.observe_flushes(crate::store::StoreStats {
            flushes: 2,
            waits: 5,
            undecodable_rows: 1,
        });
        m.observe_flushes(crate::store::StoreStats {
            flushes: 4,
            waits: 9,
            undecodable_rows: 3,
        });
        let text = m.encode();
        for needle in [
            "twohats_commands_total{command=\"checkin\",outcome=\"ok\"} 1",
            "twohats_ack_seconds_bucket{le=\"0.004\",route=\"commands\"} 1",
            "twohats_slack_api_calls_total{method=\"chat.postMessage\",status=\"429\"} 1",
            "twohats_slack_rate_limited_total 1",
            "twohats_outbox_depth 3",
            "twohats_outbox_oldest_age_seconds 421.5",
            "twohats_background_dropped_total{work=\"profile_tz\"} 1",
            "twohats_scheduler_lag_seconds_count 0",
            "twohats_store_flushes_total 4",
            "twohats_store_durable_waits_total 9",
            "twohats_store_undecodable_rows_total 3",
            "twohats_backup_last_success_timestamp_seconds 0",
        ] {
            assert!(text.contains(needle), "{needle} missing from\n{text}");
        }
    }

    #[test]
    fn an_empty_outbox_has_age_zero_and_a_clock_behind_the_queue_never_goes_negative() {
        let m = Metrics::new();
        m.outbox_oldest_age(Some(chrono::Duration::seconds(90)));
        m.outbox_oldest_age(None);
        assert!(m.encode().contains("twohats_outbox_oldest_age_seconds 0.0"));
        m.outbox_oldest_age(Some(chrono::Duration::seconds(-5)));
        assert!(m.encode().contains("twohats_outbox_oldest_age_seconds 0.0"));
    }
}
