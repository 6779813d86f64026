package io.dspex;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's packages depend on each other one way only: the JDK's {@code jdeps} reads the compiled classes of
 * {@code dspex-reactor} and this test fails, naming the cycle, when one {@code io.dspex} package reaches itself
 * again through its dependencies (directly, {@code a -> b -> a}, or through others, {@code a -> b -> c -> a}).
 */
class PackageCyclesTest {

    /** A package-level dependency line of {@code jdeps -verbose:package}: {@code   from -> to   where}. */
    private static final Pattern EDGE = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s+.*$");

    @Test
    void ioDspexPackagesFormNoCycle(@TempDir Path copy) throws Exception {
        Map<String, Set<String>> graph = packageGraph(classesWithoutModuleDescriptor(classesDirectory(), copy));

        // A guard against a vacuous pass (jdeps output not understood, classes not found): known edges are seen.
        assertThat(graph).containsKeys("io.dspex", "io.dspex.predict", "io.dspex.optimize");
        assertThat(graph.get("io.dspex.predict")).contains("io.dspex.adapter", "io.dspex.lm");
        Optional<List<String>> cycle = findCycle(graph);
        assertThat(cycle).withFailMessage(() -> "io.dspex packages depend on each other in a cycle: "
                + String.join(" -> ", cycle.orElseThrow()) + "; package graph: " + graph).isEmpty();
    }

    @Test
    void findsDirectAndIndirectCyclesAndNamesTheirPath() {
        Map<String, Set<String>> direct = new TreeMap<>();
        direct.put("a", Set.of("b"));
        direct.put("b", Set.of("a"));
        assertThat(findCycle(direct)).contains(List.of("a", "b", "a"));

        Map<String, Set<String>> indirect = new TreeMap<>();
        indirect.put("a", Set.of("b"));
        indirect.put("b", Set.of("c", "d"));
        indirect.put("c", Set.of("a"));
        assertThat(findCycle(indirect)).contains(List.of("a", "b", "c", "a"));

        Map<String, Set<String>> dag = new TreeMap<>();
        dag.put("a", Set.of("b", "c"));
        dag.put("b", Set.of("c"));
        assertThat(findCycle(dag)).isEmpty();
    }

    /** Where the library's classes are: the directory {@link Program} was loaded from. */
    private static Path classesDirectory() throws URISyntaxException {
        Path path = Path.of(Program.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertThat(path).isDirectory();
        return path;
    }

    /**
     * A copy of the classes without {@code module-info.class}: jdeps reads a directory with a module descriptor as
     * a module and then insists on resolving every module it requires; as plain classes, it reads them alone.
     */
    private static Path classesWithoutModuleDescriptor(Path classes, Path copy) throws IOException {
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                String name = file.getFileName().toString();
                if (Files.isRegularFile(file) && name.endsWith(".class") && !name.equals("module-info.class")) {
                    Path target = copy.resolve(classes.relativize(file).toString());
                    Files.createDirectories(target.getParent());
                    Files.copy(file, target);
                }
            }
        }
        return copy;
    }

    /**
     * The dependencies between {@code io.dspex} packages of the given classes, as {@code jdeps} reports them;
     * dependencies on other libraries and on the JDK are left out, and so is a package's dependency on itself.
     */
    private static Map<String, Set<String>> packageGraph(Path classes) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new AssertionError("the JDK's jdeps tool is not available to this JVM"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // -filter:none keeps dependencies within the same archive; --ignore-missing-deps because the libraries
        // the classes use are not given to jdeps (only io.dspex edges matter here).
        int exit = jdeps.run(new PrintWriter(out), new PrintWriter(err),
                "-verbose:package", "-filter:none", "--ignore-missing-deps", "--multi-release", "17",
                classes.toString());
        assertThat(exit).as("jdeps exit code; stderr: %s; stdout: %s", err, out).isZero();

        Map<String, Set<String>> graph = new TreeMap<>();
        for (String line : out.toString().split("\\R")) {
            Matcher m = EDGE.matcher(line);
            if (m.matches() && isOurs(m.group(1)) && isOurs(m.group(2)) && !m.group(1).equals(m.group(2))) {
                graph.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
            }
        }
        return graph;
    }

    private static boolean isOurs(String pkg) {
        return pkg.equals("io.dspex") || pkg.startsWith("io.dspex.");
    }

    /**
     * A cycle of the graph as the path that closes it ({@code [a, b, c, a]}), or empty when the graph is a DAG.
     * Depth-first search in name order, so the same graph always reports the same cycle.
     */
    static Optional<List<String>> findCycle(Map<String, Set<String>> graph) {
        Map<String, Integer> state = new HashMap<>(); // absent: unvisited; 1: on the current path; 2: done
        for (String start : new TreeSet<>(graph.keySet())) {
            if (state.containsKey(start)) {
                continue;
            }
            Deque<String> path = new ArrayDeque<>();
            Optional<List<String>> cycle = visit(start, graph, state, path);
            if (cycle.isPresent()) {
                return cycle;
            }
        }
        return Optional.empty();
    }

    private static Optional<List<String>> visit(String node, Map<String, Set<String>> graph,
                                                Map<String, Integer> state, Deque<String> path) {
        state.put(node, 1);
        path.addLast(node);
        for (String next : new TreeSet<>(graph.getOrDefault(node, Set.of()))) {
            Integer s = state.get(next);
            if (s == null) {
                Optional<List<String>> cycle = visit(next, graph, state, path);
                if (cycle.isPresent()) {
                    return cycle;
                }
            } else if (s == 1) {
                List<String> onPath = new ArrayList<>(path);
                List<String> cycle = new ArrayList<>(onPath.subList(onPath.indexOf(next), onPath.size()));
                cycle.add(next);
                return Optional.of(cycle);
            }
        }
        path.removeLast();
        state.put(node, 2);
        return Optional.empty();
    }
}
