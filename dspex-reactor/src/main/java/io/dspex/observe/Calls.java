package io.dspex.observe;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Usage;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoOperator;
import reactor.util.context.ContextView;

/** The kinds of observed calls, and the key values of their observations. */
final class Calls {

    private Calls() {
    }

    static final String MODULE = "dspex.module";
    static final String SIGNATURE = "dspex.signature";
    static final String OPERATION = "gen_ai.operation.name";
    static final String PROVIDER = "gen_ai.provider.name";
    static final String REQUEST_MODEL = "gen_ai.request.model";
    static final String RESPONSE_MODEL = "gen_ai.response.model";
    static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";
    static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
    static final String FINISH_REASONS = "gen_ai.response.finish_reasons";
    static final String TOOL_NAME = "gen_ai.tool.name";
    static final String ATTEMPT = "dspex.lm.attempt";
    static final String DEVSET_SIZE = "dspex.devset.size";

    private static final KeyValue CHAT = KeyValue.of(OPERATION, "chat");
    private static final KeyValue EXECUTE_TOOL = KeyValue.of(OPERATION, "execute_tool");
    private static final KeyValue FIRST_ATTEMPT = KeyValue.of(ATTEMPT, "1");

    /** The low-cardinality module key of each class: its simple name (its full name when it has none). */
    private static final ClassValue<KeyValue> MODULE_KEYS = new ClassValue<>() {
        @Override
        protected KeyValue computeValue(Class<?> type) {
            return KeyValue.of(MODULE, moduleName(type));
        }
    };

    static String moduleName(Class<?> type) {
        String simple = type.getSimpleName();
        return simple.isEmpty() ? type.getName() : simple;
    }

    // ------------------------------------------------------------------ module calls

    /** A module call whose subscribers are observed by a given instrumentation (the run's, resolved already). */
    static final class ModuleCalls extends MonoOperator<Prediction, Prediction> {
        private final Instrumentation ins;
        private final Program module;
        private final Example inputs;

        ModuleCalls(Mono<Prediction> source, Instrumentation ins, Program module, Example inputs) {
            super(source);
            this.ins = ins;
            this.module = module;
            this.inputs = inputs;
        }

        @Override
        public void subscribe(CoreSubscriber<? super Prediction> actual) {
            new ModuleCall(actual, ins, module, inputs).subscribeTo(source);
        }
    }

    static final class ModuleCall extends Observed<Prediction> {
        private final Program module;
        private final Example inputs;

        ModuleCall(CoreSubscriber<? super Prediction> actual, Instrumentation ins, Program module, Example inputs) {
            super(actual, ins, true);
            this.module = module;
            this.inputs = inputs;
        }

        @Override
        void fireStart(Callback callback, String callId) {
            callback.onModuleStart(callId, module, inputs);
        }

        @Override
        void fireEnd(Callback callback, String callId, @Nullable Prediction value, @Nullable Throwable error) {
            callback.onModuleEnd(callId, value, error);
        }

        @Override
        Observation observation(ObservationRegistry registry, @Nullable Observation parent) {
            KeyValue name = MODULE_KEYS.get(module.getClass());
            Observation o = Observation.createNotStarted(Instrumentation.MODULE_OBSERVATION, () -> context(parent),
                            registry)
                    .contextualName(name.getValue())
                    .lowCardinalityKeyValue(name);
            if (module instanceof Predictor p) {
                o.highCardinalityKeyValue(KeyValue.of(SIGNATURE, p.signature().spec()));
            }
            return o;
        }

        @Override
        String kind() {
            return "module call";
        }
    }

    static Observation.Context context(@Nullable Observation parent) {
        Observation.Context c = new Observation.Context();
        c.setParentObservation(parent);
        return c;
    }

    // ------------------------------------------------------------------ LM calls and attempts

    /** An LM call, retries included: callbacks only (DSPy's LM events); each attempt is observed on its own. */
    static final class LmCall extends Observed<LmResponse> {
        private final LanguageModel lm;
        private final LmRequest request;

        LmCall(CoreSubscriber<? super LmResponse> actual, Instrumentation ins, LanguageModel lm, LmRequest request) {
            super(actual, ins, true);
            this.lm = lm;
            this.request = request;
        }

