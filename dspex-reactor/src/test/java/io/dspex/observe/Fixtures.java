package io.dspex.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.adapter.Adapter;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.Usage;
import io.dspex.predict.Predict;
import io.dspex.predict.RetryPolicy;
import io.dspex.signature.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/** What the observability tests share: a two-step program, a scripted model and a recording callback. */
final class Fixtures {

    private Fixtures() {
    }

    /** A reply both steps of {@link TwoStep} can parse. */
    static final String REPLY = "[[ ## answer ## ]]\nParis\n\n[[ ## verdict ## ]]\nok\n\n[[ ## completed ## ]]";

    /** No waiting between attempts, three attempts. */
    static final RetryPolicy FAST = RetryPolicy.defaults().withMaxAttempts(3).withBackoff(Duration.ZERO, Duration.ZERO)
            .withJitter(0);

    /** question -> answer, then answer -> verdict. */
    static final class TwoStep extends Module {
        TwoStep(LanguageModel lm) {
            register("first", Predict.of("question -> answer").withLm(lm).withRetry(FAST));
            register("second", Predict.of("answer -> verdict").withLm(lm).withRetry(FAST));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("first").forward(in)
                    .flatMap(p -> child("second").forward(Map.of("answer", p.get("answer"))));
        }
    }

    /** Answers from a list of outcomes in order (the last repeats): a reply text, an LmResponse or an exception. */
    static final class SeqLm implements LanguageModel {
        final List<Object> outcomes;
        final AtomicInteger calls = new AtomicInteger();

        SeqLm(Object... outcomes) {
            this.outcomes = List.of(outcomes);
        }

        @Override
        public Mono<LmResponse> call(LmRequest request) {
            return Mono.defer(() -> {
                int i = calls.getAndIncrement();
                Object o = outcomes.get(Math.min(i, outcomes.size() - 1));
                if (o instanceof RuntimeException e) {
                    return Mono.error(e);
                }
                if (o instanceof LmResponse r) {
                    return Mono.just(r);
                }
                if (o instanceof Mono<?> m) {
                    @SuppressWarnings("unchecked")
                    Mono<LmResponse> mono = (Mono<LmResponse>) m;
                    return mono;
                }
                return Mono.just(new LmResponse(List.of(new LmResponse.Choice((String) o, "stop")),
                        Usage.of(11, 7), "test-model-2025", null, null));
            });
        }

        @Override
        public String id() {
            return "openai-compatible:http://127.0.0.1:9999/v1|test-model";
        }
    }

    /** Records every event as a line, and checks that starts and ends pair up. */
    static final class Recorder implements Callback {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final Map<String, String> open = new ConcurrentHashMap<>();
        final Map<String, @Nullable String> parents = new ConcurrentHashMap<>();
        final List<String> problems = Collections.synchronizedList(new ArrayList<>());
        final List<Object> values = Collections.synchronizedList(new ArrayList<>());

        private void start(String kind, String id, String what) {
            events.add(kind + ">" + what);
            parents.put(id, Callback.parentCallId().orElse("-"));
            if (open.putIfAbsent(id, kind) != null) {
                problems.add("started twice: " + kind + " " + id);
            }
            if (!id.matches("[0-9a-f]{32}")) {
                problems.add("call id is not 32 hex digits: " + id);
            }
        }

        private void end(String kind, String id, @Nullable Object value, @Nullable Throwable error) {
            events.add("<" + kind + (error == null ? "" : ":" + error.getClass().getSimpleName()));
            values.add(value == null ? "null" : value);
            String was = open.remove(id);
            if (!kind.equals(was)) {
                problems.add("ended " + kind + " " + id + " that was " + was);
            }
            if (value != null && error != null) {
                problems.add("both a value and an error: " + kind + " " + id);
            }
        }

        void assertBalanced() {
            assertThat(problems).isEmpty();
            assertThat(open).as("calls started and never ended").isEmpty();
        }

        @Override
        public void onModuleStart(String callId, Program module, Example inputs) {
            start("module", callId, module.getClass().getSimpleName() + inputs.toMap());
        }

        @Override
        public void onModuleEnd(String callId, @Nullable Prediction outputs, @Nullable Throwable error) {
            end("module", callId, outputs, error);
        }

        @Override
        public void onLmStart(String callId, LanguageModel lm, LmRequest request) {
            start("lm", callId, lm.id().contains("test-model") ? "" : lm.id());
        }

        @Override
        public void onLmEnd(String callId, @Nullable LmResponse response, @Nullable Throwable error) {
            end("lm", callId, response, error);
        }

        @Override
        public void onAdapterFormatStart(String callId, Adapter adapter, Signature signature, List<Example> demos,
                                         Map<String, ?> inputs) {
            start("format", callId, signature.spec());
        }

        @Override
        public void onAdapterFormatEnd(String callId, @Nullable List<Message> messages, @Nullable Throwable error) {
            end("format", callId, messages, error);
        }

        @Override
        public void onAdapterParseStart(String callId, Adapter adapter, Signature signature, String completion) {
            start("parse", callId, adapter.getClass().getSimpleName());
        }

        @Override
        public void onAdapterParseEnd(String callId, @Nullable Map<String, @Nullable Object> outputs,
                                      @Nullable Throwable error) {
            end("parse", callId, outputs, error);
        }

        @Override
        public void onToolStart(String callId, String toolName, Map<String, ?> arguments) {
            start("tool", callId, toolName + arguments);
        }

        @Override
        public void onToolEnd(String callId, @Nullable Object result, @Nullable Throwable error) {
            end("tool", callId, result, error);
        }

        @Override
        public void onEvaluateStart(String callId, Program program, List<Example> devset) {
            start("evaluate", callId, program.getClass().getSimpleName() + devset.size());
        }

        @Override
        public void onEvaluateEnd(String callId, @Nullable Object result, @Nullable Throwable error) {
            end("evaluate", callId, result, error);
        }
    }
}
