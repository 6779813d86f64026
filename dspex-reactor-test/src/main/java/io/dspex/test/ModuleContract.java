package io.dspex.test;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.lm.LmRequest;
import io.dspex.lm.Message;
import io.dspex.lm.Usage;
import io.dspex.predict.Settings;
import io.dspex.signature.Field;
import io.dspex.signature.FieldType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * The contract every {@link Module} must pass, the library's and your own: its predictors have stable paths; a copy
 * is independent (replacing a predictor in the copy never affects the original, and the copy runs with its
 * replacement); saving and loading round-trips demos and instructions into the same class; {@code reset()} clears
 * demos; {@code forward} is lazy and each subscription runs again; a run's prediction carries the usage of every LM
 * call it made.
 *
 * <p><b>How to extend.</b> Give the module, inputs on which it calls each of its predictors, and a
 * {@link ScriptedLm} that answers every call it makes:
 *
 * <pre>{@code
 * class RagContractTest extends ModuleContract {
 *     @Override
 *     protected Module createModule() {
 *         return new Rag();
 *     }
 *
 *     @Override
 *     protected Map<String, ?> sampleInputs() {
 *         return Map.of("question", "Where is Paris?");
 *     }
 *
 *     @Override
 *     protected ScriptedLm createLm() {
 *         // the ChatAdapter ignores the headers of fields a predictor does not have
 *         return ScriptedLm.create().reply("[[ ## query ## ]]\nparis\n\n[[ ## answer ## ]]\nFrance\n\n"
 *                 + "[[ ## completed ## ]]");
 *     }
 * }
 * }</pre>
 *
 * <p>The suite runs the module with the LM in the subscriber's {@link Settings} ({@link #forward}); override that if
 * your module finds its LM another way. To replace one case, override its method (with {@code @Test}); to drop it,
 * override it without one. Every case is {@code protected}, so a subclass in any package can.
 */
public abstract class ModuleContract {

    private static final Pattern PATH = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");
    /** The longest the suite waits for a run. */
    protected static final Duration WAIT = Duration.ofSeconds(10);

    /** Creates the suite. */
    protected ModuleContract() {
    }

    // ------------------------------------------------------------------ what a module supplies

    /** @return a new module under test, as a user builds it (no demos yet) */
    protected abstract Module createModule();

    /** @return inputs on which {@code forward} calls each of the module's predictors at least once */
    protected abstract Map<String, ?> sampleInputs();

    /**
     * @return a new scripted LM that answers every call {@code forward} makes on {@link #sampleInputs()} with a reply
     *         the module can parse; its answers should depend only on the request (not on call order)
     */
    protected abstract ScriptedLm createLm();

    /**
     * Runs the module with the LM. By default the LM goes in the subscriber's {@link Settings}, which every
     * {@code Predict} reads first.
     *
     * @param module the module
     * @param lm     the LM
     * @return the lazy run on {@link #sampleInputs()}
     */
    protected Mono<Prediction> forward(Module module, ScriptedLm lm) {
        return module.forward(sampleInputs()).contextWrite(Settings.empty().withLm(lm).asContext());
    }

