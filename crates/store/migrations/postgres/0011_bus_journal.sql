-- The message journal: every bus message seen, once per message id, with
-- what became of it. A message is applied in the transaction that writes
-- its row, so a redelivery finds the row and changes nothing.

CREATE TABLE bus_journal (
    id BIGSERIAL PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    -- microseconds since the epoch, UTC
    received_at BIGINT NOT NULL,
    sent_at BIGINT,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    -- applied | ignored | failed
    status TEXT NOT NULL,
    handler TEXT,
    reason TEXT,
    -- how many times it was delivered (redeliveries count as duplicates)
    deliveries INTEGER NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);
CREATE INDEX bus_journal_status ON bus_journal (status, id);
CREATE INDEX bus_journal_topic ON bus_journal (topic, id);
