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
            server.faultNext(1, Fault.delay(Duration.ofSeconds(2)));
            reactor.core.Disposable first = lm.call(LmRequest.of(List.of(Message.user("slow")))).subscribe(r -> { }, e -> { });
            try {
                Duration waited = StepVerifier.create(lm.call(LmRequest.of(List.of(Message.user("queued")))))
                        .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(LmException.Connection.class)
                                .hasMessageContaining("pending-acquire"))
                        .verify(Duration.ofSeconds(10));
                // the timeout fires at its time, not when the slow call frees the connection after 2 s
                assertThat(waited).isBetween(Duration.ofMillis(150), Duration.ofMillis(1500));
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
