package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.lm.CallConfig;
import io.dspex.lm.LmException;
import io.dspex.lm.LmRequest;
import io.dspex.lm.Message;
import io.dspex.lm.OpenAiCompatibleLm;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;


class OpenAiCompatibleLmTest {

    @Test
    void idIsStableAndSecretFree() {
        OpenAiCompatibleLm a = OpenAiCompatibleLm.builder().baseUrl("http://localhost:11434/v1/").apiKey("sk-secret-123456")
                .header("X-Api-Key", "hdr-secret").model("llama3.2").temperature(0.0).build();
        OpenAiCompatibleLm b = OpenAiCompatibleLm.builder().baseUrl("http://localhost:11434/v1").apiKey("sk-other-999999")
                .model("llama3.2").temperature(0.0).build();
        try {
            assertThat(a.id()).isEqualTo(b.id()).contains("http://localhost:11434/v1").contains("llama3.2")
                    .doesNotContain("secret");
            assertThat(a.toString()).doesNotContain("secret");
            assertThat(a.baseUrl()).isEqualTo("http://localhost:11434/v1");
        } finally {
            a.close();
            b.close();
        }
        assertThat(a.isDisposed()).isTrue();
    }

    @Test
    void builderRejectsBadValuesNamingThem() {
        assertThatThrownBy(() -> OpenAiCompatibleLm.builder().baseUrl("ftp://x/v1")).hasMessageContaining("baseUrl");
        assertThatThrownBy(() -> OpenAiCompatibleLm.builder().baseUrl("not a url")).hasMessageContaining("baseUrl");
        assertThatThrownBy(() -> OpenAiCompatibleLm.builder().baseUrl("http://u:p@host/v1")).hasMessageContaining("credentials");
        assertThatThrownBy(() -> OpenAiCompatibleLm.builder().model("m").build()).hasMessageContaining("baseUrl");
        assertThatThrownBy(() -> OpenAiCompatibleLm.builder().baseUrl("http://h/v1").build()).hasMessageContaining("model");
        assertThatThrownBy(() -> OpenAiCompatibleLm.builder().maxConnections(0)).hasMessageContaining("maxConnections");
        assertThatThrownBy(() -> OpenAiCompatibleLm.builder().responseTimeout(Duration.ZERO)).hasMessageContaining("responseTimeout");
        assertThatThrownBy(() -> OpenAiCompatibleLm.builder().defaultParam("messages", 1)).hasMessageContaining("messages");
    }

    @Test
    void defaultsAreSentAndRequestValuesWin() {
        try (MockLmServer server = MockLmServer.create().start();
             OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("m")
                     .temperature(0.7).maxTokens(100).defaultParam("top_p", 0.9).header("X-Team", "dspex").build()) {
            lm.call(LmRequest.of(List.of(Message.user("a")))).block(Duration.ofSeconds(10));
            assertThat(server.lastRequest().body()).containsEntry("temperature", 0.7).containsEntry("max_tokens", 100)
                    .containsEntry("top_p", 0.9);
            assertThat(server.lastRequest().header("x-team")).isEqualTo("dspex");
            assertThat(server.lastRequest().header("authorization")).isNull();
            lm.call(LmRequest.of(List.of(Message.user("a")), CallConfig.empty().withTemperature(0.0).withExtra("top_p", 0.1)))
                    .block(Duration.ofSeconds(10));
            assertThat(server.lastRequest().body()).containsEntry("temperature", 0.0).containsEntry("top_p", 0.1);
        }
    }

    @Test
    void poolExhaustionIsARetryableConnectionError() {
        try (MockLmServer server = MockLmServer.create().start();
             OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("m")
                     .maxConnections(1).pendingAcquireTimeout(Duration.ofMillis(200)).build()) {
            // The first call holds the only connection and never gets an answer.
            server.faultNext(1, Fault.hang());
            reactor.core.Disposable first = lm.call(LmRequest.of(List.of(Message.user("slow")))).subscribe(r -> { }, e -> { });
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (server.requestCount() < 1 && System.nanoTime() < deadline) {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
                assertThat(server.requestCount()).as("the first call holds the connection").isEqualTo(1);
                Duration waited = StepVerifier.create(lm.call(LmRequest.of(List.of(Message.user("queued")))))
                        .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(LmException.Connection.class)
                                .hasMessageContaining("pending-acquire"))
                        .verify(Duration.ofSeconds(30));
                // The wait ends by its own timeout (the connection is never freed), not at once.
                assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(150));
                assertThat(server.requestCount()).as("the queued call never reached the server").isEqualTo(1);
            } finally {
                first.dispose();
            }
        }
    }

    @Test
    void nullRequestIsAClearError() {
        try (OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl("http://127.0.0.1:9/v1").model("m").build()) {
            StepVerifier.create(lm.call(null)).expectError(IllegalArgumentException.class).verify();
            StepVerifier.create(lm.embed(java.util.Arrays.asList("a", null)))
                    .expectErrorMessage("embed texts[1] is null").verify();
        }
    }
}
