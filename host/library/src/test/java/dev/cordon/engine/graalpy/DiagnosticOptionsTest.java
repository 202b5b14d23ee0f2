package dev.cordon.engine.graalpy;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DiagnosticOptionsTest {

    @Test
    void unsetOrBlankMeansNoOptions() {
        assertThat(GraalPyRuntime.diagnosticOptions(null)).isEmpty();
        assertThat(GraalPyRuntime.diagnosticOptions("  ")).isEmpty();
    }

    @Test
    void entriesAreNameEqualsValueSeparatedByCommas() {
        assertThat(GraalPyRuntime.diagnosticOptions("engine.TraceCompilation=true, log.file=/tmp/a=b.log"))
                .containsExactly(Map.entry("engine.TraceCompilation", "true"), Map.entry("log.file", "/tmp/a=b.log"));
    }

    @Test
    void aMalformedEntryIsRefusedByName() {
        assertThatThrownBy(() -> GraalPyRuntime.diagnosticOptions("engine.TraceCompilation"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CORDON_ENGINE_OPTIONS").hasMessageContaining("'engine.TraceCompilation'");
        assertThatThrownBy(() -> GraalPyRuntime.diagnosticOptions("=true"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
