-- The artifact graph: every artifact by its name (`rpm:bash-5.2-1.fc40.x86_64`)
-- and the typed edges "input -> artifact". An edge comes from a source:
-- `native` (the graph API) or `pdc:<release>` (a PDC release-component
-- relationship, mirrored). The log lets in-memory indexes follow every
-- commit: one row per edge that appeared or went, or one `reload` row after
-- a bulk write too large to log edge by edge.

CREATE TABLE graph_nodes (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL
);

CREATE TABLE graph_edges (
    id BIGSERIAL PRIMARY KEY,
    input_id BIGINT NOT NULL REFERENCES graph_nodes (id),
    artifact_id BIGINT NOT NULL REFERENCES graph_nodes (id),
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    UNIQUE (artifact_id, input_id, kind, source)
);
CREATE INDEX graph_edges_input ON graph_edges (input_id);

CREATE TABLE graph_log (
    seq BIGSERIAL PRIMARY KEY,
    op TEXT NOT NULL,
    input TEXT,
    artifact TEXT,
    kind TEXT
);
