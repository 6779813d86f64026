package io.dspex.lm;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A client-side rate limit on any {@link LanguageModel}: requests per minute and tokens per minute, shared by every
 * program and subscriber that calls through it, so that a batch of 10,000 inputs against a provider's quota waits
 * for its turn instead of firing 10,000 requests and living on 429s.
 *
 * <pre>{@code
 * LanguageModel claude = RateLimit.of(AnthropicLm.builder().apiKey(key).model("claude-sonnet-4-5").build())
 *     .requestsPerMinute(500)
 *     .tokensPerMinute(200_000)
 *     .build();
 * Predict qa = Predict.of("question -> answer").withLm(claude);     // every program using claude shares its limit
 * }</pre>
 *
 * <p>How it waits:
 * <ul>
 *   <li><b>One limiter per instance.</b> Build it once and give the same instance to every program: all their calls
 *       queue in one line. (Two {@code RateLimit}s over one client are two separate budgets.)</li>
 *   <li><b>Smoothed, not bursty.</b> With N requests per minute, calls start evenly spaced, one every
 *       {@code 63 s / N}: never more than {@code ceil(N / 60)} in any one-second window, since providers enforce their
 *       limits over short windows, and never more than N in a minute. The 5% margin keeps arrivals at the provider
 *       within the limit when the network bunches requests up; the spacing is measured from the moment each call
 *       actually started, so a late timer never lets two calls through too close together.</li>
 *   <li><b>Tokens.</b> With M tokens per minute, the budget is a bucket of M tokens refilled continuously at
 *       {@code M / 60} per second (the model Anthropic documents). A call reserves its estimate before it starts: the
 *       prompt (about four characters a token, a flat 1,000 per image) plus {@code n} times the request's
 *       {@code max_tokens} (none when the request sets none). When it completes, the reported
 *       {@link Usage#totalTokens()} replaces the estimate (a model that reports no usage keeps it); a call that fails
 *       gives its reservation back. A call whose estimate exceeds M waits for a full bucket and then runs. Put a cache
 *       in front of the limit ({@code cache.wrap(RateLimit.of(lm)...build())}), so that hits do not wait.</li>
 *   <li><b>First come, first served, without blocking.</b> A waiting call is an entry in a queue and a timer on the
 *       scheduler (default {@code Schedulers.parallel()}), not a parked thread. Calls start in subscription order.
 *       Cancelling a waiting call frees its place at once: it never reaches the model, and the calls behind it move
 *       up.</li>
 *   <li><b>Server pushback pauses everyone.</b> A call that fails with an {@link LmException} carrying a wait
 *       ({@code Retry-After} on a 429 or 503, or, on a 429 without it, the provider's rate-limit reset headers such
 *       as {@code anthropic-ratelimit-requests-reset} or {@code x-ratelimit-reset-requests}) pauses the whole model:
 *       no call starts until the wait is over. The failed call's error still reaches its caller, whose retry policy
 *       decides whether to try again (the retry then queues like any call).</li>
 * </ul>
 *
 * <p>A call counts once whatever its {@code n} (a client that sends {@code n} requests for one call, such as
 * {@link AnthropicLm}, spends {@code n} of the provider's requests: set the limit accordingly). Its {@link #id()} is
 * the model's, so a cache in front of or behind it keys answers as the model alone would.
 */
public final class RateLimit implements LanguageModel {

    /** Starts are spaced by this factor above the exact limit, so that network jitter stays under it. */
    static final double MARGIN = 1.05;
    /** Tokens counted for an image part, whatever its size. */
    static final int IMAGE_TOKENS = 1_000;

    private final LanguageModel delegate;
    private final Scheduler scheduler;
    private final LongSupplier clock;
    private final int requestsPerMinute;
    private final long tokensPerMinute;
    /** Nanoseconds between two starts; 0 without a request limit. */
    private final long intervalNanos;
    /** Tokens refilled per nanosecond; 0 without a token limit. */
    private final double tokensPerNano;

    // ---- state, guarded by this
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    private int waiting;
    private long nextStart = Long.MIN_VALUE;
    private long pausedUntil = Long.MIN_VALUE;
    private double tokens;
    private long tokensAt;
    private @Nullable Disposable timer;
    private long timerAt;
    private long timerGeneration;

    private RateLimit(Builder b) {
        this.delegate = b.delegate;
        this.scheduler = b.scheduler != null ? b.scheduler : Schedulers.parallel();
        Scheduler s = this.scheduler;
        this.clock = b.scheduler != null ? () -> s.now(TimeUnit.NANOSECONDS) : System::nanoTime;
        this.requestsPerMinute = b.requestsPerMinute;
        this.tokensPerMinute = b.tokensPerMinute;
        this.intervalNanos = requestsPerMinute > 0
                ? (long) Math.ceil(TimeUnit.MINUTES.toNanos(1) * MARGIN / requestsPerMinute) : 0;
        this.tokensPerNano = tokensPerMinute > 0 ? tokensPerMinute / (double) TimeUnit.MINUTES.toNanos(1) : 0;
        this.tokens = tokensPerMinute;
        this.tokensAt = clock.getAsLong();
    }

    /**
     * Starts configuring a rate limit on a model.
     *
     * @param lm the model to limit
     * @return a builder; set {@link Builder#requestsPerMinute} and/or {@link Builder#tokensPerMinute}
     * @throws IllegalArgumentException when the model is null
     */
    public static Builder of(LanguageModel lm) {
        if (lm == null) {
            throw new IllegalArgumentException("RateLimit.of needs a LanguageModel, got null");
        }
        return new Builder(lm);
    }

    /** @return the limited model */
    public LanguageModel delegate() {
        return delegate;
    }

    /** @return the requests-per-minute limit, or 0 when requests are not limited */
    public int requestsPerMinute() {
        return requestsPerMinute;
    }

    /** @return the tokens-per-minute limit, or 0 when tokens are not limited */
    public long tokensPerMinute() {
        return tokensPerMinute;
    }

    /** @return how many calls are waiting for their turn now */
    public synchronized int waiting() {
        return waiting;
    }

    /** @return the limited model's id: limiting does not change the answers */
    @Override
    public String id() {
        return delegate.id();
    }

    /** @return the limited model's default model name */
    @Override
    public @Nullable String model() {
        return delegate.model();
    }

    /**
     * Calls the model when this call's turn comes. Lazy: the call queues when subscribed, and each subscription queues
     * again.
     */
    @Override
    public Mono<LmResponse> call(LmRequest request) {
        if (request == null) {
            return Mono.error(new IllegalArgumentException("LmRequest must not be null"));
        }
        return Mono.defer(() -> {
            long estimate = estimate(request);
            return acquire(estimate).flatMap(grant -> delegate.call(request)
                    .doOnSuccess(r -> grant.completed(r == null ? null : r.usage()))
                    .doOnError(grant::failed));
        });
    }

    /** Streams from the model when this call's turn comes; the usage on its last chunk corrects the reservation. */
    @Override
    public Flux<LmChunk> stream(LmRequest request) {
        if (request == null) {
            return Flux.error(new IllegalArgumentException("LmRequest must not be null"));
        }
        return Flux.defer(() -> {
            long estimate = estimate(request);
            return acquire(estimate).flatMapMany(grant -> {
                AtomicReference<@Nullable Usage> usage = new AtomicReference<>();
                return delegate.stream(request)
                        .doOnNext(c -> {
                            if (c.usage() != null) {
                                usage.set(c.usage());
                            }
                        })
                        .doOnComplete(() -> grant.completed(usage.get()))
                        .doOnError(grant::failed);
            });
        });
    }

    /**
     * The tokens a request is expected to use: its prompt at about four characters a token (a flat
     * {@value #IMAGE_TOKENS} per image part, the tools' JSON counted as text) plus {@code n} times its
     * {@code max_tokens}, when it sets one.
     */
    static long estimate(LmRequest request) {
        long chars = 0;
        long images = 0;
        for (Message m : request.messages()) {
            chars += m.content().length() + 16;
            for (Message.Part p : m.parts()) {
                if (p instanceof Message.Part.ImageUrl) {
                    images++;
                }
            }
            for (ToolCall c : m.toolCalls()) {
                chars += c.name().length() + c.arguments().length() + 16;
            }
        }
        for (var tool : request.tools()) {
            chars += tool.toString().length();
        }
        long prompt = (chars + 3) / 4 + images * IMAGE_TOKENS;
        Integer maxTokens = request.config().maxTokens();
        Integer n = request.config().n();
        return prompt + (maxTokens == null ? 0 : (long) maxTokens * (n == null ? 1 : n));
    }

    // ------------------------------------------------------------------ the queue

    /** A call waiting for its turn. */
    private final class Waiter {
        final MonoSink<Grant> sink;
        final long tokens;
        boolean cancelled;
        boolean granted;

        Waiter(MonoSink<Grant> sink, long tokens) {
            this.sink = sink;
            this.tokens = tokens;
        }
    }

    /** A started call's reservation, settled once when it ends. */
    final class Grant {
        private final long reserved;
        private boolean settled;

        Grant(long reserved) {
            this.reserved = reserved;
        }

        /**
         * The call completed: the reported usage replaces the estimate (none reported, or zero tokens, which is how a
         * model that reports nothing answers: the estimate stands).
         */
        void completed(@Nullable Usage usage) {
            synchronized (RateLimit.this) {
                if (settled) {
                    return;
                }
                settled = true;
                if (usage != null && usage.totalTokens() > 0 && tokensPerMinute > 0) {
                    refill(clock.getAsLong());
                    tokens = Math.min(tokensPerMinute, tokens + reserved - usage.totalTokens());
                }
            }
            drain();
        }

        /** The call failed: its reservation is given back, and a wait the server asked for pauses every call. */
        void failed(Throwable e) {
            synchronized (RateLimit.this) {
                if (settled) {
                    return;
                }
                settled = true;
                long now = clock.getAsLong();
                if (tokensPerMinute > 0) {
                    refill(now);
                    tokens = Math.min(tokensPerMinute, tokens + reserved);
                }
                if (e instanceof LmException l && l.retryAfter().isPresent()) {
                    Duration wait = l.retryAfter().get();
                    long until = now + Math.min(wait.toNanos(), RetryAfter.MAX.toNanos());
                    pausedUntil = Math.max(pausedUntil, until);
                }
            }
            drain();
        }
    }

    private Mono<Grant> acquire(long estimate) {
        return Mono.create(sink -> {
            Waiter w = new Waiter(sink, estimate);
            synchronized (this) {
                queue.add(w);
                waiting++;
            }
            sink.onCancel(() -> cancel(w));
            drain();
        });
    }

    /** A waiting call was cancelled: it leaves the line (lazily: it is skipped when it reaches the head). */
    private void cancel(Waiter w) {
        boolean head;
        synchronized (this) {
            if (w.cancelled || w.granted) {
                return;
            }
            w.cancelled = true;
            waiting--;
            head = queue.peek() == w;
        }
        if (head) {
            drain();
        }
    }

    /** Starts every call whose turn has come; arms the timer for the next one. Callable from any thread. */
    private void drain() {
        List<Waiter> ready = null;
        synchronized (this) {
            long now = clock.getAsLong();
            refill(now);
            while (!queue.isEmpty()) {
                Waiter w = queue.peek();
                if (w.cancelled) {
                    queue.poll();
                    continue;
                }
                long at = earliestStart(w, now);
                if (at > now) {
                    arm(at, now);
                    break;
                }
                queue.poll();
                waiting--;
                w.granted = true;
                if (intervalNanos > 0) {
                    nextStart = now + intervalNanos;
                }
                if (tokensPerMinute > 0) {
                    tokens -= w.tokens;
                }
                if (ready == null) {
                    ready = new ArrayList<>(1);
                }
                ready.add(w);
            }
        }
        if (ready != null) {
            for (Waiter w : ready) {
                w.sink.success(new Grant(tokensPerMinute > 0 ? w.tokens : 0));
            }
        }
    }

    /** @return when the head may start: after the pause, its spacing slot and the tokens it needs */
    private long earliestStart(Waiter w, long now) {
        long at = Math.max(now, pausedUntil);
        if (intervalNanos > 0) {
            at = Math.max(at, nextStart);
        }
        if (tokensPerMinute > 0) {
            double need = Math.min(w.tokens, tokensPerMinute);
            if (tokens < need) {
                at = Math.max(at, now + (long) Math.ceil((need - tokens) / tokensPerNano));
            }
        }
        return at;
    }

    private void refill(long now) {
        if (tokensPerMinute > 0 && now > tokensAt) {
            tokens = Math.min(tokensPerMinute, tokens + (now - tokensAt) * tokensPerNano);
        }
        tokensAt = Math.max(tokensAt, now);
    }

    /** Makes sure a timer fires at {@code at} (or earlier, after which the queue is looked at again). */
    private void arm(long at, long now) {
        if (timer != null && timerAt <= at) {
            return;
        }
        if (timer != null) {
            timer.dispose();
        }
        long generation = ++timerGeneration;
        timerAt = at;
        timer = scheduler.schedule(() -> fired(generation), Math.max(0, at - now), TimeUnit.NANOSECONDS);
    }

    private void fired(long generation) {
        synchronized (this) {
            if (generation != timerGeneration) {
                return;
            }
            timer = null;
        }
        drain();
    }

    @Override
    public String toString() {
        return "RateLimit[" + (requestsPerMinute > 0 ? requestsPerMinute + " requests/min" : "")
                + (requestsPerMinute > 0 && tokensPerMinute > 0 ? ", " : "")
                + (tokensPerMinute > 0 ? tokensPerMinute + " tokens/min" : "") + " on " + delegate + "]";
    }

    /**
     * Configures a {@link RateLimit}; at least one of {@link #requestsPerMinute} and {@link #tokensPerMinute} is
     * required.
     */
    public static final class Builder {
        private final LanguageModel delegate;
        private int requestsPerMinute;
        private long tokensPerMinute;
        private @Nullable Scheduler scheduler;

        private Builder(LanguageModel delegate) {
            this.delegate = delegate;
        }

        /**
         * @param requests the most calls to start per minute ({@code >= 1}), spread evenly
         * @return this
         * @throws IllegalArgumentException when below 1
         */
        public Builder requestsPerMinute(int requests) {
            if (requests < 1) {
                throw new IllegalArgumentException("requestsPerMinute must be >= 1, got " + requests);
            }
            this.requestsPerMinute = requests;
            return this;
        }

        /**
         * @param tokens the most tokens (prompt and completion) to spend per minute ({@code >= 1})
         * @return this
         * @throws IllegalArgumentException when below 1
         */
        public Builder tokensPerMinute(long tokens) {
            if (tokens < 1) {
                throw new IllegalArgumentException("tokensPerMinute must be >= 1, got " + tokens);
            }
            this.tokensPerMinute = tokens;
            return this;
        }

        /**
         * @param scheduler where waiting calls are woken, and whose clock measures the limits (default
         *                  {@code Schedulers.parallel()} with {@code System.nanoTime()}); a
         *                  {@code VirtualTimeScheduler} in tests
         * @return this
         * @throws IllegalArgumentException when null
         */
        public Builder scheduler(Scheduler scheduler) {
            if (scheduler == null) {
                throw new IllegalArgumentException("scheduler must not be null");
            }
            this.scheduler = scheduler;
            return this;
        }

        /**
         * @return the limited model
         * @throws IllegalArgumentException when neither limit is set
         */
        public RateLimit build() {
            if (requestsPerMinute == 0 && tokensPerMinute == 0) {
                throw new IllegalArgumentException("RateLimit needs requestsPerMinute(..) or tokensPerMinute(..)");
            }
            return new RateLimit(this);
        }
    }
}
