package io.dspex.optimize;

import io.dspex.Example;
import io.dspex.Predictor;
import io.dspex.Program;
import io.dspex.Trace;
import io.dspex.adapter.Adapter;
import io.dspex.adapter.AdapterParseException;
import io.dspex.adapter.ChatAdapter;
import io.dspex.internal.PyFormat;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmHistory;
import io.dspex.lm.LmRequest;
import io.dspex.lm.Message;
import io.dspex.predict.RetryPolicy;
import io.dspex.predict.Settings;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * SIMBA's two ways of changing a candidate (DSPy's {@code simba_utils}): {@code append_a_demo} appends the best
 * run's calls as one demo per predictor; {@code append_a_rule} asks the prompt model, with DSPy's
 * {@code OfferFeedback} signature, to contrast the best and the worst run of an example and appends its advice
 * for each predictor to that predictor's instructions.
 */
final class SimbaStrategies {

    /** DSPy's {@code demo_input_field_maxlen} default: longer input values are cut in new demos. */
    static final int DEMO_INPUT_FIELD_MAXLEN = 100_000;

    /** DSPy's {@code OfferFeedback}: its instructions, fields, types and descriptions. */
    static final Signature OFFER_FEEDBACK = Signature.builder()
            .instructions("You will be given two trajectories of an LLM-driven program's execution. Your goal is to "
                    + "help the program's modules\nbuild up experience on how to maximize the reward value assigned to "
                    + "the program's outputs if it were to receive\nsimilar inputs in the future.\n\nThe module won't "
                    + "see its own history. It will rely on your advice balancing being concrete and being "
                    + "generalizable.\n\nIn your advice:\n- Avoid boilerplate. Offer advice that would change the "
                    + "module's behavior for the better in the future.\n- Ensure that advice offered to a module M is "
                    + "specific to that M's specific sub-task, not the overall program.\n- Rely on contrasting the "
                    + "behavior of the worse trajectory against the better trajectory in making recommendations.\n- "
                    + "Ensure each unique module name appears exactly once as a key in the advice dictionary.")
            .input("program_code", "str", "The code of the program that we are analyzing")
            .input("modules_defn", "str", "The definition of each module in the program, including its I/O")
            .input("program_inputs", "str", "The inputs to the program that we are analyzing")
            .input("oracle_metadata", "str", "Any (hidden) metadata about the training set instance we're analyzing")
            .input("worse_program_trajectory", "str",
                    "The trajectory of the program's execution, showing each module's I/O")
            .input("worse_program_outputs", "str", "The outputs of the program that we are analyzing")
            .input("worse_reward_value", "float", "The reward value assigned to the program's outputs")
            .input("worse_reward_info", "str",
                    "Additional information that might be helpful to understanding the assigned reward value.")
            .input("better_program_trajectory", "str",
                    "The trajectory of the program's execution, showing each module's I/O")
            .input("better_program_outputs", "str", "The outputs of the program that we are analyzing")
            .input("better_reward_value", "float", "The reward value assigned to the program's outputs")
            .input("better_reward_info", "str",
                    "Additional information that might be helpful to understanding the assigned reward value.")
            .input("module_names", "list[str]", "The names of the modules in the program, for which we seek advice")
            .output("discussion", "str", "Discussing blame of where each module went wrong, if it did")
            .output("module_advice", "dict[str, str]", "For each module, describe very concretely: If the module "
                    + "receives ${description of input or patterns therein}, then it should ${description of content, "
                    + "behavior, or strategies to adopt and/or others to avoid}. Basically, your advice be such that if "
                    + "the module has access to your tip, it would be much more likely to act like the successful "
                    + "trajectory rather than the lower-scoring trajectory.")
            .build();

    private SimbaStrategies() {
    }

    /** A run as a strategy sees it: what happened, and the score as DSPy's bucket holds it. */
    static final class Outcome {
        final Example example;
        final @Nullable Map<String, @Nullable Object> prediction;
        final List<Trace.Entry> trace;
        final double score;
        final Map<String, @Nullable Object> rewardInfo;

        Outcome(Rollouts.Rollout r, Map<String, @Nullable Object> rewardInfo) {
            this.example = r.example();
            this.prediction = r.prediction() == null ? null : r.prediction().toMap();
            this.trace = r.trace();
            this.score = r.score();
            this.rewardInfo = rewardInfo;
        }
    }

