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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An in-memory {@link LanguageModel} that answers from a script: fixed replies in sequence, rules by predicate, a
 * reply for everything else, faults (any {@link LmException}), and a latency that runs in virtual time. It records
 * every request it is called with. Thread-safe; the script may change while it is in use.
 *
 * <pre>{@code
 * ScriptedLm lm = ScriptedLm.create()
 *     .when(r -> ScriptedLm.lastUserMessage(r).contains("France"), "[[ ## answer ## ]]\nParis")
 *     .faultNext(2, () -> new LmException.RateLimit("slow down", Duration.ofSeconds(1)))
 *     .reply("I don't know");
 * StepVerifier.withVirtualTime(() -> program.withLm(lm).forward(inputs)) ...
 * assertThat(lm.requestCount()).isEqualTo(3);
 * }</pre>
 *
 * <p>A reply may be a whole {@link LmResponse} ({@link #reply(LmResponse)}, {@link #when(Predicate, LmResponse)},
 * {@link #replies(LmResponse...)}), e.g. one asking for tool calls
 * ({@link LmResponse#ofToolCalls}); it answers the whole call, and a stream emits its tool calls with each choice's
 * last chunk.
 *
 * <p>It speaks the same script as {@link MockLmServer}, with the same names: {@link #reply}, {@link #when},
 * {@link #replies}, {@link #faultNext}, {@link #faultWhen}, {@link #latency}, {@link #requests()},
 * {@link #lastRequest()} and {@link #requestCount()}. Order of evaluation on each call, as there: faults first
 * ({@link #faultNext pending ones}, then {@link #faultWhen plans} in the order added), then per choice the
 * {@link #replies replies in sequence}, the rules in the order added, and the {@link #reply reply}; without one an
 * unmatched request fails with {@link IllegalStateException} naming it. For {@code n > 1} each choice takes the
 * next reply in sequence or applies the rule again, as the server does. A call is counted and recorded when it is
 * subscribed (each subscription is one call, as with a real LM).
 */
public final class ScriptedLm implements LanguageModel {

    private record Rule(Predicate<LmRequest> when, Function<LmRequest, ?> reply) {
    }

    private record Plan(Predicate<LmRequest> when, Supplier<? extends LmException> fault) {
    }

    private final String id;
    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Object> sequence = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Supplier<? extends LmException>> pendingFaults = new ConcurrentLinkedQueue<>();
    private final List<Plan> plans = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<LmRequest> requests = new ConcurrentLinkedQueue<>();
    private final AtomicLong received = new AtomicLong();
    private volatile @Nullable Function<LmRequest, ?> reply;
    private volatile Duration latency = Duration.ZERO;
    private volatile Function<LmRequest, Usage> usage = ScriptedLm::countWords;
    private volatile int chunkSize;

    private ScriptedLm(String id) {
        this.id = id;
    }

    /** @return a script with no rules; add some, or a {@link #reply(String)} */
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
     * @param texts replies in order, one per choice, then failing as unmatched
     * @return the script: {@code create().replies(texts)}
     */
    public static ScriptedLm replying(String... texts) {
        return create().replies(texts);
    }

    /**
     * @param reply computes every reply
     * @return the script: {@code create().reply(reply)}
     */
    public static ScriptedLm answering(Function<LmRequest, String> reply) {
        return create().reply(reply);
    }

    // ---------------------------------------------------------------- replies

    /**
     * @param text the reply to every request no other rule answers
     * @return this
     */
    public ScriptedLm reply(String text) {
        requireNonNull(text, "reply text");
        return reply(r -> text);
    }

    /**
     * @param reply computes the reply to a request no other rule answers
     * @return this
     */
    public ScriptedLm reply(Function<LmRequest, String> reply) {
        requireNonNull(reply, "reply function");
        this.reply = reply;
        return this;
    }

    /**
     * @param when which requests
     * @param text the reply
     * @return this
     */
    public ScriptedLm when(Predicate<LmRequest> when, String text) {
        requireNonNull(text, "reply text");
        return when(when, r -> text);
    }

    /**
     * @param when  which requests
     * @param reply computes the reply
     * @return this
     */
    public ScriptedLm when(Predicate<LmRequest> when, Function<LmRequest, String> reply) {
        requireNonNull(when, "predicate");
        requireNonNull(reply, "reply function");
        rules.add(new Rule(when, reply));
        return this;
    }

    /**
     * @param texts replies given in order, one per choice, before the rules and the reply apply again
     * @return this
     */
    public ScriptedLm replies(String... texts) {
        for (String t : texts) {
            requireNonNull(t, "reply text");
        }
        sequence.addAll(List.of(texts));
        return this;
    }

    /**
     * @param response the whole answer (any choices, tool calls, usage and model) to every request no other rule
     *                 answers
     * @return this
     */
    public ScriptedLm reply(LmResponse response) {
        requireNonNull(response, "reply response");
        this.reply = r -> response;
        return this;
    }

    /**
     * @param when     which requests
     * @param response the whole answer
     * @return this
     */
    public ScriptedLm when(Predicate<LmRequest> when, LmResponse response) {
        requireNonNull(when, "predicate");
        requireNonNull(response, "reply response");
        rules.add(new Rule(when, r -> response));
        return this;
    }

    /**
     * @param responses whole responses (with any choices, tool calls, usage and model), one per call, in the same
     *                  sequence as {@link #replies(String...)}
     * @return this
     */
    public ScriptedLm replies(LmResponse... responses) {
        for (LmResponse r : responses) {
            requireNonNull(r, "response");
        }
        sequence.addAll(List.of(responses));
        return this;
    }

    /**
     * @param latency how long each answer takes ({@code Mono.delay}, so virtual time applies)
     * @return this
     */
    public ScriptedLm latency(Duration latency) {
        if (latency == null || latency.isNegative()) {
            throw new IllegalArgumentException("latency must be >= 0, got " + latency);
        }
        this.latency = latency;
        return this;
    }

    // ---------------------------------------------------------------- faults

    /**
     * @param count how many of the next calls fail
     * @param fault makes each failure
     * @return this
     */
    public ScriptedLm faultNext(int count, Supplier<? extends LmException> fault) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        requireNonNull(fault, "fault supplier");
        for (int i = 0; i < count; i++) {
            pendingFaults.add(fault);
        }
        return this;
    }

    /**
     * @param fault the failure of the next call
     * @return this
     */
    public ScriptedLm faultNext(LmException fault) {
        requireNonNull(fault, "fault");
        return faultNext(1, () -> fault);
    }

    /**
     * @param when  which requests
     * @param fault makes the failure, once per call
     * @return this
     */
    public ScriptedLm faultWhen(Predicate<LmRequest> when, Supplier<? extends LmException> fault) {
        requireNonNull(when, "predicate");
        requireNonNull(fault, "fault supplier");
        plans.add(new Plan(when, fault));
        return this;
    }

    /**
     * Removes every pending fault and fault plan.
     *
     * @return this
     */
    public ScriptedLm clearFaults() {
        pendingFaults.clear();
        plans.clear();
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
            long number = received.incrementAndGet();
            requests.add(request);
            Mono<LmResponse> answer = Mono.fromSupplier(() -> answer(number, request));
            Duration d = latency;
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
                chunks.add(new LmChunk("", i, choices.get(i).finishReason(), null, choices.get(i).toolCalls()));
            }
            chunks.add(LmChunk.ofUsage(response.usage()));
            return chunks;
        });
    }

    private LmResponse answer(long number, LmRequest request) {
        Supplier<? extends LmException> fault = pendingFaults.poll();
        if (fault == null) {
            for (Plan p : plans) {
                if (p.when().test(request)) {
                    fault = p.fault();
                    break;
                }
            }
        }
        if (fault != null) {
            throw fault.get();
        }
        int n = request.config().n() == null ? 1 : request.config().n();
        List<String> texts = new ArrayList<>(n);
        synchronized (sequence) {
            Object head = sequence.peek();
            if (head instanceof LmResponse r) {
                sequence.poll();
                return r;
            }
            for (int i = 0; i < n; i++) {
                head = sequence.peek();
                texts.add(head instanceof String ? (String) sequence.poll() : null);
            }
        }
        for (int i = 0; i < n; i++) {
            if (texts.get(i) == null) {
                Object r = replyFor(number, request);
                if (r instanceof LmResponse whole) {
                    if (i == 0) {
                        return whole;
                    }
                    r = whole.text();
                }
                texts.set(i, String.valueOf(r));
            }
        }
        return new LmResponse(textsToChoices(texts), usage.apply(request.withMessages(withReply(request, texts))),
                request.config().model() == null ? id : request.config().model(), null, null);
    }

    private Object replyFor(long number, LmRequest request) {
        for (Rule r : rules) {
            if (r.when().test(request)) {
                Object o = r.reply().apply(request);
                return o instanceof LmResponse ? o : String.valueOf(o);
            }
        }
        Function<LmRequest, ?> f = reply;
        if (f == null) {
            throw new IllegalStateException("ScriptedLm has no rule, reply in sequence or reply for call #" + number
                    + ": " + request + ", last user message: " + abbreviate(lastUserMessage(request)));
        }
        Object o = f.apply(request);
        return o instanceof LmResponse ? o : String.valueOf(o);
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

    /** @return how many calls were subscribed since creation or {@link #resetRecording()} */
    public long requestCount() {
        return received.get();
    }

    /**
     * Forgets recorded requests and the request count; the script (replies, rules, faults, latency) stays.
     *
     * @return this
     */
    public ScriptedLm resetRecording() {
        requests.clear();
        received.set(0);
        return this;
    }

    private static void requireNonNull(@Nullable Object o, String what) {
        if (o == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
    }

    @Override
    public String toString() {
        return "ScriptedLm[" + id + ", rules=" + rules.size() + ", requests=" + received.get() + "]";
    }
}
