package io.dspex.predict;

import io.dspex.Example;
import io.dspex.adapter.Adapter;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import reactor.util.context.ContextView;

/**
 * {@link Refine}'s advice, fed to a predictor as DSPy's {@code WrapperAdapter} does: the signature gets the input
 * {@code hint_} ("A hint to the module from an earlier run") appended and the inputs its value; everything else is
 * the wrapped adapter's, including the whole request it builds ({@link #formatRequest}: tools with native function
 * calling) and how it reads a whole choice (tool calls). {@link Predict} wraps the adapter it resolved when the run's
 * Context holds {@link Hints}.
 */
final class HintAdapter implements Adapter {

    static final String FIELD = "hint_";
    private static final Field HINT = Field.input(FIELD).withDescription("A hint to the module from an earlier run");

    /**
     * The advice of one Refine attempt, in its Context.
     *
     * @param names  predictor signature to its name in the refined module (the last name for a shared signature)
     * @param advice predictor name to its advice
     */
    record Hints(Map<Signature, String> names, Map<String, String> advice) {
        /** DSPy's {@code advice.get(signature2name.get(signature), "N/A")}. */
        String hintFor(Signature signature) {
            String name = names.get(signature);
            String hint = name == null ? null : advice.get(name);
            return hint == null ? "N/A" : hint;
        }
    }

    private final Adapter delegate;
    private final String hint;

    private HintAdapter(Adapter delegate, String hint) {
        this.delegate = delegate;
        this.hint = hint;
    }

    /**
     * @param context   a predictor run's Context
     * @param signature the predictor's signature
     * @param adapter   the adapter the predictor resolved
     * @return {@code adapter}, wrapped with the hint when the Context holds Refine's advice
     */
    static Adapter wrap(ContextView context, Signature signature, Adapter adapter) {
        Hints hints = context.getOrDefault(Hints.class, null);
        return hints == null ? adapter : new HintAdapter(adapter, hints.hintFor(signature));
    }

    @Override
    public List<Message> format(Signature signature, List<Example> demos, Map<String, ?> inputs) {
        return delegate.format(signature.append(HINT), demos, withHint(inputs));
    }

    @Override
    public LmRequest formatRequest(Signature signature, List<Example> demos, Map<String, ?> inputs,
                                   @Nullable CallConfig config) {
        return delegate.formatRequest(signature.append(HINT), demos, withHint(inputs), config);
    }

    private Map<String, @Nullable Object> withHint(Map<String, ?> inputs) {
        Map<String, @Nullable Object> withHint = new LinkedHashMap<>(inputs);
        withHint.put(FIELD, hint);
        return withHint;
    }

    @Override
    public Map<String, @Nullable Object> parse(Signature signature, String completion) {
        return delegate.parse(signature, completion);
    }

    @Override
    public Map<String, @Nullable Object> parse(Signature signature, LmResponse.Choice choice) {
        return delegate.parse(signature, choice);
    }

    @Override
    public String formatUserContent(Signature signature, Map<String, ?> values) {
        return delegate.formatUserContent(signature, values);
    }

    @Override
    public Optional<Map<String, Object>> responseFormat(Signature signature) {
        return delegate.responseFormat(signature.append(HINT));
    }

    @Override
    public Optional<Adapter> fallback() {
        return delegate.fallback().map(f -> new HintAdapter(f, hint));
    }

    @Override
    public FieldStream streamFields(Signature signature) {
        return delegate.streamFields(signature);
    }

    @Override
    public String toString() {
        return "Hinted[" + delegate + "]";
    }
}
