-- Principals' /tmp trees and their quota ledgers (PostgresStore).
CREATE TABLE cordon_principal (
    id           BIGSERIAL PRIMARY KEY,
    storage_name TEXT   NOT NULL UNIQUE,   -- DataDirectory.storageName of the principal's name: ASCII, injective
    used_bytes   BIGINT NOT NULL DEFAULT 0 CHECK (used_bytes >= 0),
    used_entries BIGINT NOT NULL DEFAULT 0 CHECK (used_entries >= 0),
    created_ns   BIGINT NOT NULL
);

CREATE SEQUENCE cordon_inode;

-- One row per file, directory or symbolic link; the root of a tree has none.
CREATE TABLE cordon_entry (
    principal   BIGINT   NOT NULL REFERENCES cordon_principal (id) ON DELETE CASCADE,
    parent      TEXT     NOT NULL,         -- the directory's virtual path: '/' or '/a/b'
    name        TEXT     NOT NULL,
    inode       BIGINT   NOT NULL DEFAULT nextval('cordon_inode') UNIQUE,
    kind        CHAR(1)  NOT NULL CHECK (kind IN ('f', 'd', 'l')),
    mode        INTEGER  NOT NULL,
    size        BIGINT   NOT NULL DEFAULT 0 CHECK (size >= 0),
    modified_ns BIGINT   NOT NULL,
    accessed_ns BIGINT   NOT NULL,
    changed_ns  BIGINT   NOT NULL,
    target      TEXT,                      -- a link's target, as the guest wrote it
    content     BYTEA    NOT NULL DEFAULT ''::bytea,
    PRIMARY KEY (principal, parent, name)
);
