package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Prediction;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.adapter.AdapterParseException;
import io.dspex.internal.PyFormat;
import io.dspex.internal.PythonRandom;
import io.dspex.lm.CallConfig;
import io.dspex.predict.PredictException;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * MIPROv2's instruction proposer (DSPy's {@code GroundedProposer} with MIPROv2's settings: no instruction history,
 * a random tip per proposal when tips are on). Per predictor and demo set it asks the proposal LM for an instruction
 * in DSPy's {@code GenerateSingleModuleInstruction} prompt, grounded in:
 *
 * <ul>
 *   <li>a summary of the training set ({@link #datasetSummary}, DSPy's {@code create_dataset_summary}), when
 *       data-aware;</li>
 *   <li>a description of the program and of the predictor's role, when program-aware. DSPy shows the program's
 *       Python source; a Java program has none to show, so {@link #describeProgram} writes pseudo-code from the
 *       program's structure and signatures instead;</li>
 *   <li>up to three bootstrapped demos of the predictor from the demo set and the ones after it, when
 *       few-shot-aware (DSPy shows none for set 0);</li>
 *   <li>the current instruction and a tip drawn from DSPy's list.</li>
 * </ul>
 *
 * <p>Random draws follow DSPy's order on the shared generator: per proposal {@code rng.choice(TIPS)} (when tips are
 * on) then {@code rng.randint(0, 10**9)}, the proposal's rollout id. DSPy also asks for a proposal for demo set 0
 * and then replaces it with the original instruction; here the draws for it are made but the LM is not asked.
 * A proposal whose reply cannot be parsed is skipped and logged.
 */
final class GroundedProposer {

    private static final Logger LOG = LoggerFactory.getLogger(GroundedProposer.class);
    /** DSPy's {@code strip_prefix}: up to five words and a colon at the start, with {@code *} and spaces before. */
    private static final Pattern PREFIX = Pattern.compile("^[*\\s]*(([\\w'\\-]+\\s+){0,4}[\\w'\\-]+):\\s*",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern INPUT_KEYS = Pattern.compile("input_keys=\\{([^}]+)}");
    private static final int NUM_DEMOS_IN_CONTEXT = 3;
    private static final int MAX_SUMMARY_CALLS = 10;

    private final ProposalModel model;
    private final double temperature;
    private final boolean programAware;
    private final boolean fewshotAware;
    private final boolean tipAware;
    private final PythonRandom rng;

    GroundedProposer(ProposalModel model, double temperature, boolean programAware, boolean fewshotAware,
                     boolean tipAware, PythonRandom rng) {
        this.model = model;
        this.temperature = temperature;
        this.programAware = programAware;
        this.fewshotAware = fewshotAware;
        this.tipAware = tipAware;
        this.rng = rng;
    }

    // ------------------------------------------------------------------ dataset summary

    /**
     * DSPy's {@code create_dataset_summary}: observations on the first {@code batchSize} examples
     * ({@code DatasetDescriptor}), more on each further batch ({@code DatasetDescriptorWithPriorObservations}, at
     * most 9 more calls; a reply starting with "COMPLETE" adds nothing, and the fifth such reply ends the loop; an
     * error ends it too), then a summary of them ({@code ObservationSummarizer}), its prefix stripped. All at
     * temperature 1.0 with {@code n=1}.
     *
     * @param model     the proposal model
     * @param trainset  the training set
     * @param batchSize examples per call (DSPy's {@code view_data_batch_size})
     * @return the summary; an error when the first or the summary call fails
     */
    static Mono<String> datasetSummary(ProposalModel model, List<Example> trainset, int batchSize) {
        CallConfig config = CallConfig.empty().withN(1).withTemperature(1.0);
        int first = Math.min(trainset.size(), batchSize);
        return model.ask(InstructionSignatures.DATASET_DESCRIPTOR,
                        Map.of("examples", trainsetRepr(trainset.subList(0, first))), config)
                .map(p -> text(p, "observations"))
                .flatMap(observations -> moreObservations(model, trainset, batchSize, config, batchSize, 0, 0,
                        observations))
                .flatMap(observations -> model.ask(InstructionSignatures.OBSERVATION_SUMMARIZER,
                        Map.of("observations", observations), config))
                .map(p -> stripPrefix(text(p, "summary")));
    }

    private static Mono<String> moreObservations(ProposalModel model, List<Example> trainset, int batchSize,
                                                 CallConfig config, int b, int calls, int skips,
                                                 String observations) {
        if (b >= trainset.size() || calls + 1 >= MAX_SUMMARY_CALLS) {
            return Mono.just(observations);
        }
        int upper = Math.min(trainset.size(), b + batchSize);
        Map<String, Object> inputs = new LinkedHashMap<>();
        inputs.put("examples", trainsetRepr(trainset.subList(b, upper)));
        inputs.put("prior_observations", observations);
        return model.ask(InstructionSignatures.DATASET_DESCRIPTOR_WITH_PRIOR_OBSERVATIONS, inputs, config)
                .map(p -> text(p, "observations"))
                .flatMap(more -> {
                    if (startsWithComplete(more)) {
                        return skips + 1 >= 5 ? Mono.just(observations)
                                : moreObservations(model, trainset, batchSize, config, b + batchSize, calls + 1,
                                        skips + 1, observations);
                    }
                    return moreObservations(model, trainset, batchSize, config, b + batchSize, calls + 1, skips,
                            observations + more);
                })
                .onErrorResume(e -> {
                    LOG.debug("dataset summary: stopped looking at more examples after an error; using the "
                            + "observations so far: {}", e.toString());
                    return Mono.just(observations);
                });
    }

    private static boolean startsWithComplete(String s) {
        if (s.codePointCount(0, s.length()) < 8) {
            return false;
        }
        return s.substring(0, s.offsetByCodePoints(0, 8)).toUpperCase(Locale.ROOT).equals("COMPLETE");
    }

    // ------------------------------------------------------------------ proposals

    /**
     * Proposes instructions for every predictor (DSPy's {@code propose_instructions_for_program}), one after
     * another: for predictor {@code i}, demo sets {@code 0 .. min(n, sets) - 1}; candidate 0 is the predictor's
     * current instruction.
     *
     * @param program        the program
     * @param demoCandidates per predictor path, its demo sets (may be empty: no demos to show)
     * @param n              instruction candidates wanted per predictor
     * @param summary        the dataset summary, or null when not data-aware (or it failed)
     * @return per predictor path, its candidates (original first; skipped proposals left out)
     */
    Mono<Map<String, List<String>>> propose(Program program, Map<String, List<List<Example>>> demoCandidates, int n,
                                            @Nullable String summary) {
        Map<String, Predictor> predictors = program.namedPredictors();
        boolean haveDemos = !demoCandidates.isEmpty();
        int sets = haveDemos ? Math.max(demoCandidates.values().iterator().next().size(), 1) : n;
        int perPredictor = Math.min(n, sets);
        String code = programAware ? describeProgram(program) : null;
        List<Job> jobs = new ArrayList<>();
        for (Map.Entry<String, Predictor> e : predictors.entrySet()) {
            for (int d = 0; d < perPredictor; d++) {
                String tip = null;
                if (tipAware) {
                    String t = rng.choice(InstructionSignatures.TIPS).text();
                    tip = t.isEmpty() ? null : t;
                }
                long rollout = rng.randint(0, 1_000_000_000L);
                jobs.add(new Job(e.getKey(), e.getValue(), d, tip, Long.toString(rollout)));
            }
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        predictors.forEach((path, p) -> out.put(path, new ArrayList<>()));
        return Flux.fromIterable(jobs)
                .concatMap(job -> {
                    if (job.demoSet == 0) {
                        return Mono.just(new Proposal(job.path, Optional.of(job.predictor.signature().instructions())));
                    }
                    List<List<Example>> sets0 = haveDemos ? demoCandidates.get(job.path) : List.of();
                    return proposeOne(job.predictor, sets0, job.demoSet, job.tip, job.rolloutId,
                            haveDemos && fewshotAware, code, summary)
                            .map(text -> new Proposal(job.path, Optional.of(text)))
                            .onErrorResume(e -> isUnparseable(e), e -> {
                                LOG.warn("Skipping an instruction proposal for predictor '{}' (demo set {}): the "
                                        + "proposal LM's reply could not be parsed: {}", job.path, job.demoSet,
                                        e.getMessage());
                                return Mono.just(new Proposal(job.path, Optional.empty()));
                            });
                })
                .doOnNext(p -> p.text.ifPresent(t -> out.get(p.path).add(t)))
                .then(Mono.fromSupplier(() -> out));
    }

    private static boolean isUnparseable(Throwable e) {
        return e instanceof AdapterParseException || e instanceof PredictException;
    }

    private record Job(String path, Predictor predictor, int demoSet, @Nullable String tip, String rolloutId) {
    }

    private record Proposal(String path, Optional<String> text) {
    }

    /**
     * DSPy's {@code GenerateModuleInstruction.forward} for one predictor and demo set, and the prefix stripped
     * twice as DSPy strips it.
     *
     * @param predictor the predictor
     * @param sets      its demo sets
     * @param demoSet   the demo set to start from (0: no demos shown)
     * @param tip       the tip, or null for none
     * @param rolloutId the rollout id of the calls
     * @param useDemos  whether demos are shown
     * @param code      the program's description (when program-aware)
     * @param summary   the dataset summary, or null
     * @return the proposed instruction
     */
    Mono<String> proposeOne(Predictor predictor, List<List<Example>> sets, int demoSet, @Nullable String tip,
                            String rolloutId, boolean useDemos, @Nullable String code, @Nullable String summary) {
        Signature sig = predictor.signature();
        String taskDemos = "";
        if (useDemos) {
            List<List<Example>> adjacent = new ArrayList<>();
            adjacent.add(sets.get(demoSet));
            adjacent.addAll(sets.subList(demoSet + 1, sets.size()));
            adjacent.addAll(sets.subList(0, demoSet));
            List<String> strings = new ArrayList<>();
            outer:
            for (List<Example> set : adjacent) {
                for (Example ex : set) {
                    if (ex.has("augmented")) {
                        strings.add(exampleString(sig, ex));
                        if (strings.size() >= NUM_DEMOS_IN_CONTEXT) {
                            break outer;
                        }
                    }
                }
            }
            taskDemos = String.join("\n\n", strings) + "\n\n";
        }
        if (PyFormat.strip(taskDemos).isEmpty() || demoSet == 0) {
            taskDemos = "No task demos provided.";
        }
        CallConfig config = CallConfig.empty().withTemperature(temperature).withRolloutId(rolloutId);
        String demos = taskDemos;
        Mono<String[]> programParts;
        if (programAware) {
            programParts = describe(code == null ? "" : code, demos, sig, predictor, config);
        } else {
            programParts = Mono.just(new String[] {"Not available", "Not provided", "Not provided"});
        }
        return programParts.flatMap(parts -> {
            Map<String, Object> inputs = new LinkedHashMap<>();
            if (summary != null) {
                inputs.put("dataset_description", summary);
            }
            if (programAware) {
                inputs.put("program_code", code == null ? "" : code);
                inputs.put("program_description", parts[0]);
                inputs.put("module", parts[1]);
                inputs.put("module_description", parts[2]);
            }
            inputs.put("task_demos", demos);
            inputs.put("basic_instruction", sig.instructions());
            if (tip != null) {
                inputs.put("tip", tip);
            }
            Signature generate = InstructionSignatures.generateSingleModuleInstruction(summary != null, programAware,
                    tip != null);
            return model.ask(generate, inputs, config)
                    .map(p -> stripPrefix(stripPrefix(text(p, "proposed_instruction"))));
        });
    }

    /**
     * The program-aware descriptions: {@code [program description, module, module description]}; a failure keeps
     * DSPy's placeholders ("Not available", "Not provided") for what is missing.
     */
    private Mono<String[]> describe(String code, String demos, Signature sig, Predictor predictor,
                                    CallConfig config) {
        String[] parts = {"Not available", "Not provided", "Not provided"};
        Map<String, Object> programInputs = new LinkedHashMap<>();
        programInputs.put("program_code", code);
        programInputs.put("program_example", demos);
        return model.ask(InstructionSignatures.DESCRIBE_PROGRAM, programInputs, config)
                .flatMap(p -> {
                    parts[0] = stripPrefix(text(p, "program_description"));
                    parts[1] = moduleSignature(predictor, sig);
                    Map<String, Object> moduleInputs = new LinkedHashMap<>();
                    moduleInputs.put("program_code", code);
                    moduleInputs.put("program_example", demos);
                    moduleInputs.put("program_description", parts[0]);
                    moduleInputs.put("module", parts[1]);
                    return model.ask(InstructionSignatures.DESCRIBE_MODULE, moduleInputs, config);
                })
                .map(p -> {
                    parts[2] = text(p, "module_description");
                    return parts;
                })
                .onErrorResume(e -> {
                    LOG.warn("Could not describe the program for the instruction proposal ({}); proposing without "
                            + "its description", e.toString());
                    return Mono.just(parts);
                });
    }

    /** DSPy's module line: {@code Predict(question, context) -> reasoning, answer}. */
    static String moduleSignature(Predictor predictor, Signature sig) {
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        for (Field f : sig.fields()) {
            (f.isInput() ? in : out).add(f.name());
        }
        String name = predictor.getClass().getSimpleName().isEmpty() ? "Predict" : predictor.getClass().getSimpleName();
        return name + "(" + String.join(", ", in) + ") -> " + String.join(", ", out);
    }

    // ------------------------------------------------------------------ text helpers (DSPy's propose/utils.py)

    private static String text(Prediction p, String field) {
        Object v = p.get(field);
        return v == null ? "" : PyFormat.str(PyFormat.jsonable(v));
    }

    /**
     * DSPy's {@code strip_prefix}: removes a leading label of up to five words and a colon ("Proposed Instruction:"),
     * then double quotes at either end.
     *
     * @param text the LM's text
     * @return it without the label
     */
    static String stripPrefix(String text) {
        Matcher m = PREFIX.matcher(text);
        String s = m.find() ? text.substring(m.end()) : text;
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == '"') {
            start++;
        }
        while (end > start && s.charAt(end - 1) == '"') {
            end--;
        }
        return s.substring(start, end);
    }

    /**
     * DSPy's {@code create_example_string}: one line per signature field, its prefix and the example's value
     * ({@code None} when absent), as Python's {@code str} renders it.
     *
     * @param sig     the predictor's signature
     * @param example a demo
     * @return the lines
     */
    static String exampleString(Signature sig, Example example) {
        List<String> lines = new ArrayList<>();
        for (Field f : sig.fields()) {
            lines.add(f.prefix() + " " + PyFormat.str(PyFormat.jsonable(example.get(f.name()))));
        }
        return String.join("\n", lines);
    }

    /**
     * Python's {@code repr} of a list of DSPy examples, input keys sorted as DSPy's
     * {@code order_input_keys_in_string} sorts them: what the dataset descriptor is shown.
     *
     * @param examples the examples
     * @return {@code [Example({'question': ..., 'answer': ...}) (input_keys={'question'}), ...]}
     */
    static String trainsetRepr(List<Example> examples) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            Map<String, @Nullable Object> shown = new LinkedHashMap<>();
            e.toMap().forEach((k, v) -> {
                if (!k.startsWith("dspy_")) {
                    shown.put(k, v);
                }
            });
            List<Object> keys = new ArrayList<>(e.inputKeys());
            String keySet = keys.isEmpty() ? "set()" : PyFormat.str(keys);
            if (!keys.isEmpty()) {
                keySet = "{" + keySet.substring(1, keySet.length() - 1) + "}";
            }
            sb.append(i > 0 ? ", " : "").append("Example(").append(PyFormat.str(PyFormat.jsonable(shown)))
                    .append(") (input_keys=").append(keySet).append(')');
        }
        String repr = sb.append(']').toString();
        Matcher m = INPUT_KEYS.matcher(repr);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            List<String> parts = new ArrayList<>();
            for (String k : m.group(1).split(",", -1)) {
                parts.add(PyFormat.strip(k));
            }
            parts.sort(String::compareTo);
            m.appendReplacement(out, Matcher.quoteReplacement("input_keys={" + String.join(", ", parts) + "}"));
        }
        m.appendTail(out);
        return out.toString();
    }

    // ------------------------------------------------------------------ the program, described

    /**
     * Pseudo-code for a program, written from its structure and signatures: DSPy's program-aware proposer shows the
     * program's Python source, and a Java program has none to show. One DSPy-style signature class per predictor
     * (its instructions, typed input and output fields with their descriptions), then the module with its
     * predictors by path. The order in which the program calls them is not shown: that is in Java code.
     *
     * @param program the program
     * @return the pseudo-code
     */
    static String describeProgram(Program program) {
        StringBuilder sb = new StringBuilder();
        String programName = program.getClass().getSimpleName().isEmpty() ? "Program"
                : program.getClass().getSimpleName();
        sb.append("# A Java program, described from its structure and signatures (its source code is not "
                + "available).\n\n");
        Map<String, String> classes = new LinkedHashMap<>();
        for (Map.Entry<String, Predictor> e : program.namedPredictors().entrySet()) {
            String name = Predictor.SELF.equals(e.getKey()) ? programName + "Signature" : camel(e.getKey());
            classes.put(e.getKey(), name);
            Signature sig = e.getValue().signature();
            sb.append("class ").append(name).append("(dspy.Signature):\n");
            sb.append("    \"\"\"").append(sig.instructions().replace("\"\"\"", "\\\"\\\"\\\"")).append("\"\"\"\n\n");
            for (Field f : sig.fields()) {
                sb.append("    ").append(f.name()).append(": ").append(f.type().dspyName()).append(" = dspy.")
                        .append(f.isInput() ? "InputField(" : "OutputField(");
                if (!f.description().isEmpty()) {
                    sb.append("desc=");
                    PyFormat.appendStringRepr(f.description(), sb);
                }
                sb.append(")\n");
            }
            sb.append("\n\n");
        }
        sb.append("class ").append(programName).append("(dspy.Module):\n");
        sb.append("    def __init__(self):\n");
        sb.append("        super().__init__()\n");
        if (classes.isEmpty()) {
            sb.append("        pass  # no predictors\n");
        }
        classes.forEach((path, name) -> {
            Predictor p = program.namedPredictors().get(path);
            sb.append("        self.").append(Predictor.SELF.equals(path) ? "predict" : path).append(" = dspy.")
                    .append(p.getClass().getSimpleName().isEmpty() ? "Predict" : p.getClass().getSimpleName())
                    .append('(').append(name).append(")\n");
        });
        return sb.toString();
    }

    private static String camel(String path) {
        StringBuilder sb = new StringBuilder();
        for (String part : path.split("[._]")) {
            if (!part.isEmpty()) {
                sb.appendCodePoint(Character.toUpperCase(part.codePointAt(0)))
                        .append(part.substring(part.offsetByCodePoints(0, 1)));
            }
        }
        return sb.toString();
    }
}
