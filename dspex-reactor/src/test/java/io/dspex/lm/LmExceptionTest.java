package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LmExceptionTest {

    @ParameterizedTest
    @CsvSource({
        "400, BadRequest, false",
        "401, Authentication, false",
        "403, PermissionDenied, false",
        "404, NotFound, false",
        "408, RequestTimeout, true",
        "409, Conflict, true",
        "422, UnprocessableEntity, false",
        "429, RateLimit, true",
        "500, InternalServer, true",
        "502, InternalServer, true",
        "503, InternalServer, true",
        "418, HttpError, false",
        "413, HttpError, false"})
    void mapsEachStatus(int status, String simpleName, boolean retryableIgnored) {
        LmException e = LmException.forStatus(status, "boom", null, "req_1", null);
        assertThat(e.getClass().getSimpleName()).isEqualTo(simpleName);
        assertThat(e.statusCode()).hasValue(status);
        assertThat(e.requestId()).hasValue("req_1");
        assertThat(e.getMessage()).contains(String.valueOf(status)).contains("boom").contains("req_1");
        boolean expected = status == 408 || status == 409 || status == 429 || status >= 500;
        assertThat(e.isRetryable()).isEqualTo(expected);
    }

    @Test
    void recognisesContextWindowErrors() {
        assertThat(LmException.forStatus(400, "This model's maximum context length is 8192 tokens", null, null, null))
                .isInstanceOf(LmException.ContextWindowExceeded.class).isInstanceOf(LmException.BadRequest.class);
        assertThat(LmException.forStatus(400, "too long [context_length_exceeded]", null, null, null))
                .isInstanceOf(LmException.ContextWindowExceeded.class);
        assertThat(LmException.forStatus(400, "bad temperature", null, null, null))
                .isExactlyInstanceOf(LmException.BadRequest.class);
    }

    @Test
    void shouldRetryHeaderOverridesTheDefault() {
        assertThat(LmException.forStatus(400, "x", null, null, true).isRetryable()).isTrue();
        assertThat(LmException.forStatus(503, "x", null, null, false).isRetryable()).isFalse();
    }

    @Test
    void carriesRetryAfterAndTruncatesLongMessages() {
        LmException e = LmException.forStatus(429, "y".repeat(5000), Duration.ofSeconds(3), null, null);
        assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(3));
        assertThat(e.getMessage().length()).isLessThan(700);
        assertThat(new LmException.Connection("reset", null).statusCode()).isEmpty();
        assertThat(new LmException.Connection("reset", null).isRetryable()).isTrue();
    }
}
