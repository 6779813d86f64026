package io.dspex;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Base class for programs built from named sub-programs (DSPy's {@code dspy.Module}). A subclass registers its
 * parts in its constructor and looks them up by name in {@link #forward(Example)}; optimizers find every
 * predictor inside by path ({@code "generate_answer.predict"}, as DSPy names them) and build changed copies
 * without touching the original.
 *
 * <pre>{@code
 * final class Rag extends Module {
 *     Rag() {
 *         register("generate_answer", ChainOfThought.of("context, question -> answer"));
 *     }
 *
 *     @Override
 *     public Mono<Prediction> forward(Example in) {
 *         return child("generate_answer").forward(Map.of(
 *                 "context", List.of("Paris is the capital of France."),
 *                 "question", in.get("question")));
 *     }
 * }
 * }</pre>
 *
 * <p>Copies are made with {@link Object#clone()}: fields of a subclass other than its registered children
 * are shared between copies, so keep them immutable configuration.
 */
public abstract class Module implements Program, Cloneable {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private Map<String, Program> children = new LinkedHashMap<>();

    /** For subclasses. */
    protected Module() {
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
     * @return the changed copy
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

    /** @return each predictor's demos by path */
    public Map<String, List<Example>> demos() {
        Map<String, List<Example>> out = new LinkedHashMap<>();
        namedPredictors().forEach((k, v) -> out.put(k, v.demos()));
        return out;
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
