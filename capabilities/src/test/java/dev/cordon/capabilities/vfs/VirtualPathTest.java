package dev.cordon.capabilities.vfs;

import org.junit.jupiter.api.Test;

import java.nio.file.InvalidPathException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VirtualPathTest {

    @Test
    void normalisesLexically() {
        assertThat(VirtualPath.of("/tmp/../etc")).hasToString("/etc");
        assertThat(VirtualPath.of("/tmp/../../..")).hasToString("/");
        assertThat(VirtualPath.of("//tmp/./a//b/")).hasToString("/tmp/a/b");
        assertThat(VirtualPath.of("relative/x")).hasToString("/relative/x");
        assertThat(VirtualPath.of("/tmp").resolve("../x")).hasToString("/x");
        assertThat(VirtualPath.of("/tmp").resolve("/abs")).hasToString("/abs");
    }

    @Test
    void keepsNamesExact() {
        assertThat(VirtualPath.of("/TMP")).isNotEqualTo(VirtualPath.of("/tmp"));
        assertThat(VirtualPath.of("/tmp/\u00e9")).isNotEqualTo(VirtualPath.of("/tmp/e\u0301"));
        assertThat(VirtualPath.of("/tmp/\uff0e\uff0e/x").segments()).containsExactly("tmp", "\uff0e\uff0e", "x");
    }

    @Test
    void refusesNul() {
        assertThatThrownBy(() -> VirtualPath.of("/tmp/a\0b")).isInstanceOf(InvalidPathException.class);
        assertThatThrownBy(() -> VirtualPath.ROOT.child("a/b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> VirtualPath.ROOT.child("..")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void relatesToAncestors() {
        VirtualPath p = VirtualPath.of("/usr/lib/x");
        assertThat(p.startsWith(VirtualPath.of("/usr"))).isTrue();
        assertThat(VirtualPath.of("/usrx").startsWith(VirtualPath.of("/usr"))).isFalse();
        assertThat(p.relativeTo(VirtualPath.of("/usr"))).hasToString("/lib/x");
        assertThat(VirtualPath.of("/lib/x").under(VirtualPath.of("/usr"))).isEqualTo(p);
        assertThat(VirtualPath.ROOT.parent()).isEqualTo(VirtualPath.ROOT);
    }
}
