package io.dspex.predict;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.StreamEvent;
import io.dspex.Trace;
import io.dspex.UsageTracker;
import io.dspex.adapter.Adapter;
import io.dspex.adapter.AdapterParseException;
import io.dspex.adapter.ChatAdapter;
import io.dspex.internal.Json;
import io.dspex.internal.OwnUsage;
import io.dspex.internal.PyFormat;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmHistory;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.ToolCall;
import io.dspex.lm.Usage;
import io.dspex.observe.Instrumentation;
import io.dspex.signature.Field;
import io.dspex.signature.FieldType;
import io.dspex.signature.Signature;
import io.dspex.signature.SignatureException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * The basic predictor (DSPy's {@code dspy.Predict}): formats a prompt from its {@link Signature}, demos and the
 * inputs with an {@link Adapter}, calls the LM, and parses the reply into a {@link Prediction}.
 *
 * <pre>{@code
 * Predict qa = Predict.of("question -> answer").withLm(lm);
 * qa.forward(Map.of("question", "What is the capital of France?"))
 *   .map(p -> p.get("answer"))
 *   .subscribe(System.out::println);
 * }</pre>
 *
 * <p><b>Failures</b> are handled here, in the program layer: the LM client never retries; this predictor applies its
 * {@link RetryPolicy} (per-attempt timeout, exponential backoff with jitter, {@code Retry-After} honoured, only
 * retryable errors, an optional deadline). When the adapter cannot parse a reply and names a
 * {@link Adapter#fallback() fallback} (the {@link ChatAdapter} names the JSON adapter, as in DSPy), the call is made
 * once more with it; if that fails too, the {@link AdapterParseException} is signalled.
 *
 * <p><b>Settings</b> come from three layers, highest first: the subscriber's Context ({@link Settings#asContext()}),
 * this predictor's own ({@link #withLm}, {@link #withAdapter}, {@link #withRetry}, {@link #withConfig}), and
 * {@link Settings#global()}; the adapter defaults to {@link ChatAdapter}, the retry policy to
 * {@link RetryPolicy#defaults()}.
 *
 * <p><b>Inputs</b>: an example's marked input keys, or all its keys when none are marked. A missing input field
 * (other than an {@code Optional} one, or a {@link io.dspex.types.History}, which a conversation's first turn leaves
 * out) or a key that is neither an input nor an output field fails the call with
 * an {@link IllegalArgumentException} naming it; output-field keys (labels) are ignored. A typed input takes a value
 * that converts to its type, or the JSON text of one ({@code "[\"a\", \"b\"]"} for a {@code list[str]}), which is
 * sent as written.
 *
 * <p>Immutable and thread-safe: every {@code with...} returns a changed copy, and one instance may serve any
 * number of concurrent calls.
 */
public final class Predict extends Module implements Predictor, OwnUsage {

    private static final Adapter DEFAULT_ADAPTER = new ChatAdapter();

    private final Signature signature;
    private final List<Example> demos;
    private final CallConfig config;
    private final @Nullable Adapter adapter;
    private final @Nullable LanguageModel lm;
    private final @Nullable RetryPolicy retry;
    /** Names this predictor in a failure's trace; built once, not on every call. */
    private final String label;

    private Predict(@Nullable Predict template, Signature signature, List<Example> demos, CallConfig config,
                    @Nullable Adapter adapter, @Nullable LanguageModel lm, @Nullable RetryPolicy retry) {
        super(template);
        this.signature = signature;
        this.demos = demos;
        this.config = config;
        this.adapter = adapter;
        this.lm = lm;
        this.retry = retry;
        this.label = "Predict(" + signature.spec() + ")";
    }

    /**
     * @param signature DSPy's string syntax, e.g. {@code "question -> answer"}
     * @return a predictor for it
     * @throws io.dspex.signature.SignatureException when the spec is malformed
     */
    public static Predict of(String signature) {
        return of(Signature.parse(signature));
    }

    /**
     * @param signature the signature
     * @return a predictor for it
     * @throws IllegalArgumentException when null
     */
    public static Predict of(Signature signature) {
        if (signature == null) {
            throw new IllegalArgumentException("signature must not be null");
        }
        return new Predict(null, signature, List.of(), CallConfig.empty(), null, null, null);
    }

    @Override
    public Signature signature() {
        return signature;
    }

    @Override
    public List<Example> demos() {
        return demos;
    }

    /** @return this predictor's own call configuration (Context settings may add to it per run) */
    public CallConfig config() {
        return config;
    }

    /** @return this predictor's own LM, or null when it uses the settings' */
    public @Nullable LanguageModel lm() {
        return lm;
    }

    /** @return this predictor's own adapter, or null when it uses the settings' */
    public @Nullable Adapter adapter() {
        return adapter;
    }

    /** @return this predictor's own retry policy, or null when it uses the settings' */
    public @Nullable RetryPolicy retry() {
        return retry;
    }

    @Override
    public Predict withSignature(Signature signature) {
        if (signature == null) {
            throw new IllegalArgumentException("signature must not be null");
        }
        return new Predict(this, signature, demos, config, adapter, lm, retry);
    }

    /**
     * @param demos few-shot examples, placed before the input in order; a demo missing some fields is rendered
     *              as DSPy renders incomplete demos
     * @return a copy with them
     * @throws IllegalArgumentException when the list or a demo is null
     */
    @Override
    public Predict withDemos(List<Example> demos) {
        if (demos == null) {
            throw new IllegalArgumentException("demos must not be null");
        }
        for (int i = 0; i < demos.size(); i++) {
            if (demos.get(i) == null) {
                throw new IllegalArgumentException("demo " + i + " is null");
            }
        }
        return new Predict(this, signature, List.copyOf(demos), config, adapter, lm, retry);
    }

    @Override
    public Predict reset() {
        return withDemos(List.of());
    }

    /** @return this predictor (it is immutable) */
    @Override
    public Predict copy() {
        return this;
    }

    /** A bare predictor names itself {@value Predictor#SELF}, as DSPy does. */
    @Override
    public Map<String, Predictor> namedPredictors() {
        return Map.of(SELF, this);
    }

    /**
     * @param replacements at most {@value Predictor#SELF}, the replacement of this predictor: a predictor that is a
     *                     {@link Module} (a {@code Predict}, or your own)
     * @return the replacement, or this predictor when there is none
     * @throws IllegalArgumentException naming any other path, or when the replacement is not a {@code Module}
     */
    @Override
    public Module withNamedPredictors(Map<String, ? extends Predictor> replacements) {
        Program p = Predictor.super.withNamedPredictors(replacements);
        if (p instanceof Module m) {
            return m;
        }
        throw new IllegalArgumentException("a Predict can only be replaced by a predictor that is also a Module, got "
                + p.getClass().getName());
    }

    /**
     * @return the loaded copy, typed as a {@code Predict}; see {@link Program#load(Path)}
     * @throws io.dspex.ProgramStateException when the file does not hold exactly one predictor
     */
    @Override
    public Predict load(Path path) {
        return (Predict) super.load(path);
    }

    /**
     * @param lm the LM to call (null: use the settings')
     * @return a copy with it
     */
    public Predict withLm(@Nullable LanguageModel lm) {
        return new Predict(this, signature, demos, config, adapter, lm, retry);
    }

    /**
     * @param adapter the adapter (null: use the settings', else {@link ChatAdapter})
     * @return a copy with it
     */
    public Predict withAdapter(@Nullable Adapter adapter) {
        return new Predict(this, signature, demos, config, adapter, lm, retry);
    }

    /**
     * @param retry the retry policy (null: use the settings', else the defaults)
     * @return a copy with it
     */
    public Predict withRetry(@Nullable RetryPolicy retry) {
        return new Predict(this, signature, demos, config, adapter, lm, retry);
    }

    /**
     * @param config the call configuration (null: none)
     * @return a copy with it
     */
    public Predict withConfig(@Nullable CallConfig config) {
        return new Predict(this, signature, demos, config == null ? CallConfig.empty() : config, adapter, lm, retry);
    }

    @Override
    protected Mono<Prediction> run(Example example) {
        return Mono.deferContextual(ctx -> {
            Map<String, @Nullable Object> inputs = inputsOf(example);
            Run run = resolve(ctx);
            Mono<Prediction> result = StreamEvent.sink(ctx)
                    .map(sink -> streamed(run, inputs, sink))
                    .orElseGet(() -> called(run, inputs));
            Trace trace = Trace.current(ctx).orElse(null);
            // No Trace in the Context (the usual case outside an optimizer): no recording operator at all.
            return trace == null ? result : result.doOnNext(p -> trace.record(new Trace.Entry(this, inputs, p)));
        // A light checkpoint: the description marks the predictor in a failure's trace. Capturing the assembly
        // stack trace as well walked the (deep) event-loop stack on every call: about 10 us of CPU per forward.
        }).checkpoint(label);
    }

    /**
     * The settings of one run, resolved from Context, this predictor and the global defaults; the run's Context, and
     * whether it reports to callbacks or an observation registry.
     */
    private record Run(LanguageModel lm, Adapter adapter, RetryPolicy retry, CallConfig config, ContextView context,
                       boolean observed) {
    }

    private Run resolve(ContextView ctx) {
        Settings global = Settings.global();
        Settings local = Settings.fromContext(ctx);
        LanguageModel l = first(local.lm(), lm, global.lm());
        if (l == null) {
            throw new IllegalStateException("no language model configured for Predict(" + signature.spec()
                    + "): call withLm(..), Settings.configure(Settings.empty().withLm(..)) or put one in the "
                    + "Context with Settings.asContext()");
        }
        Adapter a = first(local.adapter(), adapter, global.adapter());
        RetryPolicy r = first(local.retry(), retry, global.retry());
        CallConfig cfg = global.config().overriddenBy(config).overriddenBy(local.config());
        // Inside a Refine attempt that has advice, the adapter also sends this predictor's hint.
        Adapter resolved = HintAdapter.wrap(ctx, signature, a == null ? DEFAULT_ADAPTER : a);
        return new Run(l, resolved, r == null ? RetryPolicy.defaults() : r, cfg, ctx,
                Instrumentation.current(ctx).isActive());
    }

    private static <T> @Nullable T first(@Nullable T a, @Nullable T b, @Nullable T c) {
        return a != null ? a : b != null ? b : c;
    }

    Map<String, @Nullable Object> inputsOf(Example example) {
        Map<String, @Nullable Object> given = example.inputKeys().isEmpty() ? example.toMap()
                : example.inputs().toMap();
        Map<String, @Nullable Object> inputs = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        int matched = 0;
        for (Field f : signature.inputFields()) {
            if (given.containsKey(f.name())) {
                checkInputValue(f, given.get(f.name()));
                inputs.put(f.name(), given.get(f.name()));
                matched++;
            } else if (f.type().isOptional()) {
                inputs.put(f.name(), null);
            } else if (f.type().javaClass() != io.dspex.types.History.class) {
                missing.add(f.name()); // a History left out is a conversation's first turn (as in DSPy)
            }
        }
        if (missing.isEmpty() && matched == given.size()) {
            return inputs; // every given key is an input field: nothing unknown to look for
        }
        Set<String> unknown = new LinkedHashSet<>(given.keySet());
        unknown.removeAll(inputs.keySet());
        unknown.removeAll(missing);
        for (Field f : signature.outputFields()) {
            unknown.remove(f.name());
        }
        if (!missing.isEmpty() || !unknown.isEmpty()) {
            StringBuilder sb = new StringBuilder("inputs do not match Predict(").append(signature.spec()).append("):");
            if (!missing.isEmpty()) {
                sb.append(" missing input field(s) ").append(missing);
            }
            if (!unknown.isEmpty()) {
                sb.append(missing.isEmpty() ? "" : ";").append(" unknown field(s) ").append(unknown)
                        .append(" (mark the inputs with Example.withInputs(..) to pass other keys along)");
            }
            sb.append("; the signature's inputs are ").append(names(signature.inputFields()));
            throw new IllegalArgumentException(sb.toString());
        }
        return inputs;
    }

    /**
     * Rejects an input value that cannot be what its field declares: null for a required field, text that is not
     * valid Unicode (an unpaired surrogate), or a value that does not convert to a typed field's type (the same
     * lax conversion the adapters apply to outputs: {@code "12"} fits {@code int}, {@code "twelve"} does not).
     * {@code str} fields take any value, as in DSPy, which renders it.
     */
    private void checkInputValue(Field f, @Nullable Object value) {
        if (value == null) {
            if (!f.type().isOptional()) {
                throw new IllegalArgumentException("input field '" + f.name() + "' of Predict(" + signature.spec()
                        + ") is null; only an Optional field may be null");
            }
            return;
        }
        checkText(f, value, 0);
        FieldType type = f.type();
        if (type.kind() == FieldType.Kind.STR || type.kind() == FieldType.Kind.ANY) {
            return;
        }
        try {
            type.convert(value); // a value of the field's own Java type (a Tool, a record) fits as it is
        } catch (IllegalArgumentException notAsIs) {
            convertJsonable(f, type, value);
        }
    }

    private void convertJsonable(Field f, FieldType type, Object value) {
        try {
            type.convert(PyFormat.jsonable(value));
        } catch (IllegalArgumentException e) {
            if (value instanceof String text && convertsAsJson(type, text)) {
                return; // JSON text of the value, as an adapter reads an output; rendered as given (DSPy does too)
            }
            throw new IllegalArgumentException("input field '" + f.name() + "' of Predict(" + signature.spec()
                    + ") expects " + f.type().dspyName() + ": " + e.getMessage(), e);
        }
    }

    private static boolean convertsAsJson(FieldType type, String text) {
        try {
            type.convert(Json.MAPPER.readValue(text, Object.class));
            return true;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    private void checkText(Field f, Object value, int depth) {
        if (depth > 32) {
            return;
        }
        if (value instanceof CharSequence cs) {
            for (int i = 0; i < cs.length(); i++) {
                char c = cs.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < cs.length() && Character.isLowSurrogate(cs.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw new IllegalArgumentException("input field '" + f.name() + "' of Predict(" + signature.spec()
                            + ") is not valid Unicode text: an unpaired surrogate \\u"
                            + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT) + " at index " + i);
                }
            }
        } else if (value instanceof Iterable<?> items) {
            for (Object o : items) {
                checkText(f, o, depth + 1);
            }
        } else if (value instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                checkText(f, e.getKey(), depth + 1);
                checkText(f, e.getValue(), depth + 1);
            }
        }
    }

    private static List<String> names(List<Field> fields) {
        List<String> n = new ArrayList<>(fields.size());
        fields.forEach(f -> n.add(f.name()));
        return n;
    }

    private LmRequest request(Run run, Adapter a, Map<String, @Nullable Object> inputs) {
        return run.observed() ? Instrumentation.format(run.context(), a, signature, demos, inputs, run.config())
                : a.formatRequest(signature, demos, inputs, run.config());
    }

    private Mono<Prediction> called(Run run, Map<String, @Nullable Object> inputs) {
        Adapter fallback = run.adapter().fallback().orElse(null);
        Mono<Prediction> first = callWith(run, run.adapter(), inputs, fallback != null);
        if (fallback == null) {
            return first;
        }
        return first.onErrorResume(ParseFailure.class, pf -> callWith(run, fallback, inputs, false)
                .map(p -> {
                    // The failed first call's usage comes first, as the run's tracker would have listed it.
                    Map<String, Usage> both = new LinkedHashMap<>();
                    both.put(pf.model, pf.usage);
                    p.usageByModel().forEach((model, usage) -> both.merge(model, usage, Usage::plus));
                    return p.withUsageByModel(both);
                }));
    }

    /** One adapter's attempt: format, call with retries, parse every choice. */
    private Mono<Prediction> callWith(Run run, Adapter a, Map<String, @Nullable Object> inputs,
                                      boolean mayFallBack) {
        return Mono.defer(() -> {
            LmRequest req = request(run, a, inputs);
            LanguageModel model = run.lm();
            Mono<LmResponse> call = Mono.defer(() -> model.call(req));
            return observed(run, req, call).map(resp -> parse(run, a, req, resp, record(run, req, resp),
                    mayFallBack, true));
        });
    }

    /**
     * The call with the run's retry policy; when the run reports, each attempt is observed (one gen_ai observation
     * per request to the model) and the LM callbacks pair up around the whole call, retries included, as around
     * DSPy's {@code lm(...)}.
     */
    private static Mono<LmResponse> observed(Run run, LmRequest req, Mono<LmResponse> attempt) {
        if (!run.observed()) {
            return run.retry().apply(attempt);
        }
        LanguageModel model = run.lm();
        return Instrumentation.lmCall(model, req, run.retry().apply(Instrumentation.attempt(model, req, attempt)));
    }

    /** Parses every choice; the prediction carries the call's usage under {@code model}. */
    private Prediction parse(Run run, Adapter a, LmRequest req, LmResponse resp, String model, boolean mayFallBack,
                             boolean checkN) {
        List<LmResponse.Choice> choices = resp.choices();
        int n = req.config().n() == null ? 1 : req.config().n();
        if (choices.isEmpty() || (checkN && choices.size() != n)) {
            throw new PredictException("the LM returned " + choices.size() + " choice(s) for n=" + n + " in Predict("
                    + signature.spec() + ")" + (choices.size() == 1 && n > 1
                    ? "; the provider may not support n > 1" : ""));
        }
        List<Map<String, @Nullable Object>> completions = new ArrayList<>(choices.size());
        try {
            for (LmResponse.Choice c : choices) {
                completions.add(run.observed() ? Instrumentation.parse(run.context(), a, signature, c)
                        : a.parse(signature, c));
            }
        } catch (AdapterParseException e) {
            if (mayFallBack) {
                throw new ParseFailure(e, model, resp.usage());
            }
            throw e;
        }
        return Prediction.fromCompletions(completions, null).withUsageByModel(Map.of(model, resp.usage()));
    }

    /**
     * Records one answered call: its usage in the enclosing modules' {@link UsageTracker}s (a Predict has no scope
     * of its own: it sets its prediction's usage itself), and the call in the history.
     *
     * @return the name the usage is recorded under
     */
    private static String record(Run run, LmRequest req, LmResponse resp) {
        String model = usageModel(run, resp);
        UsageTracker.record(run.context(), model, resp.usage());
        LmHistory.global().record(req, resp);
        return model;
    }

    /**
     * The name usage is totalled under (DSPy keys it by {@code lm.model}): the request's model when it names one,
     * else the client's default model, else what the response reports, else the client's id.
     */
    private static String usageModel(Run run, LmResponse resp) {
        String m = run.config().model();
        if (m == null || m.isBlank()) {
            m = run.lm().model();
        }
        if (m == null || m.isBlank()) {
            m = resp.model();
        }
        return m == null || m.isBlank() ? run.lm().id() : m;
    }

    /** Streams the reply's field text into the sink, then parses the whole reply. */
    private Mono<Prediction> streamed(Run run, Map<String, @Nullable Object> inputs,
                                      Consumer<StreamEvent.Chunk> sink) {
        return Mono.defer(() -> {
            Adapter a = run.adapter();
            LmRequest req = request(run, a, inputs);
            Mono<LmResponse> attempt = Mono.defer(() -> {
                AtomicBoolean emitted = new AtomicBoolean();
                Adapter.FieldStream parser = a.streamFields(signature);
                StringBuilder text = new StringBuilder();
                List<ToolCall> calls = new ArrayList<>();
                AtomicReference<Usage> usage = new AtomicReference<>(Usage.ZERO);
                return run.lm().stream(req)
                        .doOnNext(chunk -> {
                            if (chunk.usage() != null) {
                                usage.set(chunk.usage());
                            }
                            if (chunk.choiceIndex() == 0) {
                                calls.addAll(chunk.toolCalls());
                            }
                            if (chunk.choiceIndex() != 0 || chunk.text() == null || chunk.text().isEmpty()) {
                                return;
                            }
                            text.append(chunk.text());
                            parser.feed(chunk.text(), (field, piece) -> {
                                emitted.set(true);
                                sink.accept(new StreamEvent.Chunk(this, field, piece));
                            });
                        })
                        .onErrorMap(e -> emitted.get() ? new PredictException("the LM stream failed after "
                                + "output was already streamed, so it is not retried: " + e.getMessage(), e) : e)
                        .then(Mono.fromCallable(() -> new LmResponse(List.of(new LmResponse.Choice(text.toString(),
                                "stop", calls)), usage.get(), null, null, null)));
            });
            return observed(run, req, attempt).map(resp -> parse(run, a, req, resp, record(run, req, resp),
                    false, false));
        });
    }

    /** A parse failure of the ChatAdapter that will fall back to JSON; carries the usage already spent. */
    private static final class ParseFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String model;
        private final transient Usage usage;

        ParseFailure(AdapterParseException cause, String model, Usage usage) {
            super(cause.getMessage(), cause, false, false);
            this.model = model;
            this.usage = usage;
        }
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof Predict p && p.signature.equals(signature) && p.demos.equals(demos)
                && p.config.equals(config) && Objects.equals(p.adapter, adapter) && Objects.equals(p.lm, lm)
                && Objects.equals(p.retry, retry);
    }

    @Override
    public int hashCode() {
        return Objects.hash(signature, demos, config);
    }

    @Override
    public String toString() {
        return "Predict(" + signature.spec() + (demos.isEmpty() ? "" : ", demos=" + demos.size()) + ")";
    }
}
