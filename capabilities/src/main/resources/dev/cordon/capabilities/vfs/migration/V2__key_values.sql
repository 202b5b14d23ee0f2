-- The kv gateway services of a service whose state is in PostgreSQL (PostgresKeyValueService).
CREATE TABLE cordon_kv (
    namespace  TEXT   NOT NULL,   -- the principal's storage name, or '' for a shared service
    service    TEXT   NOT NULL,   -- the service's name: two kv services never share entries
    key        TEXT   NOT NULL,
    value      TEXT   NOT NULL,   -- JSON
    expires_ns BIGINT,            -- epoch nanoseconds; null: never
    PRIMARY KEY (service, namespace, key)
);
