package io.dspex.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The machine a run was measured on.
 *
 * @param cpus     available processors
 * @param cpuModel the model name from /proc/cpuinfo
 * @param memoryGb total memory from /proc/meminfo
 * @param jdk      the JVM's name and version
 * @param date     when the run started (UTC)
 */
record Machine(int cpus, String cpuModel, double memoryGb, String jdk, String date) {

    static Machine describe() {
        String model = "unknown";
        double memory = Double.NaN;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    model = line.substring(line.indexOf(':') + 1).strip();
                    break;
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    memory = Math.round(kb / 1024.0 / 1024.0 * 10) / 10.0;
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave what could not be read as unknown
        }
        String jdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
        return new Machine(Runtime.getRuntime().availableProcessors(), model, memory, jdk,
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }

    /** @return the 1, 5 and 15 minute load averages, or "unknown" */
    static String loadAverage() {
        try {
            List<String> parts = List.of(Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+"));
            return String.join(" ", parts.subList(0, 3));
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** @return the 1-minute load average, or NaN */
    static double load1(String loadAverage) {
        try {
            return Double.parseDouble(loadAverage.split(" ")[0]);
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }
}
