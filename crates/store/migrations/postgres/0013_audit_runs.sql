-- Each audit of a source: when, what it found, so drift can be watched
-- (served over HTTP and as Prometheus metrics).
CREATE TABLE audit_runs (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    -- microseconds since the epoch, UTC
    finished_at BIGINT NOT NULL,
    -- OK | WARNING | CRITICAL | UNKNOWN
    status TEXT NOT NULL,
    checked BIGINT NOT NULL,
    missing BIGINT NOT NULL,
    extra BIGINT NOT NULL,
    differ BIGINT NOT NULL,
    repaired BIGINT NOT NULL,
    error TEXT
);
CREATE INDEX audit_runs_source ON audit_runs (source, id);
