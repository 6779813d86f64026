package io.dspex.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LenientJsonTest {

    @Test
    void plainJson() {
        assertThat(LenientJson.read("{\"a\": [1, 2.5, \"x\"]}")).isEqualTo(Map.of("a", List.of(1, 2.5, "x")));
        assertThat(LenientJson.read("42")).isEqualTo(42);
        assertThat(LenientJson.read("\"s\"")).isEqualTo("s");
    }

    @Test
    void codeFences() {
        assertThat(LenientJson.read("```json\n[1, 2]\n```")).isEqualTo(List.of(1, 2));
        assertThat(LenientJson.read("Here:\n```\n{\"a\": 1}\n```\nDone")).isEqualTo(Map.of("a", 1));
    }

    @Test
    void singleQuotesAndUnquotedKeys() {
        assertThat(LenientJson.read("{'a': 'it\\'s', b: 2}")).isEqualTo(Map.of("a", "it's", "b", 2));
    }

    @Test
    void pythonLiteralsOutsideStringsOnly() {
        assertThat(LenientJson.read("[True, False, None, 'True']")).isEqualTo(Arrays.asList(true, false, null, "True"));
        assertThat(LenientJson.read("{\"None\": \"None of True\"}")).isEqualTo(Map.of("None", "None of True"));
    }

    @Test
    void trailingCommas() {
        assertThat(LenientJson.read("{\"a\": [1, 2,],}")).isEqualTo(Map.of("a", List.of(1, 2)));
    }

    @Test
    void objectEmbeddedInProse() {
        assertThat(LenientJson.read("The answer is {\"a\": \"}\"} as requested.")).isEqualTo(Map.of("a", "}"));
        assertThat(LenientJson.read("I'd say [1, 2] works")).isEqualTo(List.of(1, 2));
    }

    @Test
    void truncatedReplyIsClosed() {
        assertThat(LenientJson.read("{\"a\": [1, 2")).isEqualTo(Map.of("a", List.of(1, 2)));
        assertThat(LenientJson.read("{\"a\": \"unfinished")).isEqualTo(Map.of("a", "unfinished"));
    }

    @Test
    void plainTextIsNoJson() {
        assertThat(LenientJson.read("hello world")).isSameAs(LenientJson.FAILED);
        assertThat(LenientJson.read("   ")).isSameAs(LenientJson.FAILED);
    }

    @Test
    void firstObjectBalancesBracesLikeDspysRegex() {
        assertThat(LenientJson.firstObject("x {\"a\": {\"b\": 1}} y {\"c\": 2}")).isEqualTo("{\"a\": {\"b\": 1}}");
        assertThat(LenientJson.firstObject("{ unclosed {\"a\": 1}")).isEqualTo("{\"a\": 1}");
        assertThat(LenientJson.firstObject("none")).isNull();
    }
}
