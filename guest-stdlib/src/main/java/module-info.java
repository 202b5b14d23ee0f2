/** The Python every sandbox sees read-only, shipped as resources; read by the library alone. */
module dev.cordon.guest {
    exports dev.cordon.guest to dev.cordon;
}
