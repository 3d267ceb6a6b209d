-- Waivers (WaiverDB): never edited; the newest for a subject, testcase and
-- scenario is the one that counts.

CREATE TABLE waivers (
    id INTEGER PRIMARY KEY,
    subject_type TEXT NOT NULL,
    subject_identifier TEXT NOT NULL,
    testcase TEXT NOT NULL,
    scenario TEXT,
    username TEXT NOT NULL,
    proxied_by TEXT,
    product_version TEXT NOT NULL,
    waived INTEGER NOT NULL,
    comment TEXT NOT NULL,
    timestamp BIGINT NOT NULL
);
CREATE INDEX waivers_subject ON waivers (subject_type, subject_identifier, testcase);
CREATE INDEX waivers_timestamp ON waivers (timestamp);
