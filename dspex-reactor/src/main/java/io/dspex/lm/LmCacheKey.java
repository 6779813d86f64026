package io.dspex.lm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dspex.internal.Json;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * The cache key of an LM call: the SHA-256 (lower-case hex) of a canonical JSON serialization of the model's
 * {@link LanguageModel#id() id} and every field of the request, rollout id included. Canonical means object keys
 * sorted at every depth and every field present (null when unset), so equal requests give equal keys across
 * runs and JVMs. What only some requests have (a message's parts, tool calls and tool call id; the request's tools
 * and tool choice) is present only when set, so the keys of plain text requests are those of earlier versions. The request holds no secret and {@code id()} contains none, so the key holds none either.
 */
final class LmCacheKey {

    /** Bumped when the serialization changes, so old disk entries stop matching instead of being misread. */
    static final int VERSION = 1;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private LmCacheKey() {
    }

    /**
     * Computes one key so the digest provider and Jackson's serializers are resolved (class loading, provider
     * lookup) when the cache is built, not on the first request's thread.
     */
    static void warmUp() {
        of(r -> Mono.empty(), LmRequest.of(List.of(Message.user("warm-up"))));
    }

    /**
     * @param lm      the model whose id is part of the key
     * @param request the request
     * @return the 64-character hex key
     * @throws IllegalArgumentException when a value of {@code extra} or {@code responseFormat} cannot be
     *                                  serialized to JSON (naming the field)
     */
    static String of(LanguageModel lm, LmRequest request) {
        return HexFormat.of().formatHex(sha256().digest(canonicalBytes(lm.id(), request)));
    }

    /** The canonical serialization that is hashed; visible for tests. */
    static byte[] canonicalBytes(String lmId, LmRequest request) {
        ObjectNode root = NODES.objectNode();
        root.put("v", VERSION);
        root.put("lm", lmId);
        ArrayNode messages = root.putArray("messages");
        for (Message m : request.messages()) {
            ObjectNode node = messages.addObject();
            node.put("content", m.content());
            node.put("role", m.role().toString());
            if (m.hasParts()) {
                node.set("parts", Json.MAPPER.valueToTree(m.parts()));
            }
            if (!m.toolCalls().isEmpty()) {
                node.set("tool_calls", Json.MAPPER.valueToTree(m.toolCalls()));
            }
            if (m.toolCallId() != null) {
                node.put("tool_call_id", m.toolCallId());
            }
        }
        if (!request.tools().isEmpty()) {
            ArrayNode tools = root.putArray("tools");
            for (Map<String, Object> tool : request.tools()) {
                tools.add(tree("tools", tool));
            }
        }
        if (request.toolChoice() != null) {
            root.set("tool_choice", Json.MAPPER.valueToTree(request.toolChoice()));
        }
        CallConfig c = request.config();
        root.put("max_tokens", c.maxTokens());
        root.put("model", c.model());
        root.put("n", c.n());
        root.set("response_format", tree("responseFormat", request.responseFormat()));
        root.put("rollout_id", c.rolloutId());
        root.put("seed", c.seed());
        ArrayNode stop = root.putArray("stop");
        if (c.stop() != null) {
            c.stop().forEach(stop::add);
        }
        root.put("temperature", c.temperature());
        root.set("extra", tree("extra", c.extra()));
        try {
            return Json.MAPPER.writeValueAsBytes(sorted(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize the cache key of " + request, e);
        }
    }

    private static JsonNode tree(String field, Map<String, Object> map) {
        if (map == null) {
            return NODES.nullNode();
        }
        ObjectNode node = NODES.objectNode();
        for (Map.Entry<String, Object> e : map.entrySet()) {
            try {
                node.set(e.getKey(), Json.MAPPER.valueToTree(e.getValue()));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("LmRequest." + field + "['" + e.getKey()
                        + "'] cannot be serialized to JSON for the cache key: " + ex.getMessage(), ex);
            }
        }
        return node;
    }

    /** A copy of the tree with the keys of every object in sorted order. */
    private static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            Collections.sort(names);
            ObjectNode copy = NODES.objectNode();
            for (String name : names) {
                copy.set(name, sorted(node.get(name)));
            }
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = NODES.arrayNode(node.size());
            for (JsonNode item : node) {
                copy.add(sorted(item));
            }
            return copy;
        }
        return node;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256 MessageDigest", e);
        }
    }
}
