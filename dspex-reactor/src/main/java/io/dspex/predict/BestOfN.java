package io.dspex.predict;

import io.dspex.Example;
import io.dspex.Module;
import io.dspex.Prediction;
import io.dspex.Program;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Runs a program up to {@code n} times and returns the best-scoring prediction (DSPy's {@code dspy.BestOfN}).
 *
 * <pre>{@code
 * ChainOfThought qa = ChainOfThought.of("question -> answer");
 * Reward oneWord = Reward.of((in, p) -> ((String) p.get("answer")).split("\\s+").length == 1 ? 1.0 : 0.0);
 * BestOfN best = BestOfN.of(qa, 3, oneWord, 1.0);
 * best.forward(Map.of("question", "What is the capital of Belgium?")).map(p -> p.get("answer"));
 * }</pre>
 *
 * <p>As DSPy 3.3:
 * <ul>
 *   <li>Attempts run one after another, lazily: the next is subscribed only when the previous one has been scored.
 *       Each runs the module with its own rollout id and temperature 1.0, put in the Reactor Context
 *       ({@link Settings#withConfig}), so an LM behind a cache answers each attempt afresh. Rollout ids count up from
 *       the settings' rollout id when it is a whole number, else from 0. The Context's parameters win over the
 *       predictors' own, so a predictor configured with temperature 0 samples at 1.0 here.</li>
 *   <li>The first attempt whose reward reaches {@code threshold} is returned at once; otherwise the attempt with the
 *       highest reward (the earliest of equals).</li>
 *   <li>A failed attempt — the module's error, or a reward that fails, completes empty or scores NaN or outside its
 *       {@linkplain Reward#withRange declared range} — is logged and counts against {@code failCount} (default
 *       {@code n}); the failure that uses the budget up is signalled as it is. When every attempt failed, the last
 *       failure is signalled.</li>
 *   <li>When an optimizer records a {@code Trace}, only the returned attempt's predictor calls are added to it.</li>
 * </ul>
 *
 * <p>The prediction carries the usage of every attempt ({@link Prediction#usageByModel()}). Its one part is named
 * {@code "module"}, as in DSPy, so saved programs and optimizers see {@code "module.predict"} for a chain of thought.
 */
public final class BestOfN extends Module {

    private final int n;
    private final Reward reward;
    private final double threshold;
    private final int failCount;

    private BestOfN(@Nullable BestOfN template, Program module, int n, Reward reward, double threshold,
                    int failCount) {
        super(template);
        this.n = n;
        this.reward = reward;
        this.threshold = threshold;
        this.failCount = failCount;
        register("module", module);
    }

    /**
     * @param module    the program to run (a {@link Module} for optimizers to see its predictors)
     * @param n         the most attempts, at least 1 (DSPy's {@code N})
     * @param reward    scores each attempt
     * @param threshold the score that ends the search; within the reward's declared range
     * @return the module, with {@code failCount = n}
     * @throws IllegalArgumentException naming the problem: a null argument, {@code n <= 0}, a NaN threshold or one
     *                                  outside the reward's range
     */
    public static BestOfN of(Program module, int n, Reward reward, double threshold) {
        check("BestOfN", module, n, reward, threshold);
        return new BestOfN(null, module, n, reward, threshold, n);
    }

    static void check(String who, @Nullable Program module, int n, @Nullable Reward reward, double threshold) {
        if (module == null) {
            throw new IllegalArgumentException(who + " needs a module");
        }
        if (reward == null) {
            throw new IllegalArgumentException(who + " needs a reward");
        }
        if (n <= 0) {
            throw new IllegalArgumentException(who + " needs n >= 1 attempts, got " + n);
        }
        if (Double.isNaN(threshold)) {
            throw new IllegalArgumentException(who + "'s threshold must be a number, got NaN");
        }
        if (threshold < reward.min() || threshold > reward.max()) {
            throw new IllegalArgumentException(who + "'s threshold " + threshold + " is outside the reward's range ["
                    + reward.min() + ", " + reward.max() + "]: no attempt could " + (threshold > reward.max()
                    ? "reach it" : "miss it"));
        }
    }

    /**
     * @param failCount how many failed attempts are tolerated before the last failure is signalled, at least 1
     *                  (DSPy's {@code fail_count}; default {@code n})
     * @return a copy with it
     * @throws IllegalArgumentException when below 1
     */
    public BestOfN withFailCount(int failCount) {
        if (failCount < 1) {
            throw new IllegalArgumentException("BestOfN's failCount must be at least 1, got " + failCount);
        }
        return new BestOfN(this, module(), n, reward, threshold, failCount);
    }

    /** @return the program it runs */
    public Program module() {
        return child("module");
    }

    /** @return the most attempts */
    public int n() {
        return n;
    }

    /** @return the reward */
    public Reward reward() {
        return reward;
    }

    /** @return the score that ends the search */
    public double threshold() {
        return threshold;
    }

    /** @return how many failed attempts are tolerated */
    public int failCount() {
        return failCount;
    }

    @Override
    protected Mono<Prediction> run(Example inputs) {
        return RewardLoop.run("BestOfN", module(), inputs, n, reward, threshold, failCount, RewardLoop.Hooks.NONE);
    }

    @Override
    public BestOfN copy() {
        return (BestOfN) super.copy();
    }

    @Override
    public BestOfN reset() {
        return (BestOfN) super.reset();
    }

    /** @return the loaded copy, typed as a {@code BestOfN}; see {@link Program#load(Path)} */
    @Override
    public BestOfN load(Path path) {
        return (BestOfN) super.load(path);
    }

    @Override
    public String toString() {
        return "BestOfN(n=" + n + ", threshold=" + threshold + ", module=" + module() + ")";
    }
}
