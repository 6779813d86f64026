package io.dspex.predict;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.Program;
import io.dspex.adapter.Adapter;
import io.dspex.adapter.ChatAdapter;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmException;
import io.dspex.lm.Usage;
import io.dspex.signature.Field;
import io.dspex.signature.FieldType;
import io.dspex.signature.Signature;
import io.dspex.tool.Tool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * Reasoning and acting (DSPy's {@code dspy.ReAct}): an agent that, turn by turn, thinks, picks one of its tools and
 * its arguments, and sees the tool's result, until it calls {@code finish} or runs out of turns; then a
 * {@link ChainOfThought} over the original signature extracts the outputs from that trajectory. Its prompts are DSPy
 * 3.3's, byte for byte: the same instructions (each tool listed with its description and arguments), the same
 * trajectory rendering, the same {@code finish} tool.
 *
 * <pre>{@code
 * record Sum(int a, int b) { }
 * Tool add = Tool.of("add", "Add two integers.", Sum.class, s -> Mono.just(s.a() + s.b()));
 * ReAct agent = ReAct.of("question -> answer", List.of(add)).withLm(lm);
 * Prediction p = agent.forward(Map.of("question", "What is 1+2?")).block();
 * p.get("answer");       // "3"
 * p.get("trajectory");   // {thought_0=..., tool_name_0=add, tool_args_0={a=1, b=2}, observation_0=3, ...}
 * }</pre>
 *
 * <p><b>Predictors</b>: {@code react} (a {@link Predict} choosing the next step) and {@code extract.predict} (the
 * extraction's), as DSPy names them, so a ReAct program saved by DSPy loads and sends DSPy's prompts, and optimizers
 * tune both. Every LM call goes through them, so their {@link RetryPolicy} (and the settings in the Context) apply.
 *
 * <p><b>The trajectory</b> is a map in DSPy's key order ({@code thought_0}, {@code tool_name_0}, {@code tool_args_0},
 * {@code observation_0}, {@code thought_1}, ...), returned under {@code trajectory} next to the signature's outputs
 * (and the extraction's {@code reasoning}); the prediction's usage is that of every LM call. A tool that fails, times
 * out or gets invalid arguments yields the observation {@code Execution error in NAME: MESSAGE} and the loop goes on;
 * a tool that returns no value yields {@code None}, as DSPy renders Python's {@code None}. An LM that never calls
 * {@code finish} stops after {@link #withMaxIters max_iters} turns (20 by default; an input named {@code max_iters}
 * overrides it per call, as in DSPy), and the outputs are extracted from what it did. When the LM reports that the
 * prompt exceeds its context window ({@link LmException.ContextWindowExceeded}), the oldest step is dropped from the
 * trajectory and the call retried, up to three times; if the trajectory cannot be shortened further the loop ends and
 * the outputs are extracted, as DSPy does. A reply the adapter cannot parse (a tool name that is none of the tools,
 * arguments that are not a JSON object) fails the call with the adapter's {@code AdapterParseException}, after the
 * adapter's fallback, as in DSPy. Cancelling the forward cancels the LM call or tool call in flight.
 *
 * <p>The trajectory is rendered with the adapter in the settings (the Context's, else the global one, else a
 * {@link ChatAdapter}), as DSPy renders it with {@code dspy.settings.adapter}. Immutable and thread-safe; every
 * {@code with...} returns a changed copy. The rendering has one deliberate difference from DSPy: an error observation
 * carries the exception's message, not a Python traceback.
 */
public final class ReAct extends Module {

    private static final Logger LOG = LoggerFactory.getLogger(ReAct.class);
    private static final int DEFAULT_MAX_ITERS = 20;
    private static final String FINISH = "finish";

    private final Signature signature;
    private final Map<String, Tool> tools;
    private final int maxIters;

    private ReAct(@Nullable ReAct template, Signature signature, Map<String, Tool> tools, int maxIters,
                  Predict react, ChainOfThought extract) {
        super(template);
        this.signature = signature;
        this.tools = tools;
        this.maxIters = maxIters;
        register("react", react);
        register("extract", extract);
    }

    /**
     * @param signature DSPy's string syntax, e.g. {@code "question -> answer"}
     * @param tools     the tools the agent may call (not {@code finish}, which it always has)
     * @return the agent
     * @throws io.dspex.signature.SignatureException when the spec is malformed
     * @throws IllegalArgumentException as {@link #of(Signature, List)}
     */
    public static ReAct of(String signature, List<Tool> tools) {
        return of(Signature.parse(signature), tools);
    }

    /**
     * @param signature the task: its inputs, outputs and instructions
     * @param tools     the tools the agent may call (not {@code finish}, which it always has)
     * @return the agent, with DSPy's default of 20 turns
     * @throws IllegalArgumentException when the signature or the list is null, a tool is null, two tools share a
     *                                  name, a tool is named {@code finish}, or the signature has a field that ReAct
     *                                  adds ({@code trajectory}, {@code next_thought}, {@code next_tool_name},
     *                                  {@code next_tool_args}, {@code reasoning})
     */
    public static ReAct of(Signature signature, List<Tool> tools) {
        if (signature == null) {
            throw new IllegalArgumentException("signature must not be null");
        }
        if (tools == null) {
            throw new IllegalArgumentException("tools must not be null (List.of() for none)");
        }
        for (String reserved : List.of("trajectory", "next_thought", "next_tool_name", "next_tool_args",
                "reasoning")) {
            if (signature.field(reserved).isPresent()) {
                throw new IllegalArgumentException("the signature of a ReAct cannot have a field named '" + reserved
                        + "': ReAct adds it (" + signature.spec() + ")");
            }
        }
        Map<String, Tool> byName = new LinkedHashMap<>();
        for (int i = 0; i < tools.size(); i++) {
            Tool t = tools.get(i);
            if (t == null) {
                throw new IllegalArgumentException("tool " + i + " is null");
            }
            if (t.name().equals(FINISH)) {
                throw new IllegalArgumentException("a tool cannot be named 'finish': ReAct's own finish tool marks "
                        + "the task as complete");
            }
            if (byName.put(t.name(), t) != null) {
                throw new IllegalArgumentException("two tools are named '" + t.name() + "': tool names must differ");
            }
        }
        String outputs = names(signature.outputFields());
        byName.put(FINISH, Tool.of(FINISH, "Marks the task as complete. That is, signals that all information for "
                + "producing the outputs, i.e. " + outputs + ", are now available to be extracted.", Map.of(),
                args -> Mono.just("Completed.")));
        Map<String, Tool> all = Collections.unmodifiableMap(byName);
        return new ReAct(null, signature, all, DEFAULT_MAX_ITERS, Predict.of(reactSignature(signature, all)),
                ChainOfThought.of(extractSignature(signature)));
    }

    private static String names(List<Field> fields) {
        StringBuilder sb = new StringBuilder();
        for (Field f : fields) {
            sb.append(sb.length() == 0 ? "" : ", ").append('`').append(f.name()).append('`');
        }
        return sb.toString();
    }

    /** DSPy's react signature: the inputs, {@code trajectory}, and the next thought, tool name and tool args. */
    static Signature reactSignature(Signature signature, Map<String, Tool> tools) {
        List<String> instr = new ArrayList<>();
        if (!signature.instructions().isEmpty()) {
            instr.add(signature.instructions() + "\n");
        }
        instr.add("You are an Agent. In each episode, you will be given the fields " + names(signature.inputFields())
                + " as input. And you can see your past trajectory so far.");
        instr.add("Your goal is to use one or more of the supplied tools to collect any necessary information for "
                + "producing " + names(signature.outputFields()) + ".\n");
        instr.add("To do this, you will interleave next_thought, next_tool_name, and next_tool_args in each turn, and "
                + "also when finishing the task.");
        instr.add("After each tool call, you receive a resulting observation, which gets appended to your "
                + "trajectory.\n");
        instr.add("When writing next_thought, you may reason about the current situation and plan for future steps.");
        instr.add("When selecting the next_tool_name and its next_tool_args, the tool must be one of:\n");
        int idx = 1;
        for (Tool t : tools.values()) {
            instr.add("(" + idx++ + ") " + t.format());
        }
        instr.add("When providing `next_tool_args`, the value inside the field must be in JSON format");
        StringBuilder literal = new StringBuilder("Literal[");
        for (String name : tools.keySet()) {
            literal.append(literal.length() == 8 ? "" : ", ").append('\'').append(name).append('\'');
        }
        Signature.Builder b = Signature.builder().instructions(String.join("\n", instr));
        signature.inputFields().forEach(b::field);
        return b.field(Field.input("trajectory", FieldType.STR))
                .field(Field.output("next_thought", FieldType.STR))
                .field(Field.output("next_tool_name", FieldType.parse(literal.append(']').toString())))
                .field(Field.output("next_tool_args", FieldType.parse("dict[str, Any]")))
                .build();
    }

    /** DSPy's fallback signature: the inputs, the outputs, the original instructions, and {@code trajectory}. */
    static Signature extractSignature(Signature signature) {
        Signature.Builder b = Signature.builder().instructions(signature.instructions());
        signature.inputFields().forEach(b::field);
        b.field(Field.input("trajectory", FieldType.STR));
        signature.outputFields().forEach(b::field);
        return b.build();
    }

    // ---------------------------------------------------------------- accessors and withers

    /** @return the task's signature (as given, without what ReAct adds) */
    public Signature signature() {
        return signature;
    }

    /** @return the tools by name, in the order listed to the model, ending with {@code finish} (unmodifiable) */
    public Map<String, Tool> tools() {
        return tools;
    }

    /** @return the most turns before the outputs are extracted */
    public int maxIters() {
        return maxIters;
    }

    /** @return the predictor that chooses each next step ({@code react}) */
    public Predict react() {
        return (Predict) child("react");
    }

    /** @return the extraction ({@code extract}, whose predictor is {@code extract.predict}) */
    public ChainOfThought extract() {
        return (ChainOfThought) child("extract");
    }

    private ReAct with(int iters, Predict react, ChainOfThought extract) {
        return new ReAct(this, signature, tools, iters, react, extract);
    }

    /**
     * @param maxIters the most turns (DSPy's {@code max_iters}; 20 by default); then the outputs are extracted from
     *                 the trajectory so far
     * @return a copy with it
     * @throws IllegalArgumentException when below 1
     */
    public ReAct withMaxIters(int maxIters) {
        if (maxIters < 1) {
            throw new IllegalArgumentException("maxIters must be >= 1, got " + maxIters);
        }
        return with(maxIters, react(), extract());
    }

    /**
     * @param lm the LM both predictors call (null: the settings')
     * @return a copy using it
     */
    public ReAct withLm(@Nullable LanguageModel lm) {
        return with(maxIters, react().withLm(lm), extract().withLm(lm));
    }

    /**
     * @param retry the retry policy of both predictors (null: the settings', else the defaults)
     * @return a copy using it
     */
    public ReAct withRetry(@Nullable RetryPolicy retry) {
        return with(maxIters, react().withRetry(retry), extract().withRetry(retry));
    }

    /**
     * @param config the call configuration of both predictors (null: none)
     * @return a copy using it
     */
    public ReAct withConfig(@Nullable CallConfig config) {
        return with(maxIters, react().withConfig(config), extract().withConfig(config));
    }

    @Override
    public ReAct copy() {
        return (ReAct) super.copy();
    }

    @Override
    public ReAct reset() {
        return (ReAct) super.reset();
    }

    /** @return the loaded copy, typed as a {@code ReAct}; DSPy's saved ReAct programs load too */
    @Override
    public ReAct load(Path path) {
        return (ReAct) super.load(path);
    }

    // ---------------------------------------------------------------- the loop

    /** One forward's mutable state; used by one subscription, one step at a time. */
    private static final class Run {
        final Map<String, @Nullable Object> inputs;
        final Adapter adapter;
        final LinkedHashMap<String, @Nullable Object> trajectory = new LinkedHashMap<>();
        Usage usage = Usage.ZERO;

        Run(Map<String, @Nullable Object> inputs, Adapter adapter) {
            this.inputs = inputs;
            this.adapter = adapter;
        }
    }

    @Override
    protected Mono<Prediction> run(Example example) {
        return Mono.deferContextual(ctx -> {
            Map<String, @Nullable Object> inputs = new LinkedHashMap<>(example.inputKeys().isEmpty()
                    ? example.toMap() : example.inputs().toMap());
            int iters = maxIters;
            if (inputs.containsKey("max_iters")) {
                Object m = inputs.remove("max_iters");
                if (!(m instanceof Number n) || n.intValue() < 0) {
                    return Mono.error(new IllegalArgumentException("input max_iters must be a non-negative number, "
                            + "got " + m));
                }
                iters = n.intValue();
            }
            Run run = new Run(inputs, adapter(ctx));
            Mono<Void> loop = Flux.range(0, iters)
                    .concatMap(i -> step(run, i), 0)
                    .takeUntil(finished -> finished)
                    .then();
            return loop.then(Mono.defer(() -> callTruncating(extract(), run, 0, null)))
                    .map(extracted -> {
                        Map<String, @Nullable Object> out = new LinkedHashMap<>();
                        out.put("trajectory", Collections.unmodifiableMap(new LinkedHashMap<>(run.trajectory)));
                        out.putAll(extracted.toMap());
                        return Prediction.of(out).withUsage(run.usage.plus(extracted.usage()));
                    });
        });
    }

    private static Adapter adapter(ContextView ctx) {
        Adapter a = Settings.fromContext(ctx).adapter();
        if (a == null) {
            a = Settings.global().adapter();
        }
        return a == null ? new ChatAdapter() : a;
    }

    /** One turn: the next step from the LM, then the tool's observation. Emits whether the loop ends here. */
    private Mono<Boolean> step(Run run, int idx) {
        return callTruncating(react(), run, 0, null)
                .flatMap(pred -> {
                    run.usage = run.usage.plus(pred.usage());
                    Object name = pred.get("next_tool_name");
                    Object args = pred.get("next_tool_args");
                    run.trajectory.put("thought_" + idx, pred.get("next_thought"));
                    run.trajectory.put("tool_name_" + idx, name);
                    run.trajectory.put("tool_args_" + idx, args);
                    String toolName = String.valueOf(name);
                    return observe(toolName, args).map(observation -> {
                        run.trajectory.put("observation_" + idx, observation.orElse(null));
                        return FINISH.equals(toolName);
                    });
                })
                .onErrorResume(LmException.ContextWindowExceeded.class, e -> {
                    LOG.warn("Ending the trajectory: {}", e.getMessage());
                    return Mono.just(Boolean.TRUE);
                });
    }

    /** The tool's result, {@code None} (empty) when it gave none, or DSPy's error observation. */
    private Mono<Optional<Object>> observe(String name, @Nullable Object args) {
        Tool tool = tools.get(name);
        Mono<Object> call;
        if (tool == null) {
            call = Mono.error(new IllegalArgumentException("'" + name + "' is not one of the tools "
                    + String.join(", ", tools.keySet())));
        } else if (!(args instanceof Map<?, ?> m)) {
            call = Mono.error(new IllegalArgumentException("the tool arguments must be a JSON object, got "
                    + (args == null ? "None" : args)));
        } else {
            @SuppressWarnings("unchecked")
            Map<String, ?> a = (Map<String, ?>) m;
            call = Mono.defer(() -> tool.call(a));
        }
        return call.map(Optional::of)
                .defaultIfEmpty(Optional.empty())
                .onErrorResume(e -> Mono.just(Optional.of("Execution error in " + name + ": " + message(e))));
    }

    private static String message(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * DSPy's {@code _call_with_potential_trajectory_truncation}: the call with the trajectory so far; on a context
     * window error the oldest step is dropped and the call made again, up to three attempts in all.
     */
    private Mono<Prediction> callTruncating(Program module, Run run, int attempt, @Nullable Throwable last) {
        if (attempt == 3) {
            LmException.ContextWindowExceeded e = new LmException.ContextWindowExceeded(
                    "The context window was exceeded even after 3 attempts to truncate the trajectory.");
            if (last != null) {
                e.addSuppressed(last);
            }
            return Mono.error(e);
        }
        return Mono.defer(() -> {
            Map<String, @Nullable Object> in = new LinkedHashMap<>(run.inputs);
            in.put("trajectory", formatTrajectory(run));
            return module.forward(Example.of(in));
        }).onErrorResume(LmException.ContextWindowExceeded.class, e -> {
            LOG.warn("Trajectory exceeded the context window, truncating the oldest tool call information.");
            truncate(run.trajectory);
            return callTruncating(module, run, attempt + 1, e);
        });
    }

    /** DSPy's {@code _format_trajectory}: the trajectory as input blocks, through the settings' adapter. */
    private static String formatTrajectory(Run run) {
        Signature.Builder b = Signature.builder();
        for (String key : run.trajectory.keySet()) {
            b.field(Field.input(key, FieldType.STR));
        }
        return run.adapter.formatUserContent(b.output("x", "str").build(), run.trajectory);
    }

    /**
     * DSPy's {@code truncate_trajectory}: drops the oldest step (its thought, tool name, tool args and observation).
     *
     * @throws LmException.ContextWindowExceeded when the trajectory holds one step or none
     */
    static void truncate(Map<String, @Nullable Object> trajectory) {
        if (trajectory.size() <= 4) {
            throw new LmException.ContextWindowExceeded("The trajectory is too long so your prompt exceeded the "
                    + "context window, but the trajectory cannot be truncated because it only has one tool call.");
        }
        Iterator<String> it = trajectory.keySet().iterator();
        for (int i = 0; i < 4; i++) {
            it.next();
            it.remove();
        }
    }

    @Override
    public String toString() {
        return "ReAct(" + signature.spec() + ", tools=" + tools.keySet() + ", maxIters=" + maxIters + ")";
    }
}
