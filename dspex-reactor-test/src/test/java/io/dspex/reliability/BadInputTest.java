package io.dspex.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.Example;
import io.dspex.adapter.Adapter;
import io.dspex.adapter.ChatAdapter;
import io.dspex.adapter.JsonAdapter;
import io.dspex.data.Datasets;
import io.dspex.lm.CallConfig;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.predict.Predict;
import io.dspex.predict.RetryPolicy;
import io.dspex.signature.FieldType;
import io.dspex.signature.Signature;
import io.dspex.test.Fault;
import io.dspex.test.MockLmServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;





/**
 * Bad input, data-driven: every line of {@code bad-input-cases.jsonl} is one case — a malformed signature or
 * type, missing/extra/wrongly typed/huge inputs, an LM reply or HTTP body of a bad shape, a broken dataset file,
 * a malformed saved program, a bad LM configuration. Each must fail with the named typed exception whose message names the problem, within
 * a timeout, and with no {@code NullPointerException}, {@code ClassCastException} or
 * {@code IndexOutOfBoundsException} anywhere in its cause chain. Messages stay bounded even for 10 MB inputs.
 */
class BadInputTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final String CASES = "/bad-input-cases.jsonl";
    static final int MAX_MESSAGE = 20_000;

    static MockLmServer server;
    static OpenAiCompatibleLm lm;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        server = MockLmServer.create().recordRequests(false).start();
        lm = Rel.lm(server);
    }

    @AfterAll
    static void stop() {
        lm.close();
        server.close();
    }

    static List<JsonNode> cases() {
        List<JsonNode> out = new ArrayList<>();
        try (InputStream in = BadInputTest.class.getResourceAsStream(CASES)) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    out.add(JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    @Test
    void theTableHoldsAtLeastSixtyCases() {
        List<JsonNode> all = cases();
        assertThat(all).hasSizeGreaterThanOrEqualTo(60);
        assertThat(all.stream().map(c -> c.get("id").asText()).distinct().count()).isEqualTo(all.size());
    }

    @TestFactory
    Stream<DynamicTest> everyBadInputFailsTyped() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.get("id").asText() + " [" + c.get("kind").asText()
                + "]", () -> check(c)));
    }

    private void check(JsonNode c) {
        Throwable thrown = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try {
                run(c);
                return null;
            } catch (Throwable t) {
                return t;
            }
        }, () -> "case " + c.get("id").asText() + " hung");
        String expected = c.get("error").asText();
        assertThat(thrown).as("case %s must fail with %s", c.get("id").asText(), expected).isNotNull();
        assertThat(typeNames(thrown)).as("type of %s: %s", c.get("id").asText(), thrown).contains(expected);
        for (Throwable t : chain(thrown)) {
            assertThat(t).as("cause chain of %s", c.get("id").asText())
                    .isNotInstanceOfAny(NullPointerException.class, ClassCastException.class,
                            IndexOutOfBoundsException.class);
        }
        String message = String.valueOf(thrown.getMessage());
        assertThat(message.length()).as("message of %s is bounded", c.get("id").asText()).isLessThan(MAX_MESSAGE);
        for (JsonNode m : c.path("mentions")) {
            assertThat(message.toLowerCase()).as("message of %s names the problem", c.get("id").asText())
                    .contains(m.asText().toLowerCase());
        }
    }

    /** The simple names of the exception's class and its superclasses (nested LmException types by their own name). */
    private static Set<String> typeNames(Throwable t) {
        Set<String> names = new java.util.HashSet<>();
        for (Class<?> k = t.getClass(); k != null; k = k.getSuperclass()) {
            names.add(k.getSimpleName());
        }
        return names;
    }

    private static List<Throwable> chain(Throwable t) {
        List<Throwable> out = new ArrayList<>();
        Set<Throwable> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        List<Throwable> todo = new ArrayList<>(List.of(t));
        while (!todo.isEmpty()) {
            Throwable x = todo.remove(todo.size() - 1);
            if (x == null || !seen.add(x)) {
                continue;
            }
            out.add(x);
            todo.add(x.getCause());
            todo.addAll(Arrays.asList(x.getSuppressed()));
        }
        return out;
    }

    private static String text(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isObject() && n.has("repeat")) {
            return n.path("prefix").asText("") + n.get("repeat").asText().repeat(n.get("times").asInt())
                    + n.path("suffix").asText("");
        }
        return n.asText();
    }

    private static Map<String, Object> inputs(JsonNode n) {
        Map<String, Object> m = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            m.put(e.getKey(), v.isObject() && v.has("repeat") ? text(v) : JSON.convertValue(v, Object.class));
        });
        return m;
    }

    private static Adapter adapter(JsonNode c) {
        return "json".equals(c.path("adapter").asText()) ? new JsonAdapter() : new ChatAdapter();
    }

    private void run(JsonNode c) throws Exception {
        switch (c.get("kind").asText()) {
            case "signature" -> Signature.parse(c.get("spec").asText());
            case "type" -> FieldType.parse(c.get("type").asText());
            case "inputs" -> {
                server.reset().recordRequests(false).reply(Rel.chatAnswer("ok"))
                        .faultWhen(r -> r.rawBody().length() > 5_000_000,
                                Fault.status(400, "This model's maximum context length is 128000 tokens; "
                                        + "your messages resulted in 2621500 tokens"));
                Predict.of(c.get("signature").asText()).withLm(lm).withRetry(RetryPolicy.none())
                        .forward(Example.of(inputs(c.get("inputs")))).block(Duration.ofSeconds(15));
            }
            case "reply" -> {
                server.reset().recordRequests(false);
                if (c.has("choices")) {
                    // The provider ignores n: one choice whatever was asked for.
                    server.fault(Fault.statusWithBody(200, "{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":"
                            + "{\"role\":\"assistant\",\"content\":\"[[ ## answer ## ]]\\nA\\n\\n[[ ## completed ## ]]\"},"
                            + "\"finish_reason\":\"stop\"}]}"));
                } else {
                    String reply = text(c.get("reply"));
                    server.reply(reply);
                }
                Predict p = Predict.of(c.get("signature").asText()).withLm(lm).withRetry(RetryPolicy.none());
                if (c.has("n")) {
                    p = p.withConfig(CallConfig.empty().withN(c.get("n").asInt()));
                }
                p.forward(Map.of("question", "q")).block(Duration.ofSeconds(15));
            }
            case "body" -> {
                server.reset().recordRequests(false).fault(Fault.statusWithBody(c.get("status").asInt(),
                        c.get("body").asText()));
                Predict.of(c.get("signature").asText()).withLm(lm).withRetry(RetryPolicy.none())
                        .forward(Map.of("question", "q")).block(Duration.ofSeconds(15));
            }
            case "dataset" -> {
                byte[] bytes = c.has("contentBase64") ? Base64.getDecoder().decode(c.get("contentBase64").asText())
                        : c.has("contentGen") ? text(c.get("contentGen")).getBytes(StandardCharsets.UTF_8)
                        : c.get("content").asText().getBytes(StandardCharsets.UTF_8);
                Path file = dir.resolve(c.get("id").asText() + "." + c.get("format").asText());
                Files.write(file, bytes);
                List<String> keys = new ArrayList<>();
                c.get("inputKeys").forEach(k -> keys.add(k.asText()));
                Datasets.read(file, keys.toArray(new String[0]));
            }
            case "adapter" -> adapter(c).parse(Signature.parse(c.get("signature").asText()), text(c.get("completion")));
            case "format" -> {
                List<Example> demos = new ArrayList<>();
                if (c.path("nullDemo").asBoolean()) {
                    demos.add(null);
                }
                adapter(c).format(Signature.parse(c.get("signature").asText()), demos, inputs(c.get("inputs")));
            }
            case "load" -> {
                Path file = dir.resolve(c.get("id").asText() + ".json");
                Files.writeString(file, c.get("content").asText());
                Predict.of(c.get("signature").asText()).load(file);
            }
            case "lm" -> OpenAiCompatibleLm.builder().baseUrl(c.get("baseUrl").asText()).model("m").build().close();
            default -> throw new AssertionError("unknown case kind " + c.get("kind"));
        }
    }
}
