package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK talks to MockLmServer: proof that the test kit speaks the real protocol. The SDK
 * blocks, so it runs on the JUnit thread (never on a Reactor thread: BlockHound would object).
 */
class OpenAiSdkInteropTest {

    private MockLmServer server;
    private OpenAIClient client;

    @BeforeEach
    void start() {
        server = MockLmServer.create().reply(r -> "Paris, of course").start();
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl()).apiKey("sk-test").maxRetries(0).build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void chatCompletion() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-4o-mini").addSystemMessage("Be terse.").addUserMessage("Capital of France?").n(2).build());
        assertThat(c.choices()).hasSize(2);
        assertThat(c.choices().get(0).message().content()).hasValue("Paris, of course");
        assertThat(c.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        assertThat(c.model()).isEqualTo("gpt-4o-mini");
        assertThat(c.usage()).hasValueSatisfying(u -> assertThat(u.completionTokens()).isEqualTo(6));
        ParsedRequest seen = server.lastRequest();
        assertThat(seen.lastUserMessage()).isEqualTo("Capital of France?");
        assertThat(seen.header("authorization")).isEqualTo("Bearer sk-test");
    }

    @Test
    void streamedChatCompletion() {
        StringBuilder text = new StringBuilder();
        long[] usage = {-1};
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("Capital?")
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            stream.stream().forEach(chunk -> {
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(text::append));
                chunk.usage().ifPresent(u -> usage[0] = u.totalTokens());
            });
        }
        assertThat(text.toString()).isEqualTo("Paris, of course");
        assertThat(usage[0]).isPositive();
        assertThat(server.lastRequest().stream()).isTrue();
    }

    @Test
    void embeddings() {
        CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("text-embedding-3-small").input("hello world").build());
        assertThat(r.data()).hasSize(1);
        List<Float> vector = r.data().get(0).embedding();
        float[] expected = MockLmServer.embeddingOf("hello world", 16);
        assertThat(vector).hasSize(16);
        for (int i = 0; i < expected.length; i++) {
            assertThat(vector.get(i)).isEqualTo(expected[i]);
        }
        CreateEmbeddingResponse b64 = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("text-embedding-3-small").input("hello world")
                .encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64).build());
        assertThat(b64.data().get(0).embedding()).containsExactlyElementsOf(vector);
    }
}
