package io.dspex.signature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;




class SignatureTest {

    @Test
    void parsesTypedSpecWithDefaultInstructions() {
        Signature s = Signature.parse("question, context: list[str] -> answer, confidence: float");
        assertThat(s.inputFields()).extracting(Field::name).containsExactly("question", "context");
        assertThat(s.outputFields()).extracting(Field::name).containsExactly("answer", "confidence");
        assertThat(s.fields()).extracting(Field::name).containsExactly("question", "context", "answer", "confidence");
        assertThat(s.field("context").orElseThrow().type().dspyName()).isEqualTo("list[str]");
        assertThat(s.field("question").orElseThrow().type().isString()).isTrue();
        assertThat(s.field("nope")).isEmpty();
        assertThat(s.instructions())
                .isEqualTo("Given the fields `question`, `context`, produce the fields `answer`, `confidence`.");
        assertThat(s.spec()).isEqualTo("question, context -> answer, confidence");
    }

    @Test
    void explicitInstructions() {
        assertThat(Signature.parse("a -> b", "Do it.").instructions()).isEqualTo("Do it.");
        assertThat(Signature.parse("a -> b").withInstructions("New.").instructions()).isEqualTo("New.");
    }

    @Test
    void prefixesAreInferredAsDspyDoes() {
        assertThat(Field.input("question").prefix()).isEqualTo("Question:");
        assertThat(Field.input("some_field").prefix()).isEqualTo("Some Field:");
        assertThat(Field.input("camelCaseText").prefix()).isEqualTo("Camel Case Text:");
        assertThat(Field.input("HTMLParser").prefix()).isEqualTo("HTML Parser:");
        assertThat(Field.input("text2number").prefix()).isEqualTo("Text 2 Number:");
        assertThat(Field.output("reasoning").withPrefix("Reasoning: Let's think").prefix())
                .isEqualTo("Reasoning: Let's think");
    }

    @Test
    void errorsNameProblemAndColumn() {
        assertThatThrownBy(() -> Signature.parse("question answer")).isInstanceOf(SignatureException.class)
                .hasMessage("missing '->' between inputs and outputs at column 16 of 'question answer'")
                .extracting(e -> ((SignatureException) e).column()).isEqualTo(16);
        assertThatThrownBy(() -> Signature.parse(" -> answer"))
                .hasMessageStartingWith("empty input side").hasMessageContaining("column 2");
        assertThatThrownBy(() -> Signature.parse("question ->  "))
                .hasMessageStartingWith("empty output side").hasMessageContaining("column 12");
        assertThatThrownBy(() -> Signature.parse("a, a -> b"))
                .hasMessageStartingWith("duplicate field name 'a'").hasMessageContaining("column 4");
        assertThatThrownBy(() -> Signature.parse("a, 2b -> c"))
                .hasMessageStartingWith("invalid field name '2b'").hasMessageContaining("column 4");
        assertThatThrownBy(() -> Signature.parse("a -> class"))
                .hasMessageStartingWith("invalid field name 'class'");
        assertThatThrownBy(() -> Signature.parse("a -> b: lst[int]"))
                .hasMessageStartingWith("unknown type 'lst'").hasMessageContaining("column 9");
        assertThatThrownBy(() -> Signature.parse("a -> b: list[int"))
                .hasMessageStartingWith("unbalanced brackets").hasMessageContaining("column 13");
        assertThatThrownBy(() -> Signature.parse("a -> b: list[int]]"))
                .hasMessageStartingWith("unbalanced brackets").hasMessageContaining("column 18");
        assertThatThrownBy(() -> Signature.parse("a, b -> b"))
                .hasMessageStartingWith("field 'b' appears on both sides").hasMessageContaining("column 9");
        assertThatThrownBy(() -> Signature.parse("a -> b -> c")).hasMessageStartingWith("more than one '->'")
                .hasMessageContaining("column 8");
        assertThatThrownBy(() -> Signature.parse("a,, b -> c")).hasMessageStartingWith("empty input field");
        assertThat(Signature.parse("a, b, -> c").inputFields()).hasSize(2);
    }

    @Test
    void editsAreImmutableAndKeepInstructionsAsDspyDoes() {
        Signature s = Signature.parse("question -> answer");
        Signature cot = s.prepend(Field.output("reasoning"));
        assertThat(cot.outputFields()).extracting(Field::name).containsExactly("reasoning", "answer");
        assertThat(cot.instructions()).isEqualTo("Given the fields `question`, produce the fields `answer`.");
        assertThat(s.outputFields()).extracting(Field::name).containsExactly("answer");

        Signature withCtx = s.append(Field.input("context", "list[str]"));
        assertThat(withCtx.inputFields()).extracting(Field::name).containsExactly("question", "context");
        Signature ins = withCtx.insert(1, Field.input("hint"));
        assertThat(ins.inputFields()).extracting(Field::name).containsExactly("question", "hint", "context");
        assertThat(ins.insert(-2, Field.input("x")).inputFields()).extracting(Field::name)
                .containsExactly("question", "hint", "x", "context");
        assertThat(ins.delete("hint")).isEqualTo(withCtx);
        Signature upd = s.withUpdatedField("answer", f -> f.withDescription("one word").withType("int"));
        assertThat(upd.field("answer").orElseThrow().description()).isEqualTo("one word");
        assertThat(upd.field("answer").orElseThrow().type().dspyName()).isEqualTo("int");
        assertThat(s.field("answer").orElseThrow().description()).isEmpty();
    }

    @Test
    void invalidEditsFailClearly() {
        Signature s = Signature.parse("question -> answer");
        assertThatThrownBy(() -> s.append(Field.output("answer"))).isInstanceOf(SignatureException.class)
                .hasMessageContaining("'answer' already exists");
        assertThatThrownBy(() -> s.insert(5, Field.output("x"))).isInstanceOf(SignatureException.class)
                .hasMessageContaining("invalid index 5");
        assertThatThrownBy(() -> s.delete("nope")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no field 'nope'");
        assertThatThrownBy(() -> s.withUpdatedField("answer", f -> Field.input("answer")))
                .hasMessageContaining("changed it from output to input");
    }

    @Test
    void builderTakesJavaAndDspyTypes() {
        Signature s = Signature.builder().instructions("Extract.")
                .input("text", String.class, "a paragraph")
                .input("n", "int")
                .output("names", "list[str]", "the names")
                .output("count", Integer.class)
                .build();
        assertThat(s.instructions()).isEqualTo("Extract.");
        assertThat(s.field("text").orElseThrow().description()).isEqualTo("a paragraph");
        assertThat(s.field("count").orElseThrow().type().dspyName()).isEqualTo("int");
        assertThat(Signature.builder().input("a", "str").output("b", "str").build())
                .isEqualTo(Signature.parse("a -> b"));
        assertThatThrownBy(() -> Signature.builder().input("a", "str").output("a", "str").build())
                .isInstanceOf(SignatureException.class).hasMessageContaining("'a' is both an input and an output");
        assertThatThrownBy(() -> Signature.builder().input("a", "str").build())
                .hasMessageContaining("at least one output");
    }

    @Test
    void valueEquality() {
        assertThat(Signature.parse("a, b: int -> c")).isEqualTo(Signature.parse("a,b:int->c"))
                .hasSameHashCodeAs(Signature.parse("a,b:int->c"));
        assertThat(Signature.parse("a -> c")).isNotEqualTo(Signature.parse("a -> c", "x"));
        assertThat(List.of(Signature.parse("a -> c"))).contains(Signature.parse("a -> c"));
    }
}
