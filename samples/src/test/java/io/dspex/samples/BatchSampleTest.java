package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dspex.Program;
import io.dspex.test.MockLmServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;

class BatchSampleTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern QUESTION = Pattern.compile("What is (\\d+) (plus|minus|times) (\\d+)\\?");

    @TempDir
    Path dir;

    private Provider provider;
    private Program program;
    private Path input;
    private Map<String, String> questions;

    @BeforeEach
    void setUp() throws IOException {
        // A little latency so that an interruption finds runs in flight.
        provider = Provider.simulated(MockLmServer.create().latency(Duration.ofMillis(5), Duration.ofMillis(25), 7));
        program = Tasks.program().withLm(provider.lm());
        input = dir.resolve("questions.jsonl");
        Files.copy(Tasks.resource("questions.jsonl"), input);
        questions = new HashMap<>();
        for (String line : Files.readAllLines(input)) {
            JsonNode n = MAPPER.readTree(line);
            questions.put(n.get("id").asText(), n.get("question").asText());
        }
        assertThat(questions).hasSize(30);
    }

    @AfterEach
    void tearDown() {
        provider.close();
    }

    @Test
    void interruptedAfterSevenResultsThenResumedWritesEveryIdExactlyOnce() throws IOException {
        Path output = dir.resolve("out/answers.jsonl");
        BatchSample.Plan first = BatchSample.plan(input, output);
        assertThat(first.ids()).hasSize(30);
        assertThat(first.skipped()).isZero();

        // The interruption: the consumer stops after seven results, cancelling the runs in flight.
        List<BatchSample.Outcome> seen = BatchSample.run(program, first, 8).take(7).collectList().block();
        assertThat(seen).hasSize(7).allMatch(BatchSample.Outcome::written);
        assertThat(ids(output)).containsExactlyInAnyOrderElementsOf(seen.stream().map(BatchSample.Outcome::id).toList());

        BatchSample.Plan second = BatchSample.plan(input, output);
        assertThat(second.skipped()).isEqualTo(7);
        assertThat(second.ids()).hasSize(23).doesNotContainAnyElementsOf(ids(output));
        List<BatchSample.Outcome> rest = BatchSample.run(program, second, 8).collectList().block();
        assertThat(rest).hasSize(23).allMatch(BatchSample.Outcome::written);

        assertEveryIdOnceWithItsAnswer(output);
        assertThat(BatchSample.plan(input, output).ids()).isEmpty();
    }

    @Test
    void disposedFromAnotherThreadMidRunLosesNothingWritten() throws Exception {
        Path output = dir.resolve("answers.jsonl");
        // Five calls are answered; the later ones wait at a gate that is never opened, so the dispose lands while
        // four runs are in flight, however slow the machine.
        GatedLm gated = new GatedLm(provider.lm(), 5);
        CountDownLatch five = new CountDownLatch(5);
        AtomicInteger emitted = new AtomicInteger();
        Disposable run = BatchSample.run(Tasks.program().withLm(gated), BatchSample.plan(input, output), 4)
                .subscribe(o -> {
                    emitted.incrementAndGet();
                    five.countDown();
                });
        assertThat(five.await(30, TimeUnit.SECONDS)).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (gated.held() < 4 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(gated.held()).as("runs in flight when the dispose lands").isEqualTo(4);
        run.dispose();
        // Every outcome announced is on disk, and only those: the runs in flight were cancelled unanswered.
        assertThat(emitted.get()).isEqualTo(5);
        assertThat(ids(output)).hasSize(5);
        assertThat(gated.started()).as("no run started after the dispose").isEqualTo(9);

        BatchSample.run(program, BatchSample.plan(input, output), 4).blockLast();
        assertEveryIdOnceWithItsAnswer(output);
    }

    @Test
    void aLineCutShortByAKillIsDroppedAndRedone() throws IOException {
        Path output = dir.resolve("answers.jsonl");
        Files.writeString(output, "{\"id\":\"q001\",\"answer\":\"x\"}\n{\"id\":\"q002\",\"answer\":\"y\"}\n{\"id\":\"q003\",\"ans");
        BatchSample.Plan plan = BatchSample.plan(input, output);
        assertThat(plan.skipped()).isEqualTo(2);
        assertThat(plan.ids()).contains("q003").doesNotContain("q001", "q002");
        BatchSample.run(program, plan, 8).blockLast();
        assertThat(ids(output)).hasSize(30).doesNotHaveDuplicates();
    }

    @Test
    void theSampleMainPrintsWhatItDidAndResumes() throws Exception {
        Path output = dir.resolve("main.jsonl");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Samples.run("batch", List.of(input.toString(), output.toString()), out, provider);
        Samples.run("batch", List.of(input.toString(), output.toString()), out, provider);
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(printed).startsWith("No API key (OPENAI_API_KEY, ANTHROPIC_API_KEY, "
                + "GEMINI_API_KEY) or DSPEX_BASE_URL set: using a SIMULATED model")
                .contains("Batch: 30 inputs in " + input + ", 0 already in " + output + ", 30 to run.")
                .contains("Wrote 30 lines to " + output + ".")
                .contains("Batch: 30 inputs in " + input + ", 30 already in " + output + ", 0 to run.");
        assertEveryIdOnceWithItsAnswer(output);
    }

    @Test
    void badInputLinesAreNamedByFileAndLine() throws IOException {
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"id\": \"a\", \"question\": \"What is 1 plus 1?\"}\n{\"question\": \"no id\"}\n");
        assertThatThrownBy(() -> BatchSample.plan(bad, dir.resolve("o.jsonl")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad + ":2").hasMessageContaining("'id'");
        Files.writeString(bad, "{\"id\": \"a\"}\n{\"id\": \"a\"}\n");
        assertThatThrownBy(() -> BatchSample.plan(bad, dir.resolve("o.jsonl")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than once");
        Files.writeString(bad, "not json\n");
        assertThatThrownBy(() -> BatchSample.plan(bad, dir.resolve("o.jsonl")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad + ":1: not valid JSON");
    }

    private void assertEveryIdOnceWithItsAnswer(Path output) throws IOException {
        List<String> ids = ids(output);
        assertThat(ids).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(questions.keySet());
        for (String line : Files.readAllLines(output)) {
            JsonNode n = MAPPER.readTree(line);
            Matcher m = QUESTION.matcher(questions.get(n.get("id").asText()));
            assertThat(m.matches()).isTrue();
            long a = Long.parseLong(m.group(1));
            long b = Long.parseLong(m.group(3));
            long expected = switch (m.group(2)) {
                case "plus" -> a + b;
                case "minus" -> a - b;
                default -> a * b;
            };
            assertThat(n.get("answer").asText()).isEqualTo(Long.toString(expected));
            assertThat(n.get("reasoning").asText()).isNotBlank();
            assertThat(n.get("usage").get("total_tokens").asInt()).isPositive();
        }
    }

    private static List<String> ids(Path output) throws IOException {
        List<String> ids = new ArrayList<>();
        if (!Files.exists(output)) {
            return ids;
        }
        for (String line : Files.readAllLines(output)) {
            ids.add(MAPPER.readTree(line).get("id").asText());
        }
        return ids;
    }
}
