package io.dspex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.lm.LmResponse;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Predict;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class ModuleTest {

    static final class Rag extends Module {
        Rag() {
            register("rewrite", Predict.of("question -> query"));
            register("generate_answer", ChainOfThought.of("context, question -> answer"));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("rewrite").forward(Map.of("question", in.get("question")))
                    .flatMap(q -> child("generate_answer").forward(Map.of("context", List.of("c"),
                            "question", q.get("query"))));
        }
    }

    static final class Outer extends Module {
        Outer() {
            register("rag", new Rag());
            register("check", Predict.of("answer -> ok: bool"));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("rag").forward(in);
        }
    }

    private static final Example DEMO = Example.of(Map.of("question", "q", "query", "x"));

    @Test
    void namedPredictorsUseDspyPaths() {
        assertThat(new Rag().namedPredictors()).containsOnlyKeys("rewrite", "generate_answer.predict");
        assertThat(new Outer().namedPredictors().keySet())
                .containsExactly("rag.rewrite", "rag.generate_answer.predict", "check");
    }

    @Test
    void withNamedPredictorsCopiesWithoutTouchingTheOriginal() {
        Outer original = new Outer();
        Predictor rewrite = original.namedPredictors().get("rag.rewrite");
        Module changed = original.withNamedPredictors(Map.of("rag.rewrite", rewrite.withDemos(List.of(DEMO))));
        assertThat(changed).isInstanceOf(Outer.class).isNotSameAs(original);
        assertThat(changed.namedPredictors().get("rag.rewrite").demos()).containsExactly(DEMO);
        assertThat(original.namedPredictors().get("rag.rewrite").demos()).isEmpty();
        assertThat(changed.namedPredictors().get("check")).isSameAs(original.namedPredictors().get("check"));
        assertThat(changed.namedPredictors().get("rag.rewrite").demos()).hasSize(1);
        assertThat(changed.reset().namedPredictors().get("rag.rewrite").demos()).isEmpty();
    }

    @Test
    void copyIsIndependentAndRunsWithTheNewPredictors() {
        Rag rag = new Rag();
        Module copy = rag.copy();
        assertThat(copy).isNotSameAs(rag).isInstanceOf(Rag.class);
        assertThat(copy.children()).isNotSameAs(rag.children());
        // the copy forwards through its own children
        Predict answering = ((Predict) rag.namedPredictors().get("rewrite"))
                .withLm(req -> Mono.just(LmResponse.of("[[ ## query ## ]]\nQ")));
        Predict gen = ((Predict) rag.namedPredictors().get("generate_answer.predict"))
                .withLm(req -> Mono.just(LmResponse.of("[[ ## reasoning ## ]]\nr\n\n[[ ## answer ## ]]\nA")));
        Module runnable = rag.withNamedPredictors(Map.of("rewrite", answering, "generate_answer.predict", gen));
        assertThat(runnable.forward(Map.of("question", "q")).block().get("answer")).isEqualTo("A");
    }

    @Test
    void badPathsAndRegistrationsAreNamed() {
        assertThatThrownBy(() -> new Rag().withNamedPredictors(Map.of("nope.predict", Predict.of("a -> b"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[nope.predict]")
                .hasMessageContaining("generate_answer.predict");
        Module m = new Module() {
            {
                register("a", Predict.of("x -> y"));
            }

            @Override
            protected Mono<Prediction> run(Example inputs) {
                return child("missing").forward(inputs);
            }
        };
        assertThatThrownBy(() -> m.forward(Map.of("x", 1)).block()).hasMessageContaining("'missing'");
        assertThatThrownBy(() -> new Module() {
            {
                register("a", Predict.of("x -> y"));
                register("a", Predict.of("x -> y"));
            }

            @Override
            protected Mono<Prediction> run(Example inputs) {
                return Mono.empty();
            }
        }).hasMessageContaining("'a' is already registered");
    }

    @Test
    void lambdaProgramsHaveNoPredictors() {
        Program p = ex -> Mono.empty();
        assertThat(p.namedPredictors()).isEmpty();
        assertThat(p.copy()).isSameAs(p);
        assertThatThrownBy(() -> p.withNamedPredictors(Map.of("x", Predict.of("a -> b"))))
                .hasMessageContaining("[x]");
    }
}
