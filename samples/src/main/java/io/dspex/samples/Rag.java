package io.dspex.samples;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.lm.LanguageModel;
import io.dspex.predict.ChainOfThought;
import io.dspex.retrieve.Embeddings;
import io.dspex.retrieve.Retrieve;
import io.dspex.retrieve.local.LocalEmbedder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * Retrieval-augmented generation: a small bundled corpus ({@code rag-corpus.txt}, passages about a fictional town
 * written for this project) embedded in-process by {@link LocalEmbedder} (all-MiniLM-L6-v2, offline), searched by
 * {@link Retrieve}, and a {@code ChainOfThought("context, question -> answer")} that answers from the passages it
 * is given. Prints each question's passages with their scores, the reasoning and the answer. Run it with
 * {@code mvn -pl samples -am compile exec:java -Dsample=rag}.
 *
 * <pre>{@code
 * Rag.run(provider.lm(), System.out);
 * }</pre>
 */
public final class Rag {

    /** The questions asked: each is answered by one passage of the corpus. */
    public static final List<String> QUESTIONS = List.of(
            "When was the Larkspur Observatory opened?",
            "How long is the River Tamsin?",
            "Who designed the Harrowmere Clock Tower?",
            "How deep is Lake Ossel?",
            "Who is the current mayor of Harrowmere?");

    /** Passages retrieved per question. */
    public static final int K = 3;

    private Rag() {
    }

    /** The program: retrieve, then answer from what was retrieved. */
    static final class RagProgram extends Module {

        RagProgram(Embeddings corpus, LanguageModel lm) {
            register("retrieve", Retrieve.of(corpus, K));
            register("generate_answer", ChainOfThought.of("context, question -> answer").withLm(lm));
        }

        @Override
        protected Mono<Prediction> run(Example in) {
            return child("retrieve").forward(Map.of("query", in.get("question")))
                    .flatMap(found -> child("generate_answer")
                            .forward(Map.of("context", found.get("passages"), "question", in.get("question")))
                            .map(answer -> answer.with("passages", found.get("passages"))
                                    .with("scores", found.get("scores"))));
        }
    }

    /**
     * Runs the sample.
     *
     * @param lm  the model that answers
     * @param out where to print
     * @return the predictions, one per question (with {@code passages}, {@code scores}, {@code reasoning},
     *         {@code answer})
     */
    public static List<Prediction> run(LanguageModel lm, PrintStream out) {
        List<String> corpus = corpus();
        List<Prediction> results = new ArrayList<>();
        try (LocalEmbedder embedder = LocalEmbedder.allMiniLmL6V2()) {
            long start = System.nanoTime();
            Embeddings index = Embeddings.of(corpus, embedder).block();
            out.println();
            out.printf(Locale.ROOT, "Embedded %d passages with %s in %d ms (in-process, offline).%n", index.size(),
                    LocalEmbedder.MODEL, (System.nanoTime() - start) / 1_000_000);
            RagProgram rag = new RagProgram(index, lm);
            for (String question : QUESTIONS) {
                Prediction p = rag.forward(Map.of("question", question)).block();
                results.add(p);
                out.println();
                out.println("Q: " + question);
                List<?> passages = (List<?>) p.get("passages");
                List<?> scores = (List<?>) p.get("scores");
                for (int i = 0; i < passages.size(); i++) {
                    out.printf(Locale.ROOT, "  [%d] %.3f  %s%n", i + 1, ((Number) scores.get(i)).doubleValue(),
                            passages.get(i));
                }
                out.println("  reasoning: " + p.get("reasoning"));
                out.println("  answer:    " + p.get("answer"));
            }
        }
        return results;
    }

    /** @return the bundled corpus's passages, in file order */
    public static List<String> corpus() {
        InputStream in = Rag.class.getResourceAsStream("/rag-corpus.txt");
        if (in == null) {
            throw new IllegalStateException("rag-corpus.txt is missing from the samples' resources");
        }
        List<String> passages = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    passages.add(line.strip());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return passages;
    }
}
