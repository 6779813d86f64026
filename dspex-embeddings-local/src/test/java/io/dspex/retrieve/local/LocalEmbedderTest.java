package io.dspex.retrieve.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.dspex.retrieve.Embedder;
import io.dspex.retrieve.EmbeddingCache;
import io.dspex.retrieve.Embeddings;
import io.dspex.retrieve.Passage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class LocalEmbedderTest {

    private static LocalEmbedder embedder;

    @BeforeAll
    static void load() {
        embedder = LocalEmbedder.builder().batchSize(4).build();
    }

    @AfterAll
    static void close() {
        embedder.close();
    }

    @Test
    void matchesTheReferenceVectorsOfAnIndependentImplementation() {
        JsonNode sentences = References.ROOT.get("sentences");
        List<String> texts = new ArrayList<>();
        sentences.forEach(s -> texts.add(s.get("text").asText()));
        List<float[]> vectors = embedder.embed(texts).block();
        assertThat(vectors).hasSize(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            float[] reference = References.vector(sentences.get(i));
            assertThat(vectors.get(i)).hasSize(LocalEmbedder.DIMENSION);
            assertThat(References.cosine(vectors.get(i), reference)).as(texts.get(i)).isGreaterThanOrEqualTo(0.999);
            assertThat(norm(vectors.get(i))).isCloseTo(1.0, Offset.offset(1e-5));
        }
    }

    @Test
    void truncatesAfter256WordPiecesAsSentenceTransformers() {
        JsonNode truncated = References.ROOT.get("truncated");
        String text = truncated.get("text").asText();
        assertThat(embedder.countTokens(text)).isEqualTo(truncated.get("tokens").asInt()).isGreaterThan(256);
        float[] v = embedder.embed(List.of(text)).block().get(0);
        assertThat(References.cosine(v, References.vector(truncated))).isGreaterThanOrEqualTo(0.999);
        // Whatever follows the first 254 pieces does not count.
        float[] longer = embedder.embed(List.of(text + " Completely different words about volcanoes and jazz."))
                .block().get(0);
        assertThat(References.cosine(v, longer)).isGreaterThan(0.99999);
    }

    @Test
    void answersInInputOrderWhateverTheBatchingAndLengths() {
        List<String> texts = List.of("short", "a much longer sentence about the capital of France and its rivers",
                "medium length text", "x", "the capital of France");
        List<float[]> together = embedder.embed(texts).block();
        for (int i = 0; i < texts.size(); i++) {
            float[] alone = embedder.embed(List.of(texts.get(i))).block().get(0);
            assertThat(References.cosine(together.get(i), alone)).as(texts.get(i)).isGreaterThan(0.99999);
        }
    }

    @Test
    void similarMeaningsAreCloserThanUnrelatedOnes() {
        List<float[]> v = embedder.embed(List.of("How do I reset my password?", "I forgot my login credentials.",
                "The recipe needs two eggs and flour.")).block();
        assertThat(References.cosine(v.get(0), v.get(1))).isGreaterThan(References.cosine(v.get(0), v.get(2)) + 0.2);
    }

    @Test
    void retrievesTheRightPassageThroughEmbeddings() {
        List<String> corpus = List.of("The Eiffel Tower is in Paris.", "Bananas are rich in potassium.",
                "Mount Everest is the highest mountain on Earth.", "Java is a programming language.");
        Embeddings index = Embeddings.of(corpus, embedder).block();
        List<Passage> found = index.search("Which mountain is the tallest?", 2).block();
        assertThat(found.get(0).index()).isEqualTo(2);
        assertThat(index.search("fruit nutrition", 1).block().get(0).index()).isEqualTo(1);
    }

    @Test
    void withoutNormalizationVectorsKeepTheirLengthAndPointTheSameWay() {
        try (LocalEmbedder raw = LocalEmbedder.builder().normalize(false).threads(1).build()) {
            float[] r = raw.embed(List.of("hello world")).block().get(0);
            float[] n = embedder.embed(List.of("hello world")).block().get(0);
            assertThat(norm(r)).isNotCloseTo(1.0, Offset.offset(1e-3));
            assertThat(References.cosine(r, n)).isGreaterThan(0.99999);
            assertThat(raw.id()).isNotEqualTo(embedder.id()).contains("normalize=false");
        }
    }

    @Test
    void badInputIsRejectedNamingThePosition() {
        StepVerifier.create(embedder.embed(List.of("fine", "")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("texts[1] is empty")).verify();
        StepVerifier.create(embedder.embed(Arrays.asList("fine", null)))
                .expectErrorSatisfies(e -> assertThat(e).hasMessage("texts[1] is null")).verify();
        StepVerifier.create(embedder.embed(List.of(" \t\n")))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("texts[0] is blank")).verify();
        StepVerifier.create(embedder.embed(null)).expectError(IllegalArgumentException.class).verify();
        assertThat(embedder.embed(List.of()).block()).isEmpty();
        assertThatThrownBy(() -> LocalEmbedder.builder().batchSize(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LocalEmbedder.builder().threads(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aClosedEmbedderFailsWhileOthersSharingTheModelWorkOn() {
        LocalEmbedder e = LocalEmbedder.builder().threads(1).build();
        assertThat(e.embed(List.of("x")).block()).hasSize(1);
        e.close();
        e.close();
        StepVerifier.create(e.embed(List.of("x"))).expectError(IllegalStateException.class).verify();
        assertThat(embedder.embed(List.of("still open")).block()).hasSize(1);
    }

    @Test
    void theLastEmbedderToCloseFreesTheModelAndTheNextLoadsItAgain() {
        LocalEmbedder other = LocalEmbedder.builder().threads(1).build();
        float[] before = other.embed(List.of("reloaded")).block().get(0);
        other.close();
        assertThat(LocalEmbedder.modelLoaded()).isTrue();
        embedder.close();
        assertThat(LocalEmbedder.modelLoaded()).isFalse();
        embedder = LocalEmbedder.builder().batchSize(4).build();
        assertThat(LocalEmbedder.modelLoaded()).isTrue();
        assertThat(embedder.embed(List.of("reloaded")).block().get(0)).containsExactly(before);
    }

    @Test
    void runsOffTheCallersThreadSoANonBlockingCallerIsNeverBlocked() {
        // BlockHound is installed in this JVM; subscribing from a parallel thread must pass.
        Mono<List<float[]>> fromParallel = Mono.defer(() -> embedder.embed(List.of("from a parallel thread")))
                .subscribeOn(Schedulers.parallel());
        StepVerifier.create(fromParallel).assertNext(v -> assertThat(v).hasSize(1)).verifyComplete();
        StepVerifier.create(Flux.range(0, 16).flatMap(i -> embedder.embed(List.of("text " + i, "other " + i)))
                        .subscribeOn(Schedulers.parallel()).count())
                .expectNext(16L).verifyComplete();
    }

    @Test
    void isAnEmbedderWithAStableIdUsableByTheLibrary() {
        Embedder e = embedder;
        assertThat(e.id()).isEqualTo("local:all-MiniLM-L6-v2?max_tokens=256&normalize=true");
        assertThat(embedder.dimension()).isEqualTo(384);
        List<float[]> cached = Embedder.builder(embedder).cache(EmbeddingCache.inMemory(10)).build()
                .embed(List.of("cached text")).block();
        assertThat(cached.get(0)).hasSize(384);
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }
}
