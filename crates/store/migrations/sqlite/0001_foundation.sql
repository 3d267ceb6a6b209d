-- The foundation: results (ResultsDB's model), users and tokens, changesets, outbox.
-- Times are BIGINT microseconds since the Unix epoch, UTC, on both engines.

CREATE TABLE testcases (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    ref_url TEXT
);

CREATE TABLE result_groups (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    description TEXT,
    ref_url TEXT
);
CREATE INDEX result_groups_description ON result_groups (description);

-- Results are immutable. data and group_uuids keep the result's own view (JSON)
-- so one row reads back whole; result_data and group_results serve the filters.
CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    testcase_id INTEGER NOT NULL REFERENCES testcases (id),
    submit_time INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT,
    ref_url TEXT,
    data TEXT NOT NULL,
    group_uuids TEXT NOT NULL
);
CREATE INDEX results_submit_time ON results (submit_time, id);
CREATE INDEX results_testcase ON results (testcase_id, submit_time, id);
CREATE INDEX results_outcome ON results (outcome, submit_time, id);

CREATE TABLE result_data (
    result_id INTEGER NOT NULL REFERENCES results (id),
    key TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX result_data_key_value ON result_data (key, value, result_id);
CREATE INDEX result_data_result ON result_data (result_id, key);

CREATE TABLE group_results (
    group_id INTEGER NOT NULL REFERENCES result_groups (id),
    result_id INTEGER NOT NULL REFERENCES results (id),
    PRIMARY KEY (group_id, result_id)
) WITHOUT ROWID;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    is_superuser INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE user_groups (
    user_id INTEGER NOT NULL REFERENCES users (id),
    group_name TEXT NOT NULL,
    PRIMARY KEY (user_id, group_name)
) WITHOUT ROWID;

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE changesets (
    id INTEGER PRIMARY KEY,
    author TEXT,
    comment TEXT,
    source TEXT NOT NULL,
    committed_on INTEGER NOT NULL
);

CREATE TABLE changes (
    id INTEGER PRIMARY KEY,
    changeset_id INTEGER NOT NULL REFERENCES changesets (id),
    target_class TEXT NOT NULL,
    target_id INTEGER NOT NULL,
    old_value TEXT,
    new_value TEXT
);
CREATE INDEX changes_target ON changes (target_class, target_id);
CREATE INDEX changes_changeset ON changes (changeset_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
