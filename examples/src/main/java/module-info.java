/** Applications built on Cordon: Zoobar. */
module dev.cordon.examples {
    requires dev.cordon;
    requires jdk.httpserver;
    requires info.picocli;

    exports dev.cordon.examples.zoobar;
    opens dev.cordon.examples.zoobar to info.picocli;
}
