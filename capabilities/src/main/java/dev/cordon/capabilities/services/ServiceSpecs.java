package dev.cordon.capabilities.services;

import dev.cordon.capabilities.gateway.Service;

/**
 * Built-in services named by one string, as the command line ({@code --service NAME=SPEC}) and the
 * configuration of {@code cordon serve} write them: {@code jdbc:URL}, {@code kv}, {@code kv:shared},
 * {@code memcached:HOST:PORT}, {@code http:PREFIX}.
 */
public final class ServiceSpecs {

    private ServiceSpecs() {
    }

    /** @throws IllegalArgumentException for a spec of no known kind */
    public static Service parse(String spec, boolean writable) {
        return parse("", spec, writable, null);
    }

    /**
     * As {@link #parse(String, boolean)}, for the service {@code name}; with a {@code stateDatabase} (a service
     * whose state is in PostgreSQL), {@code kv} and {@code kv:shared} keep their entries there, for every node.
     */
    public static Service parse(String name, String spec, boolean writable, javax.sql.DataSource stateDatabase) {
        if (stateDatabase != null && (spec.equals("kv") || spec.equals("kv:shared"))) {
            return new PostgresKeyValueService(stateDatabase, name, spec.equals("kv:shared"));
        }
        if (spec.startsWith("jdbc:")) {
            return SqlService.jdbc(spec).writable(writable).build();
        }
        if (spec.equals("kv")) {
            return KeyValueService.builder().build();
        }
        if (spec.equals("kv:shared")) {
            return KeyValueService.builder().shared(true).build();
        }
        if (spec.startsWith("memcached:")) {
            return MemcachedService.at(spec.substring("memcached:".length())).build();
        }
        if (spec.startsWith("http:")) {
            return HttpService.under(spec.substring("http:".length())).build();
        }
        throw new IllegalArgumentException("unknown service spec " + spec
                + ": use jdbc:URL, kv, kv:shared, memcached:HOST:PORT or http:PREFIX");
    }
}
