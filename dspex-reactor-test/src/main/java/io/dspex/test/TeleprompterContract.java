package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dspex.Example;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.optimize.Teleprompter;
import io.dspex.predict.Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * The contract every {@link Teleprompter} (optimizer) must pass: {@code compile} never changes the student (its
 * saved state is the same before and after), is lazy (no LM call before subscription), returns a program of the
 * student's class, and, given the same seed, compiles the same program twice (the same saved JSON).
 *
 * <p><b>How to extend.</b> Give the optimizer (with a fixed seed), a student, a training set and a
 * {@link ScriptedLm} whose answers depend only on the request:
 *
 * <pre>{@code
 * class MyOptimizerContractTest extends TeleprompterContract {
 *     protected Teleprompter createTeleprompter() {
 *         return MyOptimizer.builder().metric(Metrics.exactMatch("answer")).seed(7).build();
 *     }
 *
 *     protected Program createStudent() {
 *         return Predict.of("question -> answer");
 *     }
 *
 *     protected List<Example> trainset() {
 *         return List.of(Example.of(Map.of("question", "1+1?", "answer", "2")).withInputs("question"), ...);
 *     }
 *
 *     protected ScriptedLm createLm() {
 *         return ScriptedLm.create().reply("[[ ## answer ## ]]\n2\n\n[[ ## completed ## ]]");
 *     }
 * }
 * }</pre>
 *
 * <p>The suite compiles with the LM in the subscriber's {@link Settings} ({@link #compile}); override that if your
 * optimizer or student finds its LM another way. To replace one case, override its method (with {@code @Test}); to
 * drop it, override it without one. Every case is {@code protected}, so a subclass in any package can.
 */
public abstract class TeleprompterContract {

    /** The longest the suite waits for a compilation. */
    protected static final Duration WAIT = Duration.ofSeconds(30);

    /** Creates the suite. */
    protected TeleprompterContract() {
    }

    // ------------------------------------------------------------------ what an optimizer supplies

    /** @return a new optimizer under test, with a fixed seed (each call the same configuration) */
    protected abstract Teleprompter createTeleprompter();

    /** @return a new student program, without demos */
    protected abstract Program createStudent();

    /** @return the training set, input keys marked */
    protected abstract List<Example> trainset();

    /** @return a new scripted LM for the compilation, whose answers depend only on the request (not call order) */
    protected abstract ScriptedLm createLm();

    /**
     * Compiles with the LM. By default the LM goes in the subscriber's {@link Settings}, which every {@code Predict}
     * reads first.
     *
     * @param teleprompter the optimizer
     * @param student      the student
     * @param lm           the LM
     * @param <P>          the student's type
     * @return the lazy compilation on {@link #trainset()}
     */
    protected <P extends Program> Mono<P> compile(Teleprompter teleprompter, P student, ScriptedLm lm) {
        return teleprompter.compile(student, trainset()).contextWrite(Settings.empty().withLm(lm).asContext());
    }

    private static String saved(Program program, Path file) {
        program.save(file);
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ cases

    /**
     * Compiling leaves the student as it was: its saved state is the same before and after, and so are its
     * predictors.
     *
     * @param dir a fresh directory
     */
    @Test
    protected void compileDoesNotChangeTheStudent(@TempDir Path dir) {
        Program student = createStudent();
        List<Predictor> predictors = List.copyOf(student.namedPredictors().values());
        String before = saved(student, dir.resolve("before.json"));
        Program compiled = compile(createTeleprompter(), student, createLm()).block(WAIT);
        assertThat(compiled).isNotNull();
        assertThat(saved(student, dir.resolve("after.json"))).isEqualTo(before);
        assertThat(List.copyOf(student.namedPredictors().values())).containsExactlyElementsOf(predictors);
    }

    /** Nothing runs before subscription: building the compilation calls no LM. */
    @Test
    protected void compileIsLazy() {
        ScriptedLm lm = createLm();
        Mono<Program> compilation = compile(createTeleprompter(), createStudent(), lm);
        assertThat(lm.requestCount()).as("LM calls before subscription").isZero();
        assertThat(compilation.block(WAIT)).isNotNull();
    }

    /** The compiled program has the student's class, and the student's predictor paths. */
    @Test
    protected void compileReturnsTheStudentsClass() {
        Program student = createStudent();
        Program compiled = compile(createTeleprompter(), student, createLm()).block(WAIT);
        assertThat(compiled).isNotNull();
        assertThat(compiled.getClass()).isEqualTo(student.getClass());
        assertThat(compiled.namedPredictors().keySet()).containsExactlyElementsOf(student.namedPredictors().keySet());
    }

    /**
     * Two compilations with the same configuration (seed included) and the same answers save the same JSON.
     *
     * @param dir a fresh directory
     */
    @Test
    protected void sameSeedCompilesTheSameProgram(@TempDir Path dir) {
        Program first = compile(createTeleprompter(), createStudent(), createLm()).block(WAIT);
        Program second = compile(createTeleprompter(), createStudent(), createLm()).block(WAIT);
        assertThat(first).isNotNull();
        assertThat(second).isNotNull();
        assertThat(saved(second, dir.resolve("second.json"))).isEqualTo(saved(first, dir.resolve("first.json")));
    }

    /** A null student or training set is an {@link IllegalArgumentException}, thrown or signalled. */
    @Test
    protected void nullArgumentsAreRejected() {
        Teleprompter teleprompter = createTeleprompter();
        assertThat(catchThrowable(() -> teleprompter.compile(null, trainset()).block(WAIT)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(catchThrowable(() -> teleprompter.compile(createStudent(), null).block(WAIT)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
