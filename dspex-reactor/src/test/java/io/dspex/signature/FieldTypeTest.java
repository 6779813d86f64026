package io.dspex.signature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonValue;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;




class FieldTypeTest {

    record Address(String city, Optional<String> zip_code) {
    }

    enum Color { red, green }

    record Person(String full_name, int age, Address address, List<String> tags, Color favourite,
                  Map<String, Double> scores) {
    }

    enum Mood {
        HAPPY("happy"), SAD("sad");
        private final String v;

        Mood(String v) {
            this.v = v;
        }

        @JsonValue
        String v() {
            return v;
        }
    }

    record Node(String label, List<Node> children) {
    }

    static final class Holder {
        List<Map<String, Integer>> listOfMaps;
        Optional<Long> optLong;
        Map<String, List<Person>> people;
    }

    static Type fieldType(String name) throws Exception {
        return Holder.class.getDeclaredField(name).getGenericType();
    }

    @Test
    void personSchemaMatchesTheWorkedExampleByteForByte() {
        assertThat(FieldType.of(Person.class).jsonSchema()).isEqualTo(
                "{\"type\": \"object\", \"$defs\": {\"Address\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"title\": \"City\"}, \"zip_code\": {\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"null\"}], \"default\": null, \"title\": \"Zip Code\"}}, \"required\": [\"city\"], \"title\": \"Address\"}, \"Color\": {\"type\": \"string\", \"enum\": [\"red\", \"green\"], \"title\": \"Color\"}}, \"properties\": {\"address\": {\"$ref\": \"#/$defs/Address\"}, \"age\": {\"type\": \"integer\", \"title\": \"Age\"}, \"favourite\": {\"$ref\": \"#/$defs/Color\"}, \"full_name\": {\"type\": \"string\", \"title\": \"Full Name\"}, \"scores\": {\"type\": \"object\", \"additionalProperties\": {\"type\": \"number\"}, \"title\": \"Scores\"}, \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}, \"title\": \"Tags\"}}, \"required\": [\"full_name\", \"age\", \"address\", \"tags\", \"favourite\", \"scores\"], \"title\": \"Person\"}");
        assertThat(FieldType.of(Person.class).dspyName()).isEqualTo("Person");
    }

    @Test
    void dspyNamesOfTypeStrings() {
        assertThat(FieldType.parse("str").dspyName()).isEqualTo("str");
        assertThat(FieldType.parse("int").dspyName()).isEqualTo("int");
        assertThat(FieldType.parse("float").dspyName()).isEqualTo("float");
        assertThat(FieldType.parse("bool").dspyName()).isEqualTo("bool");
        assertThat(FieldType.parse("list[str]").dspyName()).isEqualTo("list[str]");
        assertThat(FieldType.parse("List[int]").dspyName()).isEqualTo("list[int]");
        assertThat(FieldType.parse("dict[str, int]").dspyName()).isEqualTo("dict[str, int]");
        assertThat(FieldType.parse("Dict[str,list[float]]").dspyName()).isEqualTo("dict[str, list[float]]");
        assertThat(FieldType.parse("Literal['yes', 'no']").dspyName()).isEqualTo("Literal['yes', 'no']");
        assertThat(FieldType.parse("Literal[\"it's\", 1, True]").dspyName()).isEqualTo("Literal[\"it's\", 1, True]");
        assertThat(FieldType.parse("Optional[str]").dspyName()).isEqualTo("Union[str, NoneType]");
        assertThat(FieldType.parse("Union[int, None]").dspyName()).isEqualTo("Union[int, NoneType]");
        assertThat(FieldType.parse("str | None").dspyName()).isEqualTo("Union[str, NoneType]");
        assertThat(FieldType.parse("Optional[list[dict[str, int]]]").dspyName())
                .isEqualTo("Union[list[dict[str, int]], NoneType]");
        assertThat(FieldType.parse("list").dspyName()).isEqualTo("list");
    }

    @Test
    void dspyNamesOfJavaTypes() throws Exception {
        assertThat(FieldType.of(String.class).dspyName()).isEqualTo("str");
        assertThat(FieldType.of(int.class).dspyName()).isEqualTo("int");
        assertThat(FieldType.of(Long.class).dspyName()).isEqualTo("int");
        assertThat(FieldType.of(double.class).dspyName()).isEqualTo("float");
        assertThat(FieldType.of(Float.class).dspyName()).isEqualTo("float");
        assertThat(FieldType.of(boolean.class).dspyName()).isEqualTo("bool");
        assertThat(FieldType.of(Color.class).dspyName()).isEqualTo("Color");
        assertThat(FieldType.of(fieldType("listOfMaps")).dspyName()).isEqualTo("list[dict[str, int]]");
        assertThat(FieldType.of(fieldType("optLong")).dspyName()).isEqualTo("Union[int, NoneType]");
        assertThat(FieldType.of(fieldType("optLong")).isOptional()).isTrue();
        assertThat(FieldType.of(String.class).isString()).isTrue();
        assertThat(FieldType.of(Color.class).isString()).isFalse();
    }

