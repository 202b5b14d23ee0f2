/**
 * Cordon's policy, engine-agnostic: capabilities and grants, principals, the audit trail, the gateway and its
 * service SPI, the built-in services, the virtual filesystem and the guest's POSIX world. Exports the types
 * applications use; the filesystem and POSIX machinery are for the library alone.
 */
module dev.cordon.capabilities {
    requires transitive java.sql;
    requires transitive com.fasterxml.jackson.databind;
    requires java.net.http;
    requires com.github.benmanes.caffeine;
    requires xmemcached;
    requires com.zaxxer.hikari;
    requires flyway.core;
    requires static org.xerial.sqlitejdbc;

    exports dev.cordon.capabilities;
    exports dev.cordon.capabilities.gateway;
    exports dev.cordon.capabilities.services;
    exports dev.cordon.capabilities.vfs to dev.cordon;
    exports dev.cordon.capabilities.posix to dev.cordon;
    exports dev.cordon.capabilities.sqlite to dev.cordon;
}
