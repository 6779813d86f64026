package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
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

    @Test
    void readsRateLimitResetsOfUsedUpQuotasOnly() {
        Map<String, String> openAi = Map.of("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "6m0s",
                "x-ratelimit-remaining-tokens", "1500", "x-ratelimit-reset-tokens", "20ms");
        assertThat(RetryAfter.fromRateLimitHeaders(openAi::get, NOW)).isEqualTo(Duration.ofMinutes(6));
        Map<String, String> tokensOut = Map.of("x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "1.5s");
        assertThat(RetryAfter.fromRateLimitHeaders(tokensOut::get, NOW)).isEqualTo(Duration.ofMillis(1500));
        Map<String, String> anthropic = Map.of("anthropic-ratelimit-requests-remaining", "0",
                "anthropic-ratelimit-requests-reset", NOW.plusSeconds(12).toString(),
                "anthropic-ratelimit-output-tokens-remaining", "0",
                "anthropic-ratelimit-output-tokens-reset", "2025-06-01T12:00:30+00:00");
        assertThat(RetryAfter.fromRateLimitHeaders(anthropic::get, NOW)).isEqualTo(Duration.ofSeconds(30));
        Map<String, String> notUsedUp = Map.of("x-ratelimit-remaining-requests", "3",
                "x-ratelimit-reset-requests", "1s");
        assertThat(RetryAfter.fromRateLimitHeaders(notUsedUp::get, NOW)).isNull();
    }

    @Test
    void readsGoDurationsAndTimesAsResets() {
        assertThat(RetryAfter.reset("2m3.5s", NOW)).isEqualTo(Duration.ofMillis(123_500));
        assertThat(RetryAfter.reset("1h2m", NOW)).as("capped at an hour").isEqualTo(RetryAfter.MAX);
        assertThat(RetryAfter.reset("250ms", NOW)).isEqualTo(Duration.ofMillis(250));
        assertThat(RetryAfter.reset("2025-06-01T11:59:00Z", NOW)).isEqualTo(Duration.ZERO);
        assertThat(RetryAfter.reset("6 minutes", NOW)).isNull();
        assertThat(RetryAfter.reset("", NOW)).isNull();
        assertThat(RetryAfter.reset("10000h", NOW)).isEqualTo(RetryAfter.MAX);
    }
}
