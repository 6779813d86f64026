package io.dspex.contracts;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.predict.ChainOfThought;
import io.dspex.predict.Predict;
import io.dspex.test.ModuleContract;
import io.dspex.test.ScriptedLm;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * A small user module, as the README writes one (a query rewriter, then a chain of thought, nested one level), against
 * the module contract.
 */
class UserModuleContractTest extends ModuleContract {

    /** Rewrites the question into a query, then answers from a context built from the query. */
    static final class Rag extends Module {
        Rag() {
            register("rewrite", Predict.of("question -> query"));
            register("generate_answer", ChainOfThought.of("context: list[str], question -> answer"));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("rewrite").forward(Map.of("question", in.get("question")))
                    .flatMap(q -> child("generate_answer").forward(Map.of(
                            "context", List.of("Found for " + q.get("query") + "."),
                            "question", in.get("question"))));
        }
    }

    /** Nests the Rag and a checker, so paths have three segments. */
    static final class Checked extends Module {
        Checked() {
            register("rag", new Rag());
            register("check", Predict.of("question, answer -> ok: bool"));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("rag").forward(in).flatMap(a -> child("check")
                    .forward(Map.of("question", in.get("question"), "answer", a.get("answer")))
                    .map(c -> a.with("ok", c.get("ok"))));
        }
    }

    @Override
    protected Module createModule() {
        return new Checked();
    }

    @Override
    protected Map<String, ?> sampleInputs() {
        return Map.of("question", "Where is Paris?");
    }

    @Override
    protected ScriptedLm createLm() {
        // the ChatAdapter ignores the headers of fields a predictor does not have
        return ScriptedLm.create().reply("[[ ## query ## ]]\nparis location\n\n[[ ## reasoning ## ]]\nIt is known."
                + "\n\n[[ ## answer ## ]]\nFrance\n\n[[ ## ok ## ]]\nTrue\n\n[[ ## completed ## ]]");
    }
}
