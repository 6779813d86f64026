package io.dspex.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} block of the repository's README.md compiles against the current API (with the class path
 * of this test, which holds everything a user sees: the library, the test kit, Reactor).
 *
 * <p>The wrapping rules, so a README author knows what a snippet may assume:
 * <ol>
 *   <li>Each block is compiled on its own, as the body of a method {@code void snippet() throws Exception} of a
 *       class of its own: a block is a sequence of statements, which may include local classes, records, enums
 *       and interfaces (e.g. a {@code Module} subclass, without {@code public} or {@code static}). Blocks do not
 *       see each other's variables.</li>
 *   <li>The class imports every public package of the library and the test kit, {@code java.util},
 *       {@code java.util.function}, {@code java.nio.file}, {@code java.time}, {@code reactor.core.publisher} and
 *       {@code reactor.core.scheduler} (see {@link #IMPORTS}). {@code import} lines at the top of a block are
 *       added to those.</li>
 *   <li>The variables a reader assumes from the surrounding prose are fields of the class ({@link #ASSUMED}:
 *       {@code lm}, {@code trainset}, {@code devset}, {@code path}, ...); a block may also declare its own
 *       variable of the same name, which then hides the field.</li>
 * </ol>
 * Errors are reported as {@code README.md:LINE: message}, LINE being the README's own line.
 */
class ReadmeSnippetsCompileTest {

    /** The imports every block gets. {@code io.dspex.Module} is named so it wins over {@code java.lang.Module}. */
    static final List<String> IMPORTS = List.of(
            "io.dspex.Module",
            "io.dspex.*",
            "io.dspex.adapter.*",
            "io.dspex.data.*",
            "io.dspex.evaluate.*",
            "io.dspex.lm.*",
            "io.dspex.optimize.*",
            "io.dspex.predict.*",
            "io.dspex.signature.*",
            "io.dspex.test.*",
            "java.nio.file.*",
            "java.time.*",
            "java.util.*",
            "java.util.function.*",
            "reactor.core.publisher.*",
            "reactor.core.scheduler.*");

    /** The variables a block may use without declaring them, as {@code type name}. */
    static final List<String> ASSUMED = List.of(
            "OpenAiCompatibleLm lm",
            "List<Example> trainset",
            "List<Example> devset",
            "Path path",
            "Signature signature",
            "Program program",
            "Metric metric");

    private static final Pattern FENCE = Pattern.compile("^\\s*```(.*)$");

    /** One {@code ```java} block: its first line in the README (1-based) and its lines. */
    record Snippet(int firstLine, List<String> lines) {
    }

    @TempDir
    Path out;

    @Test
    void everyJavaBlockOfTheReadmeCompiles() throws IOException {
        List<Snippet> snippets = javaBlocks(Files.readAllLines(readme(), StandardCharsets.UTF_8));
        assertThat(snippets).as("```java blocks in README.md").isNotEmpty();

        List<String> errors = new ArrayList<>();
        for (int i = 0; i < snippets.size(); i++) {
            errors.addAll(compile("ReadmeSnippet" + (i + 1), snippets.get(i)));
        }
        assertThat(errors).as("README.md snippets that do not compile").isEmpty();
    }

    @Test
    void aBrokenSnippetIsReportedAtItsReadmeLine() {
        List<Snippet> snippets = javaBlocks(List.of("# Title", "", "```java",
                "ChainOfThought qa = ChainOfThought.of(\"question -> answer\").withLm(lm);",
                "qa.noSuchMethod();", "```", "```bash", "not java", "```"));
        assertThat(snippets).hasSize(1);
        assertThat(compile("Broken", snippets.get(0))).singleElement(STRING)
                .startsWith("README.md:5: ").contains("noSuchMethod");
    }

    /** @return the README.md of the repository: the nearest one up from the working directory */
    static Path readme() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("README.md");
            if (Files.isRegularFile(candidate) && Files.isDirectory(dir.resolve("samples"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no README.md next to a samples directory above "
                + Path.of("").toAbsolutePath());
    }

    /** The blocks whose info string's first word is {@code java}, with their README line numbers. */
    static List<Snippet> javaBlocks(List<String> readme) {
        List<Snippet> out = new ArrayList<>();
        List<String> current = null;
        boolean inOther = false;
        int first = 0;
        for (int i = 0; i < readme.size(); i++) {
            Matcher m = FENCE.matcher(readme.get(i));
            if (!m.matches()) {
                if (current != null) {
                    current.add(readme.get(i));
                }
                continue;
            }
            if (current != null) {
                out.add(new Snippet(first, current));
                current = null;
            } else if (inOther) {
                inOther = false;
            } else if (m.group(1).strip().toLowerCase(Locale.ROOT).split("\\s+")[0].equals("java")) {
                current = new ArrayList<>();
                first = i + 2;
            } else {
                inOther = true;
            }
        }
        if (current != null) {
            throw new IllegalStateException("README.md: the ```java block from line " + (first - 1) + " is not closed");
        }
        return out;
    }

    /** Compiles one block; @return its errors as {@code README.md:LINE: message} */
    private List<String> compile(String className, Snippet snippet) {
        StringBuilder src = new StringBuilder();
        List<String> body = new ArrayList<>(snippet.lines());
        for (String imp : IMPORTS) {
            src.append("import ").append(imp).append(";\n");
        }
        // The block's own imports, at its top, join the class's; their lines stay (blank) so numbering holds.
        for (int i = 0; i < body.size(); i++) {
            String line = body.get(i).strip();
            if (line.startsWith("import ")) {
                src.append(line).append('\n');
                body.set(i, "");
            } else if (!line.isEmpty()) {
                break;
            }
        }
        src.append("@SuppressWarnings(\"all\")\nclass ").append(className).append(" {\n");
        for (String field : ASSUMED) {
            src.append("    ").append(field).append(";\n");
        }
        src.append("    void snippet() throws Exception {\n");
        int headerLines = (int) src.chars().filter(c -> c == '\n').count();
        for (String line : body) {
            src.append(line).append('\n');
        }
        src.append("    }\n}\n");

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac).as("a JDK's compiler (run the tests on a JDK, not a JRE)").isNotNull();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        JavaFileObject unit = new SimpleJavaFileObject(URI.create("string:///" + className + ".java"),
                JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return src;
            }
        };
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> options = List.of("-classpath", classPath, "-d", out.toString(), "-proc:none",
                "-Xlint:none", "--release", "17");
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT,
                StandardCharsets.UTF_8)) {
            StringWriter log = new StringWriter();
            boolean ok = javac.getTask(log, files, diagnostics, options, null, List.of(unit)).call();
            List<String> errors = new ArrayList<>();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) {
                    long line = d.getLineNumber() - headerLines;
                    String where = line >= 1 && line <= body.size()
                            ? "README.md:" + (snippet.firstLine() + line - 1)
                            : "README.md, block at line " + (snippet.firstLine() - 1) + " (wrapper line "
                            + d.getLineNumber() + ")";
                    errors.add(where + ": " + d.getMessage(Locale.ROOT));
                }
            }
            if (!ok && errors.isEmpty()) {
                errors.add("README.md, block at line " + (snippet.firstLine() - 1) + ": " + log);
            }
            return errors;
        } catch (IOException e) {
            throw new IllegalStateException("cannot close the compiler's file manager", e);
        }
    }
}
