package io.dspex.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonValue;
import io.dspex.internal.PyFormat;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * {@link Tool}: its arguments' schemas and rendering compared with DSPy 3.3.1's {@code dspy.Tool} of the equivalent
 * Python function, validation and coercion before the call, and how a call runs (where, how long, what it returns).
 */
class ToolTest {

    enum Color {
        RED("red"), BLUE("blue");

        private final String value;

        Color(String value) {
            this.value = value;
        }

        @JsonValue
        public String value() {
            return value;
        }
    }

    record P(String name, Optional<Integer> age, List<String> tags) {
    }

    record Everything(int a, double b, String c, boolean d, List<Integer> e, Map<String, Object> g, Color j, P k,
                      List<P> l, Map<String, Integer> m, Object n, Optional<String> p) {
    }

    record Sum(int a, int b) {
    }

    /**
     * DSPy 3.3.1, for
     * {@code def everything(a: int, b: float, c: str, d: bool, e: list[int], g: dict[str, Any], j: Color, k: P,
     * l: list[P], m: dict[str, int], n: Any, p: Optional[str] = None): '''Takes everything.'''}:
     * {@code str(Tool(everything))} and {@code json.dumps(Tool(everything).format_as_litellm_function_call())}.
     */
    static final String DSPY_STR = "everything, "
            + "whose description is <desc>Takes everything.</desc>. It takes arguments {'a': {'type': 'integer'}, "
            + "'b': {'type': 'number'}, 'c': {'type': 'string'}, 'd': {'type': 'boolean'}, "
            + "'e': {'items': {'type': 'integer'}, 'type': 'array'}, 'g': {'additionalProperties': True, "
            + "'type': 'object'}, 'j': {'enum': ['red', 'blue'], 'title': 'Color', 'type': 'string'}, "
            + "'k': {'properties': {'name': {'title': 'Name', 'type': 'string'}, "
            + "'age': {'anyOf': [{'type': 'integer'}, {'type': 'null'}], 'default': None, 'title': 'Age'}, "
            + "'tags': {'items': {'type': 'string'}, 'title': 'Tags', 'type': 'array'}}, 'required': ['name', 'tags'], "
            + "'title': 'P', 'type': 'object'}, 'l': {'items': {'properties': {'name': {'title': 'Name', "
            + "'type': 'string'}, 'age': {'anyOf': [{'type': 'integer'}, {'type': 'null'}], 'default': None, "
            + "'title': 'Age'}, 'tags': {'items': {'type': 'string'}, 'title': 'Tags', 'type': 'array'}}, "
            + "'required': ['name', 'tags'], 'title': 'P', 'type': 'object'}, 'type': 'array'}, "
            + "'m': {'additionalProperties': {'type': 'integer'}, 'type': 'object'}, 'n': {}, "
            + "'p': {'anyOf': [{'type': 'string'}, {'type': 'null'}], 'default': None}}.";

    static final String DSPY_FUNCTION = "{\"type\": \"function\", \"function\": {\"name\": \"everything\", "
            + "\"description\": \"Takes everything.\", \"parameters\": {\"type\": \"object\", "
            + "\"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"type\": \"number\"}, "
            + "\"c\": {\"type\": \"string\"}, \"d\": {\"type\": \"boolean\"}, "
            + "\"e\": {\"items\": {\"type\": \"integer\"}, \"type\": \"array\"}, "
            + "\"g\": {\"additionalProperties\": true, \"type\": \"object\"}, \"j\": {\"enum\": [\"red\", \"blue\"], "
            + "\"title\": \"Color\", \"type\": \"string\"}, \"k\": {\"properties\": {\"name\": {\"title\": \"Name\", "
            + "\"type\": \"string\"}, \"age\": {\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}], "
            + "\"default\": null, \"title\": \"Age\"}, \"tags\": {\"items\": {\"type\": \"string\"}, "
            + "\"title\": \"Tags\", \"type\": \"array\"}}, \"required\": [\"name\", \"tags\"], \"title\": \"P\", "
            + "\"type\": \"object\"}, \"l\": {\"items\": {\"properties\": {\"name\": {\"title\": \"Name\", "
            + "\"type\": \"string\"}, \"age\": {\"anyOf\": [{\"type\": \"integer\"}, {\"type\": \"null\"}], "
            + "\"default\": null, \"title\": \"Age\"}, \"tags\": {\"items\": {\"type\": \"string\"}, "
            + "\"title\": \"Tags\", \"type\": \"array\"}}, \"required\": [\"name\", \"tags\"], \"title\": \"P\", "
            + "\"type\": \"object\"}, \"type\": \"array\"}, \"m\": {\"additionalProperties\": {\"type\": \"integer\"}, "
            + "\"type\": \"object\"}, \"n\": {}, \"p\": {\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}], "
            + "\"default\": null}}, \"required\": [\"a\", \"b\", \"c\", \"d\", \"e\", \"g\", \"j\", \"k\", \"l\", "
            + "\"m\", \"n\"]}}}";

