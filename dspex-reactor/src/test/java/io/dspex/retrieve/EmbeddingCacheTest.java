package io.dspex.retrieve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

class EmbeddingCacheTest {

    @Test
    void identicalBatchesAreEmbeddedOncePerBatch() {
        WordsEmbedder model = new WordsEmbedder(8);
        EmbeddingCache cache = EmbeddingCache.inMemory(100);
        Embedder e = Embedder.builder(model).batchSize(2).cache(cache).build();
        List<float[]> first = e.embed(List.of("a b", "c", "d")).block();
        List<float[]> again = e.embed(List.of("a b", "c", "d")).block();
        assertThat(model.calls).hasValue(2);
        assertThat(again.get(0)).containsExactly(first.get(0));
        assertThat(cache.stats()).isEqualTo(new EmbeddingCache.Stats(2, 2, 0, 0));
        // A changed batch is a miss; the unchanged first batch still hits.
        e.embed(List.of("a b", "c", "e")).block();
        assertThat(model.calls).hasValue(3);
        assertThat(cache.size()).isEqualTo(3);
    }

    @Test
    void theKeyIsTheIdAndTheTextsAndCannotBeForgedByJoiningTexts() {
        assertThat(EmbeddingCache.key("m", List.of("ab", "c"))).isNotEqualTo(EmbeddingCache.key("m", List.of("a", "bc")));
        assertThat(EmbeddingCache.key("m", List.of("a"))).isNotEqualTo(EmbeddingCache.key("n", List.of("a")));
        assertThat(EmbeddingCache.key("m", List.of("a"))).isEqualTo(EmbeddingCache.key("m", List.of("a")))
                .hasSize(64);
    }

    @Test
    void normalizationAppliesAfterTheCacheSoOneCacheServesBoth() {
        Embedder raw = texts -> Mono.just(List.of(new float[] {3, 4}));
        EmbeddingCache cache = EmbeddingCache.inMemory(10);
        List<float[]> normalized = Embedder.builder(raw).id("r").normalize(true).cache(cache).build()
                .embed(List.of("x")).block();
        List<float[]> plain = Embedder.builder(raw).id("r").cache(cache).build().embed(List.of("x")).block();
        assertThat(normalized.get(0)).containsExactly(0.6f, 0.8f);
        assertThat(plain.get(0)).containsExactly(3f, 4f);
        assertThat(cache.stats().hits()).isEqualTo(1);
    }

    @Test
    void changingAnAnswerDoesNotChangeTheCache() {
        Embedder e = Embedder.builder(new WordsEmbedder(4)).cache(EmbeddingCache.inMemory(10)).build();
        float[] v = e.embed(List.of("x")).block().get(0);
        float[] original = v.clone();
        v[0] = 42;
        assertThat(e.embed(List.of("x")).block().get(0)).containsExactly(original);
    }

    @Test
    void concurrentIdenticalBatchesShareOneCall() {
        AtomicInteger calls = new AtomicInteger();
        Sinks.One<List<float[]>> answer = Sinks.one();
        Embedder slow = texts -> Mono.defer(() -> {
            calls.incrementAndGet();
            return answer.asMono();
        });
        EmbeddingCache cache = EmbeddingCache.inMemory(10);
        Embedder e = Embedder.builder(slow).id("slow").cache(cache).build();
        Mono<List<List<float[]>>> all = Flux.range(0, 5).flatMap(i -> e.embed(List.of("same"))).collectList();
        StepVerifier.create(all)
                .then(() -> answer.tryEmitValue(List.of(new float[] {1, 2})))
                .assertNext(results -> assertThat(results).hasSize(5))
                .verifyComplete();
        assertThat(calls).hasValue(1);
        assertThat(cache.stats().coalesced()).isEqualTo(4);
    }

    @Test
    void failuresAreNotCached() {
        AtomicInteger calls = new AtomicInteger();
        Embedder flaky = texts -> Mono.defer(() -> calls.incrementAndGet() == 1
                ? Mono.error(new IllegalStateException("down")) : Mono.just(List.of(new float[] {1})));
        Embedder e = Embedder.builder(flaky).id("flaky").cache(EmbeddingCache.inMemory(10)).build();
        StepVerifier.create(e.embed(List.of("x"))).expectErrorMessage("down").verify();
        assertThat(e.embed(List.of("x")).block().get(0)).containsExactly(1f);
        assertThat(e.embed(List.of("x")).block().get(0)).containsExactly(1f);
        assertThat(calls).hasValue(2);
    }

