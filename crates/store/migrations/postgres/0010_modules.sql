-- PDC's modules: one row per module build (name:stream:version:context),
-- its runtime and build dependencies on other modules' streams, and the
-- rpms it ships. Mirrored into the artifact graph (source `pdc:modules`).

CREATE TABLE modules (
    id BIGSERIAL PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    stream TEXT NOT NULL,
    version TEXT NOT NULL,
    context TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT FALSE,
    koji_tag TEXT NOT NULL,
    modulemd TEXT NOT NULL,
    UNIQUE (name, stream, version, context)
);
CREATE INDEX modules_koji_tag ON modules (lower(koji_tag));

CREATE TABLE module_deps (
    module_id BIGINT NOT NULL REFERENCES modules (id) ON DELETE CASCADE,
    -- runtime or build
    kind TEXT NOT NULL,
    dependency TEXT NOT NULL,
    stream TEXT NOT NULL,
    position INTEGER NOT NULL,
    UNIQUE (module_id, kind, position)
);
CREATE INDEX module_deps_dependency ON module_deps (dependency, stream);

CREATE TABLE module_rpms (
    module_id BIGINT NOT NULL REFERENCES modules (id) ON DELETE CASCADE,
    rpm_id BIGINT NOT NULL REFERENCES rpms (id),
    PRIMARY KEY (module_id, rpm_id)
);
CREATE INDEX module_rpms_rpm ON module_rpms (rpm_id);
