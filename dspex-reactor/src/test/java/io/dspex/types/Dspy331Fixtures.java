package io.dspex.types;

import com.fasterxml.jackson.core.type.TypeReference;
import io.dspex.internal.Json;
import io.dspex.lm.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What DSPy 3.3.1 produced for the programs of {@code dspy331/gen_types.py} ({@code types_dspy331.json}): the
 * messages of {@code ChatAdapter().format} and {@code JSONAdapter().format} per case, the saved demos of a
 * {@code Predict}, and the {@code repr} of images; plus the helpers to compare ours with them.
 */
final class Dspy331Fixtures {

    /** The 16 bytes gen_types.py writes to {@code pic.png} (a PNG signature and the start of its header chunk). */
    static final byte[] PNG = {(byte) 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R'};

    private static Map<String, Object> all;

    private Dspy331Fixtures() {
    }

    static synchronized Map<String, Object> all() {
        if (all == null) {
            try (InputStream in = Dspy331Fixtures.class.getResourceAsStream("types_dspy331.json")) {
                all = Json.MAPPER.readValue(in, new TypeReference<LinkedHashMap<String, Object>>() { });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return all;
    }

    /** @return DSPy's messages for a case such as {@code "qa/chat"} */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> messages(String name) {
        for (Object c : (List<Object>) all().get("cases")) {
            Map<String, Object> m = (Map<String, Object>) c;
            if (m.get("case").equals(name)) {
                return (List<Map<String, Object>>) m.get("messages");
            }
        }
        throw new IllegalArgumentException("no case " + name);
    }

    /** gen_types.py's {@code pic.png}, written into the directory. */
    static Path pic(Path dir) throws IOException {
        return Files.write(dir.resolve("pic.png"), PNG);
    }

    static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Our messages in OpenAI's shape, as DSPy's adapters return them: content a string or a list of parts. */
    static List<Map<String, Object>> wire(List<Message> messages) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("role", m.role().toString());
            if (m.hasParts()) {
                List<Object> parts = new ArrayList<>();
                for (Message.Part p : m.parts()) {
                    if (p instanceof Message.Part.Text t) {
                        parts.add(ordered("type", "text", "text", t.text()));
                    } else if (p instanceof Message.Part.ImageUrl i) {
                        parts.add(ordered("type", "image_url", "image_url", Map.of("url", i.url())));
                    }
                }
                w.put("content", parts);
            } else {
                w.put("content", m.content());
            }
            out.add(w);
        }
        return out;
    }
}