        @Override
        void fireStart(Callback callback, String callId) {
            callback.onLmStart(callId, lm, request);
        }

        @Override
        void fireEnd(Callback callback, String callId, @Nullable LmResponse value, @Nullable Throwable error) {
            callback.onLmEnd(callId, value, error);
        }

        @Override
        @Nullable Observation observation(ObservationRegistry registry, @Nullable Observation parent) {
            return null;
        }

        @Override
        boolean isParent() {
            return false;
        }

        @Override
        String kind() {
            return "LM call";
        }
    }

    /**
     * The attempts of one LM call: each subscription (the retry re-subscribes) is one request to the model, observed
     * as OpenTelemetry's GenAI client operation and numbered from 1.
     */
    static final class Attempts extends MonoOperator<LmResponse, LmResponse> {
        private final LanguageModel lm;
        private final LmRequest request;
        private final AtomicInteger made = new AtomicInteger();

        Attempts(Mono<LmResponse> source, LanguageModel lm, LmRequest request) {
            super(source);
            this.lm = lm;
            this.request = request;
        }

        @Override
        public void subscribe(CoreSubscriber<? super LmResponse> actual) {
            int number = made.incrementAndGet();
            Instrumentation ins = Instrumentation.current(actual.currentContext());
            if (ins.registry == null) {
                source.subscribe(actual);
            } else {
                new Attempt(actual, ins, lm, request, number).subscribeTo(source);
            }
        }
    }

    /** One attempt of an LM call: an observation only (LM callbacks are per call, as in DSPy). */
    static final class Attempt extends Observed<LmResponse> {
        private final LanguageModel lm;
        private final LmRequest request;
        private final int number;
        private @Nullable LmObservationContext observed;

        Attempt(CoreSubscriber<? super LmResponse> actual, Instrumentation ins, LanguageModel lm, LmRequest request,
                int number) {
            super(actual, ins, false);
            this.lm = lm;
            this.request = request;
            this.number = number;
        }

        @Override
        void fireStart(Callback callback, String callId) {
        }

        @Override
        void fireEnd(Callback callback, String callId, @Nullable LmResponse value, @Nullable Throwable error) {
        }

        @Override
        Observation observation(ObservationRegistry registry, @Nullable Observation parent) {
            LmKeys keys = LmKeys.of(lm);
            CallConfig cfg = request.config();
            String model = cfg.model() != null ? cfg.model() : keys.model;
            LmObservationContext c = new LmObservationContext(lm, request, keys.provider, model, number);
            c.setParentObservation(parent);
            observed = c;
            Observation o = Observation.createNotStarted(Instrumentation.LM_OBSERVATION, () -> c, registry)
                    .contextualName(model == null ? "chat" : model.equals(keys.model) ? keys.contextualName
                            : "chat " + model)
                    .lowCardinalityKeyValue(CHAT)
                    .lowCardinalityKeyValue(keys.providerKey);
            if (model != null) {
                o.lowCardinalityKeyValue(model.equals(keys.model) ? keys.modelKey : KeyValue.of(REQUEST_MODEL, model));
            }
            if (keys.serverAddress != null) {
                o.highCardinalityKeyValue(keys.serverAddress);
                o.highCardinalityKeyValue(keys.serverPort);
            }
            o.highCardinalityKeyValue(number == 1 ? FIRST_ATTEMPT : KeyValue.of(ATTEMPT, Integer.toString(number)));
            if (cfg.temperature() != null) {
                o.highCardinalityKeyValue("gen_ai.request.temperature", String.valueOf(cfg.temperature()));
            }
            if (cfg.maxTokens() != null) {
                o.highCardinalityKeyValue("gen_ai.request.max_tokens", String.valueOf(cfg.maxTokens()));
            }
            if (cfg.n() != null && cfg.n() != 1) {
                o.highCardinalityKeyValue("gen_ai.request.choice.count", String.valueOf(cfg.n()));
            }
            if (cfg.seed() != null) {
                o.highCardinalityKeyValue("gen_ai.request.seed", String.valueOf(cfg.seed()));
            }
            return o;
        }

