/** The {@code cordon} command. */
module dev.cordon.cli {
    requires dev.cordon;
    requires dev.cordon.serve;
    requires dev.cordon.mcp;
    requires info.picocli;
    requires org.graalvm.polyglot;
    requires java.management;
    requires java.net.http;
    requires jdk.management;
    requires jdk.net;
    requires jdk.unsupported;

    exports dev.cordon.cli;
    exports dev.cordon.cli.daemon;
    opens dev.cordon.cli to info.picocli;
}
