package io.dspex.optimize;

import io.dspex.Program;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@link Copro} found (DSPy's {@code candidate_programs}, {@code total_calls}, {@code results_best} and
 * {@code results_latest} attributes of the returned program).
 *
 * <pre>{@code
 * CoproResult<Predict> r = copro.optimize(Predict.of("question -> answer"), trainset).block();
 * r.candidates().forEach(c -> System.out.println(c.score() + "  " + c.instruction()));
 * }</pre>
 *
 * @param best       the best program: the first candidate by score
 * @param bestScore  its score on the training set, in percent
 * @param candidates every evaluated candidate by decreasing score (ties in evaluation order), repeats of the same
 *                   instructions at the same score dropped, as DSPy does
 * @param totalCalls how many evaluations ran (DSPy's {@code total_calls})
 * @param stats      per-depth statistics, when {@code trackStats} was on
 * @param <P>        the program type
 */
public record CoproResult<P extends Program>(P best, double bestScore, List<Candidate<P>> candidates, int totalCalls,
                                             Optional<Stats> stats) {

    /**
     * One evaluated instruction.
     *
     * @param predictor   the path of the predictor it was proposed for
     * @param instruction the instruction
     * @param prefix      the prefix of the predictor's last output field
     * @param score       the program's score with it (the other predictors as they stood), in percent
     * @param depth       the depth (round) it was evaluated at, from 0
     * @param program     the evaluated program
     * @param <P>         the program type
     */
    public record Candidate<P extends Program>(String predictor, String instruction, String prefix, double score,
                                               int depth, P program) {
    }

    /**
     * Per predictor path, DSPy's statistics: {@code best} over the (up to 10) best candidates so far after each
     * depth, {@code latest} over the newest candidates' scores of each depth.
     *
     * @param best   per predictor path, after each depth
     * @param latest per predictor path, for each depth
     */
    public record Stats(Map<String, DepthStats> best, Map<String, DepthStats> latest) {

        /** Copies the maps. */
        public Stats {
            best = Collections.unmodifiableMap(new LinkedHashMap<>(best));
            latest = Collections.unmodifiableMap(new LinkedHashMap<>(latest));
        }
    }

    /**
     * Scores per depth, in percent (DSPy's {@code depth}, {@code max}, {@code average}, {@code min}, {@code std}:
     * the population standard deviation).
     *
     * @param depth   the depths
     * @param max     the highest score at each
     * @param average the mean score at each
     * @param min     the lowest score at each
     * @param std     the population standard deviation at each
     */
    public record DepthStats(List<Integer> depth, List<Double> max, List<Double> average, List<Double> min,
                             List<Double> std) {

        /** Copies the lists. */
        public DepthStats {
            depth = List.copyOf(depth);
            max = List.copyOf(max);
            average = List.copyOf(average);
            min = List.copyOf(min);
            std = List.copyOf(std);
        }

        static DepthStats empty() {
            return new DepthStats(List.of(), List.of(), List.of(), List.of(), List.of());
        }

        DepthStats plus(int d, List<Double> scores) {
            if (scores.isEmpty()) {
                return this;
            }
            double max = Double.NEGATIVE_INFINITY;
            double min = Double.POSITIVE_INFINITY;
            double sum = 0;
            for (double s : scores) {
                max = Math.max(max, s);
                min = Math.min(min, s);
                sum += s;
            }
            double mean = sum / scores.size();
            double sq = 0;
            for (double s : scores) {
                sq += (s - mean) * (s - mean);
            }
            return new DepthStats(append(depth, d), append(this.max, max), append(average, mean),
                    append(this.min, min), append(std, Math.sqrt(sq / scores.size())));
        }

        private static <T> List<T> append(List<T> list, T value) {
            List<T> out = new ArrayList<>(list);
            out.add(value);
            return out;
        }
    }

    /** Copies the candidates. */
    public CoproResult {
        candidates = List.copyOf(candidates);
    }
}
