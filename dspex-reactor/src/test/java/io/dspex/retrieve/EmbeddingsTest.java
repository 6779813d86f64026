package io.dspex.retrieve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dspex.internal.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class EmbeddingsTest {

    private static final List<String> CORPUS = List.of(
            "Paris is the capital of France.",
            "Bern is the capital of Switzerland.",
            "The Rhine flows through Switzerland, Germany and the Netherlands.",
            "Mount Everest is the highest mountain on Earth.",
            "The capital of Germany is Berlin.");

    /** Clustered random vectors: an HNSW graph is meaningful on them, as on real embeddings. */
    private static final int DIM = 32;
    private static final int ROWS = 3_000;
    private static List<float[]> vectors;
    private static List<String> names;
    private static Embeddings exact;
    private static Embeddings approximate;

    @BeforeAll
    static void buildIndexes() {
        Random random = new Random(7);
        float[][] centers = new float[40][DIM];
        for (float[] c : centers) {
            for (int j = 0; j < DIM; j++) {
                c[j] = (float) random.nextGaussian();
            }
        }
        vectors = new ArrayList<>();
        names = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            float[] c = centers[random.nextInt(centers.length)];
            float[] v = new float[DIM];
            for (int j = 0; j < DIM; j++) {
                v[j] = c[j] + 0.4f * (float) random.nextGaussian();
            }
            vectors.add(v);
            names.add("row " + i);
        }
        Embedder unused = texts -> Mono.error(new AssertionError("the corpus must not be embedded"));
        exact = Embeddings.builder(names, unused).vectors(vectors).bruteForceThreshold(Integer.MAX_VALUE).build()
                .block();
        approximate = Embeddings.builder(names, unused).vectors(vectors).bruteForceThreshold(1_000).build().block();
    }

    @AfterAll
    static void close() {
        approximate.close();
    }

    @Test
    void findsTheMostSimilarPassagesBestFirstWithCosineScores() {
        WordsEmbedder words = new WordsEmbedder(64);
        Embeddings index = Embeddings.of(CORPUS, words).block();
        assertThat(index.approximate()).isFalse();
        assertThat(index.size()).isEqualTo(5);
        assertThat(index.dimension()).isEqualTo(64);

        List<Passage> found = index.search("What is the capital of Switzerland?", 2).block();
        assertThat(found).hasSize(2);
        assertThat(found.get(0).index()).isEqualTo(1);
        assertThat(found.get(0).text()).isEqualTo(CORPUS.get(1));
        assertThat(found.get(0).score()).isGreaterThan(found.get(1).score());
        double cosine = cosine(WordsEmbedder.vectorOf("What is the capital of Switzerland?", 64),
                WordsEmbedder.vectorOf(CORPUS.get(1), 64));
        assertThat(found.get(0).score()).isCloseTo(cosine, within(1e-5));
        assertThat(words.calls).hasValue(2);
    }

    @Test
    void exactSearchAgreesWithABruteForceReferenceAndBreaksTiesByPosition() {
        Random random = new Random(11);
        for (int q = 0; q < 20; q++) {
            float[] query = vectors.get(random.nextInt(ROWS)).clone();
            query[0] += 0.1f;
            List<Passage> found = exact.search(query, 10).block();
            List<Integer> reference = IntStream.range(0, ROWS).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> -cosine(query, vectors.get(i)))
                            .thenComparing(i -> i))
                    .limit(10).toList();
            assertThat(found.stream().map(Passage::index).toList()).isEqualTo(reference);
            for (Passage p : found) {
                assertThat(p.score()).isCloseTo(cosine(query, vectors.get(p.index())), within(1e-5));
                assertThat(p.text()).isEqualTo("row " + p.index());
            }
        }
        Embedder constant = texts -> Mono.just(texts.stream().map(t -> new float[] {1, 0}).toList());
        Embeddings ties = Embeddings.of(List.of("a", "b", "c"), constant).block();
        assertThat(ties.search("x", 3).block().stream().map(Passage::index).toList()).containsExactly(0, 1, 2);
    }

    @Test
    void aLargeExactIndexIsSearchedInSlicesSideBySideWithTheSameAnswer() {
        // 6,000 x 96 floats: above the size searched on the caller's thread, so split into slices.
        Random random = new Random(3);
        List<float[]> rows = new ArrayList<>();
        for (int i = 0; i < 6_000; i++) {
            float[] v = new float[96];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) random.nextGaussian();
            }
            rows.add(v);
        }
        Embeddings big = Embeddings.builder(IntStream.range(0, rows.size()).mapToObj(i -> "r" + i).toList(),
                texts -> Mono.empty()).vectors(rows).build().block();
        for (int q = 0; q < 5; q++) {
            float[] query = rows.get(q * 1_000 + 999).clone();
            List<Integer> reference = IntStream.range(0, rows.size()).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> -cosine(query, rows.get(i))).thenComparing(i -> i))
                    .limit(7).toList();
            assertThat(big.search(query, 7).block().stream().map(Passage::index).toList()).isEqualTo(reference);
        }
    }

    @Test
    void theHnswGraphRecallsAtLeast95PercentOfTheExactTopTenWithExactScores() {
        assertThat(approximate.approximate()).isTrue();
        Random random = new Random(5);
        int hits = 0;
        int queries = 50;
        for (int q = 0; q < queries; q++) {
            float[] query = vectors.get(random.nextInt(ROWS)).clone();
            for (int j = 0; j < DIM; j++) {
                query[j] += 0.3f * (float) random.nextGaussian();
            }
            Set<Integer> truth = new HashSet<>(exact.search(query, 10).block().stream().map(Passage::index).toList());
            List<Passage> found = approximate.search(query, 10).block();
            assertThat(found).hasSize(10);
            for (Passage p : found) {
                if (truth.contains(p.index())) {
                    hits++;
                }
                assertThat(p.score()).isCloseTo(cosine(query, vectors.get(p.index())), within(1e-5));
            }
            assertThat(found).isSortedAccordingTo(Comparator.comparingDouble(Passage::score).reversed());
        }
        assertThat(hits / (double) (queries * 10)).isGreaterThanOrEqualTo(0.95);
    }

    @Test
    void withoutNormalizationRanksByTheRawDotProduct() {
        Embedder fixed = texts -> Mono.just(texts.stream().map(t -> switch (t) {
            case "long" -> new float[] {10, 1};
            case "aligned" -> new float[] {1, 0};
            default -> new float[] {1, 0};
        }).toList());
        Embeddings cosine = Embeddings.of(List.of("long", "aligned"), fixed).block();
        Embeddings dot = Embeddings.builder(List.of("long", "aligned"), fixed).normalize(false).build().block();
        assertThat(cosine.search("query", 1).block().get(0).text()).isEqualTo("aligned");
        Passage best = dot.search("query", 1).block().get(0);
        assertThat(best.text()).isEqualTo("long");
        assertThat(best.score()).isEqualTo(10.0);
    }

    @Test
    void searchAllEmbedsTheQueriesInOneCall() {
        WordsEmbedder words = new WordsEmbedder(64);
        Embeddings index = Embeddings.of(CORPUS, words).block();
        List<List<Passage>> all = index.searchAll(List.of("capital of France", "highest mountain"), 1).block();
        assertThat(all).hasSize(2);
        assertThat(all.get(0).get(0).index()).isZero();
        assertThat(all.get(1).get(0).index()).isEqualTo(3);
        assertThat(words.calls).hasValue(2);
    }

    @Test
    void badInputIsATypedErrorNamingIt() {
        WordsEmbedder words = new WordsEmbedder(16);
        StepVerifier.create(Embeddings.of(List.of(), words))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("corpus is empty")).verify();
        StepVerifier.create(Embeddings.of(List.of("fine", " "), words))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("corpus[1] is blank")).verify();
        StepVerifier.create(Embeddings.of(Arrays.asList("fine", null), words))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("corpus[1] is null")).verify();
        StepVerifier.create(Embeddings.builder(List.of("a", "b"), words).vectors(List.of(new float[] {1})).build())
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("1 vectors for 2 texts")).verify();
        assertThat(words.calls).hasValue(0);

        Embeddings index = Embeddings.of(CORPUS, words).block();
        StepVerifier.create(index.search("capital", 6))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("k=6 is larger than the corpus (5 passages)")).verify();
        StepVerifier.create(index.search("capital", 0))
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("k must be at least 1")).verify();
        StepVerifier.create(index.search("", 1))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("query is empty")).verify();
        StepVerifier.create(index.search(new float[] {1, 2}, 1))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(EmbeddingException.class)
                        .hasMessageContaining("2 dimensions, the index's have 16")).verify();

        // A query embedder of another dimension than the corpus's.
        Embeddings mixed = Embeddings.builder(CORPUS, new WordsEmbedder(8))
                .vectors(CORPUS.stream().map(t -> WordsEmbedder.vectorOf(t, 16)).toList()).build().block();
        StepVerifier.create(mixed.search("capital", 1))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(EmbeddingException.class)
                        .hasMessageContaining("8 dimensions, the index's have 16")).verify();
    }

    @Test
    void savesAndLoadsExactIndexesWithoutEmbeddingTheCorpusAgain(@TempDir Path dir) {
        WordsEmbedder words = new WordsEmbedder(64);
        Embeddings index = Embeddings.of(CORPUS, words).block();
        index.save(dir).block();
        WordsEmbedder queries = new WordsEmbedder(64);
        Embeddings loaded = Embeddings.load(dir, queries).block();
        assertThat(loaded.corpus()).isEqualTo(CORPUS);
        assertThat(loaded.approximate()).isFalse();
        assertThat(loaded.vector(2)).containsExactly(index.vector(2));
        assertThat(loaded.search("capital of Germany", 3).block()).isEqualTo(index.search("capital of Germany", 3)
                .block());
        assertThat(queries.calls).hasValue(1);
    }

    @Test
    void savesAndLoadsTheHnswGraph(@TempDir Path dir) {
        approximate.save(dir).block();
        assertThat(dir.resolve("hnsw")).isDirectory();
        try (Embeddings loaded = Embeddings.load(dir, texts -> Mono.error(new AssertionError())).block()) {
            assertThat(loaded.approximate()).isTrue();
            for (int q = 0; q < 10; q++) {
                float[] query = vectors.get(q * 97);
                assertThat(loaded.search(query, 10).block()).isEqualTo(approximate.search(query, 10).block());
            }
        }
    }

    @Test
    void aDamagedDirectoryIsAnIndexFormatExceptionNamingTheFile(@TempDir Path tmp) throws IOException {
        Embedder words = new WordsEmbedder(16);
        Embeddings index = Embeddings.of(CORPUS, words).block();

        expectFormatError(tmp.resolve("absent"), words, "does not exist");

        Path noConfig = saved(index, tmp.resolve("no-config"));
        Files.delete(noConfig.resolve("embeddings.json"));
        expectFormatError(noConfig, words, "embeddings.json is missing");

        Path wrongFormat = saved(index, tmp.resolve("wrong-format"));
        ObjectNode config = (ObjectNode) Json.MAPPER.readTree(wrongFormat.resolve("embeddings.json").toFile());
        config.put("version", 99);
        Files.write(wrongFormat.resolve("embeddings.json"), Json.MAPPER.writeValueAsBytes(config));
        expectFormatError(wrongFormat, words, "is not a dspex-embeddings version 1 configuration");

        Path notJson = saved(index, tmp.resolve("not-json"));
        Files.writeString(notJson.resolve("corpus.json"), "[\"unterminated");
        expectFormatError(notJson, words, "corpus.json cannot be read as JSON");

        Path fewer = saved(index, tmp.resolve("fewer"));
        Files.writeString(fewer.resolve("corpus.json"), "[\"only one\"]");
        expectFormatError(fewer, words, "corpus.json holds 1 passages where embeddings.json says 5");

        Path truncated = saved(index, tmp.resolve("truncated"));
        byte[] bytes = Files.readAllBytes(truncated.resolve("vectors.f32"));
        Files.write(truncated.resolve("vectors.f32"), Arrays.copyOf(bytes, bytes.length - 10));
        expectFormatError(truncated, words, "vectors.f32 has");

        Path garbage = saved(index, tmp.resolve("garbage"));
        Files.writeString(garbage.resolve("vectors.f32"), "garbage garbage garbage");
        expectFormatError(garbage, words, "vectors.f32 is not a vectors file");

        Path noGraph = saved(approximate, tmp.resolve("no-graph"));
        deleteTree(noGraph.resolve("hnsw"));
        expectFormatError(noGraph, words, "the HNSW index hnsw/ is missing");

        Path corruptGraph = saved(approximate, tmp.resolve("corrupt-graph"));
        try (Stream<Path> files = Files.list(corruptGraph.resolve("hnsw"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".vex")
                    || p.getFileName().toString().startsWith("segments")).toList()) {
                Files.writeString(f, "not lucene");
            }
        }
        expectFormatError(corruptGraph, words, "the HNSW index hnsw/ cannot be read");
    }

    @Test
    void searchesNeverBlockANonBlockingThread() {
        // BlockHound is installed in this JVM: searching from a parallel thread would fail on a blocking call.
        float[] query = vectors.get(3);
        StepVerifier.create(Mono.defer(() -> approximate.search(query, 5)).subscribeOn(Schedulers.parallel()))
                .assertNext(found -> assertThat(found).hasSize(5)).verifyComplete();
        StepVerifier.create(Mono.defer(() -> exact.search(query, 5)).subscribeOn(Schedulers.parallel()))
                .assertNext(found -> assertThat(found).hasSize(5)).verifyComplete();
        StepVerifier.create(Mono.defer(() -> Embeddings.builder(names.subList(0, 1_200), texts -> Mono.empty())
                        .vectors(vectors.subList(0, 1_200)).bruteForceThreshold(1_000).build())
                        .subscribeOn(Schedulers.parallel()))
                .assertNext(index -> {
                    assertThat(index.approximate()).isTrue();
                    index.close();
                }).verifyComplete();
    }

    private static Path saved(Embeddings index, Path dir) {
        index.save(dir).block();
        return dir;
    }

    private static void expectFormatError(Path dir, Embedder embedder, String message) {
        StepVerifier.create(Embeddings.load(dir, embedder))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IndexFormatException.class)
                        .hasMessageContaining(dir.toString()).hasMessageContaining(message))
                .verify();
    }

    private static void deleteTree(Path path) throws IOException {
        try (Stream<Path> files = Files.walk(path)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static double cosine(float[] a, float[] b) {
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
