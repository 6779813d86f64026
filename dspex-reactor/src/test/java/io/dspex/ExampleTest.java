package io.dspex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.internal.Json;
import io.dspex.lm.Usage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExampleTest {

    private static Map<String, Object> qa() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("question", "2+2?");
        m.put("answer", "4");
        m.put("note", null);
        return m;
    }

    @Test
    void inputsAndLabelsSplitByInputKeys() {
        Example ex = Example.of(qa()).withInputs("question");
        assertThat(ex.inputs().toMap()).containsExactly(Map.entry("question", "2+2?"));
        assertThat(ex.labels().keys()).containsExactly("answer", "note");
        assertThat(ex.get("note")).isNull();
        assertThat(ex.inputKeys()).containsExactly("question");
    }

    @Test
    void valueEqualityIncludesInputKeys() {
        assertThat(Example.of(qa())).isEqualTo(Example.of(qa())).hasSameHashCodeAs(Example.of(qa()));
        assertThat(Example.of(qa()).withInputs("question")).isNotEqualTo(Example.of(qa()));
    }

    @Test
    void isImmutable() {
        Map<String, Object> src = qa();
        Example ex = Example.of(src);
        src.put("answer", "5");
        assertThat(ex.get("answer")).isEqualTo("4");
        assertThatThrownBy(() -> ex.toMap().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(ex.with("answer", "5").get("answer")).isEqualTo("5");
        assertThat(ex.get("answer")).isEqualTo("4");
    }

    @Test
    void errorsNameTheKey() {
        Example ex = Example.of(qa());
        assertThatThrownBy(() -> ex.get("missing")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'missing'").hasMessageContaining("[question, answer, note]");
        assertThatThrownBy(() -> ex.withInputs("nope")).hasMessageContaining("'nope'");
        assertThatThrownBy(ex::inputs).isInstanceOf(IllegalStateException.class).hasMessageContaining("withInputs");
        assertThatThrownBy(() -> Example.of(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jacksonRoundTrip() throws Exception {
        Example ex = Example.of(qa()).withInputs("question");
        String json = Json.MAPPER.writeValueAsString(ex);
        assertThat(json).isEqualTo("{\"data\":{\"question\":\"2+2?\",\"answer\":\"4\",\"note\":null},"
                + "\"input_keys\":[\"question\"]}");
        assertThat(Json.MAPPER.readValue(json, Example.class)).isEqualTo(ex);
    }

    @Test
    void predictionCarriesCompletionsAndUsage() throws Exception {
        Prediction p = Prediction.fromCompletions(List.of(Map.of("answer", "4"), Map.of("answer", "four")),
                Usage.of(10, 2));
        assertThat(p.get("answer")).isEqualTo("4");
        assertThat(p.completions("answer")).containsExactly("4", "four");
        assertThat(p.usage().totalTokens()).isEqualTo(12);
        String json = Json.MAPPER.writeValueAsString(p);
        assertThat(Json.MAPPER.readValue(json, Prediction.class)).isEqualTo(p);
        assertThatThrownBy(() -> p.get("nope")).hasMessageContaining("'nope'");
        assertThatThrownBy(() -> p.get("answer", Integer.class)).hasMessageContaining("String");
    }
}
