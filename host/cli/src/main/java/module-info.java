/** The {@code cordon} command. */
module dev.cordon.cli {
    requires dev.cordon;
    requires dev.cordon.serve;
    requires dev.cordon.mcp;
    requires info.picocli;
    requires org.graalvm.polyglot;
    requires java.management;
    requires jdk.management;

    exports dev.cordon.cli;
    opens dev.cordon.cli to info.picocli;
}
