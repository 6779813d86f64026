package io.dspex.lm;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import org.jspecify.annotations.Nullable;

/** Parses the wait a server asks for: {@code retry-after-ms}, {@code Retry-After} in seconds or an HTTP date. */
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

    private static Duration cap(Duration d) {
        return d.compareTo(MAX) > 0 ? MAX : d;
    }
}
