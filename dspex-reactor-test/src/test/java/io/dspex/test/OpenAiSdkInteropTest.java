package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.ObjectMappers;
import com.openai.core.http.StreamResponse;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageParam;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.dspex.Example;
import io.dspex.adapter.ChatAdapter;
import io.dspex.adapter.JsonAdapter;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.lm.ToolCall;
import io.dspex.signature.Signature;
import io.dspex.tool.Tool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK talks to MockLmServer: proof that the test kit speaks the real protocol, tool calls
 * included (plain and streamed); and the SDK reads the library's request bodies, with tools, tool calls, tool results
 * and content parts, as valid chat-completion parameters. The SDK blocks, so it runs on the JUnit thread (never on a
 * Reactor thread: BlockHound would object).
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

    static final ToolCall CALL = new ToolCall("call_1", "add", "{\"a\": 1, \"b\": 2}");

    @Test
    void toolCallRepliesAreReadByTheSdk() {
        server.reply(LmResponse.ofToolCalls("", List.of(CALL, new ToolCall("call_2", "search", "{\"query\": \"ü\"}"))));
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-4o-mini").addUserMessage("Add").build());
        assertThat(c.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
        assertThat(c.choices().get(0).message().content()).isEmpty();
        List<ChatCompletionMessageFunctionToolCall> calls = c.choices().get(0).message().toolCalls().orElseThrow()
                .stream().map(t -> t.asFunction()).toList();
        assertThat(calls).extracting(ChatCompletionMessageFunctionToolCall::id).containsExactly("call_1", "call_2");
        assertThat(calls.get(0).function().name()).isEqualTo("add");
        assertThat(calls.get(0).function().arguments()).isEqualTo("{\"a\": 1, \"b\": 2}");
        assertThat(calls.get(1).function().arguments()).isEqualTo("{\"query\": \"ü\"}");
    }

    @Test
    void streamedToolCallRepliesAreAssembledByTheSdk() {
        server.reply(LmResponse.ofToolCalls("Adding.", List.of(CALL)));
        Map<Long, String> ids = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        Map<Long, StringBuilder> args = new HashMap<>();
        StringBuilder text = new StringBuilder();
        List<String> finish = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                ChatCompletionCreateParams.builder().model("gpt-4o-mini").addUserMessage("Add").build())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(ch -> {
                ch.delta().content().ifPresent(text::append);
                ch.finishReason().ifPresent(f -> finish.add(f.asString()));
                ch.delta().toolCalls().ifPresent(calls -> calls.forEach(t -> {
                    t.id().ifPresent(id -> ids.put(t.index(), id));
                    t.function().ifPresent(f -> {
                        f.name().ifPresent(n -> names.put(t.index(), n));
                        f.arguments().ifPresent(a -> args.computeIfAbsent(t.index(), k -> new StringBuilder())
                                .append(a));
                    });
                }));
            }));
        }
        assertThat(text.toString()).isEqualTo("Adding.");
        assertThat(ids).isEqualTo(Map.of(0L, "call_1"));
        assertThat(names).isEqualTo(Map.of(0L, "add"));
        assertThat(args.get(0L).toString()).isEqualTo("{\"a\": 1, \"b\": 2}");
        assertThat(finish).containsExactly("tool_calls");
    }

    record Sum(int a, int b) {
    }

    /** What OpenAiCompatibleLm sends for a request with tools, tool calls, a tool result and content parts. */
    private String sentBody(LmRequest request) {
        try (OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).apiKey("sk-test")
                .model("gpt-4o-mini").build()) {
            lm.call(request).block(Duration.ofSeconds(10));
        }
        return server.lastRequest().rawBody();
    }

    @Test
    void theSdkAcceptsOurRequestBodiesWithEveryCallParameterAResponseFormatAndStreaming() throws Exception {
        Signature sig = Signature.parse("question -> answer: int, confidence: float");
        JsonAdapter json = new JsonAdapter();
        CallConfig config = CallConfig.empty().withTemperature(0.7).withMaxTokens(321).withN(2)
                .withStop(List.of("\n\n", "END")).withSeed(42L);
        LmRequest request = LmRequest.of(json.format(sig, List.<Example>of(), Map.of("question", "1+2?")), config)
                .withResponseFormat(json.responseFormat(sig).orElseThrow());

        ChatCompletionCreateParams.Body body = ObjectMappers.jsonMapper()
                .readValue(sentBody(request), ChatCompletionCreateParams.Body.class).validate();
        assertThat(body.model().asString()).isEqualTo("gpt-4o-mini");
        assertThat(body.messages()).hasSize(2);
        assertThat(body.messages().get(0).isSystem()).isTrue();
        assertThat(body.messages().get(1).asUser().content().asText()).contains("1+2?");
        assertThat(body.temperature()).hasValue(0.7);
        assertThat(body.maxTokens()).hasValue(321L);
        assertThat(body.n()).hasValue(2L);
        assertThat(body.stop().orElseThrow().asStrings()).containsExactly("\n\n", "END");
        assertThat(body.seed()).hasValue(42L);
        ResponseFormatJsonSchema.JsonSchema schema = body.responseFormat().orElseThrow().asJsonSchema().jsonSchema();
        assertThat(schema.name()).isEqualTo("DSPyProgramOutputs");
        assertThat(schema.strict()).hasValue(true);
        JsonNode properties = ObjectMappers.jsonMapper().valueToTree(schema.schema().orElseThrow())
                .path("properties");
        assertThat(properties.path("answer").path("type").asText()).isEqualTo("integer");
        assertThat(properties.path("confidence").path("type").asText()).isEqualTo("number");
        assertThat(body._additionalProperties()).as("nothing the SDK's model does not know").isEmpty();

        String streamed;
        try (OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).apiKey("sk-test")
                .model("gpt-4o-mini").build()) {
            lm.stream(LmRequest.of(List.of(Message.user("Capital?")))).blockLast(Duration.ofSeconds(10));
            streamed = server.lastRequest().rawBody();
        }
        ChatCompletionCreateParams.Body streaming = ObjectMappers.jsonMapper()
                .readValue(streamed, ChatCompletionCreateParams.Body.class).validate();
        assertThat(streaming.streamOptions().orElseThrow().includeUsage()).hasValue(true);
        // "stream" is no field of the SDK's body model (its createStreaming sets it): the only one it does not know.
        assertThat(streaming._additionalProperties()).containsOnlyKeys("stream");
        assertThat(streaming._additionalProperties().get("stream").convert(Boolean.class)).isTrue();
    }

    @Test
    void theSdkAcceptsOurRequestBodiesWithToolsToolCallsToolResultsAndParts() throws Exception {
        Tool add = Tool.of("add", "Add two integers.", Sum.class, s -> reactor.core.publisher.Mono.just(s.a() + s.b()));
        Tool noDescription = Tool.of("noop", null, Map.of(), a -> reactor.core.publisher.Mono.empty());
        Signature sig = Signature.parse("question, tools: list[Tool] -> answer, calls: ToolCalls");
        LmRequest native_ = new ChatAdapter().withNativeFunctionCalling().formatRequest(sig, List.<Example>of(),
                Map.of("question", "What is 1+2?", "tools", List.of(add, noDescription)), null);
        LmRequest request = native_.withMessages(List.of(native_.messages().get(0),
                        Message.user(List.of(new Message.Part.Text("What is in "),
                                new Message.Part.ImageUrl("data:image/png;base64,iVBORw0KGgo="),
                                new Message.Part.Text("?"))),
                        Message.assistant("", List.of(CALL)), Message.tool("call_1", "3"),
                        Message.assistant("It is 3.", List.of(new ToolCall("call_2", "noop", "{}"))),
                        Message.tool("call_2", "None")))
                .withToolChoice("auto");
        String raw = sentBody(request);

        ChatCompletionCreateParams.Body body = ObjectMappers.jsonMapper()
                .readValue(raw, ChatCompletionCreateParams.Body.class).validate();
        List<ChatCompletionMessageParam> messages = body.messages();
        assertThat(messages).hasSize(6);
        assertThat(messages.get(0).isSystem()).isTrue();
        List<ChatCompletionContentPart> parts = messages.get(1).asUser().content().asArrayOfContentParts();
        assertThat(parts.get(0).asText().text()).isEqualTo("What is in ");
        assertThat(parts.get(1).asImageUrl().imageUrl().url()).isEqualTo("data:image/png;base64,iVBORw0KGgo=");
        ChatCompletionMessageFunctionToolCall call = messages.get(2).asAssistant().toolCalls().orElseThrow().get(0)
                .asFunction();
        assertThat(call.id()).isEqualTo("call_1");
        assertThat(call.function().name()).isEqualTo("add");
        assertThat(call.function().arguments()).isEqualTo("{\"a\": 1, \"b\": 2}");
        assertThat(messages.get(3).asTool().toolCallId()).isEqualTo("call_1");
        assertThat(messages.get(3).asTool().content().asText()).isEqualTo("3");
        assertThat(messages.get(4).asAssistant().content().orElseThrow().asText()).isEqualTo("It is 3.");
        List<ChatCompletionFunctionTool> tools = body.tools().orElseThrow().stream().map(t -> t.asFunction()).toList();
        assertThat(tools).hasSize(2);
        assertThat(tools.get(0).function().name()).isEqualTo("add");
        assertThat(tools.get(0).function().description()).hasValue("Add two integers.");
        JsonNode parameters = ObjectMappers.jsonMapper()
                .valueToTree(tools.get(0).function().parameters().orElseThrow());
        assertThat(parameters.toString()).isEqualTo("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
                + "\"integer\"},\"b\":{\"type\":\"integer\"}},\"required\":[\"a\",\"b\"]}");
        assertThat(tools.get(1).function().description()).isEmpty();
        assertThat(body.toolChoice().orElseThrow().isAuto()).isTrue();
    }
}
