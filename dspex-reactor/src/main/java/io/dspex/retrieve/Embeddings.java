package io.dspex.retrieve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dspex.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A corpus and its embeddings, searched by similarity (DSPy's {@code dspy.retrievers.Embeddings}). The corpus is
 * embedded once, when built; each search embeds the query and returns the {@code k} most similar passages, best
 * first, as {@link Passage}s (text, score, corpus position).
 *
 * <pre>{@code
 * Embeddings index = Embeddings.of(List.of("Paris is the capital of France.", "Bern is the capital of Switzerland."),
 *         embedder).block();
 * List<Passage> best = index.search("What is the capital of France?", 1).block();
 * }</pre>
 *
 * <p><b>Similarity.</b> As DSPy: vectors are scaled to unit length (unless {@link Builder#normalize(boolean)} turns
 * that off) and ranked by their dot product, that is cosine similarity. Equal scores go to the lower position.
 *
 * <p><b>Exact and approximate search.</b> Below {@link Builder#bruteForceThreshold(int) the threshold} (20,000
 * passages, as DSPy's) every search compares the query with every vector, held in one contiguous {@code float}
 * matrix: the answer is exact. At or above it, an HNSW graph (Apache Lucene's) finds the
 * {@link Builder#candidates(int) candidates} nearest the query and those are re-ranked exactly, as DSPy re-ranks
 * FAISS's candidates: scores are exact, and the passages are the exact answer's unless the graph missed one (recall
 * below 1). Lucene's HNSW format takes at most 1,024 dimensions: larger vectors are always searched exactly.
 *
 * <p><b>Threads.</b> Building embeds through the embedder and builds the graph on {@code boundedElastic} threads
 * (one indexing thread per core). A search of more than a few hundred passages runs on
 * {@code Schedulers.parallel()}, never on the caller's event loop; an exact search of a large matrix is split into
 * slices of rows searched side by side, one per core. Saving and loading are file work on
 * {@code boundedElastic}.
 *
 * <p><b>Save and load.</b> {@link #save(Path)} writes the corpus, the vectors and the graph to a directory, and
 * {@link #load(Path, Embedder)} reads them back without embedding anything (the graph memory-mapped); a damaged
 * directory fails with an {@link IndexFormatException}.
 *
 * <p>Immutable and thread-safe. An index with a graph holds Lucene resources (memory, or files mapped from a loaded
 * directory): {@link #close()} releases them; an exact index has nothing to close.
 */
public final class Embeddings implements AutoCloseable {

    /** DSPy's {@code brute_force_threshold}: corpora of at least this many passages get an HNSW graph. */
    public static final int DEFAULT_BRUTE_FORCE_THRESHOLD = 20_000;

    private static final String FORMAT = "dspex-embeddings";
    private static final int VERSION = 1;
    private static final String CONFIG_FILE = "embeddings.json";
    private static final String CORPUS_FILE = "corpus.json";
    private static final String VECTORS_FILE = "vectors.f32";
    private static final String GRAPH_DIR = "hnsw";
    private static final byte[] VECTORS_MAGIC = "DSPXVEC1".getBytes(StandardCharsets.US_ASCII);
    /** Lucene's HNSW defaults and bounds (Lucene99HnswVectorsFormat's), restated so the builder documents them. */
    private static final int DEFAULT_MAX_CONN = 16;
    private static final int DEFAULT_BEAM_WIDTH = 100;
    private static final int MAX_CONN = 512;
    private static final int MAX_BEAM = 3200;
    /** From this many passages the graph is built by one indexing thread per core. */
    private static final int PARALLEL_BUILD_ROWS = 50_000;
    /** Below this many floats in the matrix a search is cheaper than a thread hop: it runs on the caller. */
    private static final long INLINE_FLOATS = 1 << 18;

    private final List<String> corpus;
    private final Embedder embedder;
    private final boolean normalize;
    private final int dim;
    private final float[] matrix;
    private final @Nullable HnswIndex graph;
    private final Settings settings;

    /** What a builder sets besides the corpus and the embedder; saved with the index. */
    private record Settings(boolean normalize, int bruteForceThreshold, int maxConn, int beamWidth, int candidates) {
    }

    private Embeddings(List<String> corpus, Embedder embedder, int dim, float[] matrix, @Nullable HnswIndex graph,
                       Settings settings) {
        this.corpus = corpus;
        this.embedder = embedder;
        this.normalize = settings.normalize();
        this.dim = dim;
        this.matrix = matrix;
        this.graph = graph;
        this.settings = settings;
    }

    /**
     * Embeds a corpus with DSPy's defaults: normalized vectors, an HNSW graph from 20,000 passages.
     *
     * <pre>{@code
     * Embeddings index = Embeddings.of(passages, LocalEmbedder.allMiniLmL6V2()).block();
     * }</pre>
     *
     * @param corpus   the passages, at least one, none blank
     * @param embedder embeds the corpus now and each query later
     * @return a lazy {@code Mono} of the index; an {@link IllegalArgumentException} signal for an empty corpus or a
     *         null or blank passage (naming its position), the embedder's error otherwise
     */
    public static Mono<Embeddings> of(List<String> corpus, Embedder embedder) {
        return builder(corpus, embedder).build();
    }

    /**
     * A builder for an index with settings other than DSPy's defaults, or from vectors computed elsewhere.
     *
     * <pre>{@code
     * Embeddings index = Embeddings.builder(passages, embedder).bruteForceThreshold(50_000).candidates(200)
     *         .build().block();
     * }</pre>
     *
     * @param corpus   the passages
     * @param embedder embeds the corpus (unless {@link Builder#vectors(List)} are given) and each query
     * @return the builder
     */
    public static Builder builder(List<String> corpus, Embedder embedder) {
        return new Builder(corpus, embedder);
    }

    /**
     * The {@code k} passages most similar to {@code query}, best first. Embeds the query with this index's embedder.
     *
     * @param query the query, not blank
     * @param k     how many passages, from 1 to {@link #size()}
     * @return a lazy {@code Mono} of the passages; an {@link IllegalArgumentException} signal for a blank query or a
     *         {@code k} out of range, an {@link EmbeddingException} when the query's vector has another dimension
     *         than the corpus's
     */
    public Mono<List<Passage>> search(String query, int k) {
        if (query == null || query.isBlank()) {
            return Mono.error(new IllegalArgumentException("query is " + (query == null ? "null" : query.isEmpty()
                    ? "empty" : "blank") + ": there is nothing to search for"));
        }
        return searchAll(List.of(query), k).map(all -> all.get(0));
    }

    /**
     * The {@code k} best passages for each of several queries, embedded in one call to the embedder.
     *
     * <pre>{@code
     * List<List<Passage>> results = index.searchAll(List.of("first question", "second question"), 3).block();
     * }</pre>
     *
     * @param queries the queries, none blank
     * @param k       how many passages per query, from 1 to {@link #size()}
     * @return a lazy {@code Mono} of one list per query, in order; errors as {@link #search(String, int)}
     */
    public Mono<List<List<Passage>>> searchAll(@Nullable List<String> queries, int k) {
        return Mono.defer(() -> {
            Vectors.checkTexts(queries, "queries");
            checkK(k);
            if (queries.isEmpty()) {
                return Mono.just(List.<List<Passage>>of());
            }
            List<String> qs = List.copyOf(queries);
            return embedder.embed(qs)
                    .switchIfEmpty(Mono.error(() -> new EmbeddingException("embedder '" + embedder.id()
                            + "' completed without vectors for the queries")))
                    .map(vs -> {
                        Vectors.check(vs, qs.size(), 0, "embedder '" + embedder.id() + "'");
                        for (float[] v : vs) {
                            checkDimension(v);
                        }
                        return vs;
                    })
                    .flatMapMany(vs -> Flux.fromIterable(vs)
                            .concatMap(v -> searchVector(normalize ? Vectors.normalized(v) : v, k)))
                    .collectList();
        });
    }

    /**
     * The {@code k} passages most similar to a vector computed elsewhere (scaled to unit length first when this
     * index normalizes).
     *
     * @param vector the query's vector, of {@link #dimension()} components
     * @param k      how many passages, from 1 to {@link #size()}
     * @return a lazy {@code Mono} of the passages, best first; an {@link IllegalArgumentException} signal for a bad
     *         {@code k}, an {@link EmbeddingException} for a vector of another dimension or a non-finite value
     */
    public Mono<List<Passage>> search(float[] vector, int k) {
        return Mono.defer(() -> {
            if (vector == null) {
                throw new IllegalArgumentException("vector must not be null");
            }
            checkK(k);
            Vectors.check(List.of(vector), 1, 0, "the query vector");
            checkDimension(vector);
            return searchVector(normalize ? Vectors.normalized(vector) : vector.clone(), k);
        });
    }

    /**
     * Searches with a checked, normalized query vector: through the graph on a parallel thread; exactly on the
     * caller's thread for a small matrix, else in slices of rows side by side on the parallel scheduler (one per
     * core), whose best k are merged.
     */
    private Mono<List<Passage>> searchVector(float[] q, int k) {
        if (graph != null) {
            return Mono.fromCallable(() -> graphSearch(q, k)).subscribeOn(Schedulers.parallel());
        }
        int rows = corpus.size();
        long floats = (long) rows * dim;
        if (floats < INLINE_FLOATS) {
            return Mono.fromCallable(() -> passages(scan(q, k, 0, rows)));
        }
        int slices = (int) Math.max(1, Math.min(Schedulers.DEFAULT_POOL_SIZE, floats / INLINE_FLOATS));
        int per = (rows + slices - 1) / slices;
        return Flux.range(0, slices)
                .flatMap(s -> Mono.fromCallable(() -> scan(q, k, s * per, Math.min(rows, (s + 1) * per)))
                        .subscribeOn(Schedulers.parallel()), slices)
                .reduce((a, b) -> {
                    float[] scores = new float[b.size()];
                    int[] at = b.sorted(scores);
                    for (int i = 0; i < at.length; i++) {
                        a.offer(scores[i], at[i]);
                    }
                    return a;
                })
                .map(this::passages);
    }

    /** The best k of rows {@code from} (inclusive) to {@code to} (exclusive), by exact dot product. */
    private TopK scan(float[] q, int k, int from, int to) {
        TopK top = new TopK(k);
        for (int r = from, off = from * dim; r < to; r++, off += dim) {
            float score = Vectors.dot(matrix, off, q, 0, dim);
            if (score >= top.threshold()) {
                top.offer(score, r);
            }
        }
        return top;
    }

    private void checkK(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        if (k > corpus.size()) {
            throw new IllegalArgumentException("k=" + k + " is larger than the corpus (" + corpus.size()
                    + (corpus.size() == 1 ? " passage)" : " passages)"));
        }
    }

    private void checkDimension(float[] v) {
        if (v.length != dim) {
            throw new EmbeddingException("the query's vector has " + v.length + " dimensions, the index's have " + dim
                    + " (was the corpus embedded with another model?)");
        }
    }

    private List<Passage> graphSearch(float[] q, int k) {
        int wanted = Math.min(corpus.size(), Math.max(k, settings.candidates() > 0 ? settings.candidates()
                : Math.max(100, 10 * k)));
        int[] candidates;
        try {
            candidates = graph.candidates(q, wanted);
        } catch (IOException e) {
            throw new UncheckedIOException("the HNSW search failed", e);
        }
        TopK top = new TopK(k);
        for (int r : candidates) {
            top.offer(Vectors.dot(matrix, r * dim, q, 0, dim), r);
        }
        return passages(top);
    }

    private List<Passage> passages(TopK top) {
        float[] scores = new float[top.size()];
        int[] rows = top.sorted(scores);
        List<Passage> out = new ArrayList<>(rows.length);
        for (int i = 0; i < rows.length; i++) {
            out.add(new Passage(corpus.get(rows[i]), scores[i], rows[i]));
        }
        return List.copyOf(out);
    }

    /** @return the number of passages */
    public int size() {
        return corpus.size();
    }

    /** @return the dimension of the vectors */
    public int dimension() {
        return dim;
    }

    /** @return the passages, in corpus order (unmodifiable) */
    public List<String> corpus() {
        return corpus;
    }

    /** @return the embedder that embeds queries */
    public Embedder embedder() {
        return embedder;
    }

    /** @return whether vectors are scaled to unit length (cosine similarity) */
    public boolean normalized() {
        return normalize;
    }

    /** @return whether searches go through the HNSW graph (the corpus reached the threshold) */
    public boolean approximate() {
        return graph != null;
    }

    /**
     * A copy of the vector of one passage (unit length when this index normalizes).
     *
     * @param index the passage's position
     * @return its vector
     * @throws IndexOutOfBoundsException when out of range
     */
    public float[] vector(int index) {
        return Arrays.copyOfRange(matrix, Objects.checkIndex(index, corpus.size()) * dim,
                index * dim + dim);
    }

    /**
     * Writes this index into a directory (created if missing; files of an earlier index there are replaced):
     * {@code embeddings.json} (format, sizes, settings, the embedder's id), {@code corpus.json}, {@code vectors.f32}
     * (the vectors as little-endian floats) and, for an approximate index, the Lucene index under {@code hnsw/}.
     *
     * <pre>{@code
     * index.save(Path.of("wiki-index")).block();
     * Embeddings again = Embeddings.load(Path.of("wiki-index"), embedder).block();
     * }</pre>
     *
     * @param directory where to write
     * @return completes when written; the work runs on {@code boundedElastic}; an {@link UncheckedIOException}
     *         signal when a file cannot be written
     */
    public Mono<Void> save(Path directory) {
        return Mono.<Void>fromRunnable(() -> {
            if (directory == null) {
                throw new IllegalArgumentException("directory must not be null");
            }
            try {
                saveNow(directory);
            } catch (IOException e) {
                throw new UncheckedIOException("could not save the index to " + directory, e);
            }
        }).subscribeOn(Schedulers.boundedElastic());
    }

    private void saveNow(Path directory) throws IOException {
        Files.createDirectories(directory);
        ObjectNode config = Json.MAPPER.createObjectNode();
        config.put("format", FORMAT);
        config.put("version", VERSION);
        config.put("size", corpus.size());
        config.put("dimension", dim);
        config.put("normalize", normalize);
        config.put("index", graph == null ? "exact" : "hnsw");
        config.put("brute_force_threshold", settings.bruteForceThreshold());
        config.put("max_conn", settings.maxConn());
        config.put("beam_width", settings.beamWidth());
        config.put("candidates", settings.candidates());
        config.put("embedder", embedder.id());
        ArrayNode texts = Json.MAPPER.createArrayNode();
        corpus.forEach(texts::add);
        Files.write(directory.resolve(CORPUS_FILE), Json.MAPPER.writeValueAsBytes(texts));
        try (OutputStream out = Files.newOutputStream(directory.resolve(VECTORS_FILE))) {
            ByteBuffer header = ByteBuffer.allocate(VECTORS_MAGIC.length + 8);
            header.put(VECTORS_MAGIC).putInt(corpus.size()).putInt(dim);
            out.write(header.array());
            ByteBuffer chunk = ByteBuffer.allocate(4 * 65_536).order(ByteOrder.LITTLE_ENDIAN);
            for (int from = 0; from < matrix.length; from += 65_536) {
                int n = Math.min(65_536, matrix.length - from);
                chunk.clear();
                chunk.asFloatBuffer().put(matrix, from, n);
                out.write(chunk.array(), 0, n * 4);
            }
        }
        if (graph != null) {
            Path graphDir = directory.resolve(GRAPH_DIR);
            deleteRecursively(graphDir);
            graph.save(graphDir);
        }
        // The configuration last: a directory whose save was interrupted has none, or an older one that the sizes
        // of the newer files contradict, so it does not load as a valid index.
        Files.write(directory.resolve(CONFIG_FILE), Json.MAPPER.writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(config));
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (var files = Files.walk(path)) {
            for (Path p : files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * Reads an index written by {@link #save(Path)} without embedding anything; {@code embedder} embeds the queries
     * (use the model the corpus was embedded with).
     *
     * @param directory the directory
     * @param embedder  the embedder for queries
     * @return a lazy {@code Mono} of the index; an {@link IndexFormatException} signal naming the file when the
     *         directory is missing, incomplete, of another format or damaged; the work runs on {@code boundedElastic}
     */
    public static Mono<Embeddings> load(Path directory, Embedder embedder) {
        return Mono.fromCallable(() -> {
            if (directory == null || embedder == null) {
                throw new IllegalArgumentException("directory and embedder must not be null");
            }
            return loadNow(directory, embedder);
        }).subscribeOn(Schedulers.boundedElastic());
    }

    private static Embeddings loadNow(Path dir, Embedder embedder) {
        if (!Files.isDirectory(dir)) {
            throw new IndexFormatException(dir, Files.exists(dir) ? "is not a directory" : "does not exist", null);
        }
        JsonNode config = readJson(dir, CONFIG_FILE);
        if (!FORMAT.equals(config.path("format").asText()) || config.path("version").asInt() != VERSION) {
            throw new IndexFormatException(dir, CONFIG_FILE + " is not a " + FORMAT + " version " + VERSION
                    + " configuration", null);
        }
        int size = positiveInt(dir, config, "size");
        int dim = positiveInt(dir, config, "dimension");
        String kind = config.path("index").asText();
        if (!kind.equals("exact") && !kind.equals("hnsw") || !config.path("normalize").isBoolean()) {
            throw new IndexFormatException(dir, CONFIG_FILE + " has no valid 'index' or 'normalize'", null);
        }
        Settings settings = new Settings(config.path("normalize").asBoolean(),
                config.path("brute_force_threshold").asInt(DEFAULT_BRUTE_FORCE_THRESHOLD),
                config.path("max_conn").asInt(DEFAULT_MAX_CONN),
                config.path("beam_width").asInt(DEFAULT_BEAM_WIDTH), config.path("candidates").asInt(0));
        JsonNode texts = readJson(dir, CORPUS_FILE);
        if (!texts.isArray() || texts.size() != size) {
            throw new IndexFormatException(dir, CORPUS_FILE + " holds " + (texts.isArray() ? texts.size()
                    + " passages" : "no array") + " where " + CONFIG_FILE + " says " + size, null);
        }
        List<String> corpus = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            JsonNode t = texts.get(i);
            if (!t.isTextual()) {
                throw new IndexFormatException(dir, CORPUS_FILE + " entry " + i + " is not a string", null);
            }
            corpus.add(t.asText());
        }
        float[] matrix = readVectors(dir, size, dim);
        HnswIndex graph = null;
        if (kind.equals("hnsw")) {
            Path graphDir = dir.resolve(GRAPH_DIR);
            if (!Files.isDirectory(graphDir)) {
                throw new IndexFormatException(dir, "the HNSW index " + GRAPH_DIR + "/ is missing", null);
            }
            try {
                graph = HnswIndex.open(graphDir);
            } catch (IOException | RuntimeException e) {
                throw new IndexFormatException(dir, "the HNSW index " + GRAPH_DIR + "/ cannot be read ("
                        + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
            }
            if (graph.size() != size) {
                int found = graph.size();
                try {
                    graph.close();
                } catch (IOException ignored) {
                    // Already failing.
                }
                throw new IndexFormatException(dir, "the HNSW index holds " + found + " vectors where "
                        + CONFIG_FILE + " says " + size, null);
            }
        }
        return new Embeddings(List.copyOf(corpus), embedder, dim, matrix, graph, settings);
    }

    private static JsonNode readJson(Path dir, String file) {
        try {
            JsonNode node = Json.MAPPER.readTree(Files.readAllBytes(dir.resolve(file)));
            if (node == null) {
                throw new IndexFormatException(dir, file + " is empty", null);
            }
            return node;
        } catch (NoSuchFileException e) {
            throw new IndexFormatException(dir, file + " is missing", e);
        } catch (IOException e) {
            throw new IndexFormatException(dir, file + " cannot be read as JSON (" + e.getClass().getSimpleName()
                    + ")", e);
        }
    }

    private static int positiveInt(Path dir, JsonNode config, String field) {
        JsonNode n = config.path(field);
        if (!n.canConvertToInt() || n.asInt() < 1) {
            throw new IndexFormatException(dir, CONFIG_FILE + " has no positive integer '" + field + "'", null);
        }
        return n.asInt();
    }

    private static float[] readVectors(Path dir, int size, int dim) {
        Path path = dir.resolve(VECTORS_FILE);
        long floats = (long) size * dim;
        try (InputStream in = Files.newInputStream(path)) {
            byte[] header = in.readNBytes(VECTORS_MAGIC.length + 8);
            ByteBuffer h = ByteBuffer.wrap(header);
            if (header.length < VECTORS_MAGIC.length + 8
                    || !Arrays.equals(header, 0, VECTORS_MAGIC.length, VECTORS_MAGIC, 0, VECTORS_MAGIC.length)) {
                throw new IndexFormatException(dir, VECTORS_FILE + " is not a vectors file", null);
            }
            h.position(VECTORS_MAGIC.length);
            int n = h.getInt();
            int d = h.getInt();
            if (n != size || d != dim) {
                throw new IndexFormatException(dir, VECTORS_FILE + " holds " + n + " x " + d + " vectors where "
                        + CONFIG_FILE + " says " + size + " x " + dim, null);
            }
            if (Files.size(path) != header.length + floats * 4) {
                throw new IndexFormatException(dir, VECTORS_FILE + " has " + Files.size(path) + " bytes where "
                        + size + " x " + dim + " vectors take " + (header.length + floats * 4) + " (truncated?)",
                        null);
            }
            float[] matrix = new float[Math.toIntExact(floats)];
            byte[] chunk = new byte[4 * 65_536];
            for (int from = 0; from < matrix.length; ) {
                int want = Math.min(chunk.length, (matrix.length - from) * 4);
                int got = in.readNBytes(chunk, 0, want);
                if (got != want) {
                    throw new IndexFormatException(dir, VECTORS_FILE + " ends early", null);
                }
                ByteBuffer.wrap(chunk, 0, got).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(matrix, from,
                        got / 4);
                from += got / 4;
            }
            return matrix;
        } catch (NoSuchFileException e) {
            throw new IndexFormatException(dir, VECTORS_FILE + " is missing", e);
        } catch (IOException e) {
            throw new IndexFormatException(dir, VECTORS_FILE + " cannot be read (" + e.getClass().getSimpleName()
                    + ")", e);
        }
    }

    /** Releases the HNSW graph's Lucene resources; an exact index has none. Searching afterwards fails. */
    @Override
    public void close() {
        if (graph != null) {
            try {
                graph.close();
            } catch (IOException e) {
                throw new UncheckedIOException("could not close the HNSW index", e);
            }
        }
    }

    @Override
    public String toString() {
        return "Embeddings(" + corpus.size() + " passages x " + dim + ", " + (graph == null ? "exact" : "hnsw")
                + ", embedder=" + embedder.id() + ")";
    }

    /**
     * Configures an {@link Embeddings} index.
     *
     * <pre>{@code
     * Embeddings index = Embeddings.builder(passages, embedder)
     *         .normalize(true)              // cosine similarity (default)
     *         .bruteForceThreshold(20_000)  // exact below, HNSW at and above (default)
     *         .hnsw(16, 100)                // Lucene's graph degree and build beam (defaults)
     *         .candidates(0)                // graph candidates per search; 0: max(100, 10 k) (default)
     *         .build().block();
     * }</pre>
     */
    public static final class Builder {
        private final List<String> corpus;
        private final Embedder embedder;
        private boolean normalize = true;
        private int bruteForceThreshold = DEFAULT_BRUTE_FORCE_THRESHOLD;
        private int maxConn = DEFAULT_MAX_CONN;
        private int beamWidth = DEFAULT_BEAM_WIDTH;
        private int candidates;
        private @Nullable List<float[]> vectors;

        private Builder(List<String> corpus, Embedder embedder) {
            this.corpus = corpus;
            this.embedder = embedder;
        }

        /**
         * @param normalize scale vectors to unit length and rank by cosine similarity (default true, DSPy's);
         *                  false ranks by the raw dot product
         * @return this builder
         */
        public Builder normalize(boolean normalize) {
            this.normalize = normalize;
            return this;
        }

        /**
         * @param threshold corpora of at least this many passages are searched through an HNSW graph, smaller ones
         *                  exactly (default 20,000, DSPy's); {@code Integer.MAX_VALUE} for always exact
         * @return this builder
         * @throws IllegalArgumentException when below 1
         */
        public Builder bruteForceThreshold(int threshold) {
            if (threshold < 1) {
                throw new IllegalArgumentException("bruteForceThreshold must be at least 1, got " + threshold);
            }
            this.bruteForceThreshold = threshold;
            return this;
        }

        /**
         * @param maxConn   neighbours per node of the graph, 1 to 512 (default 16, Lucene's)
         * @param beamWidth candidates considered when inserting a node, 1 to 3200 (default 100, Lucene's)
         * @return this builder
         * @throws IllegalArgumentException when out of range
         */
        public Builder hnsw(int maxConn, int beamWidth) {
            if (maxConn < 1 || maxConn > MAX_CONN) {
                throw new IllegalArgumentException("maxConn must be 1.." + MAX_CONN + ", got "
                        + maxConn);
            }
            if (beamWidth < 1 || beamWidth > MAX_BEAM) {
                throw new IllegalArgumentException("beamWidth must be 1.." + MAX_BEAM + ", got "
                        + beamWidth);
            }
            this.maxConn = maxConn;
            this.beamWidth = beamWidth;
            return this;
        }

        /**
         * @param candidates how many candidates a graph search collects before the exact re-ranking (more: better
         *                   recall, slower); 0 for {@code max(100, 10 k)} (the default; DSPy takes {@code 10 k})
         * @return this builder
         * @throws IllegalArgumentException when negative
         */
        public Builder candidates(int candidates) {
            if (candidates < 0) {
                throw new IllegalArgumentException("candidates must be 0 or more, got " + candidates);
            }
            this.candidates = candidates;
            return this;
        }

        /**
         * Uses vectors computed elsewhere for the corpus instead of embedding it (the embedder still embeds
         * queries).
         *
         * @param vectors one vector per passage, in corpus order, all of one dimension; null to embed (default)
         * @return this builder
         */
        public Builder vectors(@Nullable List<float[]> vectors) {
            this.vectors = vectors;
            return this;
        }

        /**
         * Embeds the corpus (unless vectors were given) and builds the index.
         *
         * @return a lazy {@code Mono} of the index; an {@link IllegalArgumentException} signal for a null or empty
         *         corpus, a null or blank passage, a null embedder, or given vectors that do not match the corpus;
         *         an {@link EmbeddingException} when the embedder's answer is unusable
         */
        public Mono<Embeddings> build() {
            Settings settings = new Settings(normalize, bruteForceThreshold, maxConn, beamWidth, candidates);
            @Nullable List<float[]> given = vectors == null ? null : new ArrayList<>(vectors);
            return Mono.defer(() -> {
                if (embedder == null) {
                    throw new IllegalArgumentException("embedder must not be null");
                }
                Vectors.checkTexts(corpus, "corpus");
                if (corpus.isEmpty()) {
                    throw new IllegalArgumentException("corpus is empty: there is nothing to search");
                }
                List<String> texts = List.copyOf(corpus);
                Mono<List<float[]>> vs;
                if (given != null) {
                    try {
                        Vectors.check(given, texts.size(), 0, "the given vectors");
                    } catch (EmbeddingException e) {
                        throw new IllegalArgumentException(e.getMessage() + " (one vector per passage of the corpus)");
                    }
                    vs = Mono.just(given);
                } else {
                    vs = embedder.embed(texts)
                            .switchIfEmpty(Mono.error(() -> new EmbeddingException("embedder '" + embedder.id()
                                    + "' completed without vectors for the corpus")))
                            .doOnNext(v -> Vectors.check(v, texts.size(), 0, "embedder '" + embedder.id() + "'"));
                }
                return vs.publishOn(Schedulers.boundedElastic()).map(v -> assemble(texts, v, settings));
            });
        }

        private Embeddings assemble(List<String> texts, List<float[]> vs, Settings settings) {
            int dim = vs.get(0).length;
            long floats = (long) texts.size() * dim;
            if (floats > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(texts.size() + " vectors of " + dim + " dimensions exceed one"
                        + " Java array (2^31 floats)");
            }
            float[] matrix = new float[(int) floats];
            for (int i = 0; i < vs.size(); i++) {
                float[] v = vs.get(i);
                if (v.length != dim) {
                    throw new EmbeddingException("vectors of different dimensions: " + dim + " for passage 0, "
                            + v.length + " for passage " + i);
                }
                System.arraycopy(v, 0, matrix, i * dim, dim);
                if (settings.normalize()) {
                    normalizeRow(matrix, i * dim, dim);
                }
            }
            HnswIndex graph = null;
            if (texts.size() >= settings.bruteForceThreshold() && dim <= HnswIndex.MAX_DIMENSIONS) {
                try {
                    // Several indexing threads build a graph each, which the merge then joins: worth it only when
                    // the graphs are large.
                    int threads = texts.size() < PARALLEL_BUILD_ROWS ? 1 : Runtime.getRuntime().availableProcessors();
                    graph = HnswIndex.build(matrix, texts.size(), dim, settings.normalize(), settings.maxConn(),
                            settings.beamWidth(), threads);
                } catch (IOException e) {
                    throw new UncheckedIOException("could not build the HNSW index", e);
                }
            }
            return new Embeddings(texts, embedder, dim, matrix, graph, settings);
        }

        private static void normalizeRow(float[] m, int off, int dim) {
            double sum = 0;
            for (int j = 0; j < dim; j++) {
                sum += (double) m[off + j] * m[off + j];
            }
            double norm = Math.sqrt(sum);
            if (norm > 1e-12) {
                for (int j = 0; j < dim; j++) {
                    m[off + j] = (float) (m[off + j] / norm);
                }
            }
        }
    }
}
