package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.predict.Predict;
import io.dspex.predict.Settings;
import io.dspex.signature.Signature;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The LM an instruction optimizer asks for proposals (DSPy's {@code prompt_model}), and how it is asked: a
 * {@link Predict} over one of {@link InstructionSignatures}, with the call parameters (temperature, {@code n}, rollout
 * id) put in the subscriber's {@link Settings} so that they win over any set around the compilation, as DSPy's
 * {@code Predict(..., temperature=..)} wins over the LM's defaults.
 *
 * <p>Which LM: the given prompt model, in the Context (DSPy's {@code dspy.context(lm=prompt_model)}); without one,
 * the LM the program itself would use: the Context's, else the first predictor's own ({@code Predict.withLm}), else
 * the global settings'.
 */
final class ProposalModel {

    private final @Nullable LanguageModel promptModel;
    private final @Nullable LanguageModel programLm;

    private ProposalModel(@Nullable LanguageModel promptModel, @Nullable LanguageModel programLm) {
        this.promptModel = promptModel;
        this.programLm = programLm;
    }

    /**
     * @param promptModel the configured prompt model, or null for the program's
     * @param program     the program being optimized
     * @return the proposal model
     */
    static ProposalModel of(@Nullable LanguageModel promptModel, Program program) {
        LanguageModel own = null;
        for (Predictor p : program.namedPredictors().values()) {
            if (p instanceof Predict predict && predict.lm() != null) {
                own = predict.lm();
                break;
            }
        }
        return new ProposalModel(promptModel, own);
    }

    /**
     * Asks once, lazily.
     *
     * @param signature one of {@link InstructionSignatures}
     * @param inputs    exactly its input fields
     * @param config    the call parameters
     * @return the prediction (with every completion when {@code n > 1})
     */
    Mono<Prediction> ask(Signature signature, Map<String, ?> inputs, CallConfig config) {
        return Predict.of(signature).withLm(programLm).forward(Example.of(inputs))
                .contextWrite(Settings.empty().withLm(promptModel).withConfig(config).asContext());
    }
}
