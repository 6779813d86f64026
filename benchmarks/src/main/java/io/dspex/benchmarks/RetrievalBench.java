package io.dspex.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.dspex.retrieve.Embedder;
import io.dspex.retrieve.Embeddings;
import io.dspex.retrieve.Passage;
import io.dspex.retrieve.local.LocalEmbedder;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import reactor.core.publisher.Mono;

/**
 * The retrieval benchmarks, side by side in one JVM and one run:
 *
 * <ol>
 *   <li><b>embedding throughput</b>: {@code LocalEmbedder.allMiniLmL6V2()} against LangChain4j's in-process
 *       {@code AllMiniLmL6V2EmbeddingModel.embedAll} on the same sentences (all under 128 word pieces, where both
 *       compute the same vectors) and the same ONNX Runtime, rounds interleaved, median reported; plus the latency of
 *       one short query;</li>
 *   <li><b>exact search</b>: {@code Embeddings.search(vector, 10)} over 100,000 x 384 vectors (exact below the
 *       threshold), p50/p99 over the queries;</li>
 *   <li><b>HNSW search</b>: the same over 1,000,000 x 384 vectors through Lucene's graph: build time, heap, recall@10
 *       against an exact scan, p50/p99.</li>
 * </ol>
 *
 * <p>The vectors of 2 and 3 are synthetic (embedding a million texts would take hours on 2 cores): each is
 * {@code A z + e}, normalized, where {@code z} is a 32-dimensional point near one of 2,000 cluster centres, {@code A}
 * a fixed random 384 x 32 projection and {@code e} small isotropic noise, a stand-in for real sentence embeddings,
 * whose intrinsic dimension is low. Uniformly random 384-dimensional vectors, the hardest case for any graph index,
 * are reported too, at 100,000.
 *
 * <pre>{@code
 * benchmarks/run-retrieval.sh            # full: about 15 minutes on 2 cores
 * benchmarks/run-retrieval.sh --quick    # 100,000 for the HNSW part
 * }</pre>
 */
public final class RetrievalBench {

    private static final int DIM = 384;

    private RetrievalBench() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = Arrays.asList(args).contains("--quick");
        Path json = Path.of(value(args, "--json", "benchmarks/target/retrieval-results.json"));
        int hnswSize = Integer.parseInt(value(args, "--hnsw-size", quick ? "100000" : "1000000"));
        int exactSize = Integer.parseInt(value(args, "--exact-size", "100000"));
        String only = value(args, "--only", "embed,exact,hnsw,random");

