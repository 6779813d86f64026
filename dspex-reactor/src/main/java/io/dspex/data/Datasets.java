package io.dspex.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import io.dspex.Example;
import io.dspex.internal.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads dataset files into {@link Example}s and splits them (DSPy's {@code DataLoader}: {@code from_json},
 * {@code from_csv}, {@code train_test_split}).
 *
 * <p>Each record becomes one example with its fields in file order; the given input keys are marked as inputs
 * and must be present in every record. JSON values keep their JSON types (strings, numbers, booleans, lists,
 * maps, null); CSV values are strings. Files are UTF-8 (a leading byte-order mark is skipped).
 *
 * <p>Reading is blocking file I/O: call these methods before a reactive pipeline starts, or from
 * {@code Schedulers.boundedElastic()} ({@code Mono.fromCallable(() -> Datasets.readJsonl(p, "q"))
 * .subscribeOn(Schedulers.boundedElastic())}).
 *
 * <pre>{@code
 * List<Example> train = Datasets.readJsonl(Path.of("train.jsonl"), "question");
 * List<Example> dev   = Datasets.readCsv(Path.of("dev.csv"), "question", "context");
 * Datasets.Split s    = Datasets.split(train, 0.8, 42);
 * }</pre>
 */
public final class Datasets {

    private static final TypeReference<LinkedHashMap<String, @Nullable Object>> MAP = new TypeReference<>() { };

    private Datasets() {
    }

    /**
     * A train/dev split.
     *
     * @param train the training examples
     * @param dev   the held-out examples
     */
    public record Split(List<Example> train, List<Example> dev) {
        /**
         * Copies both lists.
         *
         * @param train the training examples
         * @param dev   the held-out examples
         */
        public Split {
            train = List.copyOf(train);
            dev = List.copyOf(dev);
        }
    }

