package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The request body is written once up front, handed to the first send, and written anew for any later send. */
class OpenAiCompatibleLmBodyTest {

    private static byte[] bytesOf(Mono<ByteBuf> body) {
        ByteBuf buf = body.block();
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void everySendOfOneCallCarriesTheSameBytes() {
        try (OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl("http://127.0.0.1:9/v1").model("m")
                .apiKey("sk-secret").build()) {
            LmRequest request = LmRequest.of(List.of(Message.system("Answer briefly.".repeat(40)),
                    Message.user("What is 2 + 2? «quoted» \"text\"\n")));
            byte[] expected = ChatCodec.writeChat(request, CallConfig.empty().withModel("m"), false);

            Mono<ByteBuf> body = lm.body(request, false);

            assertThat(bytesOf(body)).isEqualTo(expected);
            // A second send (Reactor Netty resends when a pooled connection closed before the request went out).
            assertThat(bytesOf(body)).isEqualTo(expected);
            assertThat(new String(expected, java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("sk-secret");
        }
    }

    @Test
    void aStreamingBodyAsksForTheStream() {
        try (OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl("http://127.0.0.1:9/v1").model("m").build()) {
            LmRequest request = LmRequest.of(List.of(Message.user("hi")));
            byte[] first = bytesOf(lm.body(request, true));
            assertThat(first).isEqualTo(ChatCodec.writeChat(request,
                    CallConfig.empty().withModel("m"), true));
            assertThat(new String(first, java.nio.charset.StandardCharsets.UTF_8)).contains("\"stream\":true");
        }
    }
}
