package io.dspex;

import io.dspex.signature.Signature;
import java.util.List;
import java.util.Map;

/**
 * A program whose behaviour an optimizer can tune: it has a {@link Signature} (instructions and fields) and
 * a list of few-shot demos (DSPy's {@code dspy.Predict} as a parameter). Predictors are immutable: every
 * {@code with...} method returns a changed copy.
 *
 * <pre>{@code
 * Predictor p = Predict.of("question -> answer");
 * Predictor tuned = p.withDemos(List.of(Example.of(Map.of("question", "1+1?", "answer", "2"))));
 * }</pre>
 */
public interface Predictor extends Program {

    /** The name DSPy gives a predictor that is the whole program. */
    String SELF = "self";

    /** @return the signature this predictor formats prompts from */
    Signature signature();

    /** @return the few-shot demos placed before the input, in order (possibly empty) */
    List<Example> demos();

    /**
     * @param demos the demos to use (copied)
     * @return a copy with those demos
     */
    Predictor withDemos(List<Example> demos);

    /**
     * @param signature the signature to use (instructions, field prefixes and descriptions)
     * @return a copy with that signature
     */
    Predictor withSignature(Signature signature);

    /** @return a copy with no demos (DSPy's {@code reset()}) */
    default Predictor reset() {
        return withDemos(List.of());
    }

    /** A bare predictor names itself {@value #SELF}, as DSPy does. */
    @Override
    default Map<String, Predictor> namedPredictors() {
        return Map.of(SELF, this);
    }

    /** Replaces this predictor when the map holds {@value #SELF}. */
    @Override
    default Program withNamedPredictors(Map<String, ? extends Predictor> replacements) {
        ProgramPaths.checkKnown(replacements, namedPredictors());
        Predictor p = replacements.get(SELF);
        return p == null ? this : p;
    }
}