        @Override
        void succeeded(Observation observation, @Nullable LmResponse value) {
            if (value == null) {
                return;
            }
            LmObservationContext c = observed;
            if (c != null) {
                c.response(value);
            }
            if (value.model() != null) {
                observation.lowCardinalityKeyValue(RESPONSE_MODEL, value.model());
            }
            Usage u = value.usage();
            observation.highCardinalityKeyValue(INPUT_TOKENS, Long.toString(u.promptTokens()));
            observation.highCardinalityKeyValue(OUTPUT_TOKENS, Long.toString(u.completionTokens()));
            List<LmResponse.Choice> choices = value.choices();
            if (choices.size() == 1) {
                String reason = choices.get(0).finishReason();
                if (reason != null) {
                    observation.highCardinalityKeyValue(FINISH_REASONS, reason);
                }
                return;
            }
            StringBuilder reasons = new StringBuilder();
            for (LmResponse.Choice choice : choices) {
                if (choice.finishReason() != null) {
                    reasons.append(reasons.length() == 0 ? "" : ",").append(choice.finishReason());
                }
            }
            if (reasons.length() > 0) {
                observation.highCardinalityKeyValue(FINISH_REASONS, reasons.toString());
            }
        }

        @Override
        boolean isParent() {
            return false;
        }

        @Override
        String kind() {
            return "LM call attempt";
        }
    }

    // ------------------------------------------------------------------ tools and evaluations

    static final class ToolCall<T> extends Observed<T> {
        private final String name;
        private final Map<String, ?> arguments;

        ToolCall(CoreSubscriber<? super T> actual, Instrumentation ins, String name, Map<String, ?> arguments) {
            super(actual, ins, true);
            this.name = name;
            this.arguments = arguments;
        }

        @Override
        void fireStart(Callback callback, String callId) {
            callback.onToolStart(callId, name, arguments);
        }

        @Override
        void fireEnd(Callback callback, String callId, @Nullable T value, @Nullable Throwable error) {
            callback.onToolEnd(callId, value, error);
        }

        @Override
        Observation observation(ObservationRegistry registry, @Nullable Observation parent) {
            return Observation.createNotStarted(Instrumentation.TOOL_OBSERVATION, () -> context(parent), registry)
                    .contextualName("execute_tool " + name)
                    .lowCardinalityKeyValue(EXECUTE_TOOL)
                    .lowCardinalityKeyValue(TOOL_NAME, name);
        }

        @Override
        String kind() {
            return "tool call";
        }
    }

    static final class EvaluateCall<T> extends Observed<T> {
        private final Program program;
        private final List<Example> devset;

        EvaluateCall(CoreSubscriber<? super T> actual, Instrumentation ins, Program program, List<Example> devset) {
            super(actual, ins, true);
            this.program = program;
            this.devset = devset;
        }

        @Override
        void fireStart(Callback callback, String callId) {
            callback.onEvaluateStart(callId, program, devset);
        }

        @Override
        void fireEnd(Callback callback, String callId, @Nullable T value, @Nullable Throwable error) {
            callback.onEvaluateEnd(callId, value, error);
        }

        @Override
        Observation observation(ObservationRegistry registry, @Nullable Observation parent) {
            return Observation.createNotStarted(Instrumentation.EVALUATE_OBSERVATION, () -> context(parent), registry)
                    .contextualName("evaluate")
                    .lowCardinalityKeyValue(MODULE_KEYS.get(program.getClass()))
                    .highCardinalityKeyValue(DEVSET_SIZE, Integer.toString(devset.size()));
        }

        @Override
        String kind() {
            return "evaluation";
        }
    }

    // ------------------------------------------------------------------ synchronous calls (adapters)

    /** The end method of one kind of synchronous call. */
    @FunctionalInterface
    interface End<R> {
        void fire(Callback callback, String callId, @Nullable R value, @Nullable Throwable error);
    }

