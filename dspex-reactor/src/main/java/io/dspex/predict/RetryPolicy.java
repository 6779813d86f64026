package io.dspex.predict;

import io.dspex.lm.LmException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * How a program retries a failed LM call. Retry lives in the program layer, never in the LM client: a failed call
 * arrives as an error signal, and the program decides whether and when to try again, so different programs can
 * use one client with different policies. Immutable; the defaults suit hosted providers.
 *
 * <ul>
 *   <li>Only retryable failures are retried ({@link LmException#isRetryable()}: 408, 409, 429, 5xx, connection
 *       faults, timeouts, malformed bodies); 400, 401, 403, 404, 422 and context-window errors fail at once.</li>
 *   <li>Delays grow exponentially from {@link #initialBackoff()} by a factor of 2, capped at
 *       {@link #maxBackoff()}, each spread by ±{@link #jitter()}; a server's {@code Retry-After} replaces the
 *       computed delay (capped at {@link #maxRetryAfter()}).</li>
 *   <li>Each attempt may be bounded by {@link #attemptTimeout()} (a timeout is retryable), and the whole call,
 *       retries included, by {@link #deadline()}.</li>
 *   <li>When attempts run out, the last real error is signalled, carrying a suppressed
 *       {@link RetriesExhaustedException} that says how many attempts were made.</li>
 * </ul>
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.defaults()
 *     .withMaxAttempts(6)
 *     .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(10))
 *     .withDeadline(Duration.ofSeconds(60));
 * Predict qa = Predict.of("question -> answer").withRetry(policy);
 * }</pre>
 */
public final class RetryPolicy {

    private static final Logger LOG = LoggerFactory.getLogger(RetryPolicy.class);

    private static final RetryPolicy DEFAULTS = new RetryPolicy(4, Duration.ofMillis(500), Duration.ofSeconds(20),
            0.25, Duration.ofSeconds(60), null, null);
    private static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 0, Duration.ZERO,
            null, null);

    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final double jitter;
    private final Duration maxRetryAfter;
    private final @Nullable Duration attemptTimeout;
    private final @Nullable Duration deadline;
    /** This policy's retry decisions as one Reactor spec, built once and shared by every call. */
    private final Retry retry;

    private RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, double jitter,
                        Duration maxRetryAfter, @Nullable Duration attemptTimeout, @Nullable Duration deadline) {
        this.maxAttempts = maxAttempts;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.jitter = jitter;
        this.maxRetryAfter = maxRetryAfter;
        this.attemptTimeout = attemptTimeout;
        this.deadline = deadline;
        // Retry.from rather than Retry.backoff(..): the delay depends on the error (a server's Retry-After replaces
        // the computed backoff), and giving up signals the last real error itself, not a RetryExhaustedException.
        this.retry = Retry.from(signals -> signals.concatMap(signal -> {
            Throwable failure = signal.failure();
            long retriesSoFar = signal.totalRetries();
            Duration delay = decide(failure, retriesSoFar);
            return delay == null ? Mono.error(failure) : Mono.delay(delay).thenReturn(retriesSoFar);
        }));
    }

    /**
     * The default policy: 4 attempts (3 retries), backoff from 500 ms doubling to at most 20 s with ±25% jitter,
     * {@code Retry-After} honoured up to 60 s, no per-attempt timeout beyond the LM client's own, no deadline.
     *
     * @return the default policy
     */
    public static RetryPolicy defaults() {
        return DEFAULTS;
    }

    /** @return a policy that makes exactly one attempt */
    public static RetryPolicy none() {
        return NONE;
    }

    /**
     * @param maxAttempts total attempts including the first, at least 1
     * @return a copy with that many attempts
     * @throws IllegalArgumentException when below 1
     */
    public RetryPolicy withMaxAttempts(int maxAttempts) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, jitter, maxRetryAfter, attemptTimeout,
                deadline);
    }

    /**
     * @param initial the delay before the first retry (zero or more)
     * @param max     the cap on any computed delay (at least {@code initial})
     * @return a copy with that backoff
     * @throws IllegalArgumentException when negative, null or {@code max < initial}
     */
    public RetryPolicy withBackoff(Duration initial, Duration max) {
        requireNonNegative("initial backoff", initial);
        requireNonNegative("max backoff", max);
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("max backoff " + max + " is below initial backoff " + initial);
        }
        return new RetryPolicy(maxAttempts, initial, max, jitter, maxRetryAfter, attemptTimeout, deadline);
    }

    /**
     * @param jitter the random spread of each computed delay, as a fraction from 0 (none) to 1
     * @return a copy with that jitter
     * @throws IllegalArgumentException when outside [0, 1]
     */
    public RetryPolicy withJitter(double jitter) {
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("jitter must be within [0, 1], got " + jitter);
        }
        return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, jitter, maxRetryAfter, attemptTimeout,
                deadline);
    }

    /**
     * @param max the longest server-requested wait honoured; longer {@code Retry-After}s are cut to this
     * @return a copy with that cap
     */
    public RetryPolicy withMaxRetryAfter(Duration max) {
        requireNonNegative("max Retry-After", max);
        return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, jitter, max, attemptTimeout, deadline);
    }

    /**
     * @param timeout the longest one attempt may take (null for none); an attempt that exceeds it is cancelled
     *                and fails with a retryable {@link LmException.ResponseTimeout}
     * @return a copy with that per-attempt timeout
     */
    public RetryPolicy withAttemptTimeout(@Nullable Duration timeout) {
        if (timeout != null) {
            requirePositive("attempt timeout", timeout);
        }
        return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, jitter, maxRetryAfter, timeout, deadline);
    }

    /**
     * @param deadline the longest the whole call may take, retries and waits included (null for none); when it
     *                 passes, the attempt in flight is cancelled and the call fails with
     *                 {@link DeadlineExceededException}
     * @return a copy with that deadline
     */
    public RetryPolicy withDeadline(@Nullable Duration deadline) {
        if (deadline != null) {
            requirePositive("deadline", deadline);
        }
        return new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, jitter, maxRetryAfter, attemptTimeout,
                deadline);
    }

    /** @return total attempts including the first */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** @return the delay before the first retry, before jitter */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /** @return the cap on computed delays */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** @return the random spread of computed delays, 0 to 1 */
    public double jitter() {
        return jitter;
    }

    /** @return the cap on honoured {@code Retry-After} waits */
    public Duration maxRetryAfter() {
        return maxRetryAfter;
    }

    /** @return the per-attempt timeout, or null for none */
    public @Nullable Duration attemptTimeout() {
        return attemptTimeout;
    }

    /** @return the overall deadline, or null for none */
    public @Nullable Duration deadline() {
        return deadline;
    }

    /**
     * @param failure an error signal
     * @return whether this policy would retry it (given attempts left)
     */
    public boolean isRetryable(Throwable failure) {
        return failure instanceof LmException e && e.isRetryable();
    }

    /**
     * The wait before retry number {@code retry} (0 for the first retry) after {@code failure}.
     *
     * @param retry   the retry's index, from 0
     * @param failure the failure being retried
     * @return the delay: the server's {@code Retry-After} when given (capped), else the jittered backoff
     */
    public Duration delayBefore(long retry, Throwable failure) {
        if (failure instanceof LmException e && e.retryAfter().isPresent()) {
            Duration asked = e.retryAfter().get();
            return asked.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : asked;
        }
        double base = initialBackoff.toNanos() * Math.pow(2, Math.min(retry, 62));
        double capped = Math.min(base, maxBackoff.toNanos());
        if (jitter > 0) {
            double spread = capped * jitter;
            capped = capped - spread + ThreadLocalRandom.current().nextDouble() * 2 * spread;
        }
        return Duration.ofNanos((long) Math.max(0, Math.min(capped, maxBackoff.toNanos())));
    }

    /**
     * Applies this policy to a lazily built call: the per-attempt timeout inside, {@code retryWhen} with this
     * policy's {@link #toRetry() Retry spec}, then the deadline outside. The publisher must build a fresh call on
     * each subscription (e.g. {@code Mono.defer}): {@code retryWhen} re-subscribes to it for each attempt.
     *
     * <pre>{@code
     * Mono<LmResponse> resilient = policy.apply(Mono.defer(() -> lm.call(request)));
     * }</pre>
     *
     * @param call the call, re-subscribed for each attempt
     * @param <T>  its value type
     * @return the resilient call
     */
    public <T> Mono<T> apply(Mono<T> call) {
        Mono<T> attempt = call;
        if (attemptTimeout != null) {
            Duration t = attemptTimeout;
            attempt = attempt.timeout(t).onErrorMap(TimeoutException.class,
                    e -> new LmException.ResponseTimeout("LM call attempt exceeded the retry policy's attempt "
                            + "timeout of " + t.toMillis() + " ms", e));
        }
        Mono<T> retried = maxAttempts == 1 ? attempt : attempt.retryWhen(retry);
        if (deadline != null) {
            Duration d = deadline;
            retried = retried.timeout(d).onErrorMap(TimeoutException.class,
                    e -> new DeadlineExceededException(d));
        }
        return retried;
    }

    /**
     * This policy as a Reactor {@link Retry} spec: the one {@link #apply(Mono)} uses, for {@code retryWhen} on
     * publishers of your own (without the timeouts, which {@code apply} adds around it). One spec per policy,
     * shared by every call.
     *
     * <pre>{@code
     * Flux<String> resilient = Flux.defer(() -> myStream()).retryWhen(policy.toRetry());
     * }</pre>
     *
     * @return the spec
     */
    public Retry toRetry() {
        return retry;
    }

    /**
     * The decision after a failure: the delay before the next attempt, or null to give up (having attached a
     * {@link RetriesExhaustedException} when attempts were made before).
     */
    private @Nullable Duration decide(Throwable failure, long retriesSoFar) {
        if (!isRetryable(failure)) {
            if (retriesSoFar > 0) {
                failure.addSuppressed(new RetriesExhaustedException(retriesSoFar + 1, failure, false));
            }
            return null;
        }
        if (retriesSoFar + 1 >= maxAttempts) {
            failure.addSuppressed(new RetriesExhaustedException(retriesSoFar + 1, failure, true));
            return null;
        }
        Duration delay = delayBefore(retriesSoFar, failure);
        if (LOG.isDebugEnabled()) {
            LOG.debug("retrying LM call in {} ms (attempt {} of {}) after {}", delay.toMillis(),
                    retriesSoFar + 2, maxAttempts, failure.toString());
        }
        return delay;
    }

    private static void requireNonNegative(String what, @Nullable Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be zero or more, got " + d);
        }
    }

    private static void requirePositive(String what, Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
    }

    @Override
    public String toString() {
        return "RetryPolicy[maxAttempts=" + maxAttempts + ", backoff=" + initialBackoff.toMillis() + ".."
                + maxBackoff.toMillis() + " ms, jitter=" + jitter + ", maxRetryAfter=" + maxRetryAfter.toMillis()
                + " ms, attemptTimeout=" + attemptTimeout + ", deadline=" + deadline + "]";
    }

    /**
     * Attached (as a suppressed exception) to the last error when a call that was retried at least once gives
     * up, either because attempts ran out or because a later failure was not retryable; says how many attempts
     * were made.
     */
    public static final class RetriesExhaustedException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long attempts;

        RetriesExhaustedException(long attempts, Throwable last, boolean exhausted) {
            super((exhausted ? "gave up after " + attempts + " attempts (the policy's maximum)"
                    : "stopped after " + attempts + " attempts: the last error is not retryable")
                    + "; last error: " + last.getClass().getSimpleName(), null, false, false);
            this.attempts = attempts;
        }

        /** @return how many attempts were made */
        public long attempts() {
            return attempts;
        }
    }

    /** The overall deadline of a {@link RetryPolicy} passed before the call completed. */
    public static final class DeadlineExceededException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DeadlineExceededException(Duration deadline) {
            super("LM call did not complete within the retry policy's deadline of " + deadline.toMillis() + " ms");
        }
    }

    /**
     * @param failure an error signalled by {@link #apply(Mono)}
     * @return how many attempts were made before giving up (1 when the call was never retried)
     */
    public static long attemptsOf(Throwable failure) {
        for (Throwable s : failure.getSuppressed()) {
            if (s instanceof RetriesExhaustedException r) {
                return r.attempts();
            }
        }
        return 1;
    }
}
