package io.dspex.flink.tests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.flink.BatchJob;
import io.dspex.flink.LmConfig;
import io.dspex.flink.ProgramAsyncFunction;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The command line: the conformance names, defaults, and a clear error naming each bad argument. */
class BatchJobOptionsTest {

    static final String[] BASE = {"--input", "in.jsonl", "--output", "out", "--signature", "question -> answer"};

    static String[] with(String... more) {
        String[] all = new String[BASE.length + more.length];
        System.arraycopy(BASE, 0, all, 0, BASE.length);
        System.arraycopy(more, 0, all, BASE.length, more.length);
        return all;
    }

    @Test
    void everyArgumentOfTheConformanceSurfaceParses() {
        BatchJob.Options o = BatchJob.Options.parse(with("--program", "program.json", "--base-url",
                "http://127.0.0.1:8080/v1", "--model", "llama3.2", "--parallelism", "4", "--concurrency", "64",
                "--checkpoint-ms", "500", "--ordered", "--metric", "exact_match:answer"));

        assertThat(o.input()).isEqualTo("in.jsonl");
        assertThat(o.output()).isEqualTo("out");
        assertThat(o.program()).isEqualTo("program.json");
        assertThat(o.signature()).isEqualTo("question -> answer");
        assertThat(o.baseUrl()).isEqualTo("http://127.0.0.1:8080/v1");
        assertThat(o.model()).isEqualTo("llama3.2");
        assertThat(o.parallelism()).isEqualTo(4);
        assertThat(o.concurrency()).isEqualTo(64);
        assertThat(o.checkpointMs()).isEqualTo(500);
        assertThat(o.ordered()).isTrue();
        assertThat(o.metric()).isEqualTo("exact_match:answer");
        assertThat(o.failFast()).isFalse();
    }

    @Test
    void defaults() {
        BatchJob.Options o = BatchJob.Options.parse(BASE);

        assertThat(o.program()).isNull();
        assertThat(o.baseUrl()).isNull();
        assertThat(o.parallelism()).isZero();
        assertThat(o.concurrency()).isEqualTo(ProgramAsyncFunction.DEFAULT_CONCURRENCY);
        assertThat(o.checkpointMs()).isEqualTo(BatchJob.DEFAULT_CHECKPOINT_MS);
        assertThat(o.timeout()).isEqualTo(ProgramAsyncFunction.DEFAULT_TIMEOUT);
        assertThat(o.ordered()).isFalse();
        assertThat(o.metric()).isNull();
        assertThat(o.requestsPerMinute()).isZero();
        assertThat(o.tokensPerMinute()).isZero();
    }

    @Test
    void rateLimitsAreTheJobsAndMustLeaveEverySubtaskAShare() {
        BatchJob.Options o = BatchJob.Options.parse(with("--parallelism", "4", "--requests-per-minute", "600",
                "--tokens-per-minute", "200000"));
        assertThat(o.requestsPerMinute()).isEqualTo(600);
        assertThat(o.tokensPerMinute()).isEqualTo(200_000);
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--parallelism", "4", "--requests-per-minute", "3")))
                .hasMessage("--requests-per-minute 3 cannot be shared by --parallelism 4 subtasks (each needs at "
                        + "least 1)");
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--tokens-per-minute", "0")))
                .hasMessageStartingWith("--tokens-per-minute must be between 1");
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> BatchJob.Options.parse("--output", "o", "--signature", "a -> b"))
                .hasMessage("--input is required");
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--verbose"))).hasMessage("unknown argument '--verbose'");
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--concurrency")))
                .hasMessage("--concurrency needs a value");
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--concurrency", "0")))
                .hasMessageStartingWith("--concurrency must be between 1");
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--parallelism", "two")))
                .hasMessage("--parallelism must be a whole number, got 'two'");
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--base-url", "http://h/v1")))
                .hasMessageStartingWith("--base-url http://h/v1 needs --model");
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--model", "m")))
                .hasMessageStartingWith("--model m needs --base-url");
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--base-url", "ftp://h", "--model", "m")))
                .hasMessageContaining("http(s) URL");
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--metric", "accuracy:answer")))
                .hasMessageContaining("unknown metric 'accuracy'");
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--metric", "exact_match")))
                .hasMessageContaining("needs a field");
        assertThatThrownBy(() -> BatchJob.Options.parse(with("--input", "again.jsonl")))
                .hasMessage("--input is given more than once");
        assertThatThrownBy(() -> BatchJob.Options.parse("--input", "i", "--output", "o", "--signature", "no arrow"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void optionsBuiltWithoutTheParserAreCheckedToo() {
        assertThatThrownBy(() -> new BatchJob.Options(null, "out", null, "q -> a", null, null, null, 0, 16, 1000,
                1000, false, null, false, 0, 0)).hasMessageContaining("need an input");
        assertThatThrownBy(() -> new BatchJob.Options("in", "out", null, "q -> a", null, null, null, 0, 0, 1000,
                1000, false, null, false, 0, 0)).hasMessageContaining("concurrency 0 (1 or more)");
    }

    @Test
    void theLmConfigNamesTheKeyVariableNeverAKey() {
        LmConfig lm = LmConfig.of("https://api.example.test/v1", "m").withApiKeyVariable("OPENAI_API_KEY")
                .withResponseTimeout(Duration.ofSeconds(5));
        assertThat(lm.toString()).isEqualTo("LmConfig[m at https://api.example.test/v1, API key from $OPENAI_API_KEY, "
                + "response timeout 5000 ms]");
        assertThatThrownBy(() -> LmConfig.of("https://h/v1", " ")).hasMessageContaining("model");
        assertThatThrownBy(() -> lm.withMaxConnections(-1)).hasMessageContaining("maxConnections");
    }
}
