package io.capstan.session;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RotationPolicyTest {

    @Test
    void wcsStyleStrings_parse() {
        assertThat(RotationPolicy.parse("20")).isEqualTo(new RotationPolicy.ByDuration(Duration.ofSeconds(20)));
        assertThat(RotationPolicy.parse("20s")).isEqualTo(new RotationPolicy.ByDuration(Duration.ofSeconds(20)));
        assertThat(RotationPolicy.parse(" 5m ")).isEqualTo(new RotationPolicy.ByDuration(Duration.ofMinutes(5)));
        assertThat(RotationPolicy.parse("1h")).isEqualTo(new RotationPolicy.ByDuration(Duration.ofHours(1)));
        assertThat(RotationPolicy.parse("1d")).isEqualTo(new RotationPolicy.ByDuration(Duration.ofDays(1)));
        assertThat(RotationPolicy.parse("500ms")).isEqualTo(new RotationPolicy.ByDuration(Duration.ofMillis(500)));
        assertThat(RotationPolicy.parse("10M")).isEqualTo(new RotationPolicy.BySize(10L << 20));
        assertThat(RotationPolicy.parse("10MB")).isEqualTo(new RotationPolicy.BySize(10L << 20));
        assertThat(RotationPolicy.parse("500K")).isEqualTo(new RotationPolicy.BySize(500L << 10));
        assertThat(RotationPolicy.parse("2G")).isEqualTo(new RotationPolicy.BySize(2L << 30));
        assertThat(RotationPolicy.parse("1h@wallclock")).isEqualTo(new RotationPolicy.WallClock(Duration.ofHours(1)));
        assertThat(RotationPolicy.parse("15m@wallclock")).isEqualTo(
                new RotationPolicy.WallClock(Duration.ofMinutes(15)));
        for (String off : new String[] {"disabled", "off", "none", "0", "DISABLED", "false"}) {
            assertThat(RotationPolicy.parse(off)).isEqualTo(RotationPolicy.DISABLED);
        }
    }

    @Test
    void badStrings_saySoWithTheAcceptedForms() {
        for (String bad : new String[] {"", "often", "-5", "5x", "10M@wallclock", "1.5h", "99999999999999999999",
                "9223372036854775807G"}) {
            assertThatThrownBy(() -> RotationPolicy.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("rotation");
        }
        assertThatThrownBy(() -> RotationPolicy.parse("50ms")).hasMessageContaining("at least 100 ms");
        assertThatThrownBy(() -> RotationPolicy.parse("1K")).hasMessageContaining("at least 4096 bytes");
    }

    @Test
    void wallClock_nextBoundaryIsOnTheHour() {
        RotationPolicy.WallClock w = new RotationPolicy.WallClock(Duration.ofHours(1));
        assertThat(w.nextBoundary(Instant.parse("2026-11-21T10:17:03.5Z"))).isEqualTo(Instant.parse("2026-11-21T11:00:00Z"));
        assertThat(w.nextBoundary(Instant.parse("2026-11-21T11:00:00Z"))).isEqualTo(Instant.parse("2026-11-21T12:00:00Z"));
        assertThat(new RotationPolicy.WallClock(Duration.ofMinutes(15)).nextBoundary(Instant.parse("2026-11-21T10:17:00Z")))
                .isEqualTo(Instant.parse("2026-11-21T10:30:00Z"));
    }
}
