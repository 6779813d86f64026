package io.dspex.predict;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import io.dspex.signature.SignatureException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Reasons step by step before answering (DSPy's {@code dspy.ChainOfThought}): a {@link Predict} over the
 * signature with a {@code reasoning} output field prepended to the outputs, exactly as DSPy 3.3 does it — the
 * prefix inferred from the name ({@code "Reasoning:"}), no description, and the instructions unchanged.
 * The reasoning is on the prediction as {@code get("reasoning")}.
 *
 * <pre>{@code
 * ChainOfThought cot = ChainOfThought.of("question -> answer").withLm(lm);
 * cot.forward(Map.of("question", "What is 17 * 3?"))
 *    .subscribe(p -> System.out.println(p.get("reasoning") + " => " + p.get("answer")));
 * }</pre>
 *
 * <p>Its one predictor is named {@code "predict"}, as in DSPy, so saved programs and optimizers see the same
 * paths ({@code "generate_answer.predict"} inside a module that registers it as {@code generate_answer}).
 */
public final class ChainOfThought extends Module {

    private ChainOfThought(@Nullable ChainOfThought template, Predict predict) {
        super(template);
        register("predict", predict);
    }

    /**
     * @param signature DSPy's string syntax, e.g. {@code "question -> answer"}
     * @return the chain of thought
     * @throws io.dspex.signature.SignatureException when the spec is malformed
     */
    public static ChainOfThought of(String signature) {
        return of(Signature.parse(signature));
    }

    /**
     * @param signature the signature to extend with {@code reasoning}
     * @return the chain of thought
     * @throws IllegalArgumentException when null or when it already has a {@code reasoning} field
     */
    public static ChainOfThought of(Signature signature) {
        if (signature == null) {
            throw new IllegalArgumentException("signature must not be null");
        }
        if (signature.field("reasoning").isPresent()) {
            throw new IllegalArgumentException("signature already has a field named 'reasoning': " + signature.spec());
        }
        return new ChainOfThought(null, Predict.of(signature.prepend(
                Field.output("reasoning", "str"))));
    }

    /** @return the inner predictor (signature with {@code reasoning}) */
    public Predict predict() {
        return (Predict) child("predict");
    }

    private ChainOfThought with(Predict p) {
        return new ChainOfThought(this, p);
    }

    /**
     * @param lm the LM to call (null: use the settings')
     * @return a copy using it
     */
    public ChainOfThought withLm(@Nullable LanguageModel lm) {
        return with(predict().withLm(lm));
    }

    /**
     * @param retry the retry policy (null: use the settings', else the defaults)
     * @return a copy using it
     */
    public ChainOfThought withRetry(@Nullable RetryPolicy retry) {
        return with(predict().withRetry(retry));
    }

    /**
     * @param config the call configuration (null: none)
     * @return a copy using it
     */
    public ChainOfThought withConfig(@Nullable CallConfig config) {
        return with(predict().withConfig(config));
    }

    /**
     * @param demos the inner predictor's demos
     * @return a copy using them
     */
    public ChainOfThought withDemos(java.util.List<Example> demos) {
        return with(predict().withDemos(demos));
    }

    @Override
    protected Mono<Prediction> run(Example inputs) {
        return predict().forward(inputs);
    }

    @Override
    public ChainOfThought copy() {
        return (ChainOfThought) super.copy();
    }

    @Override
    public ChainOfThought reset() {
        return (ChainOfThought) super.reset();
    }

    /**
     * @return the loaded copy, typed as a {@code ChainOfThought}:
     *         {@code ChainOfThought qa = ChainOfThought.of("question -> answer").load(path);}
     */
    @Override
    public ChainOfThought load(Path path) {
        return (ChainOfThought) super.load(path);
    }
}
