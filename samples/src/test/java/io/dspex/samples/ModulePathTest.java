package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library, the test kit and the samples as named modules on the module path, each in a JVM of its own (the
 * other tests run on the class path): every module they require resolves, the library's packages are open to
 * Jackson where it needs them, and a user's module that opens its package to the library gets its records built.
 *
 * <p>The module path is what Maven resolves for the samples at run time, written to a file by the build (see
 * {@code samples/pom.xml}).
 */
class ModulePathTest {

    /** A generous bound on a child JVM, so that a hung one fails the test instead of the build. */
    private static final long CHILD_LIMIT_MINUTES = 5;

    @Test
    void quickstartRunsAsANamedModule(@TempDir Path workDir) throws Exception {
        String modulePath = property("dspex.samples.classes") + File.pathSeparator + runtimeModulePath();

        Result run = java(workDir, "--module-path", modulePath,
                "--module", "io.dspex.samples/io.dspex.samples.Samples", "quickstart");

        assertThat(run.exitCode).as("exit code; output:%n%s", run.output).isZero();
        assertThat(run.output)
                .contains("using a SIMULATED model")
                .contains("What is 7 times 6?  ->  42   (")
                .contains("reasoning: 7 times 6 is 42.")
                .containsPattern("Total: \\d+ prompt \\+ \\d+ completion = \\d+ tokens\\.")
                .doesNotContain("Exception");
    }

    @Test
    void ragRunsAsANamedModuleWithTheModelFromItsJar(@TempDir Path workDir) throws Exception {
        // dspex-embeddings-local reads the model from a jar with no module name of its own: it must resolve (as an
        // automatic module, beside ONNX Runtime's) and give up its root resources on the module path too.
        String modulePath = property("dspex.samples.classes") + File.pathSeparator + runtimeModulePath();

        Result run = java(workDir, "--module-path", modulePath,
                "--module", "io.dspex.samples/io.dspex.samples.Samples", "rag");

        assertThat(run.exitCode).as("exit code; output:%n%s", run.output).isZero();
        assertThat(run.output)
                .contains("Embedded 24 passages with all-MiniLM-L6-v2")
                .contains("answer:    Elena Fairweather")
                .doesNotContain("Exception");
    }

    @Test
    void aUserModuleGetsJacksonTheCacheItsRecordsAndProgramState(@TempDir Path workDir) throws Exception {
        Path sources = Path.of(property("dspex.samples.moduleCheckSources"));
        Path classes = Files.createDirectories(workDir.resolve("classes"));
        String modulePath = runtimeModulePath();
        compile(sources, classes, modulePath);

        Result run = java(workDir, "--module-path", classes + File.pathSeparator + modulePath,
                "--module", "check/check.ModuleCheck");

        assertThat(run.exitCode).as("exit code; output:%n%s", run.output).isZero();
        assertThat(run.output.lines().filter(l -> l.matches("^[a-z ]+: .*$")))
                .containsExactly(
                        "example: true",
                        "prediction: 4 4",
                        "response: hi",
                        "cache write: cached",
                        "cache read: cached",
                        "record: City[name=Oslo, population=709000]",
                        "rendered: 4",
                        "state: 1",
                        "observed: [dspex.module, gen_ai.client.operation] 1 9.0");
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        assertThat(value).as("system property %s (set by samples/pom.xml for surefire)", name).isNotBlank();
        return value;
    }

    /** The samples' run-time dependencies, as Maven resolved them: the library, the kit and their own. */
    private static String runtimeModulePath() throws IOException {
        return Files.readString(Path.of(property("dspex.samples.runtimePathFile")), StandardCharsets.UTF_8).strip();
    }

    private static void compile(Path sources, Path classes, String modulePath) throws IOException {
        List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--module-path", modulePath));
        try (Stream<Path> files = Files.walk(sources)) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(f -> args.add(f.toString()));
        }
        StringWriter out = new StringWriter();
        int exit = ToolProvider.findFirst("javac").orElseThrow()
                .run(new PrintWriter(out), new PrintWriter(out), args.toArray(String[]::new));
        assertThat(exit).as("javac of %s:%n%s", sources, out).isZero();
    }

    private record Result(int exitCode, String output) {
    }

    /** Runs {@code java args...} in its own JVM with no provider configured, so samples use the simulated model. */
    private static Result java(Path workDir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(args));
        Path output = workDir.resolve("child-output.txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("OPENAI_") || k.startsWith("DSPEX_"));
        Process process = builder.start();
        process.getOutputStream().close();
        if (!process.waitFor(CHILD_LIMIT_MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("the child JVM did not exit: " + command + "; output so far:\n"
                    + Files.readString(output, StandardCharsets.UTF_8));
        }
        return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }
}
