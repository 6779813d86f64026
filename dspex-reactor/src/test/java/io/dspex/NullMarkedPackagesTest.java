package io.dspex;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.Test;

/**
 * Every package of the library is {@code @NullMarked}, so that an unannotated type means non-null everywhere, in a
 * package added later too: it needs a {@code package-info.java} with the annotation, or this test names it.
 */
class NullMarkedPackagesTest {

    @Test
    void everyPackageWithClassesIsNullMarked() throws Exception {
        Path classes = Path.of(Program.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> packages;
        try (Stream<Path> files = Files.walk(classes)) {
            packages = files.filter(f -> f.toString().endsWith(".class"))
                    .map(f -> packageOf(classes.relativize(f.getParent())))
                    .filter(p -> p.equals("io.dspex") || p.startsWith("io.dspex."))
                    .collect(Collectors.toCollection(TreeSet::new)).stream().toList();
        }
        assertThat(packages).contains("io.dspex", "io.dspex.lm", "io.dspex.internal");

        List<String> unmarked = packages.stream().filter(p -> !isNullMarked(p)).toList();
        assertThat(unmarked).as("packages without @NullMarked in their package-info.java").isEmpty();
    }

    private static String packageOf(Path directory) {
        StringBuilder name = new StringBuilder();
        for (Path part : directory) {
            name.append(name.length() == 0 ? "" : ".").append(part);
        }
        return name.toString();
    }

    private static boolean isNullMarked(String pkg) {
        try {
            return Class.forName(pkg + ".package-info").isAnnotationPresent(NullMarked.class);
        } catch (ClassNotFoundException noPackageInfo) {
            return false;
        }
    }
}