    /**
     * Reads a file by its extension: {@code .jsonl}/{@code .ndjson} as JSON Lines, {@code .json} as a JSON array,
     * {@code .csv} as CSV.
     *
     * @param file      the file
     * @param inputKeys the keys to mark as inputs (none to mark later with {@code withInputs})
     * @return the examples in file order
     * @throws DatasetException when the extension is unknown, the file cannot be read or is malformed, or a record
     *                          lacks an input key
     */
    public static List<Example> read(Path file, String... inputKeys) {
        String name = requireFile(file).getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return readJsonl(file, inputKeys);
        }
        if (name.endsWith(".json")) {
            return readJson(file, inputKeys);
        }
        if (name.endsWith(".csv")) {
            return readCsv(file, inputKeys);
        }
        throw new DatasetException(file, 0, 0, "unknown dataset format: expected a .jsonl, .ndjson, .json or .csv file",
                null);
    }

    /**
     * Reads JSON Lines: one JSON object per line; blank lines are skipped.
     *
     * @param file      the file
     * @param inputKeys the keys to mark as inputs
     * @return the examples in file order
     * @throws DatasetException naming file, line and column for a malformed line, a line that is not an object,
     *                          or a record without an input key
     */
    public static List<Example> readJsonl(Path file, String... inputKeys) {
        requireFile(file);
        String[] keys = requireKeys(inputKeys);
        List<Example> out = new ArrayList<>();
        try (BufferedReader reader = open(file)) {
            String text;
            long lineNo = 0;
            while ((text = reader.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && text.startsWith("\uFEFF")) {
                    text = text.substring(1);
                }
                if (text.isBlank()) {
                    continue;
                }
                try (JsonParser parser = Json.MAPPER.createParser(text)) {
                    JsonToken first = parser.nextToken();
                    if (first != JsonToken.START_OBJECT) {
                        throw new DatasetException(file, lineNo, parser.currentTokenLocation().getColumnNr(),
                                "expected a JSON object, found " + describe(first), null);
                    }
                    Map<String, @Nullable Object> values = parser.readValueAs(MAP);
                    JsonToken extra = parser.nextToken();
                    if (extra != null) {
                        throw new DatasetException(file, lineNo, parser.currentTokenLocation().getColumnNr(),
                                "unexpected " + describe(extra) + " after the JSON object (one object per line)",
                                null);
                    }
                    out.add(example(file, lineNo, 1, values, keys));
                } catch (JsonProcessingException e) {
                    throw malformed(file, e, lineNo);
                }
            }
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        return out;
    }

    /**
     * Reads a JSON array of objects.
     *
     * @param file      the file
     * @param inputKeys the keys to mark as inputs
     * @return the examples in array order
     * @throws DatasetException naming file, line and column for malformed JSON, a top level that is not an array,
     *                          an element that is not an object, or a record without an input key
     */
    public static List<Example> readJson(Path file, String... inputKeys) {
        requireFile(file);
        String[] keys = requireKeys(inputKeys);
        List<Example> out = new ArrayList<>();
        try (Reader reader = open(file); JsonParser parser = Json.MAPPER.createParser(skipBom(reader))) {
            try {
                JsonToken first = parser.nextToken();
                if (first != JsonToken.START_ARRAY) {
                    JsonLocation at = parser.currentTokenLocation();
                    throw new DatasetException(file, at.getLineNr(), at.getColumnNr(),
                            "expected a JSON array of objects, found " + describe(first), null);
                }
                JsonToken t;
                while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
                    JsonLocation at = parser.currentTokenLocation();
                    if (t != JsonToken.START_OBJECT) {
                        throw new DatasetException(file, at.getLineNr(), at.getColumnNr(), "array element "
                                + out.size() + " is " + describe(t) + ", not a JSON object", null);
                    }
                    Map<String, @Nullable Object> values = parser.readValueAs(MAP);
                    out.add(example(file, at.getLineNr(), at.getColumnNr(), values, keys));
                }
                JsonToken extra = parser.nextToken();
                if (extra != null) {
                    JsonLocation at = parser.currentTokenLocation();
                    throw new DatasetException(file, at.getLineNr(), at.getColumnNr(),
                            "unexpected " + describe(extra) + " after the JSON array", null);
                }
            } catch (JsonProcessingException e) {
                throw malformed(file, e, 0);
            }
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        return out;
    }

    /**
     * Reads CSV (RFC 4180): a header row naming the fields, then one record per row; fields may be quoted with
     * {@code "} (a quote inside is doubled) and may then hold commas and line breaks; empty lines are skipped.
     * Every value is a string (an empty field is {@code ""}).
     *
     * @param file      the file
     * @param inputKeys the keys to mark as inputs (header names)
     * @return the examples in file order
     * @throws DatasetException naming file, line and column for an unterminated quote, a stray quote, a row with
     *                          more or fewer fields than the header, a blank or repeated header name, or an input key
     *                          that is not a column
     */
    public static List<Example> readCsv(Path file, String... inputKeys) {
        requireFile(file);
        String[] keys = requireKeys(inputKeys);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        List<CsvParser.Record> records = new CsvParser(file, text).records();
        if (records.isEmpty()) {
            throw new DatasetException(file, 0, 0, "empty CSV file: expected a header row", null);
        }
        CsvParser.Record headerRecord = records.get(0);
        List<String> header = headerRecord.fields();
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < header.size(); i++) {
            String name = header.get(i);
            if (name.isBlank()) {
                throw new DatasetException(file, headerRecord.line(), 0, "header column " + (i + 1)
                        + " has no name", null);
            }
            if (!seen.add(name)) {
                throw new DatasetException(file, headerRecord.line(), 0, "header names column '" + name
                        + "' twice", null);
            }
        }
        for (String k : keys) {
            if (!seen.contains(k)) {
                throw new DatasetException(file, headerRecord.line(), 0, "input key '" + k
                        + "' is not a column; the header has " + header, null);
            }
        }
        List<Example> out = new ArrayList<>(records.size() - 1);
        for (CsvParser.Record r : records.subList(1, records.size())) {
            if (r.fields().size() != header.size()) {
                throw new DatasetException(file, r.line(), 0, "row has " + r.fields().size() + " fields but the header has "
                        + header.size() + " " + header, null);
            }
            Map<String, @Nullable Object> values = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                values.put(header.get(i), r.fields().get(i));
            }
            out.add(example(file, r.line(), 1, values, keys));
        }
        return out;
    }

    /**
     * Splits examples into train and dev after a seeded shuffle: the same list and seed always give the same split
     * on any JVM ({@code Collections.shuffle} with {@code new java.util.Random(seed)}; not the same permutation
     * as Python's {@code random.Random(seed)}). The train set gets {@code Math.round(trainFraction * size)}
     * examples, the dev set the rest.
     *
     * @param examples      the examples (not modified)
     * @param trainFraction the fraction for training, in {@code [0, 1]}
     * @param seed          the shuffle seed
     * @return the split
     * @throws IllegalArgumentException when {@code examples} is null or {@code trainFraction} is outside [0, 1]
     */
    public static Split split(List<Example> examples, double trainFraction, long seed) {
        if (!(trainFraction >= 0 && trainFraction <= 1)) {
            throw new IllegalArgumentException("trainFraction must be between 0 and 1, got " + trainFraction);
        }
        requireExamples(examples);
        return split(examples, (int) Math.round(trainFraction * examples.size()), seed);
    }

    /**
     * Splits examples into {@code trainSize} training examples and the rest, after the seeded shuffle described
     * at {@link #split(List, double, long)}.
     *
     * @param examples  the examples (not modified)
     * @param trainSize how many go to training, in {@code [0, size]}
     * @param seed      the shuffle seed
     * @return the split
     * @throws IllegalArgumentException when {@code examples} is null or {@code trainSize} is out of range
     */
    public static Split split(List<Example> examples, int trainSize, long seed) {
        requireExamples(examples);
        if (trainSize < 0 || trainSize > examples.size()) {
            throw new IllegalArgumentException("trainSize must be between 0 and " + examples.size()
                    + " (the number of examples), got " + trainSize);
        }
        List<Example> shuffled = new ArrayList<>(examples);
        Collections.shuffle(shuffled, new Random(seed));
        return new Split(shuffled.subList(0, trainSize), shuffled.subList(trainSize, shuffled.size()));
    }

    private static Example example(Path file, long line, long column, Map<String, @Nullable Object> values,
                                   String[] keys) {
        for (String k : keys) {
            if (!values.containsKey(k)) {
                throw new DatasetException(file, line, column, "record has no input key '" + k + "'; its keys are "
                        + values.keySet(), null);
            }
        }
        try {
            Example e = Example.of(values);
            return keys.length == 0 ? e : e.withInputs(keys);
        } catch (IllegalArgumentException e) {
            throw new DatasetException(file, line, column, e.getMessage(), e);
        }
    }

    private static BufferedReader open(Path file) throws IOException {
        return Files.newBufferedReader(file, StandardCharsets.UTF_8);
    }

    private static Reader skipBom(Reader reader) throws IOException {
        BufferedReader r = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
        r.mark(1);
        if (r.read() != '\uFEFF') {
            r.reset();
        }
        return r;
    }

    private static String describe(@Nullable JsonToken t) {
        if (t == null) {
            return "nothing";
        }
        switch (t) {
            case START_ARRAY: return "an array";
            case START_OBJECT: return "an object";
            case VALUE_STRING: return "a string";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT: return "a number";
            case VALUE_TRUE:
            case VALUE_FALSE: return "a boolean";
            case VALUE_NULL: return "null";
            default: return t.asString() == null ? t.name() : "'" + t.asString() + "'";
        }
    }

    private static DatasetException malformed(Path file, JsonProcessingException e, long lineOverride) {
        JsonLocation at = e.getLocation();
        long line = lineOverride > 0 ? lineOverride : at == null ? 0 : at.getLineNr();
        long column = at == null ? 0 : at.getColumnNr();
        return new DatasetException(file, line, Math.max(column, 0), "malformed JSON: " + e.getOriginalMessage(), e);
    }

    private static DatasetException unreadable(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new DatasetException(file, 0, 0, "no such file", e);
        }
        if (e instanceof CharacterCodingException) {
            return new DatasetException(file, 0, 0, "not valid UTF-8 text", e);
        }
        return new DatasetException(file, 0, 0, "cannot read the file: " + e, e);
    }

    private static Path requireFile(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null");
        }
        return file;
    }

    private static String[] requireKeys(String[] keys) {
        if (keys == null) {
            return new String[0];
        }
        for (String k : keys) {
            if (k == null || k.isBlank()) {
                throw new IllegalArgumentException("input keys must be non-blank strings, got "
                        + (k == null ? "null" : "'" + k + "'"));
            }
        }
        return keys.clone();
    }

    private static void requireExamples(List<Example> examples) {
        if (examples == null) {
            throw new IllegalArgumentException("examples must not be null");
        }
    }
}
