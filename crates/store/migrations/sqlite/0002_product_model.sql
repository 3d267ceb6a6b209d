-- The product model (PDC's release app): products, product versions, release
-- types, base products, releases with their bindings, variants and arches,
-- sigkeys; and per-resource write permissions for groups.

CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    short TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    allowed_push_targets TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE product_versions (
    id INTEGER PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products (id),
    product_version_id TEXT NOT NULL UNIQUE,
    short TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    allowed_push_targets TEXT NOT NULL DEFAULT '[]',
    sort_key TEXT NOT NULL,
    UNIQUE (short, version)
);
CREATE INDEX product_versions_product ON product_versions (product_id);

CREATE TABLE release_types (
    id INTEGER PRIMARY KEY,
    short TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    suffix TEXT NOT NULL UNIQUE
);

CREATE TABLE base_products (
    id INTEGER PRIMARY KEY,
    base_product_id TEXT NOT NULL UNIQUE,
    short TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    release_type_id BIGINT NOT NULL REFERENCES release_types (id),
    UNIQUE (short, version, release_type_id),
    UNIQUE (name, version, release_type_id)
);

CREATE TABLE sigkeys (
    id INTEGER PRIMARY KEY,
    key_id TEXT NOT NULL UNIQUE,
    name TEXT UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE arches (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE releases (
    id INTEGER PRIMARY KEY,
    release_id TEXT NOT NULL UNIQUE,
    short TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    release_type_id BIGINT NOT NULL REFERENCES release_types (id),
    base_product_id BIGINT REFERENCES base_products (id),
    product_version_id BIGINT REFERENCES product_versions (id),
    active INTEGER NOT NULL DEFAULT 1,
    integrated_with_id BIGINT REFERENCES releases (id),
    sigkey_id BIGINT REFERENCES sigkeys (id),
    allow_buildroot_push INTEGER NOT NULL DEFAULT 0,
    allowed_debuginfo_services TEXT NOT NULL DEFAULT '[]',
    allowed_push_targets TEXT NOT NULL DEFAULT '[]',
    bugzilla_product TEXT,
    dist_git_branch TEXT,
    sort_key TEXT NOT NULL
);
CREATE INDEX releases_sort_key ON releases (sort_key);
CREATE INDEX releases_product_version ON releases (product_version_id);
CREATE INDEX releases_short_version ON releases (short, version);

CREATE TABLE variant_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE release_variants (
    id INTEGER PRIMARY KEY,
    release_id BIGINT NOT NULL REFERENCES releases (id),
    variant_uid TEXT NOT NULL,
    variant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    variant_type_id BIGINT NOT NULL REFERENCES variant_types (id),
    variant_version TEXT,
    variant_release TEXT,
    allowed_push_targets TEXT NOT NULL DEFAULT '[]',
    UNIQUE (release_id, variant_uid)
);

CREATE TABLE release_variant_arches (
    variant_id BIGINT NOT NULL REFERENCES release_variants (id),
    arch_id BIGINT NOT NULL REFERENCES arches (id),
    PRIMARY KEY (variant_id, arch_id)
);

-- PDC's resource permissions: a group may create, update or delete a resource.
CREATE TABLE group_resource_permissions (
    id INTEGER PRIMARY KEY,
    group_name TEXT NOT NULL,
    resource TEXT NOT NULL,
    permission TEXT NOT NULL,
    UNIQUE (group_name, resource, permission)
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Reference data, seeded as PDC seeds it.
INSERT INTO services (name) VALUES ('rhn'), ('pulp'), ('ftp');
INSERT INTO release_types (short, name, suffix) VALUES
    ('ga', 'Release', ''),
    ('updates', 'Updates', '-updates'),
    ('eus', 'Extended Update Support', '-eus'),
    ('aus', 'Advanced Update Support', '-aus'),
    ('els', 'Extended Life Cycle Support', '-els'),
    ('fast', 'FasTrack', '-fast');
INSERT INTO arches (name) VALUES
    ('alpha'),
    ('alphaev4'),
    ('alphaev45'),
    ('alphaev5'),
    ('alphaev56'),
    ('alphaev6'),
    ('alphaev67'),
    ('alphaev68'),
    ('alphaev7'),
    ('alphapca56'),
    ('amd64'),
    ('arm64'),
    ('armv5tejl'),
    ('armv5tel'),
    ('armv6l'),
    ('armv7hl'),
    ('armv7hnl'),
    ('armv7l'),
    ('athlon'),
    ('geode'),
    ('i386'),
    ('i486'),
    ('i586'),
    ('i686'),
    ('ia32e'),
    ('ia64'),
    ('noarch'),
    ('nosrc'),
    ('ppc'),
    ('ppc64'),
    ('ppc64iseries'),
    ('ppc64le'),
    ('ppc64p7'),
    ('ppc64pseries'),
    ('s390'),
    ('s390x'),
    ('sh3'),
    ('sh4'),
    ('sh4a'),
    ('sparc'),
    ('sparc64'),
    ('sparc64v'),
    ('sparcv8'),
    ('sparcv9'),
    ('sparcv9v'),
    ('src'),
    ('x86_64'),
    ('aarch64');
INSERT INTO variant_types (name) VALUES
    ('variant'),
    ('optional'),
    ('addon'),
    ('layered-product'),
    ('module');
