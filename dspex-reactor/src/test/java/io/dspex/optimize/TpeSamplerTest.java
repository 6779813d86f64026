package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The TPE sampler. The fixture {@code tpe-optuna.json} was recorded with Optuna 4.6's {@code TPESampler(seed=..,
 * multivariate=True)} in the flow MIPROv2 uses (a default trial added first, finished trials added between asks):
 * our sampler must choose exactly what Optuna chose.
 */
class TpeSamplerTest {

    private static JsonNode fixture() throws IOException {
        try (InputStream in = TpeSamplerTest.class.getResourceAsStream("tpe-optuna.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    /** The fixture's landscape: the same formula as the recording script. */
    private static double value(List<Map.Entry<String, Integer>> space, Map<String, Integer> params, int mod) {
        long key = 0;
        for (int i = 0; i < space.size(); i++) {
            key = key * 7 + (long) params.get(space.get(i).getKey()) * (i + 3);
        }
        return (double) Math.floorMod(key * 37 + 11, mod) * 10.0;
    }

    @Test
    void choosesWhatOptunaChoosesForTheSameSeedAndValues() throws IOException {
        for (JsonNode scenario : fixture()) {
            LinkedHashMap<String, Integer> space = new LinkedHashMap<>();
            scenario.get("space").forEach(p -> space.put(p.get(0).asText(), p.get(1).asInt()));
            List<Map.Entry<String, Integer>> order = new ArrayList<>(space.entrySet());
            int mod = scenario.get("mod").asInt();
            TpeSampler tpe = new TpeSampler(space, scenario.get("seed").asLong());
            Map<String, Integer> defaults = new LinkedHashMap<>();
            space.keySet().forEach(k -> defaults.put(k, 0));
            tpe.add(defaults, value(order, defaults, mod));
            int asked = 0;
            for (JsonNode event : scenario.get("events")) {
                List<Integer> expected = new ArrayList<>();
                event.get("params").forEach(v -> expected.add(v.asInt()));
                if (event.get("kind").asText().equals("add")) {
                    Map<String, Integer> p = new LinkedHashMap<>();
                    for (int i = 0; i < order.size(); i++) {
                        p.put(order.get(i).getKey(), expected.get(i));
                    }
                    tpe.add(p, event.get("value").asDouble());
                    continue;
                }
                TpeSampler.Ask ask = tpe.ask();
                assertThat(new ArrayList<>(ask.params().values()))
                        .as("%s: asked trial #%d (number %d)", scenario.get("name").asText(), asked,
                                event.get("number").asInt())
                        .isEqualTo(expected);
                assertThat(ask.number()).isEqualTo(event.get("number").asInt());
                tpe.tell(ask, value(order, ask.params(), mod));
                asked++;
            }
            assertThat(asked).isEqualTo(scenario.get("trials").asInt());
        }
    }

    @Test
    void isDeterministicForASeed() {
        Map<String, Integer> space = Map.of("a", 5);
        List<Integer> first = run(space, 3, 30);
        assertThat(run(space, 3, 30)).isEqualTo(first);
        assertThat(run(space, 4, 30)).isNotEqualTo(first);
    }

    private static List<Integer> run(Map<String, Integer> space, long seed, int trials) {
        TpeSampler tpe = new TpeSampler(space, seed);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < trials; i++) {
            TpeSampler.Ask ask = tpe.ask();
            int a = ask.params().get("a");
            out.add(a);
            tpe.tell(ask, a == 3 ? 1.0 : 0.0);
        }
        return out;
    }

    @Test
    void afterTheStartupTrialsItPrefersTheBetterCategories() {
        // Choice 3 of 6 scores 1, the rest 0: random for the first 10 trials, then mostly 3.
        Map<String, Integer> space = Map.of("a", 6);
        List<Integer> chosen = run(space, 17, 60);
        long startupHits = chosen.subList(0, TpeSampler.N_STARTUP_TRIALS).stream().filter(a -> a == 3).count();
        long laterHits = chosen.subList(30, 60).stream().filter(a -> a == 3).count();
        assertThat(laterHits).as("choice 3 among the last 30 trials: %s", chosen).isGreaterThanOrEqualTo(15);
        assertThat(laterHits / 30.0).isGreaterThan(startupHits / 10.0);
    }

    @Test
    void startupTrialsAreUniformOverChoices() {
        int[] counts = new int[4];
        for (long seed = 0; seed < 400; seed++) {
            TpeSampler tpe = new TpeSampler(Map.of("a", 4), seed);
            counts[tpe.ask().params().get("a")]++;
        }
        for (int c : counts) {
            assertThat(c).isBetween(70, 130);
        }
    }

    @Test
    void singleChoiceParametersAlwaysTakeTheirOnlyChoice() {
        TpeSampler tpe = new TpeSampler(new LinkedHashMap<>(Map.of("only", 1)), 1);
        for (int i = 0; i < 15; i++) {
            TpeSampler.Ask ask = tpe.ask();
            assertThat(ask.params()).containsEntry("only", 0);
            tpe.tell(ask, i);
        }
    }

    @Test
    void numpyHelpersMatchNumpy() {
        assertThat(TpeSampler.defaultWeights(3)).containsExactly(1, 1, 1);
        double[] w = TpeSampler.defaultWeights(28);
        // np.linspace(1/28, 1, 3) then 25 ones
        assertThat(w[0]).isEqualTo(1.0 / 28);
        assertThat(w[1]).isEqualTo(0.5178571428571429);
        assertThat(w[2]).isEqualTo(1.0);
        assertThat(w[27]).isEqualTo(1.0);
        double[] tenths = new double[20];
        java.util.Arrays.fill(tenths, 0.1);
        assertThat(TpeSampler.pairwiseSum(tenths, 0, 20)).isEqualTo(2.0000000000000004); // numpy: np.full(20, .1).sum()
    }

    @Test
    void badTrialsAreRejected() {
        TpeSampler tpe = new TpeSampler(Map.of("a", 2), 0);
        assertThatThrownBy(() -> tpe.add(Map.of("a", 2), 1.0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a'");
        assertThatThrownBy(() -> tpe.add(Map.of("a", 1), Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TpeSampler(Map.of(), 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