    static final Tool ADD = Tool.of("add", "Add two integers.", Sum.class, s -> Mono.just(s.a() + s.b()));

    @Test
    void aRecordsArgumentsRenderAsDspyRendersAFunctionsParameters() {
        Tool t = Tool.of("everything", "Takes everything.", Everything.class, e -> Mono.just("ok"));
        assertThat(t.format()).isEqualTo(DSPY_STR);
        assertThat(PyFormat.dumps(t.toFunctionSchema(), false)).isEqualTo(DSPY_FUNCTION);
        assertThat(t.requiredArgs()).doesNotContain("p").contains("a", "n");
        assertThat(ADD.toString()).isEqualTo("Tool(name=add, desc=Add two integers., args={'a': {'type': 'integer'}, "
                + "'b': {'type': 'integer'}})");
    }

    @Test
    void aMapOfArgumentsKeepsItsOrderAndDefaultsMakeArgumentsOptional() {
        Map<String, Map<String, Object>> args = new LinkedHashMap<>();
        args.put("query", Map.of("type", "string"));
        args.put("k", new LinkedHashMap<>(Map.of("type", "integer")));
        args.get("k").put("default", 3);
        Tool search = Tool.of("search", "Search the web.\nReturns snippets.", args, a -> Mono.just(a));
        assertThat(search.format()).isEqualTo("search, whose description is <desc>Search the web.  Returns "
                + "snippets.</desc>. It takes arguments {'query': {'type': 'string'}, 'k': {'type': 'integer', "
                + "'default': 3}}.");
        assertThat(search.requiredArgs()).containsExactly("query");
        StepVerifier.create(search.call(Map.of("query", "cats")))
                .expectNext(Map.of("query", "cats")).verifyComplete();
        assertThat(Tool.of("noop", null, Map.of(), a -> Mono.empty()).format())
                .isEqualTo("noop. It takes arguments {}.");
    }

