package io.dspex.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.core.ObjectMappers;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageParam;
import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.adapter.JsonAdapter;
import io.dspex.lm.Message;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.predict.Predict;
import io.dspex.test.MockLmServer;
import io.dspex.types.History;
import io.dspex.types.Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A program with a {@link History} input and an {@link Image} input, over real HTTP to {@link MockLmServer}: the
 * request body holds the past turns as user/assistant messages and every image as an {@code image_url} content part
 * between the text parts (the current image and one inside a past turn), in both adapters; the official OpenAI Java
 * SDK reads that body as valid chat-completion parameters.
 */
class HistoryAndImageOverHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

    @TempDir
    Path dir;

    MockLmServer server;
    OpenAiCompatibleLm lm;

    @BeforeEach
    void start() {
        server = MockLmServer.create().reply(r -> r.messages().get(0).content().contains("Outputs will be a JSON")
                ? "{\"answer\": \"A dog.\"}" : "[[ ## answer ## ]]\nA dog.\n\n[[ ## completed ## ]]").start();
        lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("gpt-4o-mini").apiKey("sk-test-0000")
                .responseTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterEach
    void stop() {
        lm.close();
        server.close();
    }

    private Map<String, Object> inputs() throws Exception {
        Path before = Files.write(dir.resolve("before.png"), PNG);
        Map<String, Object> turn = new LinkedHashMap<>();
        turn.put("photo", Image.fromPath(before));
        turn.put("question", "What is it?");
        turn.put("answer", "A cat.");
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("photo", Image.fromUrl("https://example.com/now.jpg"));
        in.put("question", "And now?");
        in.put("history", History.of(List.of(turn)));
        return in;
    }

    @Test
    void theBodyHoldsThePastTurnsAndTheImagePartsAndTheSdkAcceptsIt() throws Exception {
        Predict look = Predict.of("photo: Image, question, history: History -> answer").withLm(lm);
        Prediction p = look.forward(Example.of(inputs())).block(Duration.ofSeconds(10));
        assertThat(p.get("answer")).isEqualTo("A dog.");

        String raw = server.lastRequest().rawBody();
        JsonNode messages = JSON.readTree(raw).get("messages");
        assertThat(messages).hasSize(4);
        assertThat(messages.get(0).get("role").asText()).isEqualTo("system");
        assertThat(messages.get(0).get("content").asText()).contains("3. `history` (History):");
        JsonNode past = messages.get(1);
        assertThat(past.get("role").asText()).isEqualTo("user");
        assertThat(past.get("content").toString()).isEqualTo("[{\"type\":\"text\",\"text\":\"[[ ## photo ## ]]\\n\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}},"
                + "{\"type\":\"text\",\"text\":\"\\n\\n[[ ## question ## ]]\\nWhat is it?\"}]");
        assertThat(messages.get(2).get("role").asText()).isEqualTo("assistant");
        assertThat(messages.get(2).get("content").asText()).isEqualTo("[[ ## answer ## ]]\nA cat.\n\n"
                + "[[ ## completed ## ]]\n");
        JsonNode current = messages.get(3).get("content");
        assertThat(current).hasSize(3);
        assertThat(current.get(1).get("image_url").get("url").asText()).isEqualTo("https://example.com/now.jpg");
        assertThat(current.get(2).get("text").asText()).startsWith("\n\n[[ ## question ## ]]\nAnd now?\n\nRespond");

        // the request the library sent is what the server parsed: parts back as Message.Parts
        List<Message> parsed = server.lastRequest().messages();
        assertThat(parsed.get(1).parts()).containsExactly(new Message.Part.Text("[[ ## photo ## ]]\n"),
                new Message.Part.ImageUrl("data:image/png;base64,iVBORw0KGgo="),
                new Message.Part.Text("\n\n[[ ## question ## ]]\nWhat is it?"));

        ChatCompletionCreateParams.Body body = ObjectMappers.jsonMapper()
                .readValue(raw, ChatCompletionCreateParams.Body.class).validate();
        List<ChatCompletionMessageParam> sdk = body.messages();
        assertThat(sdk).hasSize(4);
        List<ChatCompletionContentPart> parts = sdk.get(1).asUser().content().asArrayOfContentParts();
        assertThat(parts.get(1).asImageUrl().imageUrl().url()).isEqualTo("data:image/png;base64,iVBORw0KGgo=");
        assertThat(sdk.get(2).asAssistant().content().orElseThrow().asText()).contains("A cat.");
        assertThat(sdk.get(3).asUser().content().asArrayOfContentParts().get(1).asImageUrl().imageUrl().url())
                .isEqualTo("https://example.com/now.jpg");
    }

    @Test
    void theJsonAdapterSendsTheSamePartsAndAJsonAssistantTurn() throws Exception {
        Predict look = Predict.of("photo: Image, question, history: History -> answer").withLm(lm)
                .withAdapter(new JsonAdapter());
        Prediction p = look.forward(Example.of(inputs())).block(Duration.ofSeconds(10));
        assertThat(p.get("answer")).isEqualTo("A dog.");
        String raw = server.lastRequest().rawBody();
        JsonNode messages = JSON.readTree(raw).get("messages");
        assertThat(messages).hasSize(4);
        assertThat(messages.get(1).get("content").get(1).get("image_url").get("url").asText())
                .isEqualTo("data:image/png;base64,iVBORw0KGgo=");
        assertThat(messages.get(2).get("content").asText()).isEqualTo("{\n  \"answer\": \"A cat.\"\n}");
        assertThat(messages.get(3).get("content").get(2).get("text").asText())
                .endsWith("Respond with a JSON object in the following order of fields: `answer`.");
        ObjectMappers.jsonMapper().readValue(raw, ChatCompletionCreateParams.Body.class).validate();
    }
}
