package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.Prediction;
import io.dspex.predict.ReAct;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentTest {

    @Test
    void theSimulatedModelLearnsReActFromThePromptAndAnswersWithTheTools() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Provider provider = Provider.simulated();
             PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Samples.run("agent", List.of(), out, provider);
            // 4 + 3 + 2 agent steps, and one extraction per question
            assertThat(provider.server().orElseThrow().requestCount()).isEqualTo(12);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(printed)
                .contains("== ReAct(\"question -> answer\") with tools [calculator, lookup]")
                .contains("lookup {\"name\":\"Paris\"}  ->  {\"city\":\"Paris\",\"country\":\"France\","
                        + "\"population\":2102650,\"area_km2\":105.4}")
                .contains("calculator {\"expression\":\"2102650 - 522250\"}  ->  1580400")
                .contains("answer: 1580400")
                .contains("calculator {\"expression\":\"47.87 * 3\"}  ->  143.61")
                .contains("answer: 143.61")
                .contains("answer: 391")
                .containsPattern("Total: \\d+ prompt \\+ \\d+ completion = \\d+ tokens\\.")
                .doesNotContain("Execution error");
    }

    @Test
    void theToolsOfAnMcpServerJoinTheLocalOnes() {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String command = "\"" + java + "\" -cp \"" + classPath + "\" " + EchoMcpServer.class.getName();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Provider provider = Provider.simulated();
             PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Agent.run(provider.lm(), command, out);
        }
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertThat(printed)
                .contains("tools [echo]")
                .contains("with tools [calculator, lookup, echo]")
                .contains("Q: Call the echo tool with \"hello from DSPEx\".")
                .contains("echo {\"message\":\"hello from DSPEx\"}  ->  echo: hello from DSPEx")
                .contains("answer: echo: hello from DSPEx");
    }

    @Test
    void aNameTheTableDoesNotHaveIsAnObservationAndNoValueIsInvented() {
        try (Provider provider = Provider.simulated()) {
            ReAct agent = ReAct.of("question -> answer", List.of(Agent.calculator(), Agent.lookup()))
                    .withLm(provider.lm());
            Prediction p = agent.forward(Map.of("question", "What is the population of Atlantis minus 3?")).block();
            Map<?, ?> t = (Map<?, ?>) p.get("trajectory");
            assertThat(t.get("tool_name_0")).isEqualTo("lookup");
            assertThat(t.get("observation_0")).isEqualTo("Execution error in lookup: no city named 'Atlantis' in the "
                    + "table");
            assertThat(t.get("tool_name_1")).isEqualTo("finish");
            assertThat(p.get("answer")).isEqualTo("I don't know");
        }
    }

    @Test
    void theCalculatorIsExactAndTheCommandLineKeepsQuotedWords() {
        assertThat(Agent.Calc.evaluate("(2 + 3) * 4")).isEqualTo(20L);
        assertThat(Agent.Calc.evaluate("47.87 * 3")).isEqualTo(143.61);
        assertThat(Agent.Calc.evaluate("1 / 4")).isEqualTo(0.25);
        assertThat(Agent.Calc.evaluate("-3 - -2")).isEqualTo(-1L);
        assertThatThrownBy(() -> Agent.Calc.evaluate("1 / 0")).hasMessageContaining("division by zero");
        assertThatThrownBy(() -> Agent.Calc.evaluate("2 +")).hasMessageContaining("expected a number");
        assertThat(Agent.words("npx -y \"@scope/server x\" --flag ''"))
                .containsExactly("npx", "-y", "@scope/server x", "--flag", "");
    }
}
