-- Where each reader of the outbox has got to (the decision watcher...), so
-- it goes on after a restart and never handles an event twice.

CREATE TABLE outbox_cursors (
    name TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL
);