    @Test
    void schemasOfSimpleTypes() {
        assertThat(FieldType.parse("list[str]").jsonSchema()).isEqualTo("{\"type\": \"array\", \"items\": {\"type\": \"string\"}}");
        assertThat(FieldType.parse("dict[str, int]").jsonSchema())
                .isEqualTo("{\"type\": \"object\", \"additionalProperties\": {\"type\": \"integer\"}}");
        assertThat(FieldType.parse("Optional[float]").jsonSchema())
                .isEqualTo("{\"anyOf\": [{\"type\": \"number\"}, {\"type\": \"null\"}]}");
        assertThat(FieldType.parse("list[Literal['a', 'b']]").jsonSchema())
                .isEqualTo("{\"type\": \"array\", \"items\": {\"type\": \"string\", \"enum\": [\"a\", \"b\"]}}");
        assertThat(FieldType.parse("list[bool]").jsonSchema()).isEqualTo("{\"type\": \"array\", \"items\": {\"type\": \"boolean\"}}");
        assertThat(FieldType.parse("dict").jsonSchema()).isEqualTo("{\"type\": \"object\", \"additionalProperties\": true}");
    }

    @Test
    void listOfRecordsPutsDefinitionsAtTheTop() throws Exception {
        assertThat(FieldType.of(fieldType("people")).jsonSchema()).startsWith(
                "{\"type\": \"object\", \"$defs\": {\"Address\": ")
                .contains("\"Person\": {\"type\": \"object\"")
                .endsWith("\"additionalProperties\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/$defs/Person\"}}}");
    }

    @Test
    void recursiveRecordReferencesItself() {
        assertThat(FieldType.of(Node.class).jsonSchema()).isEqualTo(
                "{\"$defs\": {\"Node\": {\"type\": \"object\", \"properties\": {\"children\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/$defs/Node\"}, \"title\": \"Children\"}, \"label\": {\"type\": \"string\", \"title\": \"Label\"}}, \"required\": [\"label\", \"children\"], \"title\": \"Node\"}}, \"$ref\": \"#/$defs/Node\"}");
    }

    @Test
    void enumValueIsItsJsonValue() {
        assertThat(FieldType.of(Mood.class).jsonSchema())
                .isEqualTo("{\"type\": \"string\", \"enum\": [\"happy\", \"sad\"], \"title\": \"Mood\"}");
        FieldType m = FieldType.of(Mood.class);
        assertThat(m.choices()).containsExactly("happy", "sad");
        assertThat(m.convert("happy")).isEqualTo(Mood.HAPPY);
        assertThat(m.convert("SAD")).isEqualTo(Mood.SAD);
        assertThatThrownBy(() -> m.convert("angry")).hasMessage("angry is not a valid name or value for the enum Mood");
    }

    @Test
    void convertsToJavaValuesLaxly() {
        assertThat(FieldType.parse("int").convert("4")).isEqualTo(4);
        assertThat(FieldType.parse("int").convert(4.0)).isEqualTo(4);
        assertThat(FieldType.of(long.class).convert(7)).isEqualTo(7L);
        assertThat(FieldType.parse("float").convert("0.5")).isEqualTo(0.5);
        assertThat(FieldType.parse("bool").convert("yes")).isEqualTo(true);
        assertThat(FieldType.parse("list[int]").convert(List.of("1", 2))).isEqualTo(List.of(1, 2));
        assertThatThrownBy(() -> FieldType.parse("int").convert("four"))
                .hasMessageContaining("Input should be a valid integer");
    }

    @Test
    void convertsRecordsWithNestedValues() {
        Map<String, Object> json = Map.of("full_name", "Ada", "age", "36",
                "address", Map.of("city", "London"), "tags", List.of("math"), "favourite", "green",
                "scores", Map.of("x", 1));
        Object p = FieldType.of(Person.class).convert(json);
        assertThat(p).isEqualTo(new Person("Ada", 36, new Address("London", Optional.empty()), List.of("math"),
                Color.green, Map.of("x", 1.0)));
        assertThatThrownBy(() -> FieldType.of(Address.class).convert(Map.of("zip_code", "1")))
                .hasMessage("Address.city: Field required");
    }

    @Test
    void parseErrorsNameTheColumn() {
        assertThatThrownBy(() -> FieldType.parse("lst[str]")).isInstanceOf(SignatureException.class)
                .hasMessageStartingWith("unknown type 'lst'").hasMessageContaining("at column 1");
        assertThatThrownBy(() -> FieldType.parse("list[str")).isInstanceOf(SignatureException.class)
                .hasMessageContaining("unbalanced brackets").hasMessageContaining("column 5");
        assertThatThrownBy(() -> FieldType.parse("dict[str]")).hasMessageContaining("takes 2 type arguments");
        assertThatThrownBy(() -> FieldType.parse("Union[int, str]")).hasMessageContaining("union of several types");
    }

    @Test
    void unsupportedJavaTypeIsNamed() {
        assertThatThrownBy(() -> FieldType.of(Thread.class)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.Thread");
    }

    @Test
    void valueEquality() {
        assertThat(FieldType.parse("list[str]")).isEqualTo(FieldType.parse("List[str]"));
        assertThat(FieldType.parse("Optional[int]")).isEqualTo(FieldType.parse("int | None"));
        assertThat(FieldType.parse("list[str]")).isNotEqualTo(FieldType.parse("list[int]"));
    }
}
