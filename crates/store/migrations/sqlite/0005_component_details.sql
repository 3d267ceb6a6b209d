-- What PDC keeps around components: labels, the bugzilla component tree,
-- relationships between release components, contacts (people and mailing
-- lists) with their roles; the groups of users; and the deliverable types a
-- release's variants and arches expand into.

CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE global_component_labels (
    global_component_id BIGINT NOT NULL REFERENCES global_components (id),
    label_id BIGINT NOT NULL REFERENCES labels (id),
    PRIMARY KEY (global_component_id, label_id)
);
CREATE INDEX global_component_labels_label ON global_component_labels (label_id);

-- A tree: a name is unique among its siblings.
CREATE TABLE bugzilla_components (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    parent_id BIGINT REFERENCES bugzilla_components (id)
);
CREATE UNIQUE INDEX bugzilla_components_sibling ON bugzilla_components (COALESCE(parent_id, 0), name);

ALTER TABLE release_components ADD COLUMN bugzilla_component_id BIGINT REFERENCES bugzilla_components (id);

CREATE TABLE component_relationship_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE release_component_relationships (
    id INTEGER PRIMARY KEY,
    type_id BIGINT NOT NULL REFERENCES component_relationship_types (id),
    from_component_id BIGINT NOT NULL REFERENCES release_components (id),
    to_component_id BIGINT NOT NULL REFERENCES release_components (id),
    UNIQUE (type_id, from_component_id, to_component_id)
);
CREATE INDEX release_component_relationships_from ON release_component_relationships (from_component_id);
CREATE INDEX release_component_relationships_to ON release_component_relationships (to_component_id);

-- People (kind 'person', name = username) and mailing lists (kind
-- 'mailing_list', name = mail_name).
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'mailing_list')),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    UNIQUE (kind, name)
);

-- count_limit 0 means unlimited.
CREATE TABLE contact_roles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    count_limit INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE global_component_contacts (
    id INTEGER PRIMARY KEY,
    role_id BIGINT NOT NULL REFERENCES contact_roles (id),
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    component_id BIGINT NOT NULL REFERENCES global_components (id),
    UNIQUE (role_id, component_id, contact_id)
);
CREATE INDEX global_component_contacts_component ON global_component_contacts (component_id);
CREATE INDEX global_component_contacts_contact ON global_component_contacts (contact_id);

CREATE TABLE release_component_contacts (
    id INTEGER PRIMARY KEY,
    role_id BIGINT NOT NULL REFERENCES contact_roles (id),
    contact_id BIGINT NOT NULL REFERENCES contacts (id),
    component_id BIGINT NOT NULL REFERENCES release_components (id),
    UNIQUE (role_id, component_id, contact_id)
);
CREATE INDEX release_component_contacts_component ON release_component_contacts (component_id);
CREATE INDEX release_component_contacts_contact ON release_component_contacts (contact_id);

-- Groups of users, with an id for PDC's auth/groups.
CREATE TABLE auth_groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
INSERT INTO auth_groups (name)
    SELECT group_name FROM user_groups
    UNION SELECT group_name FROM group_resource_permissions;

-- What a release's variants and arches are supposed to produce. Empty
-- variant_types / variants / arches (JSON lists) mean "all".
CREATE TABLE deliverable_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    artifact TEXT NOT NULL CHECK (artifact IN ('repository', 'image')),
    format TEXT NOT NULL,
    variant_types TEXT NOT NULL DEFAULT '[]',
    variants TEXT NOT NULL DEFAULT '[]',
    arches TEXT NOT NULL DEFAULT '[]',
    pattern TEXT NOT NULL
);

INSERT INTO component_relationship_types (name) VALUES
    ('RPMRequires'), ('RPMBuildRequires'), ('RPMBuildRoot'), ('ContainerIncludesRPM');
INSERT INTO contact_roles (name, count_limit) VALUES
    ('Devel_Owner', 1), ('QE_Owner', 1), ('Bugzilla_Owner', 1), ('Watcher', 0);
INSERT INTO deliverable_types (name, artifact, format, variant_types, variants, arches, pattern) VALUES
    ('os-repository', 'repository', 'rpm', '["variant", "addon", "optional", "layered-product"]', '[]', '[]', '{variant}/{arch}/os'),
    ('debug-repository', 'repository', 'rpm', '["variant", "addon", "optional", "layered-product"]', '[]', '[]', '{variant}/{arch}/debug/tree'),
    ('boot-iso', 'image', 'iso', '["variant"]', '[]', '[]', '{name}-{variant}-netinst-{arch}-{version}.iso'),
    ('dvd-iso', 'image', 'iso', '["variant"]', '["Server"]', '[]', '{name}-{variant}-dvd-{arch}-{version}.iso'),
    ('cloud-qcow2', 'image', 'qcow2', '["variant"]', '["Cloud"]', '["x86_64", "aarch64"]', '{name}-{variant}-Base-{version}.{arch}.qcow2');