        Map<String, Object> results = new LinkedHashMap<>();
        Machine machine = Machine.describe();
        results.put("machine", machine);
        results.put("load_before", Machine.loadAverage());
        long started = System.nanoTime();
        if (only.contains("embed")) {
            results.put("embedding", embedding(quick));
        }
        if (only.contains("exact")) {
            results.put("exact", exactSearch(exactSize));
        }
        if (only.contains("hnsw")) {
            results.put("hnsw", hnswSearch(hnswSize, true));
        }
        if (only.contains("random")) {
            results.put("hnsw_uniform_random", hnswSearch(100_000, false));
        }
        results.put("load_after", Machine.loadAverage());
        results.put("minutes", (System.nanoTime() - started) / 60e9);
        Files.createDirectories(json.toAbsolutePath().getParent());
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Files.write(json, mapper.writeValueAsBytes(results));
        System.out.println(mapper.writeValueAsString(results));
    }

    // ---------------------------------------------------------------- embedding throughput

    static Map<String, Object> embedding(boolean quick) {
        List<String> sentences = sentences(quick ? 256 : 1024, 42);
        List<TextSegment> segments = sentences.stream().map(TextSegment::from).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sentences", sentences.size());
        out.put("mean_words", sentences.stream().mapToInt(s -> s.split(" ").length).average().orElse(0));
        try (LocalEmbedder ours = LocalEmbedder.allMiniLmL6V2()) {
            AllMiniLmL6V2EmbeddingModel theirs = new AllMiniLmL6V2EmbeddingModel();
            // Same vectors first: the comparison is of equal work.
            float[] a = ours.embed(List.of(sentences.get(0))).block().get(0);
            float[] b = theirs.embed(sentences.get(0)).content().vector();
            out.put("cosine_ours_vs_langchain4j_first_sentence", cosine(a, b));
            // Warm-up: both, twice.
            for (int i = 0; i < 2; i++) {
                ours.embed(sentences).block();
                theirs.embedAll(segments);
            }
            int rounds = quick ? 3 : 5;
            double[] oursRate = new double[rounds];
            double[] theirsRate = new double[rounds];
            double[] oursCpu = new double[rounds];
            double[] theirsCpu = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long c0 = cpuNanos();
                long t0 = System.nanoTime();
                List<float[]> v = ours.embed(sentences).block();
                long t1 = System.nanoTime();
                long c1 = cpuNanos();
                theirs.embedAll(segments);
                long t2 = System.nanoTime();
                long c2 = cpuNanos();
                oursCpu[r] = (c1 - c0) / 1e6 / sentences.size();
                theirsCpu[r] = (c2 - c1) / 1e6 / sentences.size();
                if (v.size() != sentences.size()) {
                    throw new IllegalStateException("wrong count");
                }
                oursRate[r] = sentences.size() / ((t1 - t0) / 1e9);
                theirsRate[r] = sentences.size() / ((t2 - t1) / 1e9);
                System.err.printf(Locale.ROOT, "embedding round %d: ours %.0f/s, langchain4j %.0f/s%n", r,
                        oursRate[r], theirsRate[r]);
            }
            out.put("dspex_local_sentences_per_s", median(oursRate));
            out.put("langchain4j_sentences_per_s", median(theirsRate));
            out.put("ratio", median(oursRate) / median(theirsRate));
            out.put("cpu_ms_per_sentence_dspex_local", median(oursCpu));
            out.put("cpu_ms_per_sentence_langchain4j", median(theirsCpu));
            out.put("rounds", rounds);

            // One short query, as a search embeds it.
            int n = quick ? 50 : 200;
            double[] oursLatency = new double[n];
            double[] theirsLatency = new double[n];
            for (int i = 0; i < n; i++) {
                String q = sentences.get(i % sentences.size());
                long t0 = System.nanoTime();
                ours.embed(List.of(q)).block();
                long t1 = System.nanoTime();
                theirs.embed(q);
                long t2 = System.nanoTime();
                oursLatency[i] = (t1 - t0) / 1e6;
                theirsLatency[i] = (t2 - t1) / 1e6;
            }
            out.put("one_query_p50_ms_dspex_local", percentile(oursLatency, 50));
            out.put("one_query_p50_ms_langchain4j", percentile(theirsLatency, 50));
        }
        return out;
    }

    /** Deterministic English-like sentences of 8 to 40 words from a fixed vocabulary. */
    static List<String> sentences(int n, long seed) {
        String[] words = ("the a of to and in is that for it on with as was by at from this be are or an which have"
                + " not were has but all can their one more will when been there would other so into some its"
                + " than time could only new about these may after first also two people like over most such"
                + " retrieval model language question answer passage search vector embedding corpus index graph"
                + " river mountain city country capital history science music water energy market system data"
                + " computer network program library reactor stream signal memory latency throughput cluster").split(" ");
        Random random = new Random(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = 8 + random.nextInt(33);
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < len; w++) {
                if (w > 0) {
                    sb.append(' ');
                }
                String word = words[random.nextInt(words.length)];
                sb.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word);
            }
            out.add(sb.append('.').toString());
        }
        return out;
    }

    // ---------------------------------------------------------------- search

    static Map<String, Object> exactSearch(int size) {
        Vectors data = Vectors.clustered(size, 200, 7);
        Embedder unused = texts -> Mono.error(new UnsupportedOperationException("search by vector"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("vectors", size);
        out.put("dimension", DIM);
        long t0 = System.nanoTime();
        Embeddings index = Embeddings.builder(data.names(), unused).vectors(data.rows)
                .bruteForceThreshold(Integer.MAX_VALUE).build().block();
        out.put("build_s", (System.nanoTime() - t0) / 1e9);
        // Warm-up, then measure.
        for (int i = 0; i < 30; i++) {
            index.search(data.queries.get(i % data.queries.size()), 10).block();
        }
        double[] ms = new double[data.queries.size()];
        // The JVM's CPU clock ticks in 10 ms here: CPU time is measured over the whole loop.
        long cpu0 = cpuNanos();
        for (int i = 0; i < ms.length; i++) {
            long s = System.nanoTime();
            List<Passage> found = index.search(data.queries.get(i), 10).block();
            ms[i] = (System.nanoTime() - s) / 1e6;
            if (found.size() != 10) {
                throw new IllegalStateException("expected 10 passages");
            }
        }
        out.put("queries", ms.length);
        out.put("k", 10);
        out.put("p50_ms", percentile(ms, 50));
        out.put("p99_ms", percentile(ms, 99));
        out.put("cpu_ms_per_query_mean", (cpuNanos() - cpu0) / 1e6 / ms.length);
        out.put("matrix_mb", (double) size * DIM * 4 / (1 << 20));
        System.err.printf(Locale.ROOT, "exact %d: p50 %.2f ms p99 %.2f ms%n", size, percentile(ms, 50),
                percentile(ms, 99));
        return out;
    }

    static Map<String, Object> hnswSearch(int size, boolean clustered) {
        Vectors data = clustered ? Vectors.clustered(size, 200, 11) : Vectors.uniform(size, 200, 13);
        Embedder unused = texts -> Mono.error(new UnsupportedOperationException("search by vector"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("data", clustered ? "clustered, intrinsic dimension 32 (see javadoc)" : "uniformly random");
        out.put("vectors", size);
        out.put("dimension", DIM);
        System.gc();
        long heapBefore = usedHeap();
        long c0 = cpuNanos();
        long t0 = System.nanoTime();
        Embeddings index = Embeddings.builder(data.names(), unused).vectors(data.rows).build().block();
        double buildS = (System.nanoTime() - t0) / 1e9;
        double buildCpuS = (cpuNanos() - c0) / 1e9;
        System.gc();
        long heapAfter = usedHeap();
        if (!index.approximate()) {
            throw new IllegalStateException("expected an HNSW index");
        }
        out.put("build_s", buildS);
        out.put("build_cpu_s", buildCpuS);
        out.put("index_heap_mb", (heapAfter - heapBefore) / (double) (1 << 20));
        out.put("of_which_exact_matrix_mb", (double) size * DIM * 4 / (1 << 20));
        System.err.printf(Locale.ROOT, "hnsw %d built in %.1f s, heap +%.0f MB%n", size, buildS,
                (heapAfter - heapBefore) / (double) (1 << 20));

        // Ground truth by an exact scan of the same (normalized) vectors.
        List<Set<Integer>> truth = new ArrayList<>();
        for (float[] q : data.queries) {
            truth.add(exactTop(data.rows, q, 10));
        }
        for (int i = 0; i < 30; i++) {
            index.search(data.queries.get(i % data.queries.size()), 10).block();
        }
        double[] ms = new double[data.queries.size()];
        int hits = 0;
        long cpu0 = cpuNanos();
        for (int i = 0; i < ms.length; i++) {
            long s = System.nanoTime();
            List<Passage> found = index.search(data.queries.get(i), 10).block();
            ms[i] = (System.nanoTime() - s) / 1e6;
            for (Passage p : found) {
                if (truth.get(i).contains(p.index())) {
                    hits++;
                }
            }
        }
        out.put("queries", ms.length);
        out.put("k", 10);
        out.put("candidates", 100);
        out.put("recall_at_10", hits / (10.0 * ms.length));
        out.put("p50_ms", percentile(ms, 50));
        out.put("p99_ms", percentile(ms, 99));
        out.put("cpu_ms_per_query_mean", (cpuNanos() - cpu0) / 1e6 / ms.length);
        System.err.printf(Locale.ROOT, "hnsw %d: recall@10 %.4f p50 %.2f ms p99 %.2f ms%n", size,
                hits / (10.0 * ms.length), percentile(ms, 50), percentile(ms, 99));
        index.close();
        return out;
    }

    private static Set<Integer> exactTop(List<float[]> rows, float[] q, int k) {
        double[] best = new double[k];
        int[] idx = new int[k];
        Arrays.fill(best, Double.NEGATIVE_INFINITY);
        for (int r = 0; r < rows.size(); r++) {
            float[] v = rows.get(r);
            double s = 0;
            for (int j = 0; j < v.length; j++) {
                s += v[j] * q[j];
            }
            if (s > best[k - 1]) {
                int p = k - 1;
                while (p > 0 && best[p - 1] < s) {
                    best[p] = best[p - 1];
                    idx[p] = idx[p - 1];
                    p--;
                }
                best[p] = s;
                idx[p] = r;
            }
        }
        Set<Integer> out = new HashSet<>();
        for (int i : idx) {
            out.add(i);
        }
        return out;
    }

    /** Unit-length vectors and queries from the same distribution (the queries are not in the corpus). */
    record Vectors(List<float[]> rows, List<float[]> queries) {

        List<String> names() {
            return IntStream.range(0, rows.size()).mapToObj(i -> "passage " + i).toList();
        }

        static Vectors uniform(int n, int queries, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            List<float[]> rows = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                rows.add(gaussian(random, DIM, 1));
            }
            List<float[]> qs = new ArrayList<>(queries);
            for (int i = 0; i < queries; i++) {
                qs.add(gaussian(random, DIM, 1));
            }
            return new Vectors(rows, qs);
        }

        static Vectors clustered(int n, int queries, long seed) {
            int latent = 32;
            int clusters = 2_000;
            SplittableRandom random = new SplittableRandom(seed);
            float[][] projection = new float[DIM][];
            for (int i = 0; i < DIM; i++) {
                projection[i] = gaussian(random, latent, 0);
            }
            float[][] centres = new float[clusters][];
            for (int c = 0; c < clusters; c++) {
                centres[c] = gaussian(random, latent, 0);
            }
            List<float[]> rows = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                rows.add(point(random, projection, centres));
            }
            List<float[]> qs = new ArrayList<>(queries);
            for (int i = 0; i < queries; i++) {
                qs.add(point(random, projection, centres));
            }
            return new Vectors(rows, qs);
        }

        private static float[] point(SplittableRandom random, float[][] projection, float[][] centres) {
            float[] c = centres[random.nextInt(centres.length)];
            int latent = c.length;
            float[] z = new float[latent];
            for (int j = 0; j < latent; j++) {
                z[j] = c[j] + 0.5f * (float) gaussian(random);
            }
            float[] v = new float[DIM];
            for (int i = 0; i < DIM; i++) {
                float s = 0;
                float[] a = projection[i];
                for (int j = 0; j < latent; j++) {
                    s += a[j] * z[j];
                }
                v[i] = s + 0.5f * (float) gaussian(random);
            }
            return normalize(v);
        }

        private static float[] gaussian(SplittableRandom random, int dim, int normalize) {
            float[] v = new float[dim];
            for (int i = 0; i < dim; i++) {
                v[i] = (float) gaussian(random);
            }
            return normalize == 1 ? normalize(v) : v;
        }

        private static double gaussian(SplittableRandom random) {
            // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
            double u = 1 - random.nextDouble();
            double w = random.nextDouble();
            return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
        }

        private static float[] normalize(float[] v) {
            double s = 0;
            for (float x : v) {
                s += (double) x * x;
            }
            float inv = (float) (1 / Math.sqrt(s));
            for (int i = 0; i < v.length; i++) {
                v[i] *= inv;
            }
            return v;
        }
    }

    // ---------------------------------------------------------------- helpers

    /** The JVM's CPU time (all its threads), in nanoseconds: what a measurement costs whatever the machine's load. */
    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    private static long usedHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static String value(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    private static double median(double[] v) {
        return percentile(v, 50);
    }

    private static double percentile(double[] v, double p) {
        double[] s = v.clone();
        Arrays.sort(s);
        int i = (int) Math.ceil(p / 100 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, i))];
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
