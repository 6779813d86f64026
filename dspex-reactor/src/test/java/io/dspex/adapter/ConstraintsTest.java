package io.dspex.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dspex.signature.Field.Constraint;
import io.dspex.signature.Field;
import io.dspex.signature.Signature;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;




/** DSPy renders pydantic constraints on the field's line as {@code \nConstraints: ...}, in the order given. */
class ConstraintsTest {

    private static final Signature REVIEW = Signature.builder()
            .instructions("Rate the review.")
            .input("text", "str")
            .field(Field.output("summary", "str", "a one-sentence summary").withConstraint(Constraint.MAX_LENGTH, 200))
            .field(Field.output("rating", "float", "rating").withConstraint(Constraint.GE, 0)
                    .withConstraint(Constraint.LE, 5))
            .build();

    @Test
    void chatAdapterDescribesConstraintsAsDspyDoes() {
        String system = new ChatAdapter().format(REVIEW, List.of(), Map.of("text", "great")).get(0).content();
        assertThat(system).startsWith("Your input fields are:\n1. `text` (str):\nYour output fields are:\n"
                + "1. `summary` (str): a one-sentence summary\nConstraints: maximum length: 200\n"
                + "2. `rating` (float): rating\nConstraints: greater than or equal to: 0, less than or equal to: 5\n"
                + "All interactions will be structured in the following way");
    }

    @Test
    void jsonAdapterSharesTheDescription() {
        String system = new JsonAdapter().format(REVIEW, List.of(), Map.of("text", "great")).get(0).content();
        assertThat(system).contains("2. `rating` (float): rating\nConstraints: greater than or equal to: 0, "
                + "less than or equal to: 5\nAll interactions");
    }

    @Test
    void valuesRenderAsPythonPrintsThemAndOrderIsKept() {
        Field f = Field.output("x", "float").withConstraint(Constraint.LT, 0.5).withConstraint(Constraint.GT, -1)
                .withConstraint(Constraint.ALLOW_INF_NAN, false).withConstraint(Constraint.MULTIPLE_OF, 2.0);
        assertThat(f.constraintsText()).isEqualTo("less than: 0.5, greater than: -1, allow 'inf', '-inf', 'nan' "
                + "values: False, a multiple of the given number: 2.0");
        assertThat(f.withConstraint(Constraint.LT, 1).constraintsText()).startsWith("less than: 1, greater than");
        assertThat(f.withDescription("d").constraints()).isEqualTo(f.constraints());
        assertThat(f).isNotEqualTo(Field.output("x", "float"));
    }

    @Test
    void aFieldWithoutDescriptionKeepsDspysTrailingSpace() {
        Signature s = Signature.builder().input("q", "str")
                .field(Field.output("n", "int").withConstraint(Constraint.GE, 1))
                .field(Field.output("m", "int")).build();
        String system = new ChatAdapter().format(s, List.of(), Map.of("q", "x")).get(0).content();
        assertThat(system).contains("1. `n` (int): \nConstraints: greater than or equal to: 1\n2. `m` (int):\n");
    }

    @Test
    void badConstraintsAreNamed() {
        assertThatThrownBy(() -> Field.output("x", "int").withConstraint(Constraint.GE, "zero"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'").hasMessageContaining("String");
        assertThatThrownBy(() -> Field.output("x", "int").withConstraint(null, 1)).hasMessageContaining("'x'");
    }
}
