package dev.cordon;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SizesAndDurationsTest {

    @Test
    void durations() {
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(Durations.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Durations.parse("3")).isEqualTo(Duration.ofSeconds(3));
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(Durations.format(Duration.ofSeconds(120))).isEqualTo("2m");
        for (String bad : new String[] {"", "fast", "-1s", "0s", "1d", "2 seconds", "1e3s"}) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void sizes() {
        assertThat(Sizes.parse("512")).isEqualTo(512);
        assertThat(Sizes.parse("64KB")).isEqualTo(64 * 1024);
        assertThat(Sizes.parse("256MB")).isEqualTo(256L << 20);
        assertThat(Sizes.parse("1GB")).isEqualTo(1L << 30);
        assertThat(Sizes.parse("1gib")).isEqualTo(1L << 30);
        assertThat(Sizes.format(64L << 20)).isEqualTo("64MB");
        for (String bad : new String[] {"", "lots", "-1", "0", "1TB", "1.5.5MB"}) {
            assertThatThrownBy(() -> Sizes.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
