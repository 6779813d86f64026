package io.dspex;

import io.dspex.internal.OwnUsage;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Base class of every program built into the library and of your own multi-step programs (DSPy's
 * {@code dspy.Module}). A subclass registers its parts in its constructor and implements {@link #run(Example)},
 * looking the parts up by name; callers run it with {@link #forward(Example)}, which is DSPy's {@code __call__}: the
 * one place every module call passes through. Optimizers find every predictor inside by path
 * ({@code "generate_answer.predict"}, as DSPy names them) and build changed copies without touching the original.
 *
 * <pre>{@code
 * final class Rag extends Module {
 *     Rag() {
 *         register("generate_answer", ChainOfThought.of("context, question -> answer"));
 *     }
 *
 *     @Override
 *     protected Mono<Prediction> run(Example in) {
 *         return child("generate_answer").forward(Map.of(
 *                 "context", List.of("Paris is the capital of France."),
 *                 "question", in.get("question")));
 *     }
 * }
 * }</pre>
 *
 * <p>Copies are made with {@link Object#clone()}: fields of a subclass other than its registered children
 * are shared between copies, so keep them immutable configuration. A subclass may narrow the return type of
 * {@link #load(Path)}, {@link #copy()} and {@link #reset()} to its own class with a one-line override, as the
 * library's modules do.
 */
public abstract class Module implements Program, Cloneable {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private Map<String, Program> children = new LinkedHashMap<>();
    /** Replaces {@link #run} on a compiled copy; null on an ordinary module. */
    private @Nullable Around around;

    /** For subclasses. */
    protected Module() {
    }

    /**
     * For immutable subclasses that build their copies with a constructor: keeps {@code template}'s
     * {@link #withAround around} (not its children, which the subclass registers itself).
     *
     * @param template the module this one is a changed copy of (null: none, as {@link #Module()})
     */
    protected Module(@Nullable Module template) {
        this.around = template == null ? null : template.around;
    }

    /**
     * Runs this module on one example's inputs (DSPy's {@code module(**inputs)}): lazily, each subscription an
     * independent run of {@link #run(Example)}. Final so that every module call passes through one place: there the
     * run's {@link ForwardObserver} (the callbacks and observation registry of its settings) sees the call start and
     * end.
     *
     * <p>The prediction carries the token usage of every LM call made during this call, per model name, nested
     * modules' calls included ({@link Prediction#usageByModel()}; see {@link UsageTracker}).
     *
     * @param inputs the inputs (an example's input keys when marked, else all its keys)
     * @return a lazy {@code Mono} of the prediction; an {@link IllegalArgumentException} signal when the inputs are
     *         null, an {@link IllegalStateException} signal when {@code run} returns null
     */
    @Override
    public final Mono<Prediction> forward(Example inputs) {
        if (inputs == null) {
            return Mono.error(new IllegalArgumentException("inputs must not be null"));
        }
        Around a = around;
        // Each call totals the LM usage recorded inside it, nested under its caller's total (see UsageTracker);
        // callbacks and observations (DSPy's with_callbacks on __call__) wrap that, through the run's observer if
        // any, so that the end events see the prediction with its usage.
        if (a != null) {
            return UsageTracker.scope(Mono.defer(() -> a.forward(inputs, withAround(null))));
        }
        return Mono.deferContextual(ctx -> {
            ForwardObserver observer = ForwardObserver.current(ctx);
            // A leaf predictor (OwnUsage) sets its own usage: no scope, so no Context write per call.
            Mono<Prediction> call = this instanceof OwnUsage ? runChecked(inputs)
                    : UsageTracker.scope(Mono.defer(() -> runChecked(inputs)));
            return observer == null ? call : observer.observe(this, inputs, call);
        });
    }

    private Mono<Prediction> runChecked(Example inputs) {
        Mono<Prediction> result = run(inputs);
        return result != null ? result : Mono.error(new IllegalStateException(
                getClass().getName() + ".run returned null instead of a Mono"));
    }

    /**
     * What this module does (DSPy's {@code forward}): call the registered parts and combine their predictions.
     * Called by {@link #forward(Example)} once per subscription; never call it directly.
     *
     * @param inputs the inputs
     * @return the prediction (an error signal on failure)
     */
    protected abstract Mono<Prediction> run(Example inputs);

    /**
     * Replaces what {@link #forward} does, on a copy, while the copy keeps this module's class, parts and saved
     * state: how an optimizer changes a program's behaviour per call (DSPy assigns {@code forward} on a compiled
     * copy; {@code KnnFewShot} does this). {@code around} receives the inputs and a copy of this module without the
     * replacement, whose {@code forward} runs {@link #run} as usual.
     *
     * <pre>{@code
     * Module logged = qa.withAround((inputs, self) -> self.forward(inputs).doOnNext(p -> log.info("{}", p)));
     * }</pre>
     *
     * @param around the replacement, or null to restore {@link #run}
     * @return the changed copy (the same class as this module)
     */
    public Module withAround(@Nullable Around around) {
        Module copy = shallowClone();
        copy.around = around;
        return copy;
    }

    /**
     * Replaces a module's {@link Module#forward} on a copy; see {@link Module#withAround}.
     */
    @FunctionalInterface
    public interface Around {
        /**
         * @param inputs the call's inputs
         * @param self   the module without the replacement
         * @return the prediction
         */
        Mono<Prediction> forward(Example inputs, Module self);
    }

    /**
     * Registers a named part. Call from the constructor, once per name.
     *
     * @param name  an identifier, unique in this module (it becomes the first segment of predictor paths)
     * @param child the part
     * @param <P>   its type
     * @return {@code child}, for convenient assignment
     * @throws IllegalArgumentException when the name is invalid or already used, or the child is null
     */
    protected final <P extends Program> P register(String name, P child) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("sub-program name must be an identifier, got "
                    + (name == null ? "null" : "'" + name + "'"));
        }
        if (child == null) {
            throw new IllegalArgumentException("sub-program '" + name + "' must not be null");
        }
        if (children.containsKey(name)) {
            throw new IllegalArgumentException("sub-program '" + name + "' is already registered");
        }
        children.put(name, child);
        return child;
    }

    /**
     * @param name a registered name
     * @return the part registered under it in this copy
     * @throws IllegalArgumentException naming the name and the registered ones when absent
     */
    protected final Program child(String name) {
        Program p = children.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no sub-program named '" + name + "'; registered: " + children.keySet());
        }
        return p;
    }

    /** @return the registered parts by name, in registration order (unmodifiable) */
    public final Map<String, Program> children() {
        return Collections.unmodifiableMap(children);
    }

    /**
     * Every predictor inside, by dotted path, in registration order (depth first).
     *
     * @return path to predictor
     */
    @Override
    public Map<String, Predictor> namedPredictors() {
        Map<String, Predictor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Program> e : children.entrySet()) {
            Program c = e.getValue();
            if (c instanceof Predictor pr) {
                out.put(e.getKey(), pr);
            } else {
                for (Map.Entry<String, Predictor> sub : c.namedPredictors().entrySet()) {
                    String path = Predictor.SELF.equals(sub.getKey()) ? e.getKey() : e.getKey() + "." + sub.getKey();
                    out.put(path, sub.getValue());
                }
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * A copy of this module with the predictors at the given paths replaced; this module is unchanged.
     *
     * @param replacements path (as in {@link #namedPredictors()}) to new predictor
     * @return the changed copy, of the same class as this module
     * @throws IllegalArgumentException naming a path that is not a predictor of this module
     */
    @Override
    public Module withNamedPredictors(Map<String, ? extends Predictor> replacements) {
        ProgramPaths.checkKnown(replacements, namedPredictors());
        Map<String, Program> next = new LinkedHashMap<>();
        for (Map.Entry<String, Program> e : children.entrySet()) {
            String name = e.getKey();
            Program c = e.getValue();
            if (c instanceof Predictor) {
                Predictor r = replacements.get(name);
                next.put(name, r == null ? c : r);
            } else {
                Map<String, Predictor> sub = new LinkedHashMap<>();
                for (Map.Entry<String, ? extends Predictor> r : replacements.entrySet()) {
                    if (r.getKey().equals(name)) {
                        sub.put(Predictor.SELF, r.getValue());
                    } else if (r.getKey().startsWith(name + ".")) {
                        sub.put(r.getKey().substring(name.length() + 1), r.getValue());
                    }
                }
                next.put(name, sub.isEmpty() ? c.copy() : c.withNamedPredictors(sub));
            }
        }
        Module copy = shallowClone();
        copy.children = next;
        return copy;
    }

    /** @return a deep copy: same structure, every sub-module copied (predictors are immutable and shared) */
    @Override
    public Module copy() {
        return withNamedPredictors(Map.of());
    }

    /** @return a copy with every predictor's demos cleared (DSPy's {@code reset_copy()}) */
    @Override
    public Module reset() {
        return (Module) Program.super.reset();
    }

    /**
     * @return the loaded copy, typed as a {@code Module}; see {@link Program#load(Path)}
     */
    @Override
    public Module load(Path path) {
        return (Module) Program.super.load(path);
    }

    private Module shallowClone() {
        try {
            return (Module) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("Module must be cloneable", e);
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append('(');
        boolean first = true;
        for (Map.Entry<String, Program> e : children.entrySet()) {
            if (!first) {
                sb.append(", ");
            }
            first = false;
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.append(')').toString();
    }
}
