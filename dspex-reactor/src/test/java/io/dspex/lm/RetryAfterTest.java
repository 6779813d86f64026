package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");

    @Test
    void parsesSeconds() {
        assertThat(RetryAfter.parse(null, "7", NOW)).isEqualTo(Duration.ofSeconds(7));
        assertThat(RetryAfter.parse(null, " 1.5 ", NOW)).isEqualTo(Duration.ofMillis(1500));
        assertThat(RetryAfter.parse(null, "0", NOW)).isEqualTo(Duration.ZERO);
    }

    @Test
    void parsesHttpDate() {
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plusSeconds(30).atOffset(ZoneOffset.UTC));
        assertThat(RetryAfter.parse(null, date, NOW)).isEqualTo(Duration.ofSeconds(30));
        assertThat(RetryAfter.parse(null, "Sun, 01 Jun 2025 12:00:45 GMT", NOW)).isEqualTo(Duration.ofSeconds(45));
        assertThat(RetryAfter.parse(null, "Sun, 01 Jun 2025 11:00:00 GMT", NOW)).isEqualTo(Duration.ZERO);
    }

    @Test
    void parsesMillisecondsAndPrefersThem() {
        assertThat(RetryAfter.parse("250", null, NOW)).isEqualTo(Duration.ofMillis(250));
        assertThat(RetryAfter.parse("12.5", "9", NOW)).isEqualTo(Duration.ofNanos(12_500_000));
    }

    @Test
    void ignoresGarbageAndCapsHugeValues() {
        assertThat(RetryAfter.parse(null, "soon", NOW)).isNull();
        assertThat(RetryAfter.parse("abc", "-3", NOW)).isNull();
        assertThat(RetryAfter.parse("abc", "4", NOW)).isEqualTo(Duration.ofSeconds(4));
        assertThat(RetryAfter.parse(null, null, NOW)).isNull();
        assertThat(RetryAfter.parse(null, "99999999", NOW)).isEqualTo(RetryAfter.MAX);
    }
}
