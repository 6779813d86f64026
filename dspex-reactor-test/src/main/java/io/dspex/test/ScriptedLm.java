package io.dspex.test;

import io.dspex.lm.LanguageModel;
import io.dspex.lm.LmChunk;
import io.dspex.lm.LmException;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An in-memory {@link LanguageModel} that answers from a script: rules by predicate, replies in sequence, a
 * fallback, failures with any {@link LmException}, and a delay that runs in virtual time. It records every
 * request it is called with. Thread-safe; rules may be added while it is in use.
 *
 * <pre>{@code
 * ScriptedLm lm = ScriptedLm.create()
 *     .when(r -> ScriptedLm.lastUserMessage(r).contains("France"), "[[ ## answer ## ]]\nParis")
 *     .failNext(2, () -> new LmException.RateLimit("slow down", Duration.ofSeconds(1)))
 *     .fallback("I don't know");
 * StepVerifier.withVirtualTime(() -> program.withLm(lm).forward(inputs)) ...
 * assertThat(lm.calls()).isEqualTo(3);
 * }</pre>
 *
 * <p>Order of evaluation on each call: pending {@link #failNext failures}, then {@link #replies replies in
 * sequence}, then the rules in the order added, then the fallback; without a fallback an unmatched request
 * fails with {@link IllegalStateException} naming it. A call is counted and recorded when it is subscribed
 * (each subscription is one call, as with a real LM).
 */
public final class ScriptedLm implements LanguageModel {

    private record Rule(Predicate<LmRequest> when, Function<LmRequest, Object> answer) {
    }

    private final String id;
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Object> sequence = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Supplier<? extends LmException>> failures = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<LmRequest> requests = new ConcurrentLinkedQueue<>();
    private final AtomicInteger calls = new AtomicInteger();
    private volatile @Nullable Function<LmRequest, String> fallback;
    private volatile Duration delay = Duration.ZERO;
    private volatile Function<LmRequest, Usage> usage = ScriptedLm::countWords;
    private volatile int chunkSize;

    private ScriptedLm(String id) {
        this.id = id;
    }

    /** @return a script with no rules; add some, or a {@link #fallback(String)} */
    public static ScriptedLm create() {
        return new ScriptedLm("scripted");
    }

