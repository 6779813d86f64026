package io.dspex.lm;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Parses the wait a server asks for: {@code retry-after-ms}, {@code Retry-After} in seconds or an HTTP date, and the
 * rate-limit reset headers of OpenAI ({@code x-ratelimit-remaining-requests}, {@code x-ratelimit-reset-requests: 6m0s},
 * the same for tokens) and Anthropic ({@code anthropic-ratelimit-requests-remaining},
 * {@code anthropic-ratelimit-requests-reset: <RFC 3339 time>}, the same for tokens, input and output tokens).
 */
final class RetryAfter {

    /** Longest wait honoured; a larger value is almost certainly a misconfigured proxy. */
    static final Duration MAX = Duration.ofHours(1);

    private RetryAfter() {
    }

    /**
     * @param retryAfterMs the {@code retry-after-ms} header, or null
     * @param retryAfter   the {@code Retry-After} header, or null
     * @param now          the current time (for an HTTP date)
     * @return the wait (zero for a date in the past), or null when neither header holds a usable value
     */
    static @Nullable Duration parse(@Nullable String retryAfterMs, @Nullable String retryAfter, Instant now) {
        if (retryAfterMs != null) {
            try {
                double ms = Double.parseDouble(retryAfterMs.trim());
                if (ms >= 0 && !Double.isNaN(ms) && !Double.isInfinite(ms)) {
                    return cap(Duration.ofNanos((long) Math.min(ms * 1_000_000d, MAX.toNanos())));
                }
            } catch (NumberFormatException ignored) {
                // fall through to Retry-After
            }
        }
        if (retryAfter == null || retryAfter.isBlank()) {
            return null;
        }
        String v = retryAfter.trim();
        try {
            double s = Double.parseDouble(v);
            if (s >= 0 && !Double.isNaN(s) && !Double.isInfinite(s)) {
                return cap(Duration.ofMillis((long) Math.min(s * 1000d, MAX.toMillis())));
            }
            return null;
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(now, at);
                return d.isNegative() ? Duration.ZERO : cap(d);
            } catch (DateTimeParseException notDate) {
                return null;
            }
        }
    }

    /** The quota families whose remaining count and reset each provider reports. */
    private static final String[][] FAMILIES = {
        {"x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"},
        {"x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"},
        {"anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"},
        {"anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"},
        {"anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset"},
        {"anthropic-ratelimit-output-tokens-remaining", "anthropic-ratelimit-output-tokens-reset"},
    };
    private static final Pattern GO_DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(h|ms|m|s|us|\u00b5s|ns)");

    /**
     * The wait until a used-up quota resets, from the rate-limit headers: the longest reset among the quotas whose
     * remaining count is 0.
     *
     * @param header the response's header by name (any case the caller's lookup accepts)
     * @param now    the current time (Anthropic's resets are times of day)
     * @return the wait, or null when no quota is reported used up (or its reset cannot be read)
     */
    static @Nullable Duration fromRateLimitHeaders(Function<String, @Nullable String> header, Instant now) {
        Duration longest = null;
        for (String[] family : FAMILIES) {
            String remaining = header.apply(family[0]);
            if (remaining == null || !remaining.trim().equals("0")) {
                continue;
            }
            Duration reset = reset(header.apply(family[1]), now);
            if (reset != null && (longest == null || reset.compareTo(longest) > 0)) {
                longest = reset;
            }
        }
        return longest == null ? null : cap(longest);
    }

    /** @return a reset as a wait: a Go duration ({@code 1s}, {@code 6m0s}, {@code 20ms}) or an RFC 3339 time */
    static @Nullable Duration reset(@Nullable String value, Instant now) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        if (v.indexOf('T') > 0) {
            try {
                Duration d = Duration.between(now, java.time.OffsetDateTime.parse(v).toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException notTime) {
                return null;
            }
        }
        Matcher m = GO_DURATION_PART.matcher(v);
        long nanos = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            double n = Double.parseDouble(m.group(1));
            double unit;
            switch (m.group(2)) {
                case "h": unit = 3.6e12; break;
                case "m": unit = 6e10; break;
                case "s": unit = 1e9; break;
                case "ms": unit = 1e6; break;
                case "ns": unit = 1; break;
                default: unit = 1e3; break;
            }
            nanos += (long) Math.min(n * unit, MAX.toNanos());
            end = m.end();
        }
        return end == 0 || end != v.length() ? null : Duration.ofNanos(Math.min(nanos, MAX.toNanos()));
    }

    private static Duration cap(Duration d) {
        return d.compareTo(MAX) > 0 ? MAX : d;
    }
}
