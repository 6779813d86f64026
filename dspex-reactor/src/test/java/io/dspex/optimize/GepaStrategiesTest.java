package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.internal.PythonRandom;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * GEPA's seeded choices against gepa 0.1.4's own functions run with the same seeds
 * ({@code gepa-strategies.json}): frontier sampling, minibatches, merges, merge subsamples, and DSPy's auto budget.
 */
class GepaStrategiesTest {

    private static final JsonNode FIXTURE = load();

    private static JsonNode load() {
        try (InputStream in = GepaStrategiesTest.class.getResourceAsStream("gepa-strategies.json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asInt()));
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    /** The frontier as GEPAState keeps it: per instance, the candidates with its best score. */
    private static List<SortedSet<Integer>> fronts(List<double[]> subscores) {
        int n = subscores.get(0).length;
        List<SortedSet<Integer>> fronts = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            double best = Double.NEGATIVE_INFINITY;
            SortedSet<Integer> progs = new TreeSet<>();
            for (int p = 0; p < subscores.size(); p++) {
                double s = subscores.get(p)[v];
                if (s > best) {
                    best = s;
                    progs = new TreeSet<>(List.of(p));
                } else if (s == best) {
                    progs.add(p);
                }
            }
            fronts.add(progs);
        }
        return fronts;
    }

    @Test
    void paretoSelectionPicksWhatGepaPicksForTheSameSeed() {
        for (JsonNode c : FIXTURE.get("pareto")) {
            List<double[]> subscores = new ArrayList<>();
            List<Double> averages = new ArrayList<>();
            c.get("subscores").forEach(s -> {
                double[] d = doubles(s);
                subscores.add(d);
                averages.add(Arrays.stream(d).sum() / d.length);
            });
            List<SortedSet<Integer>> fronts = fronts(subscores);
            PythonRandom rng = new PythonRandom(c.get("seed").asLong());
            List<Integer> picks = new ArrayList<>();
            for (int i = 0; i < c.get("picks").size(); i++) {
                picks.add(ParetoFront.select(fronts, averages, rng));
            }
            assertThat(picks).as("picks for %s", c.get("subscores")).isEqualTo(ints(c.get("picks")));
            assertThat(ParetoFront.dominators(fronts, averages)).isEqualTo(ints(c.get("dominators")));
        }
    }

    @Test
    void theFrontierKeepsAnInstanceBestCandidateThatIsNotTheAverageBest() {
        // Candidate 3 has the best average (0.5) but is best on no instance; 0, 1 and 2 each are best somewhere.
        List<double[]> subscores = List.of(new double[] {1, 0, 0, 0}, new double[] {0, 1, 1, 0},
                new double[] {0, 0, 1, 1}, new double[] {0.5, 0.5, 0.5, 0.5});
        List<Double> averages = List.of(0.25, 0.5, 0.5, 0.5);
        List<SortedSet<Integer>> fronts = fronts(subscores);
        assertThat(ParetoFront.dominators(fronts, averages)).containsExactly(0, 1, 2);
        PythonRandom rng = new PythonRandom(3);
        List<Integer> picks = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            picks.add(ParetoFront.select(fronts, averages, rng));
        }
        assertThat(picks).contains(0).doesNotContain(3);
    }

    @Test
    void minibatchesAreGepasEpochShuffledBatches() {
        for (JsonNode c : FIXTURE.get("sampler")) {
            EpochShuffledSampler sampler = new EpochShuffledSampler(c.get("minibatch").asInt(),
                    new PythonRandom(c.get("seed").asLong()));
            List<List<Integer>> batches = new ArrayList<>();
            for (JsonNode i : c.get("iterations")) {
                batches.add(sampler.next(c.get("n").asInt(), i.asInt()));
            }
            List<List<Integer>> expected = new ArrayList<>();
            c.get("batches").forEach(b -> expected.add(ints(b)));
            assertThat(batches).as("n=%s minibatch=%s seed=%s", c.get("n"), c.get("minibatch"), c.get("seed"))
                    .isEqualTo(expected);
        }
    }

    @Test
    void mergesCombineWhatGepaCombinesForTheSameSeed() {
        for (JsonNode c : FIXTURE.get("merge")) {
            List<Map<String, String>> candidates = new ArrayList<>();
            for (JsonNode cand : c.get("candidates")) {
                Map<String, String> m = new LinkedHashMap<>();
                cand.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
                candidates.add(m);
            }
            List<List<@Nullable Integer>> parents = new ArrayList<>();
            for (JsonNode ps : c.get("parents")) {
                List<@Nullable Integer> l = new ArrayList<>();
                ps.forEach(p -> l.add(p.isNull() ? null : p.asInt()));
                parents.add(l);
            }
            List<Double> scores = new ArrayList<>();
            c.get("scores").forEach(s -> scores.add(s.asDouble()));
            PythonRandom rng = new PythonRandom(c.get("seed").asLong());
            GepaMerge merge = new GepaMerge();
            for (JsonNode expected : c.get("attempts")) {
                GepaMerge.Attempt a = merge.attempt(scores, rng, ints(c.get("merge_candidates")), candidates, parents,
                        (x, y) -> true);
                if (expected.isNull()) {
                    assertThat(a).as("attempt in %s", c).isNull();
                    continue;
                }
                assertThat(a).as("attempt in %s", c).isNotNull();
                merge.performed(a);
                Map<String, String> program = new LinkedHashMap<>();
                expected.get("program").fields().forEachRemaining(e -> program.put(e.getKey(), e.getValue().asText()));
                assertThat(a.program()).isEqualTo(program);
                assertThat(List.of(a.id1(), a.id2(), a.ancestor())).containsExactly(expected.get("id1").asInt(),
                        expected.get("id2").asInt(), expected.get("ancestor").asInt());
            }
        }
    }

    @Test
    void mergeSubsamplesAreGepas() {
        for (JsonNode c : FIXTURE.get("subsample")) {
            PythonRandom rng = new PythonRandom(c.get("seed").asLong());
            for (JsonNode expected : c.get("picks")) {
                assertThat(GepaMerge.subsample(doubles(c.get("scores1")), doubles(c.get("scores2")), rng, 5))
                        .isEqualTo(ints(expected));
            }
        }
    }

    @Test
    void autoBudgetsAreDspys() {
        for (JsonNode c : FIXTURE.get("auto_budget")) {
            assertThat(Gepa.autoBudget(c.get("num_preds").asInt(), c.get("num_candidates").asInt(),
                    c.get("valset_size").asInt())).as("%s", c).isEqualTo(c.get("budget").asInt());
        }
    }

    @Test
    void weightedChoicesFallBackToUniformWhenTheWeightsSumToZero() {
        // CPython raises here ("Total of weights must be greater than zero"): a merge whose common ancestor scored 0.
        PythonRandom a = new PythonRandom(5);
        PythonRandom b = new PythonRandom(5);
        assertThat(Draws.weighted(a, List.of(7, 8, 9), new double[] {0, 0, 0}))
                .isEqualTo(Draws.uniform(b, List.of(7, 8, 9)));
    }
}
