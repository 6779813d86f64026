package io.dspex.retrieve.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BERT's uncased WordPiece tokenizer, as Hugging Face's {@code tokenizers} runs it for all-MiniLM-L6-v2 (the
 * {@code BertNormalizer}, {@code BertPreTokenizer} and {@code WordPiece} model of its {@code tokenizer.json}):
 *
 * <ol>
 *   <li>clean: drop NUL, U+FFFD and control/format/unassigned/private-use characters (but not tab, newline and
 *       carriage return), turn every white-space character into a space;</li>
 *   <li>put spaces around CJK ideographs, so each is a word;</li>
 *   <li>strip accents (NFD, then drop non-spacing marks) and lower-case, character by character;</li>
 *   <li>split at white space, and make every punctuation character (ASCII punctuation or a Unicode {@code P*}
 *       category) a word of its own;</li>
 *   <li>split each word greedily into the longest pieces of the vocabulary, continuation pieces prefixed with
 *       {@code ##}; a word with no such split, or longer than 100 characters, is one {@code [UNK]}.</li>
 * </ol>
 *
 * Immutable and thread-safe.
 */
final class WordPieceTokenizer {

    static final String CLS = "[CLS]";
    static final String SEP = "[SEP]";
    static final String PAD = "[PAD]";

    private final Map<String, Integer> vocab;
    private final int unkId;
    private final int clsId;
    private final int sepId;
    private final int padId;
    private final int maxInputCharsPerWord;
    private final String continuingPrefix;

    private WordPieceTokenizer(Map<String, Integer> vocab, String unk, int maxInputCharsPerWord, String prefix) {
        this.vocab = vocab;
        this.unkId = id(vocab, unk);
        this.clsId = id(vocab, CLS);
        this.sepId = id(vocab, SEP);
        this.padId = id(vocab, PAD);
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        this.continuingPrefix = prefix;
    }

    private static int id(Map<String, Integer> vocab, String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalStateException("the vocabulary has no " + token + " token");
        }
        return id;
    }

    /**
     * Reads the vocabulary and WordPiece settings of a Hugging Face {@code tokenizer.json} whose model is WordPiece
     * and whose normalizer is an uncased {@code BertNormalizer} (what this class implements).
     */
    static WordPieceTokenizer fromTokenizerJson(InputStream json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json);
        JsonNode model = root.path("model");
        if (!"WordPiece".equals(model.path("type").asText())) {
            throw new IOException("tokenizer.json has no WordPiece model");
        }
        JsonNode normalizer = root.path("normalizer");
        if (!"BertNormalizer".equals(normalizer.path("type").asText()) || !normalizer.path("lowercase").asBoolean()) {
            throw new IOException("tokenizer.json's normalizer is not an uncased BertNormalizer");
        }
        Map<String, Integer> vocab = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        if (vocab.isEmpty()) {
            throw new IOException("tokenizer.json has an empty vocabulary");
        }
        return new WordPieceTokenizer(Map.copyOf(vocab), model.path("unk_token").asText("[UNK]"),
                model.path("max_input_chars_per_word").asInt(100),
                model.path("continuing_subword_prefix").asText("##"));
    }

    int clsId() {
        return clsId;
    }

    int sepId() {
        return sepId;
    }

    int padId() {
        return padId;
    }

    int vocabularySize() {
        return vocab.size();
    }

    /**
     * @param text the text
     * @return the ids of its word pieces, without {@code [CLS]} and {@code [SEP]}
     */
    int[] encode(String text) {
        List<String> words = preTokenize(normalize(text));
        int[] ids = new int[16];
        int n = 0;
        for (String word : words) {
            // A word of c chars splits into at most c pieces.
            if (ids.length - n < word.length()) {
                ids = Arrays.copyOf(ids, Math.max(ids.length * 2, n + word.length()));
            }
            n = wordPieces(word, ids, n);
        }
        return Arrays.copyOf(ids, n);
    }

    /** Steps 1 to 3: clean, space out CJK ideographs, strip accents, lower-case. */
    static String normalize(String text) {
        StringBuilder cleaned = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                continue;
            }
            if (isWhitespace(cp)) {
                cleaned.append(' ');
            } else if (isChineseChar(cp)) {
                cleaned.append(' ').appendCodePoint(cp).append(' ');
            } else {
                cleaned.appendCodePoint(cp);
            }
        }
        String decomposed = Normalizer.normalize(cleaned, Normalizer.Form.NFD);
        StringBuilder out = new StringBuilder(decomposed.length());
        for (int i = 0; i < decomposed.length(); ) {
            int cp = decomposed.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.getType(cp) == Character.NON_SPACING_MARK) {
                continue;
            }
            if (cp < 0x80) {
                out.append((char) (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
            } else {
                // Per character, as Rust's char::to_lowercase: full mappings (İ -> i̇) but no final-sigma rule.
                out.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
            }
        }
        return out.toString();
    }

    /** Step 4: words split at white space, each punctuation character a word of its own. */
    static List<String> preTokenize(String normalized) {
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < normalized.length(); ) {
            int cp = normalized.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (isWhitespace(cp)) {
                if (start >= 0) {
                    words.add(normalized.substring(start, i));
                    start = -1;
                }
            } else if (isPunctuation(cp)) {
                if (start >= 0) {
                    words.add(normalized.substring(start, i));
                    start = -1;
                }
                words.add(normalized.substring(i, next));
            } else if (start < 0) {
                start = i;
            }
            i = next;
        }
        if (start >= 0) {
            words.add(normalized.substring(start));
        }
        return words;
    }

    /** Step 5 for one word: appends its piece ids to {@code out} from {@code n}; returns the new count. */
    private int wordPieces(String word, int[] out, int n) {
        int chars = word.codePointCount(0, word.length());
        if (chars > maxInputCharsPerWord) {
            out[n] = unkId;
            return n + 1;
        }
        int first = n;
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (start < end) {
                String piece = word.substring(start, end);
                if (start > 0) {
                    piece = continuingPrefix + piece;
                }
                found = vocab.get(piece);
                if (found != null) {
                    break;
                }
                end = word.offsetByCodePoints(end, -1);
            }
            if (found == null) {
                out[first] = unkId;
                return first + 1;
            }
            out[n++] = found;
            start = end;
        }
        return n;
    }

    /** White space as Unicode's White_Space property (Rust's {@code char::is_whitespace}). */
    static boolean isWhitespace(int cp) {
        return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /** Other than tab, newline and carriage return: control, format, surrogate, private use, unassigned. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
                || type == Character.PRIVATE_USE || type == Character.UNASSIGNED;
    }

    /** ASCII punctuation (including {@code $+<=>^`|~}) or a Unicode punctuation category. */
    static boolean isPunctuation(int cp) {
        if (cp < 0x80) {
            return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96)
                    || (cp >= 123 && cp <= 126);
        }
        int type = Character.getType(cp);
        return type == Character.CONNECTOR_PUNCTUATION || type == Character.DASH_PUNCTUATION
                || type == Character.START_PUNCTUATION || type == Character.END_PUNCTUATION
                || type == Character.INITIAL_QUOTE_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION
                || type == Character.OTHER_PUNCTUATION;
    }

    /**
     * The CJK Unified Ideographs blocks that Hugging Face's {@code BertNormalizer} treats as words of their own (its
     * ranges, which start the extension-E block at U+2B920 where Google's BERT starts it at U+2B820).
     */
    static boolean isChineseChar(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
