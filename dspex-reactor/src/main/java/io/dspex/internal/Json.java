package io.dspex.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;

/** The library's shared, thread-safe Jackson mapper. Not for users. */
public final class Json {

    /** Configured once; safe to share across threads. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new Jdk8Module())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    static {
        warmUp();
    }

    /**
     * Builds the deserializers the request path uses (JsonNode, Map, untyped values) once, here, on whatever
     * thread loads this class. Jackson creates them lazily under a {@code ReentrantLock}; when the first
     * concurrent calls race for it on Netty event loops, the losers park — a blocking call BlockHound rejects
     * (seen in the reliability suite: MockLmServer answered 500 to the first of 64 concurrent requests).
     */
    private static void warmUp() {
        try {
            com.fasterxml.jackson.databind.JsonNode node = MAPPER.readTree("{\"a\":[1,2.5,\"x\",true,null,{\"b\":{}}]}");
            MAPPER.convertValue(node, Object.class);
            MAPPER.treeToValue(node, java.util.Map.class);
            MAPPER.readValue("{\"a\":1}", new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, Object>>() { });
            MAPPER.writeValueAsBytes(java.util.Map.of("a", java.util.List.of(1, "x")));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("Jackson warm-up failed", e);
        }
    }

    private Json() {
    }
}
