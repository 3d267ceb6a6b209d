-- Lifecycles (PDC's componentbranch and releaseschedule apps): SLA types,
-- component branches with their SLAs and end of life, release schedules.
-- Dates are 'YYYY-MM-DD' text: ordered as text, the same on both engines.

CREATE TABLE component_sla_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE component_branches (
    id INTEGER PRIMARY KEY,
    global_component_id BIGINT NOT NULL REFERENCES global_components (id),
    name TEXT NOT NULL,
    type_id BIGINT NOT NULL REFERENCES release_component_types (id),
    critical_path INTEGER NOT NULL DEFAULT 0,
    UNIQUE (global_component_id, name, type_id)
);
CREATE INDEX component_branches_name ON component_branches (name);

CREATE TABLE component_branch_slas (
    id INTEGER PRIMARY KEY,
    sla_id BIGINT NOT NULL REFERENCES component_sla_types (id),
    branch_id BIGINT NOT NULL REFERENCES component_branches (id),
    eol TEXT NOT NULL,
    UNIQUE (sla_id, branch_id)
);
CREATE INDEX component_branch_slas_branch ON component_branch_slas (branch_id, eol);

CREATE TABLE release_schedules (
    id INTEGER PRIMARY KEY,
    release_id BIGINT NOT NULL REFERENCES releases (id),
    sla_id BIGINT NOT NULL REFERENCES component_sla_types (id),
    date TEXT NOT NULL,
    UNIQUE (release_id, sla_id)
);
