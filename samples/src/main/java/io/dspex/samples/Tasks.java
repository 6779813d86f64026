package io.dspex.samples;

import io.dspex.Example;
import io.dspex.data.Datasets;
import io.dspex.evaluate.Metric;
import io.dspex.evaluate.Metrics;
import io.dspex.lm.LanguageModel;
import io.dspex.predict.ChainOfThought;
import io.dspex.signature.Signature;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The bundled task the samples share: arithmetic questions answered in a house style (numbers from zero to nine in
 * words, larger ones in digits), its program, metric and datasets. The datasets were written for this project.
 *
 * <pre>{@code
 * ChainOfThought program = Tasks.program();
 * List<Example> dev = Tasks.devset();
 * }</pre>
 */
public final class Tasks {

    /** The task's signature: a question in, an answer out, with the instructions. */
    public static final Signature SIGNATURE = Signature.parse("question -> answer")
            .withInstructions("Answer the arithmetic question.");

    private Tasks() {
    }

    /** @return the program the samples optimize and serve: {@code ChainOfThought} over {@link #SIGNATURE} */
    public static ChainOfThought program() {
        return ChainOfThought.of(SIGNATURE);
    }

    /**
     * The program saved by the {@code optimize} sample, or the unoptimized one when there is no such file; says
     * which on {@code out}. Blocking file I/O.
     *
     * @param saved a file written by {@code program.save(..)}
     * @param lm    the model the program calls
     * @param out   where to say which program this is
     * @return the program, calling {@code lm}
     * @throws io.dspex.ProgramStateException when the file exists but does not hold this task's program
     */
    public static ChainOfThought loadOrFresh(Path saved, LanguageModel lm, PrintStream out) {
        if (saved != null && Files.isRegularFile(saved)) {
            ChainOfThought loaded = (ChainOfThought) program().load(saved);
            out.println("Loaded the program saved at " + saved + " (" + loaded.predict().demos().size() + " demos).");
            return loaded.withLm(lm);
        }
        out.println("No saved program at " + saved + ": serving the unoptimized program (run -Dsample=optimize "
                + "first to save one).");
        return program().withLm(lm);
    }

    /** @return exact match on {@code answer}, with DSPy's normalisation (case, punctuation, articles) */
    public static Metric metric() {
        return Metrics.exactMatch("answer");
    }

    /** @return the 24 training examples ({@code arithmetic-train.jsonl}), input {@code question} */
    public static List<Example> trainset() {
        return Datasets.readJsonl(resource("arithmetic-train.jsonl"), "question");
    }

    /** @return the 40 development examples ({@code arithmetic-dev.jsonl}), input {@code question} */
    public static List<Example> devset() {
        return Datasets.readJsonl(resource("arithmetic-dev.jsonl"), "question");
    }

    /**
     * Copies a bundled resource to a temporary file, so that it can be read as a {@link Path} from a jar too.
     *
     * @param name the resource name in {@code io/dspex/samples}'s class path root
     * @return the file
     * @throws IllegalArgumentException when there is no such resource
     */
    public static Path resource(String name) {
        try (InputStream in = Tasks.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no bundled resource named '" + name + "'");
            }
            Path file = Files.createTempFile("dspex-" + name.replace('.', '-'), ".jsonl");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy bundled resource " + name, e);
        }
    }
}
