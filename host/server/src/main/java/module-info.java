/** {@code cordon serve}: the library behind an HTTP API. */
module dev.cordon.serve {
    requires transitive dev.cordon;
    requires java.logging;
    requires jdk.httpserver;
    requires micrometer.core;
    requires micrometer.registry.prometheus;

    exports dev.cordon.serve;
}
