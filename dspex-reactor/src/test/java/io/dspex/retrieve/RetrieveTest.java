package io.dspex.retrieve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class RetrieveTest {

    private static final List<String> CORPUS = List.of("Paris is the capital of France.",
            "Bern is the capital of Switzerland.", "Mount Everest is the highest mountain on Earth.");

    /** A program that retrieves and then answers with the best passage. */
    static final class FirstPassage extends Module {
        FirstPassage(Embeddings index) {
            register("retrieve", Retrieve.of(index, 2));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("retrieve").forward(Map.of("query", in.get("question")))
                    .map(found -> Prediction.of(Map.of("answer", ((List<?>) found.get("passages")).get(0))));
        }
    }

    @Test
    void answersTheQueryWithPassagesIndicesAndScoresInsideAModule() {
        Embeddings index = Embeddings.of(CORPUS, new WordsEmbedder(64)).block();
        Prediction found = Retrieve.of(index, 2).forward(Map.of("query", "highest mountain")).block();
        assertThat(found.get("passages")).isEqualTo(List.of(CORPUS.get(2), found.get("passages", List.class).get(1)));
        assertThat((List<?>) found.get("indices")).hasSize(2).first().isEqualTo(2);
        assertThat((List<?>) found.get("scores")).hasSize(2);

        FirstPassage program = new FirstPassage(index);
        assertThat(program.forward(Map.of("question", "capital of France")).block().get("answer"))
                .isEqualTo(CORPUS.get(0));
        assertThat(program.namedPredictors()).isEmpty();
        assertThat(program.copy().forward(Map.of("question", "capital of Switzerland")).block().get("answer"))
                .isEqualTo(CORPUS.get(1));
    }

    @Test
    void aMissingQueryOrABadKIsATypedError() {
        Embeddings index = Embeddings.of(CORPUS, new WordsEmbedder(16)).block();
        StepVerifier.create(Retrieve.of(index, 1).forward(Map.of("question", "x")))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("'query'").hasMessageContaining("[question]"))
                .verify();
        assertThatThrownBy(() -> Retrieve.of(index, 4)).hasMessageContaining("k must be 1..3");
        assertThatThrownBy(() -> Retrieve.of(index, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Retrieve.of(index, 1).withK(3).k()).isEqualTo(3);
    }
}
