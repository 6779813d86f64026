package io.dspex.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {

    @Test
    void modeFollowsTheWishTheTerminalAndCi() {
        assertThat(ProgressDisplay.choose(true, true, Map.of())).isEqualTo(ProgressDisplay.Mode.BAR);
        assertThat(ProgressDisplay.choose(true, false, Map.of())).isEqualTo(ProgressDisplay.Mode.LOG);
        assertThat(ProgressDisplay.choose(true, true, Map.of("CI", "true"))).isEqualTo(ProgressDisplay.Mode.SILENT);
        assertThat(ProgressDisplay.choose(true, false, Map.of("CI", "1"))).isEqualTo(ProgressDisplay.Mode.SILENT);
        assertThat(ProgressDisplay.choose(true, true, Map.of("CI", "false"))).isEqualTo(ProgressDisplay.Mode.BAR);
        assertThat(ProgressDisplay.choose(false, true, Map.of())).isEqualTo(ProgressDisplay.Mode.SILENT);
    }

    @Test
    void runningScoreIsDescribedAsDspyDoes() {
        assertThat(ProgressDisplay.describe(3, 4)).isEqualTo("Average Metric: 3.00 / 4 (75.0%)");
    }

    private static String runDemo(boolean underPty, boolean ci) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        List<String> javaCmd = List.of(java, "-XX:+AllowRedefinitionToAddDeleteMethods", "-cp", cp,
                ProgressDemo.class.getName());
        List<String> cmd = new ArrayList<>();
        if (underPty) {
            // util-linux `script` runs the command under a pseudo-terminal and copies what it shows to stdout.
            cmd.addAll(List.of("script", "-qec", String.join(" ", javaCmd.stream().map(ProgressDisplayTest::quote)
                    .toList()), "/dev/null"));
        } else {
            cmd.addAll(javaCmd);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("CI");
        if (ci) {
            pb.environment().put("CI", "true");
        }
        pb.environment().putIfAbsent("TERM", "xterm");
        File out = Files.createTempFile("progress", ".txt").toFile();
        pb.redirectOutput(out);
        pb.redirectInput(underPty ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.PIPE);
        Process p = pb.start();
        if (!underPty) {
            p.getOutputStream().close();
        }
        boolean finished = p.waitFor(60, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String text = Files.readString(out.toPath(), StandardCharsets.UTF_8);
        out.delete();
        assertThat(finished).as("demo finished; output:\n" + text).isTrue();
        assertThat(text).as("demo output").contains("RESULT score=75.0 errors=0");
        return text;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static boolean scriptAvailable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "script"))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aTerminalShowsALiveBarWithTheRunningScore() throws Exception {
        assumeTrue(scriptAvailable(), "util-linux `script` is needed to run under a pseudo-terminal");
        String text = runDemo(true, false);
        assertThat(text).contains("Evaluate")
                .contains("100%")
                .contains("40/40")
                .contains("Average Metric: 30.00 / 40 (75.0%)");
        // The bar redraws in place with carriage returns rather than printing a line per update.
        assertThat(text).contains("\r");
        assertThat(text).doesNotContain("Evaluated 40 / 40");
    }

    @Test
    void withoutATerminalProgressGoesToLogLinesAndNoBarIsDrawn() throws Exception {
        String text = runDemo(false, false);
        // Which four examples finish first depends on scheduling (four run at once), so the first line's running score
        // may be any of them; the last line's is the whole dev set's.
        assertThat(text).containsPattern("Evaluated 4 / 40 examples \\(0 errors\\)\\. Average Metric: [0-4]\\.00 / 4 \\(")
                .contains("Evaluated 40 / 40 examples (0 errors). Average Metric: 30.00 / 40 (75.0%)");
        assertThat(text).doesNotContain("\r").doesNotContain("40/40").doesNotContain("100%");
    }

    @Test
    void inCiNothingIsShownEvenOnATerminal() throws Exception {
        assumeTrue(scriptAvailable(), "util-linux `script` is needed to run under a pseudo-terminal");
        for (boolean pty : new boolean[] {true, false}) {
            String text = runDemo(pty, true);
            assertThat(text).doesNotContain("Evaluated").doesNotContain("40/40").doesNotContain("100%");
        }
    }
}