    @Test
    void aDirectoryKeepsEntriesAcrossCacheInstances(@TempDir Path dir) {
        WordsEmbedder model = new WordsEmbedder(8);
        List<float[]> first = Embedder.builder(model).cache(EmbeddingCache.builder().directory(dir).build()).build()
                .embed(List.of("alpha beta", "gamma")).block();
        EmbeddingCache fresh = EmbeddingCache.builder().directory(dir).build();
        List<float[]> second = Embedder.builder(model).cache(fresh).build().embed(List.of("alpha beta", "gamma"))
                .block();
        assertThat(model.calls).hasValue(1);
        assertThat(fresh.stats().diskHits()).isEqualTo(1);
        assertThat(second.get(0)).containsExactly(first.get(0));
        assertThat(second.get(1)).containsExactly(first.get(1));
    }

    @Test
    void aCorruptOrTruncatedFileIsAMiss(@TempDir Path dir) throws IOException {
        WordsEmbedder model = new WordsEmbedder(8);
        Embedder.builder(model).cache(EmbeddingCache.builder().directory(dir).build()).build()
                .embed(List.of("alpha")).block();
        Path file;
        try (Stream<Path> files = Files.walk(dir)) {
            file = files.filter(p -> p.toString().endsWith(".emb")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 4));
        EmbeddingCache fresh = EmbeddingCache.builder().directory(dir).build();
        List<float[]> out = Embedder.builder(model).cache(fresh).build().embed(List.of("alpha")).block();
        assertThat(out.get(0)).containsExactly(WordsEmbedder.vectorOf("alpha", 8));
        assertThat(fresh.stats().misses()).isEqualTo(1);
        assertThat(model.calls).hasValue(2);

        Files.write(file, "not an entry".getBytes());
        EmbeddingCache third = EmbeddingCache.builder().directory(dir).build();
        Embedder.builder(model).cache(third).build().embed(List.of("alpha")).block();
        assertThat(third.stats().misses()).isEqualTo(1);
    }

    @Test
    void entriesExpireInMemoryAndOnDisk(@TempDir Path dir) {
        AtomicLong now = new AtomicLong(1_000_000);
        WordsEmbedder model = new WordsEmbedder(4);
        EmbeddingCache cache = EmbeddingCache.builder().directory(dir).expireAfterWrite(Duration.ofMinutes(1))
                .clock(now::get).build();
        Embedder e = Embedder.builder(model).cache(cache).build();
        e.embed(List.of("x")).block();
        e.embed(List.of("x")).block();
        assertThat(model.calls).hasValue(1);
        now.addAndGet(Duration.ofMinutes(2).toMillis());
        e.embed(List.of("x")).block();
        assertThat(model.calls).hasValue(2);
        EmbeddingCache later = EmbeddingCache.builder().directory(dir).expireAfterWrite(Duration.ofMinutes(1))
                .clock(() -> now.get() + Duration.ofMinutes(2).toMillis()).build();
        Embedder.builder(model).cache(later).build().embed(List.of("x")).block();
        assertThat(model.calls).hasValue(3);
    }

    @Test
    void clearEmptiesMemoryAndDisk(@TempDir Path dir) throws IOException {
        WordsEmbedder model = new WordsEmbedder(4);
        EmbeddingCache cache = EmbeddingCache.builder().directory(dir).build();
        Files.writeString(dir.resolve("keep.txt"), "mine");
        Embedder e = Embedder.builder(model).cache(cache).build();
        e.embed(List.of("x")).block();
        cache.clear().block();
        assertThat(cache.size()).isZero();
        e.embed(List.of("x")).block();
        assertThat(model.calls).hasValue(2);
        assertThat(dir.resolve("keep.txt")).exists();
    }

    @Test
    void builderRejectsBadSettings(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> EmbeddingCache.inMemory(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EmbeddingCache.builder().expireAfterWrite(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        Path file = Files.writeString(dir.resolve("f"), "x");
        assertThatThrownBy(() -> EmbeddingCache.builder().directory(file).build())
                .hasMessageContaining("is not a directory");
    }
}
