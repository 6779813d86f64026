package io.dspex.optimize;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** {@code numpy.random.default_rng(seed)}'s raw output, doubles and Poisson draws ({@code numpy-random.json}). */
class NumpyRandomTest {

    @Test
    void drawsAreNumpys() throws IOException {
        JsonNode fixture;
        try (InputStream in = NumpyRandomTest.class.getResourceAsStream("numpy-random.json")) {
            fixture = new ObjectMapper().readTree(in);
        }
        for (JsonNode c : fixture.get("cases")) {
            long seed = c.get("seed").asLong();
            NumpyRandom raw = new NumpyRandom(seed);
            for (JsonNode r : c.get("raw")) {
                assertThat(Long.toUnsignedString(raw.nextLong())).as("raw of seed %d", seed).isEqualTo(r.asText());
            }
            NumpyRandom doubles = new NumpyRandom(seed);
            for (JsonNode d : c.get("doubles")) {
                assertThat(doubles.nextDouble()).isEqualTo(d.asDouble());
            }
            NumpyRandom poisson = new NumpyRandom(seed);
            for (int i = 0; i < fixture.get("lams").size(); i++) {
                assertThat(poisson.poisson(fixture.get("lams").get(i).asDouble())).as("poisson %d of seed %d", i, seed)
                        .isEqualTo(c.get("poisson").get(i).asLong());
            }
        }
    }
}
