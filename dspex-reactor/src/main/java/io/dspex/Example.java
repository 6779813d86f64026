package io.dspex;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonGetter;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One data point: named values, some of which are marked as <em>inputs</em> (DSPy's {@code dspy.Example}).
 * The other keys are <em>labels</em>: the expected outputs a metric compares against, or the outputs of a demo.
 *
 * <p>Immutable; keys keep their insertion order; values may be {@code null} (Python's {@code None}).
 * Equality is by value: same keys, same values, same input keys.
 *
 * <pre>{@code
 * Example ex = Example.of(Map.of("question", "2+2?", "answer", "4")).withInputs("question");
 * ex.inputs().toMap();   // {question=2+2?}
 * ex.labels().get("answer"); // "4"
 * }</pre>
 *
 * <p>Jackson writes an example as {@code {"data": {...}, "input_keys": [...]}} and reads it back equal.
 */
public final class Example {

    private final Map<String, @Nullable Object> data;
    private final Set<String> inputKeys;

    private Example(Map<String, @Nullable Object> data, Set<String> inputKeys) {
        this.data = data;
        this.inputKeys = inputKeys;
    }

    /**
     * Creates an example with no input keys marked yet.
     *
     * @param values the named values (copied; iteration order kept)
     * @return the example
     * @throws IllegalArgumentException when {@code values} is null or holds a null or blank key
     */
    public static Example of(Map<String, ?> values) {
        if (values == null) {
            throw new IllegalArgumentException("example values must not be null");
        }
        return new Example(copy(values), Set.of());
    }

    @JsonCreator
    static Example fromJson(@JsonProperty("data") @Nullable Map<String, @Nullable Object> data,
                            @JsonProperty("input_keys") @Nullable List<String> inputKeys) {
        Example e = of(data == null ? Map.of() : data);
        return inputKeys == null ? e : e.withInputs(inputKeys.toArray(String[]::new));
    }

    private static Map<String, @Nullable Object> copy(Map<String, ?> values) {
        Map<String, @Nullable Object> m = new LinkedHashMap<>(values.size() * 2);
        for (Map.Entry<String, ?> e : values.entrySet()) {
            String k = e.getKey();
            if (k == null || k.isBlank()) {
                throw new IllegalArgumentException("example keys must be non-blank strings, got "
                        + (k == null ? "null" : "'" + k + "'"));
            }
            m.put(k, e.getValue());
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * Marks which keys are inputs (replacing any earlier marking).
     *
     * @param keys the input keys; each must be present in this example
     * @return a copy with those input keys
     * @throws IllegalArgumentException naming a key that is not in the example
     */
    public Example withInputs(String... keys) {
        if (keys == null) {
            throw new IllegalArgumentException("input keys must not be null");
        }
        Set<String> ks = new LinkedHashSet<>();
        for (String k : keys) {
            if (k == null || !data.containsKey(k)) {
                throw new IllegalArgumentException("input key '" + k + "' is not in the example; its keys are "
                        + data.keySet());
            }
            ks.add(k);
        }
        return new Example(data, Collections.unmodifiableSet(ks));
    }

    /** @return the keys marked as inputs, in the order they were given */
    @JsonGetter("input_keys")
    public Set<String> inputKeys() {
        return inputKeys;
    }

    /** @return all keys, in insertion order */
    public Set<String> keys() {
        return data.keySet();
    }

    /**
     * @return an example holding only the input keys (still marked as inputs)
     * @throws IllegalStateException when no input keys were marked: call {@link #withInputs} first
     */
    public Example inputs() {
        if (inputKeys.isEmpty()) {
            throw new IllegalStateException("inputs() needs input keys: call withInputs(...) on this example first "
                    + "(its keys are " + data.keySet() + ")");
        }
        Map<String, @Nullable Object> m = new LinkedHashMap<>();
        for (String k : inputKeys) {
            m.put(k, data.get(k));
        }
        return new Example(Collections.unmodifiableMap(m), inputKeys);
    }

    /** @return an example holding every key that is not an input (all keys when none are marked) */
    public Example labels() {
        Map<String, @Nullable Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, @Nullable Object> e : data.entrySet()) {
            if (!inputKeys.contains(e.getKey())) {
                m.put(e.getKey(), e.getValue());
            }
        }
        return new Example(Collections.unmodifiableMap(m), Set.of());
    }

    /**
     * @param key a key of this example
     * @return its value (may be {@code null} when the example holds a null)
     * @throws IllegalArgumentException naming the key and the keys present when it is absent
     */
    public @Nullable Object get(String key) {
        if (!data.containsKey(key)) {
            throw new IllegalArgumentException("example has no key '" + key + "'; its keys are " + data.keySet());
        }
        return data.get(key);
    }

    /**
     * @param key      a key
     * @param fallback what to return when the key is absent
     * @return the value, or {@code fallback} when absent
     */
    public @Nullable Object getOrDefault(String key, @Nullable Object fallback) {
        return data.containsKey(key) ? data.get(key) : fallback;
    }

    /**
     * @param key a key
     * @return whether this example holds it
     */
    public boolean has(String key) {
        return data.containsKey(key);
    }

    /**
     * @param key   the key to set
     * @param value its value
     * @return a copy with the key set; input marking kept
     */
    public Example with(String key, @Nullable Object value) {
        Map<String, @Nullable Object> m = new LinkedHashMap<>(data);
        m.put(key, value);
        return new Example(copy(m), inputKeys);
    }

    /**
     * @param keys keys to drop
     * @return a copy without them (also unmarked as inputs)
     */
    public Example without(String... keys) {
        Set<String> drop = new LinkedHashSet<>(Arrays.asList(keys));
        Map<String, @Nullable Object> m = new LinkedHashMap<>(data);
        m.keySet().removeAll(drop);
        Set<String> ks = new LinkedHashSet<>(inputKeys);
        ks.removeAll(drop);
        return new Example(Collections.unmodifiableMap(m), Collections.unmodifiableSet(ks));
    }

    /** @return the values as an unmodifiable map in insertion order (input marking is not included) */
    @JsonGetter("data")
    public Map<String, @Nullable Object> toMap() {
        return data;
    }

    /** @return the number of keys */
    public int size() {
        return data.size();
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof Example e && e.data.equals(data) && e.inputKeys.equals(inputKeys);
    }

    @Override
    public int hashCode() {
        return Objects.hash(data, inputKeys);
    }

    @Override
    public String toString() {
        return "Example(" + data + ") (input_keys=" + inputKeys + ")";
    }
}
