package io.dspex.retrieve;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.IOContext;

/**
 * The approximate half of {@link Embeddings}: a Lucene index with one document per passage, its vector in an HNSW
 * graph ({@link Lucene99HnswVectorsFormat}) and its corpus position as a doc value. Lucene finds candidates; the
 * caller re-ranks them exactly. Built in memory ({@link ByteBuffersDirectory}); loaded memory-mapped from a
 * directory ({@link FSDirectory#open}), so a loaded index costs no heap for its vectors.
 */
final class HnswIndex implements Closeable {

    /** Lucene's own limit on vector dimensions for its HNSW format. */
    static final int MAX_DIMENSIONS = 1024;

    private static final String VECTOR = "v";
    private static final String POSITION = "i";

    private final Directory directory;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;
    /** Lucene document id to corpus position. */
    private final int[] positions;

    private HnswIndex(Directory directory) throws IOException {
        this.directory = directory;
        this.reader = DirectoryReader.open(directory);
        this.searcher = new IndexSearcher(reader);
        // Query caching takes locks and buys nothing for one-off vector queries.
        this.searcher.setQueryCache(null);
        this.positions = new int[reader.maxDoc()];
        for (LeafReaderContext leaf : reader.leaves()) {
            NumericDocValues dv = leaf.reader().getNumericDocValues(POSITION);
            if (dv == null) {
                throw new IOException("the index has no passage positions");
            }
            for (int doc = dv.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = dv.nextDoc()) {
                positions[leaf.docBase + doc] = (int) dv.longValue();
            }
        }
    }

    /**
     * Indexes the rows of {@code matrix} with {@code threads} indexing threads (each builds the graph of its own
     * segment) and merges the segments into one graph, the merge itself spread over the same threads.
     */
    static HnswIndex build(float[] matrix, int rows, int dim, boolean unitLength, int maxConn, int beamWidth,
                           int threads) throws IOException {
        Directory dir = new ByteBuffersDirectory();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "dspex-hnsw-build");
            t.setDaemon(true);
            return t;
        });
        try {
            KnnVectorsFormat format = new Lucene99HnswVectorsFormat(maxConn, beamWidth, threads,
                    threads > 1 ? pool : null);
            Codec codec = new Lucene912Codec() {
                @Override
                public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                    return format;
                }
            };
            IndexWriterConfig config = new IndexWriterConfig()
                    .setCodec(codec)
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
                    .setUseCompoundFile(false)
                    .setRAMPerThreadHardLimitMB(2047)
                    .setMaxBufferedDocs(Math.max(2, rows / threads + 1))
                    .setRAMBufferSizeMB(IndexWriterConfig.DISABLE_AUTO_FLUSH);
            VectorSimilarityFunction similarity = unitLength ? VectorSimilarityFunction.DOT_PRODUCT
                    : VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT;
            try (IndexWriter writer = new IndexWriter(dir, config)) {
                AtomicInteger next = new AtomicInteger();
                int slice = 1024;
                List<Future<?>> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    workers.add(pool.submit(() -> {
                        float[] row = new float[dim];
                        for (int from = next.getAndAdd(slice); from < rows; from = next.getAndAdd(slice)) {
                            int to = Math.min(rows, from + slice);
                            for (int i = from; i < to; i++) {
                                System.arraycopy(matrix, i * dim, row, 0, dim);
                                Document doc = new Document();
                                doc.add(new KnnFloatVectorField(VECTOR, row.clone(), similarity));
                                doc.add(new NumericDocValuesField(POSITION, i));
                                writer.addDocument(doc);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> w : workers) {
                    w.get();
                }
                writer.forceMerge(1);
                writer.commit();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while building the HNSW index", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                throw cause instanceof IOException io ? io : new IOException("building the HNSW index failed", cause);
            }
            return new HnswIndex(dir);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Opens an index written by {@link #save(Path)}, memory-mapped. */
    static HnswIndex open(Path path) throws IOException {
        Directory dir = FSDirectory.open(path);
        try {
            return new HnswIndex(dir);
        } catch (IOException | RuntimeException e) {
            dir.close();
            throw e;
        }
    }

    /** @return the number of indexed passages */
    int size() {
        return reader.numDocs();
    }

    /**
     * @param query      the query vector (unit length when the index is)
     * @param candidates how many nearest candidates the graph search collects (its beam)
     * @return corpus positions of the candidates, best first by the graph's scores
     */
    int[] candidates(float[] query, int candidates) throws IOException {
        TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR, query, candidates), candidates);
        int[] out = new int[top.scoreDocs.length];
        int i = 0;
        for (ScoreDoc d : top.scoreDocs) {
            out[i++] = positions[d.doc];
        }
        return out;
    }

    /** Copies the index files into {@code path} (created if missing). */
    void save(Path path) throws IOException {
        try (Directory out = FSDirectory.open(path)) {
            for (String file : directory.listAll()) {
                if (!file.equals("write.lock")) {
                    out.copyFrom(directory, file, file, IOContext.DEFAULT);
                }
            }
            out.sync(List.of(out.listAll()));
        }
    }

    @Override
    public void close() throws IOException {
        try {
            reader.close();
        } finally {
            directory.close();
        }
    }
}
