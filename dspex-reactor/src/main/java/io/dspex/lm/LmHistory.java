package io.dspex.lm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import io.dspex.internal.Json;
import io.dspex.internal.PyFormat;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A bounded record of recent LM calls, printable as DSPy's {@code inspect_history} prints it. Two kinds:
 *
 * <ul>
 *   <li>a model's own history (DSPy's {@code lm.history}): {@link #wrap(LanguageModel)} returns the model with every
 *       completed call recorded here;</li>
 *   <li>the process-wide {@link #global()} one (DSPy's {@code dspy.inspect_history()}), to which every predictor
 *       records each call it makes, whatever its model.</li>
 * </ul>
 *
 * <pre>{@code
 * LmHistory history = new LmHistory(50);
 * LanguageModel lm = history.wrap(OpenAiCompatibleLm.builder()...build());
 * Predict.of("question -> answer").withLm(lm).forward(Map.of("question", "2+2?")).block();
 * System.out.print(history.inspect(1));          // the last call, as DSPy prints it
 * System.out.print(LmHistory.global().inspect(1)); // the same call, in the process-wide history
 * }</pre>
 *
 * <p>Recording takes no lock: a call that completes on an event loop writes one slot of a ring and moves on, so a
 * busy service never waits on the history. The oldest entry is dropped when the ring is full. A snapshot
 * ({@link #entries()}) taken while calls complete may leave out an entry being written at that moment.
 *
 * <p>An entry holds the request and the response, prompts and replies included, in memory only; never an API key.
 */
public final class LmHistory {

    /**
     * One recorded call.
     *
     * @param timestamp when the response arrived
     * @param request   what was sent: messages and call parameters
     * @param response  what came back ({@link Usage#ZERO} usage for a cache hit)
     */
    public record Entry(Instant timestamp, LmRequest request, LmResponse response) {

        /**
         * @throws IllegalArgumentException when a component is null
         */
        public Entry {
            if (timestamp == null || request == null || response == null) {
                throw new IllegalArgumentException("history entry needs a timestamp, a request and a response");
            }
        }

        /** @return the messages sent */
        public List<Message> messages() {
            return request.messages();
        }

        /** @return the text of each choice, in order */
        public List<String> outputs() {
            return response.texts();
        }

        /** @return the tokens the call used */
        public Usage usage() {
            return response.usage();
        }

        /** @return the model that answered, as the provider named it, or null if it did not say */
        public @Nullable String model() {
            return response.model();
        }
    }

    /** A slot of the ring: the entry and its sequence number, so a reader can tell a stale slot from a fresh one. */
    private record Slot(long seq, Entry entry) {
    }

    private static final LmHistory GLOBAL = new LmHistory(100);
    private static final ObjectReader STRICT_JSON = Json.MAPPER.readerFor(Object.class)
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final int capacity;
    private final AtomicReferenceArray<Slot> slots;
    private final AtomicLong next = new AtomicLong();
    /** Entries numbered below this were cleared. */
    private volatile long floor;

    /**
     * @param capacity how many recent calls to keep, at least 1
     * @throws IllegalArgumentException when below 1
     */
    public LmHistory(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("history capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
        this.slots = new AtomicReferenceArray<>(capacity);
    }

    /** @return the process-wide history that every predictor records its calls to (the last 100) */
    public static LmHistory global() {
        return GLOBAL;
    }

    /** @return how many calls it keeps */
    public int capacity() {
        return capacity;
    }

    /**
     * Records a completed call, timestamped now; the oldest is dropped when full. Never blocks.
     *
     * @param request  what was sent
     * @param response what came back
     */
    public void record(LmRequest request, LmResponse response) {
        record(new Entry(Instant.now(), request, response));
    }

    /**
     * Records an entry; the oldest is dropped when full. Never blocks.
     *
     * @param entry the call
     * @throws IllegalArgumentException when null
     */
    public void record(Entry entry) {
        if (entry == null) {
            throw new IllegalArgumentException("history entry must not be null");
        }
        long seq = next.getAndIncrement();
        slots.set((int) (seq % capacity), new Slot(seq, entry));
    }

    /** @return the recorded calls, oldest first (a snapshot) */
    public List<Entry> entries() {
        long end = next.get();
        long start = Math.max(floor, end - capacity);
        List<Entry> out = new ArrayList<>((int) Math.max(0, end - start));
        for (long i = start; i < end; i++) {
            Slot s = slots.get((int) (i % capacity));
            if (s != null && s.seq == i) {
                out.add(s.entry);
            }
        }
        return out;
    }

    /** Forgets every recorded call. */
    public void clear() {
        long end = next.get();
        floor = end;
        for (int i = 0; i < capacity; i++) {
            Slot s = slots.get(i);
            if (s != null && s.seq < end) {
                slots.compareAndSet(i, s, null);
            }
        }
    }

    /**
     * A model that behaves as {@code lm} and records each call that completes here (DSPy's {@code lm.history}); a
     * streamed call is recorded once its stream completes, with its choices' text and tool calls assembled. Failed
     * and cancelled calls are not recorded. Its {@link LanguageModel#id() id} is {@code lm}'s, so caches key it
     * alike. Wrap outside a cache ({@code history.wrap(cache.wrap(lm))}) to record cache hits too, inside it to
     * record only calls that reached the model.
     *
     * @param lm the model
     * @return the recording model
     * @throws IllegalArgumentException when null
     */
    public LanguageModel wrap(LanguageModel lm) {
        if (lm == null) {
            throw new IllegalArgumentException("language model must not be null");
        }
        return new Recording(this, lm);
    }

    /**
     * The last {@code n} calls as DSPy's {@code inspect_history(n, file=...)} writes them, without colours: for each
     * call the timestamp (local time, as Python's {@code datetime.now().isoformat()}), every message under its role
     * (text, image URLs, tool calls), then the first choice as the response and how many other choices there were.
     *
     * @param n how many of the most recent calls, at least 1 (fewer when fewer are recorded)
     * @return the text
     * @throws IllegalArgumentException when {@code n < 1}
     */
    public String inspect(int n) {
        return inspect(n, false);
    }

    /**
     * Like {@link #inspect(int)}, with the ANSI colours DSPy uses when it prints to the terminal when
     * {@code colors} is true.
     *
     * @param n      how many of the most recent calls, at least 1
     * @param colors whether to colour as DSPy does on a terminal
     * @return the text
     * @throws IllegalArgumentException when {@code n < 1}
     */
    public String inspect(int n, boolean colors) {
        if (n < 1) {
            throw new IllegalArgumentException("inspect needs n >= 1 calls to show, got " + n);
        }
        List<Entry> all = entries();
        StringBuilder sb = new StringBuilder();
        for (Entry e : all.subList(Math.max(0, all.size() - n), all.size())) {
            render(e, colors, sb);
        }
        return sb.append("\n\n\n\n").toString();
    }

    private static void render(Entry e, boolean colors, StringBuilder sb) {
        sb.append("\n\n\n\n");
        color(sb, "34", "[" + timestamp(e.timestamp()) + "]", colors).append("\n\n");
        for (Message m : e.request().messages()) {
            String role = m.role().toString();
            color(sb, "31", Character.toUpperCase(role.charAt(0)) + role.substring(1) + " message:", colors)
                    .append("\n\n");
            if (m.hasParts()) {
                for (Message.Part part : m.parts()) {
                    if (part instanceof Message.Part.Text t) {
                        sb.append(PyFormat.strip(t.text())).append('\n');
                    } else if (part instanceof Message.Part.ImageUrl i) {
                        color(sb, "34", PyFormat.strip(image(i.url())), colors).append("\n\n");
                    }
                }
            } else if (!(m.content().isEmpty() && !m.toolCalls().isEmpty())) {
                // An assistant turn that only calls tools has no content on the wire (null), so nothing is printed.
                sb.append(PyFormat.strip(m.content())).append('\n');
            }
            toolCalls(m.toolCalls(), colors, sb);
            sb.append("\n\n");
        }
        List<LmResponse.Choice> choices = e.response().choices();
        LmResponse.Choice first = choices.get(0);
        boolean dicts = choices.stream().anyMatch(c -> !c.toolCalls().isEmpty());
        if (!dicts || !first.text().isEmpty()) {
            color(sb, "31", "Response:", colors).append("\n\n");
            color(sb, "32", lstrip(PyFormat.strip(first.text())), colors).append("\n\n");
        }
        if (dicts) {
            toolCalls(first.toolCalls(), colors, sb);
        }
        if (choices.size() > 1) {
            color(sb, "31", " \t (and " + (choices.size() - 1) + " other completions)", colors).append('\n');
        }
    }

    private static void toolCalls(List<ToolCall> calls, boolean colors, StringBuilder sb) {
        if (calls.isEmpty()) {
            return;
        }
        color(sb, "31", "Tool calls:", colors).append("\n\n");
        for (ToolCall call : calls) {
            String name = call.name().isEmpty() ? "<unknown>" : call.name();
            color(sb, "32", lstrip(name + ": " + arguments(call.arguments())), colors).append("\n\n");
        }
    }

    /** Python's {@code json.loads} then {@code json.dumps(ensure_ascii=False)} of objects and lists, else str(). */
    private static String arguments(String text) {
        Object parsed;
        try {
            parsed = STRICT_JSON.readValue(text);
        } catch (IOException e) {
            return text;
        }
        if (parsed instanceof Map || parsed instanceof List) {
            return PyFormat.dumps(parsed, false);
        }
        return PyFormat.str(parsed);
    }

    /** An image part as DSPy shows it: a data URL's length instead of its bytes, else the URL. */
    private static String image(String url) {
        int at = url.indexOf("base64,");
        if (at < 0) {
            return "<image_url: " + url + ">";
        }
        int from = at + "base64,".length();
        int to = url.indexOf("base64,", from);
        String data = url.substring(from, to < 0 ? url.length() : to);
        return "<" + url.substring(0, at) + "base64,<IMAGE BASE 64 ENCODED(" + data.codePointCount(0, data.length())
                + ")>";
    }

    private static StringBuilder color(StringBuilder sb, String code, String text, boolean colors) {
        if (colors) {
            return sb.append("\u001b[").append(code).append('m').append(text).append("\u001b[0m");
        }
        return sb.append(text);
    }

    private static String lstrip(String s) {
        int i = 0;
        while (i < s.length() && PyFormat.isSpace(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    /** Python's {@code datetime.isoformat()} of the local time: microseconds only when not zero. */
    static String timestamp(Instant instant) {
        LocalDateTime t = LocalDateTime.ofInstant(instant, ZoneId.systemDefault());
        StringBuilder sb = new StringBuilder(26);
        pad(sb, t.getYear(), 4).append('-');
        pad(sb, t.getMonthValue(), 2).append('-');
        pad(sb, t.getDayOfMonth(), 2).append('T');
        pad(sb, t.getHour(), 2).append(':');
        pad(sb, t.getMinute(), 2).append(':');
        pad(sb, t.getSecond(), 2);
        int micros = t.getNano() / 1000;
        if (micros != 0) {
            pad(sb.append('.'), micros, 6);
        }
        return sb.toString();
    }

    private static StringBuilder pad(StringBuilder sb, int value, int width) {
        String digits = Integer.toString(value);
        for (int i = digits.length(); i < width; i++) {
            sb.append('0');
        }
        return sb.append(digits);
    }

    @Override
    public String toString() {
        return "LmHistory[capacity=" + capacity + ", recorded=" + Math.min(capacity, next.get() - floor) + "]";
    }

    /** The decorator of {@link #wrap(LanguageModel)}. */
    private static final class Recording implements LanguageModel {
        private final LmHistory history;
        private final LanguageModel delegate;

        Recording(LmHistory history, LanguageModel delegate) {
            this.history = history;
            this.delegate = delegate;
        }

        @Override
        public Mono<LmResponse> call(LmRequest request) {
            return Mono.defer(() -> delegate.call(request)).doOnNext(response -> history.record(request, response));
        }

        @Override
        public Flux<LmChunk> stream(LmRequest request) {
            return Flux.defer(() -> {
                Assembly assembly = new Assembly();
                return delegate.stream(request).doOnNext(assembly::add)
                        .doOnComplete(() -> assembly.response().ifPresent(r -> history.record(request, r)));
            });
        }

        @Override
        public String id() {
            return delegate.id();
        }

        @Override
        public @Nullable String model() {
            return delegate.model();
        }

        @Override
        public String toString() {
            return "Recorded[" + delegate + "]";
        }
    }

    /** One streamed call's choices, assembled from its chunks (fed from one thread at a time). */
    private static final class Assembly {
        private final Map<Integer, StringBuilder> texts = new TreeMap<>();
        private final Map<Integer, String> reasons = new TreeMap<>();
        private final Map<Integer, List<ToolCall>> calls = new TreeMap<>();
        private @Nullable Usage usage;

        void add(LmChunk chunk) {
            texts.computeIfAbsent(chunk.choiceIndex(), i -> new StringBuilder()).append(chunk.text());
            if (chunk.finishReason() != null) {
                reasons.put(chunk.choiceIndex(), chunk.finishReason());
            }
            if (!chunk.toolCalls().isEmpty()) {
                calls.computeIfAbsent(chunk.choiceIndex(), i -> new ArrayList<>()).addAll(chunk.toolCalls());
            }
            if (chunk.usage() != null) {
                usage = chunk.usage();
            }
        }

        java.util.Optional<LmResponse> response() {
            if (texts.isEmpty()) {
                return java.util.Optional.empty();
            }
            List<LmResponse.Choice> choices = new ArrayList<>(texts.size());
            texts.forEach((i, text) -> choices.add(new LmResponse.Choice(text.toString(), reasons.get(i),
                    calls.getOrDefault(i, List.of()))));
            return java.util.Optional.of(new LmResponse(choices, usage, null, null, null));
        }
    }
}