    /**
     * DSPy's {@code append_a_demo}: unless the best run scores at or below the batch's 10th percentile, each named
     * predictor that ran in it gets its last call as a demo ({@code augmented=True}, inputs cut at
     * {@link #DEMO_INPUT_FIELD_MAXLEN} characters, then outputs).
     */
    static Map<String, Predictor> appendADemo(List<Outcome> bucket, Map<String, Predictor> system,
                                             Map<Object, String> names, double p10) {
        Outcome good = bucket.get(0);
        if (good.score <= p10) {
            return system;
        }
        Map<String, Example> demos = new LinkedHashMap<>();
        for (Trace.Entry e : good.trace) {
            Map<String, @Nullable Object> demo = new LinkedHashMap<>();
            demo.put("augmented", true);
            e.inputs().forEach((k, v) -> {
                String s = v instanceof String str ? str : PyFormat.str(PyFormat.jsonable(v));
                if (s.codePointCount(0, s.length()) > DEMO_INPUT_FIELD_MAXLEN) {
                    demo.put(k, s.substring(0, s.offsetByCodePoints(0, DEMO_INPUT_FIELD_MAXLEN))
                            + "\n\t\t... <TRUNCATED FOR BREVITY>");
                } else {
                    demo.put(k, v);
                }
            });
            demo.putAll(e.prediction().toMap());
            String name = names.get(e.predictor());
            if (name == null) {
                continue;
            }
            demos.put(name, Example.of(demo));
        }
        Map<String, Predictor> out = new LinkedHashMap<>(system);
        demos.forEach((name, demo) -> {
            Predictor p = out.get(name);
            if (p != null) {
                List<Example> ds = new ArrayList<>(p.demos());
                ds.add(demo);
                out.put(name, p.withDemos(ds));
            }
        });
        return out;
    }

    /**
     * DSPy's {@code append_a_rule}: unless the best run scores at or below the 10th percentile or the worst at or
     * above the 90th, asks the prompt model for advice per predictor and appends it to their instructions.
     *
     * @return the changed predictors, or {@code system} when skipped; an error when the call or its parsing failed
     */
    static Mono<Map<String, Predictor>> appendARule(List<Outcome> bucket, Program program,
                                                   Map<String, Predictor> system, Map<Object, String> names,
                                                   double p10, double p90, @Nullable LanguageModel promptModel) {
        return Mono.defer(() -> {
            Outcome good = bucket.get(0);
            Outcome bad = bucket.get(bucket.size() - 1);
            if (good.score <= p10 || bad.score >= p90) {
                return Mono.just(system);
            }
            Object goodScore = good.score;
            Object badScore = bad.score;
            List<Trace.Entry> goodTrace = good.trace;
            List<Trace.Entry> badTrace = bad.trace;
            Map<String, @Nullable Object> goodPrediction = good.prediction;
            Map<String, @Nullable Object> badPrediction = bad.prediction;
            if (good.score <= bad.score) {
                Map<String, @Nullable Object> none = new LinkedHashMap<>();
                none.put("N/A", "Prediction not available");
                if (good.score > p90) {
                    badTrace = List.of();
                    badScore = "N/A";
                    badPrediction = none;
                } else {
                    goodTrace = List.of();
                    goodScore = "N/A";
                    goodPrediction = none;
                }
            }
            if (goodPrediction == null) {
                return Mono.error(new IllegalStateException("the better trajectory has no prediction (its program "
                        + "failed)"));
            }
            Map<String, Object> kwargs = new LinkedHashMap<>();
            kwargs.put("program_code", programCode(program));
            kwargs.put("modules_defn", inspectModules(system));
            kwargs.put("program_inputs", good.example.inputs().toMap());
            kwargs.put("oracle_metadata", good.example.labels().toMap());
            kwargs.put("better_program_trajectory", trajectory(goodTrace, names));
            kwargs.put("better_program_outputs", goodPrediction);
            kwargs.put("worse_program_trajectory", trajectory(badTrace, names));
            kwargs.put("worse_program_outputs", badPrediction == null ? Map.of() : badPrediction);
            kwargs.put("worse_reward_value", badScore);
            kwargs.put("better_reward_value", goodScore);
            kwargs.put("worse_reward_info", bad.rewardInfo);
            kwargs.put("better_reward_info", good.rewardInfo);
            kwargs.put("module_names", new ArrayList<>(system.keySet()));
            Map<String, String> inputs = new LinkedHashMap<>();
            kwargs.forEach((k, v) -> inputs.put(k, v instanceof String s ? s
                    : PyFormat.dumpsIndent2(PyFormat.jsonable(v), false)));
            return offerFeedback(inputs, promptModel).map(outputs -> {
                Object advice = outputs.get("module_advice");
                if (!(advice instanceof Map<?, ?> byName)) {
                    throw new IllegalStateException("the prompt model's module_advice is not a dictionary: " + advice);
                }
                Map<String, Predictor> out = new LinkedHashMap<>(system);
                system.forEach((name, p) -> {
                    if (byName.containsKey(name)) {
                        String instructions = p.signature().instructions() + "\n\n" + byName.get(name);
                        out.put(name, p.withSignature(p.signature().withInstructions(instructions)));
                    }
                });
                return out;
            });
        });
    }

