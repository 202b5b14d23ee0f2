/**
 * Cordon, the library: the API ({@code dev.cordon}), the result's JSON form and the client of
 * {@code cordon serve}. The backends, their seam and the governor are inside and not exported.
 */
module dev.cordon {
    requires transitive dev.cordon.capabilities;
    requires dev.cordon.guest;
    requires org.graalvm.polyglot;
    requires com.github.benmanes.caffeine;
    requires java.management;
    requires jdk.management;
    requires java.logging;
    requires java.net.http;
    requires java.xml;
    requires org.apache.commons.compress;
    requires org.xerial.sqlitejdbc;

    exports dev.cordon;
    exports dev.cordon.json;
    exports dev.cordon.client;
}