    /**
     * @param id the {@link #id()} to report (caches key on it)
     * @return a script with no rules
     */
    public static ScriptedLm create(String id) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("ScriptedLm id must not be blank");
        }
        return new ScriptedLm(id);
    }

    /**
     * @param texts replies in order, then failing as unmatched
     * @return the script
     */
    public static ScriptedLm replying(String... texts) {
        return create().replies(texts);
    }

    /**
     * @param reply computes every reply
     * @return the script
     */
    public static ScriptedLm answering(Function<LmRequest, String> reply) {
        return create().fallback(reply);
    }

    /**
     * @param when which requests
     * @param reply the reply
     * @return this
     */
    public ScriptedLm when(Predicate<LmRequest> when, String reply) {
        requireNonNull(reply, "reply");
        return when(when, r -> reply);
    }

    /**
     * @param when which requests
     * @param reply computes the reply
     * @return this
     */
    public ScriptedLm when(Predicate<LmRequest> when, Function<LmRequest, String> reply) {
        requireNonNull(when, "predicate");
        requireNonNull(reply, "reply function");
        rules.add(new Rule(when, reply::apply));
        return this;
    }

    /**
     * @param when which requests
     * @param error makes the failure, once per call
     * @return this
     */
    public ScriptedLm failWhen(Predicate<LmRequest> when, Supplier<? extends LmException> error) {
        requireNonNull(when, "predicate");
        requireNonNull(error, "error supplier");
        rules.add(new Rule(when, r -> error.get()));
        return this;
    }

    /**
     * @param texts replies for the next calls, one each, in order
     * @return this
     */
    public ScriptedLm replies(String... texts) {
        for (String t : texts) {
            requireNonNull(t, "reply");
            sequence.add(t);
        }
        return this;
    }

    /**
     * @param response a full response (e.g. several choices) for the next call in sequence
     * @return this
     */
    public ScriptedLm respond(LmResponse response) {
        requireNonNull(response, "response");
        sequence.add(response);
        return this;
    }

    /**
     * @param times how many of the next calls fail
     * @param error makes each failure
     * @return this
     */
    public ScriptedLm failNext(int times, Supplier<? extends LmException> error) {
        requireNonNull(error, "error supplier");
        for (int i = 0; i < times; i++) {
            failures.add(error);
        }
        return this;
    }

    /**
     * @param error the failure of the next call
     * @return this
     */
    public ScriptedLm failNext(LmException error) {
        requireNonNull(error, "error");
        return failNext(1, () -> error);
    }

    /**
     * @param reply the reply when nothing else matches
     * @return this
     */
    public ScriptedLm fallback(String reply) {
        requireNonNull(reply, "reply");
        return fallback(r -> reply);
    }

    /**
     * @param reply computes the reply when nothing else matches
     * @return this
     */
    public ScriptedLm fallback(Function<LmRequest, String> reply) {
        requireNonNull(reply, "reply function");
        this.fallback = reply;
        return this;
    }

    /**
     * @param delay how long each answer takes ({@code Mono.delay}, so virtual time applies)
     * @return this
     */
    public ScriptedLm delay(Duration delay) {
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("delay must be >= 0, got " + delay);
        }
        this.delay = delay;
        return this;
    }

    /**
     * @param usage computes the usage reported for a request and its reply texts
     * @return this
     */
    public ScriptedLm usage(Function<LmRequest, Usage> usage) {
        requireNonNull(usage, "usage function");
        this.usage = usage;
        return this;
    }

    /**
     * @param chars the size of a streamed chunk in characters; 0 (the default) streams word by word
     * @return this
     */
    public ScriptedLm streamChunkSize(int chars) {
        if (chars < 0) {
            throw new IllegalArgumentException("stream chunk size must be >= 0, got " + chars);
        }
        this.chunkSize = chars;
        return this;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Mono<LmResponse> call(LmRequest request) {
        if (request == null) {
            return Mono.error(new IllegalArgumentException("LmRequest must not be null"));
        }
        return Mono.defer(() -> {
            calls.incrementAndGet();
            requests.add(request);
            Mono<LmResponse> answer = Mono.fromSupplier(() -> answer(request));
            Duration d = delay;
            return d.isZero() ? answer : Mono.delay(d).then(answer);
        });
    }

    /** Streams the reply in word-sized (or {@link #streamChunkSize} sized) chunks; the last carries usage. */
    @Override
    public Flux<LmChunk> stream(LmRequest request) {
        return call(request).flatMapIterable(response -> {
            List<LmChunk> chunks = new ArrayList<>();
            List<LmResponse.Choice> choices = response.choices();
            for (int i = 0; i < choices.size(); i++) {
                for (String piece : split(choices.get(i).text(), chunkSize)) {
                    chunks.add(new LmChunk(piece, i, null, null));
                }
                chunks.add(new LmChunk("", i, choices.get(i).finishReason(), null));
            }
            chunks.add(LmChunk.ofUsage(response.usage()));
            return chunks;
        });
    }

    private LmResponse answer(LmRequest request) {
        Supplier<? extends LmException> failure = failures.poll();
        if (failure != null) {
            throw failure.get();
        }
        Object next = sequence.poll();
        if (next == null) {
            for (Rule r : rules) {
                if (r.when().test(request)) {
                    next = r.answer().apply(request);
                    break;
                }
            }
        }
        if (next == null && fallback != null) {
            next = fallback.apply(request);
        }
        if (next == null) {
            throw new IllegalStateException("ScriptedLm has no rule, reply or fallback for call #" + calls.get()
                    + ": " + request + ", last user message: " + abbreviate(lastUserMessage(request)));
        }
        if (next instanceof LmException e) {
            throw e;
        }
        if (next instanceof LmResponse r) {
            return r;
        }
        int n = request.config().n() == null ? 1 : request.config().n();
        List<String> texts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            texts.add(next.toString());
        }
        return new LmResponse(textsToChoices(texts), usage.apply(request.withMessages(withReply(request, texts))),
                request.config().model() == null ? id : request.config().model(), null, null);
    }

    private static List<Message> withReply(LmRequest request, List<String> texts) {
        List<Message> all = new ArrayList<>(request.messages());
        for (String t : texts) {
            all.add(Message.assistant(t));
        }
        return all;
    }

    private static List<LmResponse.Choice> textsToChoices(List<String> texts) {
        List<LmResponse.Choice> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(new LmResponse.Choice(t, "stop"));
        }
        return out;
    }

    /** Default usage: words of the prompt messages and of the assistant replies appended after them. */
    private static Usage countWords(LmRequest withReplies) {
        long prompt = 0;
        long completion = 0;
        for (Message m : withReplies.messages()) {
            long w = m.content().isBlank() ? 0 : m.content().strip().split("\\s+").length;
            if (m.role() == Message.Role.ASSISTANT) {
                completion += w;
            } else {
                prompt += w;
            }
        }
        return Usage.of(prompt, completion);
    }

    private static List<String> split(String text, int size) {
        List<String> out = new ArrayList<>();
        if (size > 0) {
            for (int i = 0; i < text.length(); i += size) {
                out.add(text.substring(i, Math.min(text.length(), i + size)));
            }
            return out;
        }
        return MockLmServer.deltas(text);
    }

    /**
     * @param request a request
     * @return the content of its last user message, or "" when it has none; handy in predicates
     */
    public static String lastUserMessage(LmRequest request) {
        List<Message> ms = request.messages();
        for (int i = ms.size() - 1; i >= 0; i--) {
            if (ms.get(i).role() == Message.Role.USER) {
                return ms.get(i).content();
            }
        }
        return "";
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    /** @return every request called with, oldest first */
    public List<LmRequest> requests() {
        return List.copyOf(requests);
    }

    /** @return the last request, or null when none was made */
    public @Nullable LmRequest lastRequest() {
        List<LmRequest> all = requests();
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** @return how many calls were subscribed */
    public int calls() {
        return calls.get();
    }

    /**
     * Forgets recorded requests and the call count (rules stay).
     * @return this
     */
    public ScriptedLm resetRecording() {
        requests.clear();
        calls.set(0);
        return this;
    }

    private static void requireNonNull(@Nullable Object o, String what) {
        if (o == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
    }

    @Override
    public String toString() {
        return "ScriptedLm[" + id + ", rules=" + rules.size() + ", calls=" + calls.get() + "]";
    }
}