    /**
     * A demo for a predictor, with a value of the right type for each of its fields and, in {@code str} fields, text
     * that names the predictor's path (so the suite can find it in prompts).
     *
     * @param path      the predictor's path
     * @param predictor the predictor
     * @return the demo
     */
    protected Example demoFor(String path, Predictor predictor) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Field f : predictor.signature().fields()) {
            values.put(f.name(), sampleValue(f.type(), marker(path, f.name())));
        }
        return Example.of(values);
    }

    private static String marker(String path, String field) {
        return "demo " + field + " of " + path;
    }

    private static Object sampleValue(FieldType type, String text) {
        switch (type.kind()) {
            case INT:
                return 7;
            case FLOAT:
                return 0.5;
            case BOOL:
                return true;
            case LIST:
                return List.of(sampleValue(type.args().get(0), text));
            case DICT:
                return Map.of("key", sampleValue(type.args().get(1), text));
            case OPTIONAL:
                return sampleValue(type.args().get(0), text);
            case LITERAL:
            case ENUM:
                return type.choices().isEmpty() ? text : type.choices().get(0);
            default:
                return text;
        }
    }

    private Map<String, Predictor> withDemos(Module module) {
        Map<String, Predictor> out = new LinkedHashMap<>();
        module.namedPredictors().forEach((path, p) -> out.put(path, p.withDemos(List.of(demoFor(path, p)))));
        return out;
    }

    private static Map<String, Predictor> withInstructions(Map<String, Predictor> predictors) {
        Map<String, Predictor> out = new LinkedHashMap<>();
        predictors.forEach((path, p) -> out.put(path,
                p.withSignature(p.signature().withInstructions("Contract instructions for " + path + "."))));
        return out;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String prompts(List<LmRequest> requests) {
        return requests.stream().flatMap(r -> r.messages().stream()).map(Message::content)
                .collect(Collectors.joining("\n"));
    }

    // ------------------------------------------------------------------ cases

    /** Predictor paths are dotted identifiers (or {@code self}), the same for every instance, copy and reset. */
    @Test
    protected void namedPredictorsHaveStablePaths() {
        Module module = createModule();
        List<String> paths = new ArrayList<>(module.namedPredictors().keySet());
        assertThat(paths).as("a module has at least one predictor").isNotEmpty();
        assertThat(paths).allMatch(p -> p.equals(Predictor.SELF) || PATH.matcher(p).matches(), "a dotted path");
        assertThat(module.namedPredictors().keySet()).containsExactlyElementsOf(paths);
        assertThat(createModule().namedPredictors().keySet()).containsExactlyElementsOf(paths);
        assertThat(module.copy().namedPredictors().keySet()).containsExactlyElementsOf(paths);
        assertThat(module.reset().namedPredictors().keySet()).containsExactlyElementsOf(paths);
        assertThat(module.withNamedPredictors(withDemos(module)).namedPredictors().keySet())
                .containsExactlyElementsOf(paths);
    }

    /**
     * Replacing the predictors of a copy leaves the original as it was, in its predictors and in what it sends; the
     * changed copy has the original's class and runs with its new predictors.
     */
    @Test
    protected void copiesAreIndependent() {
        Module original = createModule();
        Map<String, Predictor> before = new LinkedHashMap<>(original.namedPredictors());
        ScriptedLm lm = createLm();
        assertThat(forward(original, lm).block(WAIT)).isNotNull();
        List<List<Message>> sentBefore = lm.requests().stream().map(LmRequest::messages).toList();

        Module copy = original.copy();
        assertThat(copy.getClass()).isEqualTo(original.getClass());
        Module changed = copy.withNamedPredictors(withDemos(copy));
        assertThat(changed.getClass()).isEqualTo(original.getClass());
        changed.namedPredictors().forEach((path, p) -> assertThat(p.demos()).as(path).hasSize(1));

        original.namedPredictors().forEach((path, p) -> assertThat(p).as(path).isSameAs(before.get(path)));
        copy.namedPredictors().forEach((path, p) ->
                assertThat(p.demos()).as(path).isEqualTo(before.get(path).demos()));

        ScriptedLm changedLm = createLm();
        assertThat(forward(changed, changedLm).block(WAIT)).isNotNull();
        String sentByChanged = prompts(changedLm.requests());
        changed.namedPredictors().forEach((path, p) -> {
            for (Field f : p.signature().fields()) {
                if (f.type().kind() == FieldType.Kind.STR) {
                    assertThat(sentByChanged).as("the changed copy sends %s's demo", path)
                            .contains(marker(path, f.name()));
                    break;
                }
            }
        });

        ScriptedLm again = createLm();
        assertThat(forward(original, again).block(WAIT)).isNotNull();
        assertThat(again.requests().stream().map(LmRequest::messages).toList())
                .as("the original sends what it sent before the copy changed")
                .containsExactlyInAnyOrderElementsOf(sentBefore);
    }

    /**
     * What {@code save} writes, {@code load} reads back into a module of the same class, with every predictor's
     * demos and instructions; saving the loaded module writes the same file.
     *
     * @param dir a fresh directory
     */
    @Test
    protected void saveAndLoadRoundTrip(@TempDir Path dir) {
        Module base = createModule();
        Module tuned = base.withNamedPredictors(withInstructions(withDemos(base)));
        Path file = dir.resolve("module.json");
        tuned.save(file);

        Module fresh = createModule();
        Module loaded = fresh.load(file);
        assertThat(loaded.getClass()).isEqualTo(tuned.getClass());
        assertThat(loaded.namedPredictors().keySet()).containsExactlyElementsOf(tuned.namedPredictors().keySet());
        tuned.namedPredictors().forEach((path, p) -> {
            Predictor l = loaded.namedPredictors().get(path);
            assertThat(l.signature().instructions()).as(path).isEqualTo(p.signature().instructions());
            assertThat(l.demos()).as(path).hasSameSizeAs(p.demos());
            for (int i = 0; i < p.demos().size(); i++) {
                assertThat(l.demos().get(i).keys()).as(path)
                        .containsExactlyInAnyOrderElementsOf(p.demos().get(i).keys());
            }
        });
        fresh.namedPredictors().forEach((path, p) -> assertThat(p.demos()).as("load leaves its receiver").isEmpty());

        Path again = dir.resolve("again.json");
        loaded.save(again);
        assertThat(read(again)).isEqualTo(read(file));
    }

    /** {@code reset()} returns a copy of the same class without demos; the module it was called on keeps them. */
    @Test
    protected void resetClearsDemos() {
        Module base = createModule();
        Module tuned = base.withNamedPredictors(withDemos(base));
        Module reset = tuned.reset();
        assertThat(reset.getClass()).isEqualTo(base.getClass());
        assertThat(reset.namedPredictors().keySet()).containsExactlyElementsOf(base.namedPredictors().keySet());
        reset.namedPredictors().forEach((path, p) -> assertThat(p.demos()).as(path).isEmpty());
        tuned.namedPredictors().forEach((path, p) -> assertThat(p.demos()).as(path).hasSize(1));
    }

    /**
     * The prediction a run returns carries the usage of every LM call the run made, nested modules included, filed
     * under the model's name ({@link Prediction#usageByModel()}, {@link Prediction#usage()} their sum). A module
     * that calls an LM without a {@code Predict} records its usage with {@link io.dspex.UsageTracker#record}.
     */
    @Test
    protected void thePredictionCarriesTheUsageOfEveryLmCall() {
        ScriptedLm lm = createLm().usage(r -> Usage.of(7, 3));
        Prediction p = forward(createModule(), lm).block(WAIT);
        assertThat(p).isNotNull();
        long calls = lm.requestCount();
        assertThat(calls).as("calls of one run").isPositive();
        assertThat(p.usage()).as("the usage of all %d calls", calls).isEqualTo(Usage.of(7 * calls, 3 * calls));
        assertThat(p.usageByModel()).as("usage per model").isNotEmpty();
        Usage sum = Usage.ZERO;
        for (Usage u : p.usageByModel().values()) {
            sum = sum.plus(u);
        }
        assertThat(sum).isEqualTo(p.usage());
    }

    /** Nothing runs before subscription; each subscription of one {@code forward} runs the module again. */
    @Test
    protected void forwardIsLazyAndEverySubscriptionRunsAgain() {
        ScriptedLm lm = createLm();
        Mono<Prediction> run = forward(createModule(), lm);
        assertThat(lm.requestCount()).as("calls before subscription").isZero();
        assertThat(run.block(WAIT)).isNotNull();
        long once = lm.requestCount();
        assertThat(once).as("calls of one run").isPositive();
        assertThat(run.block(WAIT)).isNotNull();
        assertThat(lm.requestCount()).as("calls of two runs").isEqualTo(2 * once);
    }
}
