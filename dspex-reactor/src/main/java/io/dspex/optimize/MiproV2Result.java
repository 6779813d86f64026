package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Program;
import io.dspex.evaluate.EvaluationResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@link MiproV2} found: the best program, the candidates it chose from and the log of every trial (DSPy's
 * {@code trial_logs}, {@code candidate_programs} and {@code score} attributes of the returned program).
 *
 * <pre>{@code
 * MiproV2Result<Predict> r = mipro.optimize(Predict.of("question -> answer"), trainset).block();
 * r.trials().forEach(t -> System.out.println(t.number() + " " + t.kind() + " " + t.instructions() + " " + t.score()));
 * r.best().save(Path.of("optimized.json"));
 * }</pre>
 *
 * @param best                  the program with the best full-validation score (the default program when nothing
 *                              beat it)
 * @param bestScore             its score on the validation set, in percent
 * @param defaultScore          the default program's score, in percent
 * @param instructionCandidates per predictor path, its instruction candidates (index 0: the original instruction)
 * @param demoCandidates        per predictor path, its demo sets (index 0: none); empty in zero-shot mode
 * @param trials                every trial in order, numbered as DSPy numbers them (1 is the default program)
 * @param <P>                   the program type
 */
public record MiproV2Result<P extends Program>(P best, double bestScore, double defaultScore,
                                               Map<String, List<String>> instructionCandidates,
                                               Map<String, List<List<Example>>> demoCandidates,
                                               List<Trial<P>> trials) {

    /** How a trial was evaluated. */
    public enum Kind {
        /** Trial 1: the unchanged program on the whole validation set. */
        DEFAULT,
        /** A sampled candidate on a random minibatch of the validation set. */
        MINIBATCH,
        /** A sampled candidate on the whole validation set (minibatching off). */
        FULL,
        /** The candidate with the best mean minibatch score so far (not yet fully evaluated), on the whole set. */
        FULL_EVALUATION
    }

    /**
     * One trial.
     *
     * @param number         DSPy's trial number (from 1; full evaluations take a number of their own)
     * @param kind           how it was evaluated
     * @param instructions   per predictor path, the index of the chosen instruction candidate
     * @param demoSets       per predictor path, the index of the chosen demo set (empty in zero-shot mode)
     * @param score          the score on what was evaluated, in percent (0 when the evaluation failed)
     * @param batchSize      how many validation examples were evaluated
     * @param evalCallsSoFar program runs on validation examples so far, this trial included (DSPy's
     *                       {@code total_eval_calls_so_far})
     * @param program        the evaluated program
     * @param evaluation     the evaluation, with one row per example; empty when it failed
     * @param error          why the evaluation failed (it then scores 0, as in DSPy), when it did
     * @param <P>            the program type
     */
    public record Trial<P extends Program>(int number, Kind kind, Map<String, Integer> instructions,
                                           Map<String, Integer> demoSets, double score, int batchSize,
                                           int evalCallsSoFar, P program, Optional<EvaluationResult> evaluation,
                                           Optional<Throwable> error) {

        /** Copies the choices (in predictor order). */
        public Trial {
            instructions = Collections.unmodifiableMap(new LinkedHashMap<>(instructions));
            demoSets = Collections.unmodifiableMap(new LinkedHashMap<>(demoSets));
        }
    }

    /** Copies the collections. */
    public MiproV2Result {
        Map<String, List<String>> ic = new LinkedHashMap<>();
        instructionCandidates.forEach((k, v) -> ic.put(k, List.copyOf(v)));
        instructionCandidates = Collections.unmodifiableMap(ic);
        Map<String, List<List<Example>>> dc = new LinkedHashMap<>();
        demoCandidates.forEach((k, v) -> {
            List<List<Example>> sets = new ArrayList<>();
            v.forEach(s -> sets.add(List.copyOf(s)));
            dc.put(k, List.copyOf(sets));
        });
        demoCandidates = Collections.unmodifiableMap(dc);
        trials = List.copyOf(trials);
    }

    /** @return the trials evaluated on the whole validation set (the default, full trials and full evaluations) */
    public List<Trial<P>> fullEvaluations() {
        return trials.stream().filter(t -> t.kind() != Kind.MINIBATCH).toList();
    }
}
