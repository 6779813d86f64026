package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.lm.AnthropicLm;
import io.dspex.lm.GeminiLm;
import io.dspex.lm.OpenAiCompatibleLm;
import io.dspex.lm.Usage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuickstartTest {

    @Test
    void printsAnswersReasoningAndTokenUsageFromTheSimulatedModelOverHttp() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Provider provider = Provider.simulated(); PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Samples.run("quickstart", List.of(), out, provider);
            assertThat(provider.server().orElseThrow().requestCount()).isEqualTo(7);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);
        String[] lines = printed.split("\n");
        assertThat(lines[0]).startsWith("No API key (OPENAI_API_KEY, ANTHROPIC_API_KEY, "
                + "GEMINI_API_KEY) or DSPEX_BASE_URL set: using a SIMULATED model")
                .contains("http://127.0.0.1:");
        assertThat(printed)
                .contains("What is 7 times 6?  ->  42   (")
                .contains("What is 120 minus 45?  ->  75")
                .contains("What is 3 plus 4?  ->  7   (")
                .contains("What is 3 plus 4?  ->  seven")
                .contains("reasoning: 7 times 6 is 42.")
                .contains("answer:    75")
                .containsPattern("Total: \\d+ prompt \\+ \\d+ completion = \\d+ tokens\\.");
    }

    @Test
    void returnsTheTotalUsage() {
        try (Provider provider = Provider.simulated()) {
            Usage total = Quickstart.run(provider.lm(), new PrintStream(new ByteArrayOutputStream(), true,
                    StandardCharsets.UTF_8));
            assertThat(total.promptTokens()).isPositive();
            assertThat(total.completionTokens()).isPositive();
            assertThat(total.totalTokens()).isEqualTo(total.promptTokens() + total.completionTokens());
        }
    }

    @Test
    void providerComesFromTheEnvironmentAndNeverShowsTheKey() {
        try (Provider openai = Provider.from(Map.of("OPENAI_API_KEY", "sk-secret-123"))) {
            assertThat(openai.isSimulated()).isFalse();
            assertThat(openai.description()).contains("https://api.openai.com/v1").contains("gpt-4o-mini")
                    .doesNotContain("sk-secret-123");
            assertThat(openai.banner() + openai + openai.lm()).doesNotContain("sk-secret-123");
        }
        try (Provider local = Provider.from(Map.of("DSPEX_BASE_URL", "http://localhost:11434/v1",
                "DSPEX_MODEL", "llama3.2", "DSPEX_API_KEY", "k-456", "OPENAI_API_KEY", "sk-other"))) {
            assertThat(local.description()).contains("llama3.2").contains("http://localhost:11434/v1")
                    .doesNotContain("k-456").doesNotContain("sk-other");
        }
        try (Provider claude = Provider.from(Map.of("ANTHROPIC_API_KEY", "sk-ant-secret-1"))) {
            assertThat(claude.lm()).isInstanceOf(AnthropicLm.class);
            assertThat(claude.description()).contains("https://api.anthropic.com")
                    .contains(Provider.DEFAULT_ANTHROPIC_MODEL);
            assertThat(claude.banner() + claude + claude.lm()).doesNotContain("sk-ant-secret-1");
        }
        try (Provider gemini = Provider.from(Map.of("GEMINI_API_KEY", "AIza-secret-2", "DSPEX_MODEL", "gemini-pro"))) {
            assertThat(gemini.lm()).isInstanceOf(GeminiLm.class);
            assertThat(gemini.description()).contains("generativelanguage.googleapis.com").contains("gemini-pro");
            assertThat(gemini.banner() + gemini + gemini.lm()).doesNotContain("AIza-secret-2");
        }
        try (Provider first = Provider.from(Map.of("OPENAI_API_KEY", "sk-1", "ANTHROPIC_API_KEY", "sk-ant-2",
                "GEMINI_API_KEY", "AIza-3"))) {
            assertThat(first.lm()).as("OpenAI's key wins, then Anthropic's, then Gemini's")
                    .isInstanceOf(OpenAiCompatibleLm.class);
        }
        try (Provider simulated = Provider.from(Map.of("OPENAI_API_KEY", " "))) {
            assertThat(simulated.isSimulated()).isTrue();
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Provider.from(Map.of("DSPEX_BASE_URL",
                        "http://localhost:8000/v1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("DSPEX_MODEL");
    }
}