    private static List<Map<String, Object>> trajectory(List<Trace.Entry> trace, Map<Object, String> names) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Trace.Entry e : trace) {
            String name = names.get(e.predictor());
            if (name == null) {
                continue;
            }
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("module_name", name);
            step.put("inputs", e.inputs());
            step.put("outputs", e.prediction().toMap());
            out.add(step);
        }
        return out;
    }

    /**
     * What stands in for DSPy's {@code inspect.getsource(program.__class__)}: Java has no source at run time, so
     * the program's class and its predictors by path.
     */
    static String programCode(Program program) {
        StringBuilder sb = new StringBuilder("// ").append(program.getClass().getName())
                .append(": a DSPEx program (Java; its source is not available at run time).\n")
                .append("// Its predictors, by path:");
        program.namedPredictors().forEach((name, p) -> sb.append("\n//   ").append(name).append(": ")
                .append(p.getClass().getSimpleName()).append('(').append(p.signature().spec()).append(')'));
        return sb.toString();
    }

    /** DSPy's {@code inspect_modules}: each predictor's fields and instructions between separator lines. */
    static String inspectModules(Map<String, Predictor> predictors) {
        String separator = "-".repeat(80);
        List<String> out = new ArrayList<>();
        out.add(separator);
        predictors.forEach((name, p) -> {
            Signature sig = p.signature();
            String instructions = indented(PyFormat.dedent(sig.instructions()));
            out.add("Module " + name);
            out.add("\n\tInput Fields:");
            out.add(indented(describe(sig.inputFields())));
            out.add("\tOutput Fields:");
            out.add(indented(describe(sig.outputFields())));
            out.add("\tOriginal Instructions: " + instructions);
            out.add(separator);
        });
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < out.size(); i++) {
            if (i > 0) {
                sb.append('\n');
            }
            sb.append(stripNewlines(out.get(i)));
        }
        return sb.toString();
    }

    /** {@code ("\n" + "\t" * 2).join([""] + text.splitlines())}. */
    private static String indented(String text) {
        StringBuilder sb = new StringBuilder();
        for (String line : PyFormat.splitlines(text)) {
            sb.append("\n\t\t").append(line);
        }
        return sb.toString();
    }

    /** DSPy's {@code get_field_description_string}. */
    private static String describe(List<Field> fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            Field f = fields.get(i);
            if (i > 0) {
                sb.append('\n');
            }
            sb.append(i + 1).append(". `").append(f.name()).append("` (").append(f.type().dspyName()).append("): ")
                    .append(f.description());
            if (!f.constraints().isEmpty()) {
                sb.append("\nConstraints: ").append(f.constraintsText());
            }
        }
        return PyFormat.strip(sb.toString());
    }

    private static String stripNewlines(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == '\n') {
            start++;
        }
        while (end > start && s.charAt(end - 1) == '\n') {
            end--;
        }
        return s.substring(start, end);
    }

    /**
     * Calls the prompt model with {@link #OFFER_FEEDBACK} and every input as text, as DSPy does: its float and
     * {@code list[str]} fields receive JSON text (and {@code "N/A"}), which {@code Predict}'s typed input checks
     * would reject, so the call goes through the adapter and the LM directly, with {@code Predict}'s settings
     * layers, retry policy, adapter fallback and {@link LmHistory} record.
     */
    static Mono<Map<String, @Nullable Object>> offerFeedback(Map<String, String> inputs,
                                                            @Nullable LanguageModel promptModel) {
        return Mono.deferContextual(ctx -> {
            Settings local = Settings.fromContext(ctx);
            Settings global = Settings.global();
            LanguageModel lm = promptModel != null ? promptModel : local.lm() != null ? local.lm() : global.lm();
            if (lm == null) {
                return Mono.error(new IllegalStateException("SIMBA's append_a_rule needs a prompt model: set "
                        + "promptModel(..) or configure an LM in the Settings"));
            }
            Adapter adapter = local.adapter() != null ? local.adapter() : global.adapter() != null
                    ? global.adapter() : new ChatAdapter();
            RetryPolicy retry = local.retry() != null ? local.retry() : global.retry() != null ? global.retry()
                    : RetryPolicy.defaults();
            CallConfig config = global.config().overriddenBy(local.config());
            return attempt(lm, adapter, retry, config, inputs, true);
        });
    }

    private static Mono<Map<String, @Nullable Object>> attempt(LanguageModel lm, Adapter adapter, RetryPolicy retry,
                                                              CallConfig config, Map<String, String> inputs,
                                                              boolean mayFallBack) {
        return Mono.defer(() -> {
            List<Message> messages = adapter.format(OFFER_FEEDBACK, List.of(), inputs);
            LmRequest request = LmRequest.of(messages, config);
            Map<String, Object> rf = adapter.responseFormat(OFFER_FEEDBACK).orElse(null);
            LmRequest req = rf == null ? request : request.withResponseFormat(rf);
            return retry.apply(Mono.defer(() -> lm.call(req))).map(resp -> {
                LmHistory.global().record(req, resp);
                List<String> texts = resp.texts();
                return adapter.parse(OFFER_FEEDBACK, texts.isEmpty() ? "" : texts.get(0));
            });
        }).onErrorResume(AdapterParseException.class, e -> {
            Adapter fallback = mayFallBack ? adapter.fallback().orElse(null) : null;
            return fallback == null ? Mono.error(e) : attempt(lm, fallback, retry, config, inputs, false);
        });
    }
}
