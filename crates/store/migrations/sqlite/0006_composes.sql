-- What release engineering produced (PDC's compose and package apps):
-- composes of a release, their variants and trees (variant x arch), the rpms
-- and images of each tree, where the trees are published, and the rpm
-- overrides of a release. Rpms and images are global: a compose links them.

CREATE TABLE composes (
    id INTEGER PRIMARY KEY,
    compose_id TEXT NOT NULL UNIQUE,
    release_id BIGINT NOT NULL REFERENCES releases (id),
    compose_date TEXT NOT NULL,
    compose_type TEXT NOT NULL,
    compose_respin BIGINT NOT NULL,
    compose_label TEXT,
    acceptance_testing TEXT NOT NULL DEFAULT 'untested',
    deleted INTEGER NOT NULL DEFAULT 0,
    -- productmd's order inside a release: date, type rank, respin.
    sort_key TEXT NOT NULL,
    imported_at BIGINT NOT NULL,
    -- Kept at import, so a list of composes reads no rpm rows.
    sigkeys TEXT NOT NULL DEFAULT '[]',
    rpm_count BIGINT NOT NULL DEFAULT 0,
    image_count BIGINT NOT NULL DEFAULT 0,
    composeinfo TEXT NOT NULL,
    UNIQUE (release_id, compose_label),
    UNIQUE (release_id, compose_date, compose_type, compose_respin)
);
CREATE INDEX composes_release_order ON composes (release_id, sort_key);
CREATE INDEX composes_date ON composes (compose_date);

CREATE TABLE compose_linked_releases (
    compose_id BIGINT NOT NULL REFERENCES composes (id),
    release_id BIGINT NOT NULL REFERENCES releases (id),
    PRIMARY KEY (compose_id, release_id)
);

CREATE TABLE compose_variants (
    id INTEGER PRIMARY KEY,
    compose_id BIGINT NOT NULL REFERENCES composes (id),
    variant_id TEXT NOT NULL,
    uid TEXT NOT NULL,
    name TEXT NOT NULL,
    variant_type TEXT NOT NULL,
    UNIQUE (compose_id, uid)
);

-- One variant on one arch: the unit rpms and images are listed under.
CREATE TABLE compose_trees (
    id INTEGER PRIMARY KEY,
    compose_id BIGINT NOT NULL REFERENCES composes (id),
    variant_id BIGINT NOT NULL REFERENCES compose_variants (id),
    arch TEXT NOT NULL,
    rtt_testing_status TEXT NOT NULL DEFAULT 'untested',
    UNIQUE (variant_id, arch)
);
CREATE INDEX compose_trees_compose ON compose_trees (compose_id);

CREATE TABLE rpms (
    id INTEGER PRIMARY KEY,
    -- name-epoch:version-release.arch, the natural key.
    nevra TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    version TEXT NOT NULL,
    release TEXT NOT NULL,
    arch TEXT NOT NULL,
    srpm_name TEXT NOT NULL,
    srpm_nevra TEXT,
    filename TEXT NOT NULL,
    built_for_release_id BIGINT REFERENCES releases (id),
    srpm_commit_hash TEXT,
    srpm_commit_branch TEXT,
    dependencies TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX rpms_name ON rpms (name);
CREATE INDEX rpms_srpm_name ON rpms (srpm_name);

CREATE TABLE rpm_linked_releases (
    rpm_id BIGINT NOT NULL REFERENCES rpms (id),
    release_id BIGINT NOT NULL REFERENCES releases (id),
    PRIMARY KEY (rpm_id, release_id)
);

-- Directories rpms sit in, kept once (a compose repeats a few hundred).
CREATE TABLE rpm_paths (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
);

CREATE TABLE compose_rpms (
    tree_id BIGINT NOT NULL REFERENCES compose_trees (id),
    rpm_id BIGINT NOT NULL REFERENCES rpms (id),
    sigkey TEXT,
    category TEXT NOT NULL,
    path_id BIGINT NOT NULL REFERENCES rpm_paths (id),
    PRIMARY KEY (tree_id, rpm_id)
) WITHOUT ROWID;
CREATE INDEX compose_rpms_rpm ON compose_rpms (rpm_id);

CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    image_format TEXT NOT NULL,
    image_type TEXT NOT NULL,
    disc_number BIGINT NOT NULL,
    disc_count BIGINT NOT NULL,
    arch TEXT NOT NULL,
    mtime BIGINT NOT NULL,
    size BIGINT NOT NULL,
    bootable INTEGER NOT NULL,
    implant_md5 TEXT,
    volume_id TEXT,
    md5 TEXT,
    sha1 TEXT,
    subvariant TEXT NOT NULL,
    UNIQUE (file_name, sha256)
);

CREATE TABLE compose_images (
    tree_id BIGINT NOT NULL REFERENCES compose_trees (id),
    image_id BIGINT NOT NULL REFERENCES images (id),
    path TEXT NOT NULL,
    rtt_test_result TEXT NOT NULL DEFAULT 'untested',
    PRIMARY KEY (tree_id, image_id)
);
CREATE INDEX compose_images_image ON compose_images (image_id);

CREATE TABLE compose_tree_locations (
    id INTEGER PRIMARY KEY,
    tree_id BIGINT NOT NULL REFERENCES compose_trees (id),
    location TEXT NOT NULL,
    scheme TEXT NOT NULL,
    url TEXT NOT NULL,
    synced_content TEXT NOT NULL DEFAULT '["binary","debug","source"]',
    UNIQUE (tree_id, location, scheme)
);

CREATE TABLE rpm_overrides (
    id INTEGER PRIMARY KEY,
    release_id BIGINT NOT NULL REFERENCES releases (id),
    variant TEXT NOT NULL,
    arch TEXT NOT NULL,
    srpm_name TEXT NOT NULL,
    rpm_name TEXT NOT NULL,
    rpm_arch TEXT NOT NULL,
    include INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    do_not_delete INTEGER NOT NULL DEFAULT 0,
    UNIQUE (release_id, variant, arch, rpm_name, rpm_arch)
);
CREATE INDEX rpm_overrides_srpm ON rpm_overrides (release_id, srpm_name);
