package io.dspex.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.internal.PyFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PyFormatTest {

    @Test
    void floatsRenderAsPythonRepr() {
        assertThat(PyFormat.repr(0.1)).isEqualTo("0.1");
        assertThat(PyFormat.repr(1.0)).isEqualTo("1.0");
        assertThat(PyFormat.repr(100.0)).isEqualTo("100.0");
        assertThat(PyFormat.repr(1e-5)).isEqualTo("1e-05");
        assertThat(PyFormat.repr(0.0001)).isEqualTo("0.0001");
        assertThat(PyFormat.repr(1e16)).isEqualTo("1e+16");
        assertThat(PyFormat.repr(1e15)).isEqualTo("1000000000000000.0");
        assertThat(PyFormat.repr(-2.5e-7)).isEqualTo("-2.5e-07");
        assertThat(PyFormat.repr(1.7976931348623157e308)).isEqualTo("1.7976931348623157e+308");
        assertThat(PyFormat.repr(0.1f)).isEqualTo("0.1");
        assertThat(PyFormat.repr(Double.NaN)).isEqualTo("nan");
        assertThat(PyFormat.repr(-0.0)).isEqualTo("-0.0");
        assertThat(PyFormat.repr(2e-3)).isEqualTo("0.002");
    }

    @Test
    void jsonDumpsMatchesPython() {
        assertThat(PyFormat.dumps(List.of("a\"b", "é\n", Map.of("k", true)), false))
                .isEqualTo("[\"a\\\"b\", \"é\\n\", {\"k\": true}]");
        assertThat(PyFormat.dumps(List.of("é\u0001"), true)).isEqualTo("[\"\\u00e9\\u0001\"]");
        assertThat(PyFormat.dumpsIndent2(Map.of("a", List.of()), false)).isEqualTo("{\n  \"a\": []\n}");
        // json.dumps({"é": ["✓\x7f", {}]}, indent=2, ensure_ascii=...) in CPython 3.11
        Map<String, Object> nonAscii = Map.of("é", List.of("✓\u007f", Map.of()));
        assertThat(PyFormat.dumpsIndent2(nonAscii, false)).isEqualTo("{\n  \"é\": [\n    \"✓\u007f\",\n    {}\n  ]\n}");
        assertThat(PyFormat.dumpsIndent2(nonAscii, true))
                .isEqualTo("{\n  \"\\u00e9\": [\n    \"\\u2713\\u007f\",\n    {}\n  ]\n}");
    }

    @Test
    void pythonStrAndRepr() {
        assertThat(PyFormat.str(List.of("a", 1, true))).isEqualTo("['a', 1, True]");
        assertThat(PyFormat.str(null)).isEqualTo("None");
        assertThat(PyFormat.str(false)).isEqualTo("False");
    }

    @Test
    void stripSplitlinesDedentTitle() {
        assertThat(PyFormat.strip("\u00a0 x \u2003\n")).isEqualTo("x");
        assertThat(PyFormat.strip(new StringBuilder("\n\n[[ ## q ## ]]\nx\u3000\n\n"))).isEqualTo("[[ ## q ## ]]\nx");
        assertThat(PyFormat.strip(new StringBuilder(" \t\u2028"))).isEmpty();
        String clean = "nothing to strip";
        assertThat(PyFormat.strip(clean)).isSameAs(clean);
        assertThat(PyFormat.splitlines("a\r\nb\rc\n")).containsExactly("a", "b", "c");
        assertThat(PyFormat.splitlines("")).isEmpty();
        assertThat(PyFormat.dedent("  a\n    b\n  \n  c")).isEqualTo("a\n  b\n\nc");
        assertThat(PyFormat.title("full_name")).isEqualTo("Full_Name");
        assertThat(PyFormat.title("zipCode2x")).isEqualTo("Zipcode2X");
    }
}
