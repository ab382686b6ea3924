-- twohats schema, version 1: one table per sled tree, with sled's keys and versioned-JSON
-- values byte for byte (bytea sorts bytewise, as sled does, so a history is one range scan
-- and a backup is the same file whichever store wrote it), plus the columns that the
-- queries need: when an event was seen, when a queued message is due and who leases it.
CREATE TABLE users (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE checkins (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE one_on_ones (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE wins (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE fires (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE digests (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE ledger (key bytea PRIMARY KEY, value bytea NOT NULL);
CREATE TABLE seen_events (
    key bytea PRIMARY KEY,
    value bytea NOT NULL,
    seen_ms bigint NOT NULL
);
CREATE INDEX seen_events_by_time ON seen_events (seen_ms);
CREATE TABLE outbox (
    key bytea PRIMARY KEY,
    value bytea NOT NULL,
    not_before_ms bigint NOT NULL,
    lease_until_ms bigint
);
CREATE INDEX outbox_by_due ON outbox (not_before_ms);
-- History and outbox keys end in one of these ids (big-endian, as int8send writes them).
CREATE SEQUENCE ids MINVALUE 1 START 1;
