-- Components (PDC's component app): global components with their upstream,
-- release components, component group types and groups (rings are groups).

CREATE TABLE global_components (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    dist_git_path TEXT,
    upstream_homepage TEXT,
    upstream_scm_type TEXT,
    upstream_scm_url TEXT
);

CREATE TABLE release_component_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    has_osbs INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE release_components (
    id INTEGER PRIMARY KEY,
    release_id BIGINT NOT NULL REFERENCES releases (id),
    global_component_id BIGINT NOT NULL REFERENCES global_components (id),
    name TEXT NOT NULL,
    type_id BIGINT NOT NULL REFERENCES release_component_types (id),
    dist_git_branch TEXT,
    brew_package TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    srpm_name TEXT,
    UNIQUE (release_id, name, type_id)
);
CREATE INDEX release_components_name ON release_components (name);
CREATE INDEX release_components_global ON release_components (global_component_id);

CREATE TABLE component_group_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE component_groups (
    id INTEGER PRIMARY KEY,
    group_type_id BIGINT NOT NULL REFERENCES component_group_types (id),
    release_id BIGINT NOT NULL REFERENCES releases (id),
    description TEXT NOT NULL,
    UNIQUE (group_type_id, release_id, description)
);

CREATE TABLE component_group_members (
    group_id BIGINT NOT NULL REFERENCES component_groups (id),
    release_component_id BIGINT NOT NULL REFERENCES release_components (id),
    PRIMARY KEY (group_id, release_component_id)
);
CREATE INDEX component_group_members_component ON component_group_members (release_component_id);

INSERT INTO release_component_types (name, has_osbs) VALUES
    ('rpm', 0), ('container', 0), ('zip', 0), ('iso', 0), ('composite', 0);
