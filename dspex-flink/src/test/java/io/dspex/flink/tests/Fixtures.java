package io.dspex.flink.tests;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.flink.BatchJob;
import io.dspex.predict.RetryPolicy;
import io.dspex.test.MockLmServer;
import io.dspex.test.ParsedRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Shared helpers of the Flink tests: an echo server, a fast retry policy, input files, committed output. */
final class Fixtures {

    private Fixtures() {
    }

    static final ObjectMapper JSON = new ObjectMapper();

    static final Pattern ID = Pattern.compile("q-(\\d+)");

    /** 3 attempts, 2..10 ms backoff, no jitter: exact counts, short runs. */
    static final RetryPolicy FAST = RetryPolicy.defaults().withMaxAttempts(3)
            .withBackoff(Duration.ofMillis(2), Duration.ofMillis(10)).withJitter(0);

    /** The ChatAdapter reply for {@code question -> answer}. */
    static String chatAnswer(String answer) {
        return "[[ ## answer ## ]]\n" + answer + "\n\n[[ ## completed ## ]]";
    }

    /** @return N for a request whose question is {@code q-N}, or -1 */
    static int idOf(ParsedRequest r) {
        Matcher m = ID.matcher(r.lastUserMessage());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** A server answering {@code A-N} to {@code q-N}, not recording requests; not yet started. */
    static MockLmServer echoServer() {
        return MockLmServer.create().recordRequests(false).reply(r -> chatAnswer("A-" + idOf(r)));
    }

    /** Writes {@code {"id": "q-i", "question": "q-i"}} for i in [0, n). */
    static Path inputFile(Path dir, int n) {
        List<String> lines = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            lines.add("{\"id\": \"q-" + i + "\", \"question\": \"q-" + i + "\"}");
        }
        Path file = dir.resolve("in.jsonl");
        try {
            Files.write(file, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** The committed rows under a job's output directory, parsed. */
    static List<JsonNode> rows(Path dir) {
        List<JsonNode> out = new ArrayList<>();
        for (String line : BatchJob.committedRows(dir)) {
            try {
                out.add(JSON.readTree(line));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("not JSON: " + line, e);
            }
        }
        return out;
    }
}
