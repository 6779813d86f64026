package io.dspex.benchmarks;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One measurement: a system in a scenario, one iteration or the median of several. Fields a scenario does not
 * measure are null.
 *
 * @param scenario       the scenario
 * @param system         the system
 * @param throughputPerS completed calls (or examples) per second
 * @param p50Ms          median latency of a call; for streams, of the whole stream (to its last chunk)
 * @param p99Ms          99th percentile of the same
 * @param wallS          wall time of the measured phase (burst, streams, evaluate)
 * @param coldWallS      burst: wall time of the unmeasured first burst, which opens every connection
 * @param peakThreads    peak live threads of the client JVM during the measured phase
 * @param peakHeapMb     peak heap used by the client JVM during the measured phase (sampled every 5 ms)
 * @param firstChunkP50Ms streams: median time to the first chunk
 * @param firstChunkP99Ms streams: 99th percentile time to the first chunk
 * @param completed      calls, streams or examples completed in the measured phase
 * @param errors         calls that failed in the measured phase
 * @param iterations     how many iterations the median is of (1 for a single iteration)
 * @param note           what went wrong or what to know, or null
 * @param clientCpuUsPerCall closed loop: CPU time of the client JVM (all its threads) per completed call in the
 *                       measured phase, in microseconds; less sensitive to other load on the machine than throughput
 * @param connectionsOpened connections the mock server accepted while this fork ran (its warm-up included), or
 *                       null where not counted
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonIgnoreProperties(ignoreUnknown = true)
record Result(
        @JsonProperty("scenario") String scenario,
        @JsonProperty("system") String system,
        @JsonProperty("throughput_per_s") Double throughputPerS,
        @JsonProperty("p50_ms") Double p50Ms,
        @JsonProperty("p99_ms") Double p99Ms,
        @JsonProperty("wall_s") Double wallS,
        @JsonProperty("cold_wall_s") Double coldWallS,
        @JsonProperty("peak_threads") Integer peakThreads,
        @JsonProperty("peak_heap_mb") Double peakHeapMb,
        @JsonProperty("first_chunk_p50_ms") Double firstChunkP50Ms,
        @JsonProperty("first_chunk_p99_ms") Double firstChunkP99Ms,
        @JsonProperty("completed") Long completed,
        @JsonProperty("errors") Long errors,
        @JsonProperty("iterations") Integer iterations,
        @JsonProperty("note") String note,
        @JsonProperty("client_cpu_us_per_call") Double clientCpuUsPerCall,
        @JsonProperty("connections_opened") Long connectionsOpened) {

    /** The same without a connection count (every measurement starts so; the harness adds the count). */
    Result(String scenario, String system, Double throughputPerS, Double p50Ms, Double p99Ms, Double wallS,
           Double coldWallS, Integer peakThreads, Double peakHeapMb, Double firstChunkP50Ms, Double firstChunkP99Ms,
           Long completed, Long errors, Integer iterations, String note, Double clientCpuUsPerCall) {
        this(scenario, system, throughputPerS, p50Ms, p99Ms, wallS, coldWallS, peakThreads, peakHeapMb,
                firstChunkP50Ms, firstChunkP99Ms, completed, errors, iterations, note, clientCpuUsPerCall, null);
    }

    /** The same without client CPU and connection count. */
    Result(String scenario, String system, Double throughputPerS, Double p50Ms, Double p99Ms, Double wallS,
           Double coldWallS, Integer peakThreads, Double peakHeapMb, Double firstChunkP50Ms, Double firstChunkP99Ms,
           Long completed, Long errors, Integer iterations, String note) {
        this(scenario, system, throughputPerS, p50Ms, p99Ms, wallS, coldWallS, peakThreads, peakHeapMb,
                firstChunkP50Ms, firstChunkP99Ms, completed, errors, iterations, note, null, null);
    }

    static Result failed(String scenario, String system, String note) {
        return new Result(scenario, system, null, null, null, null, null, null, null, null, null, null, null, 0, note);
    }

    /** @return whether this fork failed: no measurement, an error, or a deadline missed (its note says which) */
    boolean failedFork() {
        return completed == null || (errors != null && errors > 0) || wallS == null && coldWallS == null
                && note != null && note.contains("deadline");
    }

    Result withNote(String n) {
        return new Result(scenario, system, throughputPerS, p50Ms, p99Ms, wallS, coldWallS, peakThreads, peakHeapMb,
                firstChunkP50Ms, firstChunkP99Ms, completed, errors, iterations, n, clientCpuUsPerCall,
                connectionsOpened);
    }

    Result withIterations(int n) {
        return new Result(scenario, system, throughputPerS, p50Ms, p99Ms, wallS, coldWallS, peakThreads, peakHeapMb,
                firstChunkP50Ms, firstChunkP99Ms, completed, errors, n, note, clientCpuUsPerCall,
                connectionsOpened);
    }

    Result withSystem(String s) {
        return new Result(scenario, s, throughputPerS, p50Ms, p99Ms, wallS, coldWallS, peakThreads, peakHeapMb,
                firstChunkP50Ms, firstChunkP99Ms, completed, errors, iterations, note, clientCpuUsPerCall,
                connectionsOpened);
    }

    Result withConnectionsOpened(Long n) {
        return new Result(scenario, system, throughputPerS, p50Ms, p99Ms, wallS, coldWallS, peakThreads, peakHeapMb,
                firstChunkP50Ms, firstChunkP99Ms, completed, errors, iterations, note, clientCpuUsPerCall, n);
    }
}
