package io.dspex.retrieve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.lm.GeminiLm;
import io.dspex.lm.OpenAiCompatibleLm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class EmbedderTest {

    private static List<String> texts(int n) {
        return IntStream.range(0, n).mapToObj(i -> "text number " + i).toList();
    }

    @Test
    void splitsIntoBatchesInOrderAndKeepsTheOrderOfTheAnswers() {
        WordsEmbedder model = new WordsEmbedder(16);
        Embedder e = Embedder.builder(model).batchSize(3).build();
        List<float[]> out = e.embed(texts(8)).block();
        assertThat(model.batchSizes).containsExactly(3, 3, 2);
        assertThat(out).hasSize(8);
        for (int i = 0; i < 8; i++) {
            assertThat(out.get(i)).containsExactly(WordsEmbedder.vectorOf("text number " + i, 16));
        }
    }

    @Test
    void concurrentBatchesStillAnswerInInputOrder() {
        // The first batch is the slowest: with 3 batches in flight, later ones complete first.
        Embedder slowFirst = texts -> Mono.delay(Duration.ofMillis(texts.get(0).endsWith(" 0") ? 60 : 1))
                .map(x -> texts.stream().map(t -> new float[] {Float.parseFloat(t.substring(12))}).toList());
        List<float[]> out = Embedder.builder(slowFirst).batchSize(2).concurrency(3).build().embed(texts(6)).block();
        assertThat(out.stream().map(v -> v[0]).toList()).containsExactly(0f, 1f, 2f, 3f, 4f, 5f);
    }

    @Test
    void normalizesToUnitLengthWhenAskedAndLeavesZeroVectorsAlone() {
        Embedder raw = texts -> Mono.just(List.of(new float[] {3, 4}, new float[] {0, 0}));
        List<float[]> out = Embedder.builder(raw).normalize(true).build().embed(List.of("a", "b")).block();
        assertThat(out.get(0)).containsExactly(0.6f, 0.8f);
        assertThat(out.get(1)).containsExactly(0f, 0f);
        List<float[]> plain = Embedder.builder(raw).build().embed(List.of("a", "b")).block();
        assertThat(plain.get(0)).containsExactly(3f, 4f);
    }

    @Test
    void anEmptyListIsAnsweredWithoutACall() {
        WordsEmbedder model = new WordsEmbedder(4);
        assertThat(Embedder.builder(model).build().embed(List.of()).block()).isEmpty();
        assertThat(model.calls).hasValue(0);
    }

    @Test
    void badTextsAreRejectedBeforeAnyCallNamingTheirPosition() {
        WordsEmbedder model = new WordsEmbedder(4);
        Embedder e = Embedder.builder(model).build();
        StepVerifier.create(e.embed(Arrays.asList("ok", null)))
                .expectErrorSatisfies(t -> assertThat(t).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("texts[1] is null")).verify();
        StepVerifier.create(e.embed(List.of("ok", "fine", "")))
                .expectErrorSatisfies(t -> assertThat(t).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("texts[2] is empty")).verify();
        StepVerifier.create(e.embed(List.of("  \n")))
                .expectErrorSatisfies(t -> assertThat(t).hasMessageContaining("texts[0] is blank")).verify();
        StepVerifier.create(e.embed(null)).expectError(IllegalArgumentException.class).verify();
        assertThat(model.calls).hasValue(0);
    }

    @Test
    void unusableAnswersAreTypedErrorsNamingTheProblem() {
        Embedder tooFew = texts -> Mono.just(List.of(new float[] {1}));
        StepVerifier.create(Embedder.builder(tooFew).build().embed(List.of("a", "b")))
                .expectErrorSatisfies(t -> assertThat(t).isInstanceOf(EmbeddingException.class)
                        .hasMessageContaining("returned 1 vectors for 2 texts")).verify();

        Embedder ragged = texts -> Mono.just(List.of(new float[] {1, 2}, new float[] {1, 2, 3}));
        StepVerifier.create(Embedder.builder(ragged).build().embed(List.of("a", "b")))
                .expectErrorSatisfies(t -> assertThat(t).isInstanceOf(EmbeddingException.class)
                        .hasMessageContaining("different dimensions: 2 for text 0, 3 for text 1")).verify();

        // Different dimensions in different batches are caught too.
        Embedder perBatch = texts -> Mono.just(texts.stream()
                .map(t -> t.equals("c") ? new float[] {1, 2, 3} : new float[] {1, 2}).toList());
        StepVerifier.create(Embedder.builder(perBatch).batchSize(2).build().embed(List.of("a", "b", "c")))
                .expectErrorSatisfies(t -> assertThat(t).isInstanceOf(EmbeddingException.class)
                        .hasMessageContaining("2 for text 0, 3 for text 2")).verify();

        Embedder nan = texts -> Mono.just(List.of(new float[] {1, Float.NaN}));
        StepVerifier.create(Embedder.builder(nan).build().embed(List.of("a")))
                .expectErrorSatisfies(t -> assertThat(t).isInstanceOf(EmbeddingException.class)
                        .hasMessageContaining("NaN at component 1")).verify();

        Embedder empty = texts -> Mono.just(List.of(new float[0]));
        StepVerifier.create(Embedder.builder(empty).build().embed(List.of("a")))
                .expectErrorSatisfies(t -> assertThat(t).hasMessageContaining("an empty vector for text 0")).verify();

        Embedder nothing = texts -> Mono.empty();
        StepVerifier.create(Embedder.builder(nothing).build().embed(List.of("a")))
                .expectError(EmbeddingException.class).verify();
    }

    @Test
    void theModelsErrorsPassThroughAndEachSubscriptionCallsAgain() {
        List<Integer> calls = new ArrayList<>();
        Embedder failing = texts -> Mono.defer(() -> {
            calls.add(1);
            return Mono.error(new IllegalStateException("boom"));
        });
        Mono<List<float[]>> m = Embedder.builder(failing).build().embed(List.of("a"));
        assertThat(calls).isEmpty();
        StepVerifier.create(m).expectErrorMessage("boom").verify();
        StepVerifier.create(m).expectErrorMessage("boom").verify();
        assertThat(calls).hasSize(2);
    }

    @Test
    void idDefaultsToTheModelsAndCanBeSet() {
        WordsEmbedder model = new WordsEmbedder(4);
        assertThat(Embedder.builder(model).build().id()).isEqualTo("words-4");
        assertThat(Embedder.builder(model).id("mine").build().id()).isEqualTo("mine");
        assertThatThrownBy(() -> Embedder.builder(model).id(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Embedder.builder(model).batchSize(0)).hasMessageContaining("batchSize");
        assertThatThrownBy(() -> Embedder.builder(model).concurrency(0)).hasMessageContaining("concurrency");
        assertThatThrownBy(() -> Embedder.builder(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Embedder.of((OpenAiCompatibleLm) null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Embedder.of((GeminiLm) null)).isInstanceOf(IllegalArgumentException.class);
    }
}