    /** Runs {@code body} between the start and end callbacks of a synchronous call. */
    static <R> R sync(Instrumentation ins, ContextView context, BiConsumer<Callback, String> start, Supplier<R> body,
                      End<R> end, String kind) {
        String id = Observed.newCallId();
        Observed<?> parent = context.getOrDefault(Observed.class, null);
        Error fatal = null;
        String before = Observed.PARENT_CALL_ID.get();
        Observed.PARENT_CALL_ID.set(parent == null ? null : parent.callId);
        try {
            for (Callback cb : ins.callbacks) {
                try {
                    start.accept(cb, id);
                } catch (Exception e) {
                    Observed.LOG.warn("callback {} threw in start of {} {}; ignored", cb.getClass().getName(), kind,
                            id, e);
                } catch (Error e) {
                    fatal = fatal == null ? e : fatal;
                }
            }
        } finally {
            if (before == null) {
                Observed.PARENT_CALL_ID.remove();
            } else {
                Observed.PARENT_CALL_ID.set(before);
            }
        }
        R result = null;
        RuntimeException failure = null;
        if (fatal == null) {
            try {
                result = body.get();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        Throwable reported = fatal != null ? fatal : failure;
        for (Callback cb : ins.callbacks) {
            try {
                end.fire(cb, id, result, reported);
            } catch (Exception e) {
                Observed.LOG.warn("callback {} threw in end of {} {}; ignored", cb.getClass().getName(), kind, id, e);
            } catch (Error e) {
                fatal = fatal == null ? e : fatal;
            }
        }
        if (fatal != null) {
            throw fatal;
        }
        if (failure != null) {
            throw failure;
        }
        return result;
    }

    // ------------------------------------------------------------------ GenAI key values of a model

    /**
     * What a model's id tells about it. The library's clients say {@code <scheme>:<base URL>|<model>[|...]}
     * ({@code openai-compatible:}, and {@code anthropic:} and {@code gemini:} for the native clients), so the provider
     * comes from the scheme, with OpenTelemetry's names ({@code openai} for the OpenAI API and the servers that speak
     * it, {@code anthropic}, {@code gcp.gemini}), and the model and server from the rest. Another model's provider is
     * the lower-case scheme its id starts with ({@code "ollama:..."}), else {@code "_OTHER"}; its model is the
     * request's.
     */
    static final class LmKeys {
        private static final Map<String, String> PROVIDERS = Map.of("openai-compatible", "openai",
                "anthropic", "anthropic", "gemini", "gcp.gemini");
        private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9._-]{0,31}");
        /** The keys of the model seen last: most programs call one model, whose id is a constant string. */
        private static volatile @Nullable LmKeys last;

        final String id;
        final String provider;
        final KeyValue providerKey;
        final @Nullable String model;
        final @Nullable KeyValue modelKey;
        final String contextualName;
        final @Nullable KeyValue serverAddress;
        final KeyValue serverPort;

        private LmKeys(String id, String provider, @Nullable String model, @Nullable String serverAddress,
                       String serverPort) {
            this.id = id;
            this.provider = provider;
            this.providerKey = KeyValue.of(PROVIDER, provider);
            this.model = model;
            this.modelKey = model == null ? null : KeyValue.of(REQUEST_MODEL, model);
            this.contextualName = model == null ? "chat" : "chat " + model;
            this.serverAddress = serverAddress == null ? null : KeyValue.of("server.address", serverAddress);
            this.serverPort = KeyValue.of("server.port", serverPort);
        }

        static LmKeys of(LanguageModel lm) {
            String id = lm.id();
            LmKeys k = last;
            if (k != null && k.id.equals(id)) {
                return k;
            }
            k = parse(id);
            last = k;
            return k;
        }

        static LmKeys parse(String id) {
            int colon = id.indexOf(':');
            String scheme = colon > 0 ? id.substring(0, colon) : "";
            String known = PROVIDERS.get(scheme);
            String provider = known != null ? known : SCHEME.matcher(scheme).matches() ? scheme : "_OTHER";
            int bar = colon > 0 ? id.indexOf('|', colon) : -1;
            if (known == null || bar < 0) {
                return new LmKeys(id, provider, null, null, "");
            }
            int next = id.indexOf('|', bar + 1);
            String model = id.substring(bar + 1, next < 0 ? id.length() : next);
            String host = null;
            String port = "";
            try {
                URI uri = URI.create(id.substring(colon + 1, bar));
                host = uri.getHost();
                int p = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
                port = Integer.toString(p);
            } catch (IllegalArgumentException e) {
                host = null;
            }
            return new LmKeys(id, provider, model.isEmpty() ? null : model, host, port);
        }
    }
}