    @Test
    void argumentsAreValidatedBeforeTheCallInDspysWords() {
        StepVerifier.create(ADD.call(Map.of("a", "x", "b", 2)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ToolException.class)
                        .hasMessage("Arg a is invalid: string found, integer expected"))
                .verify();
        StepVerifier.create(ADD.call(Map.of("a", 1, "b", 2, "c", 3)))
                .expectErrorMessage("Arg c is not in the tool's args.").verify();
        StepVerifier.create(ADD.call(Map.of("a", 1)))
                .expectErrorMessage("Arg b is required but was not given.").verify();
        StepVerifier.create(ADD.call(Map.of("a", 1.5, "b", 2)))
                .expectErrorMessage("Arg a is invalid: number found, integer expected").verify();
        StepVerifier.create(ADD.call(null)).expectError(ToolException.class).verify();
        Tool nested = Tool.of("people", null, Map.of("people", Map.of("type", "array", "items",
                Map.of("type", "object", "properties", Map.of("age", Map.of("type", "integer")), "required",
                        List.of("age")))), a -> Mono.just(a.get("people")));
        StepVerifier.create(nested.call(Map.of("people", List.of(Map.of("age", 3), Map.of("name", "x")))))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageStartingWith("Arg people is invalid: at ")
                        .hasMessageContaining("required property 'age' not found"))
                .verify();
    }

    @Test
    void jsonNumbersAreCoercedToWhatTheArgumentDeclares() {
        StepVerifier.create(ADD.call(Map.of("a", 1.0, "b", 2L))).expectNext(3).verifyComplete();
        Tool echo = Tool.of("echo", null, Map.of("n", Map.of("type", "number"), "i", Map.of("type", "integer"),
                "xs", Map.of("type", "array", "items", Map.of("type", "integer"))), Mono::just);
        StepVerifier.create(echo.call(Map.of("n", 2, "i", 4.0, "xs", List.of(1.0, 2))))
                .assertNext(r -> assertThat(r).isEqualTo(Map.of("n", 2.0, "i", 4, "xs", List.of(1, 2))))
                .verifyComplete();
        Tool typed = Tool.of("everything", null, Everything.class, Mono::just);
        Map<String, Object> args = new LinkedHashMap<>(Map.of("a", 1, "b", 2, "c", "c", "d", true, "e", List.of(1.0),
                "g", Map.of(), "j", "blue", "k", Map.of("name", "n", "tags", List.of()), "l", List.of(),
                "m", Map.of()));
        args.put("n", null);
        StepVerifier.create(typed.call(args))
                .assertNext(r -> {
                    Everything e = (Everything) r;
                    assertThat(e.b()).isEqualTo(2.0);
                    assertThat(e.e()).containsExactly(1);
                    assertThat(e.j()).isEqualTo(Color.BLUE);
                    assertThat(e.k().age()).isEmpty();
                    assertThat(e.p()).isEmpty();
                })
                .verifyComplete();
    }

    @Test
    void aBlockingToolRunsOnBoundedElasticAndOthersRunWhereTheirMonoRuns() {
        AtomicReference<String> thread = new AtomicReference<>();
        Tool slow = Tool.blocking("slow", "Sleeps.", Sum.class, s -> {
            thread.set(Thread.currentThread().getName());
            try {
                Thread.sleep(1); // BlockHound allows this on boundedElastic only
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return s.a() * s.b();
        });
        assertThat(slow.isBlocking()).isTrue();
        StepVerifier.create(slow.call(Map.of("a", 6, "b", 7)).subscribeOn(Schedulers.parallel()))
                .expectNext(42).verifyComplete();
        assertThat(thread.get()).startsWith("boundedElastic");
        Tool none = Tool.blocking("none", null, Map.of(), a -> null);
        StepVerifier.create(none.call(Map.of())).verifyComplete();
    }

    @Test
    void nullMonosEmptyMonosAndThrowingFunctionsAreClearResults() {
        Tool returnsNull = Tool.of("nul", null, Map.of(), a -> null);
        StepVerifier.create(returnsNull.call(Map.of()))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ToolException.class)
                        .hasMessageContaining("returned null instead of a Mono"))
                .verify();
        StepVerifier.create(Tool.of("empty", null, Map.of(), a -> Mono.empty()).call(Map.of())).verifyComplete();
        IllegalStateException boom = new IllegalStateException("boom");
        Tool throwing = Tool.of("throws", null, Map.of(), a -> {
            throw boom;
        });
        StepVerifier.create(throwing.call(Map.of())).expectErrorMatches(e -> e == boom).verify();
    }

    @Test
    void aTimeoutCancelsTheCallAndACancelledCallCancelsTheTool() {
        AtomicBoolean cancelled = new AtomicBoolean();
        Tool hangs = Tool.of("hangs", null, Map.of(), a -> Mono.never().doOnCancel(() -> cancelled.set(true)))
                .withTimeout(Duration.ofSeconds(5));
        StepVerifier.withVirtualTime(() -> hangs.call(Map.of()))
                .thenAwait(Duration.ofSeconds(5))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ToolException.class)
                        .hasMessage("tool hangs did not finish within 5 s and was cancelled"))
                .verify();
        assertThat(cancelled).isTrue();
        cancelled.set(false);
        Disposable d = hangs.withTimeout(null).call(Map.of()).subscribe();
        d.dispose();
        assertThat(cancelled).isTrue();
        assertThatThrownBy(() -> hangs.withTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void badNamesAndSchemasAreRejectedWhenTheToolIsMade() {
        for (String bad : new String[] {"", "has space", "a".repeat(65), "dot.name", "ünïcode"}) {
            assertThatThrownBy(() -> Tool.of(bad, null, Map.of(), a -> Mono.empty()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid tool name");
        }
        assertThat(Tool.of("get-weather_2", null, Map.of(), a -> Mono.empty()).name()).isEqualTo("get-weather_2");
        assertThat(Tool.of("x".repeat(64), null, Map.of(), a -> Mono.empty()).name()).hasSize(64);
        @SuppressWarnings({"unchecked", "rawtypes"})
        Map<String, Map<String, Object>> notObject = (Map) Map.of("x", "string");
        assertThatThrownBy(() -> Tool.of("t", null, notObject, a -> Mono.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema of argument 'x' of tool 't' must be a JSON object");
        assertThatThrownBy(() -> Tool.of("t", null, Map.of("x", Map.of("type", 42)), a -> Mono.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("argument 'x'");
        assertThatThrownBy(() -> Tool.of("t", null, Map.of(), null)).isInstanceOf(IllegalArgumentException.class);
    }

    record Node(String name, List<Node> children) {
    }

    @Test
    void aRecursiveRecordCannotBeAToolsArgument() {
        assertThatThrownBy(() -> Tool.of("tree", null, Node.class, n -> Mono.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("recursive");
    }
}
