package io.dspex.retrieve.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The reference fixture {@code minilm-references.json}, made outside this module by
 * {@code io.dspex.benchmarks.EmbeddingReferences}: vectors of LangChain4j's own all-MiniLM-L6-v2 model and token ids
 * of Hugging Face's tokenizer (through DJL), on the same model files.
 */
final class References {

    static final JsonNode ROOT = read();

    private References() {
    }

    private static JsonNode read() {
        try (InputStream in = References.class.getClassLoader().getResourceAsStream("minilm-references.json")) {
            if (in == null) {
                throw new IllegalStateException("minilm-references.json is missing from the test resources");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] vector(JsonNode node) {
        JsonNode v = node.get("vector");
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) v.get(i).asDouble();
        }
        return out;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
