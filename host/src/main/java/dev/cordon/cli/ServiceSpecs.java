package dev.cordon.cli;

import dev.cordon.capabilities.gateway.Service;
import dev.cordon.capabilities.services.HttpService;
import dev.cordon.capabilities.services.KeyValueService;
import dev.cordon.capabilities.services.SqlService;

/** Turns the {@code SPEC} of {@code --service NAME=SPEC} into a built-in service. */
final class ServiceSpecs {

    private ServiceSpecs() {
    }

    /** @throws IllegalArgumentException for a spec of no known kind */
    static Service parse(String spec, boolean writable) {
        if (spec.startsWith("jdbc:")) {
            return SqlService.jdbc(spec).writable(writable).build();
        }
        if (spec.equals("kv")) {
            return KeyValueService.builder().build();
        }
        if (spec.equals("kv:shared")) {
            return KeyValueService.builder().shared(true).build();
        }
        if (spec.startsWith("http:")) {
            return HttpService.under(spec.substring("http:".length())).build();
        }
        throw new IllegalArgumentException("unknown service spec " + spec
                + ": use jdbc:URL, kv, kv:shared or http:PREFIX");
    }
}
