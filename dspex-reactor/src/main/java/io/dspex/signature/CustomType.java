package io.dspex.signature;

import io.dspex.internal.PyFormat;
import java.util.List;

/**
 * A value type with its own prompt rendering: DSPy's custom types ({@code dspy.Type}: {@code dspy.Tool},
 * {@code dspy.ToolCalls}, {@code dspy.Image}, {@code dspy.History}). A signature field whose type is a class
 * implementing this interface is of kind {@link FieldType.Kind#CUSTOM}; its DSPy name is the class's simple name.
 *
 * <p><b>What an instance does.</b> {@link #format()} renders the value for the model: as text (a {@code String}), as
 * OpenAI content parts (a {@code List} of maps such as {@code {"type": "image_url", "image_url": {"url": ...}}}), or
 * as any other JSON-able value (a {@code Map}). The adapters render a field value through {@link #serialize()}, which
 * wraps content parts between {@link #START} and {@link #END} as DSPy's {@code serialize_model} does; every user
 * message holding such a marker is then split into {@link io.dspex.lm.Message.Part}s around it. A list of custom
 * values renders as the JSON of their serialized forms, so the parts inside appear as doubly quoted JSON, which
 * the split reads too (as DSPy does).
 *
 * <p><b>What the class declares</b> (DSPy's classmethods; each optional, found by reflection, so it must be
 * {@code public static} in an exported or opened package):
 * <ul>
 *   <li>{@code static String description()} — DSPy's {@code Type.description()}: appended to the field's
 *       description in the system message as {@code Type description of NAME: ...} (nothing when empty);</li>
 *   <li>{@code static Map<String, Object> jsonSchema()} — the type's JSON schema as pydantic would give it, shown to
 *       the model for an output field; without it a record's schema is derived from its components as for any
 *       record, and another class's is {@code {"type": "object", "title": NAME}};</li>
 *   <li>{@code static NAME validate(Object value)} — builds a value from what a model wrote (a JSON value read
 *       leniently, or raw text), throwing {@code IllegalArgumentException} when it does not fit (pydantic's
 *       {@code model_validate}); without it a record is built from a JSON object through its canonical constructor,
 *       and another class accepts only its own instances.</li>
 * </ul>
 *
 * <p><b>Your own custom type</b>, usable in the string syntax through {@link Signature#parse(String, String,
 * java.util.Map)}:
 *
 * <pre>{@code
 * public record Note(String text, int stars) implements CustomType {
 *     public static String description() {
 *         return "A short note with a star rating.";
 *     }
 *
 *     @Override
 *     public Object format() {
 *         return text + " (" + stars + "★)";
 *     }
 * }
 *
 * Signature sig = Signature.parse("note: Note -> verdict: Note", null, Map.of("Note", Note.class));
 * // system message: 1. `note` (Note): \n    Type description of Note: A short note with a star rating.
 * // user message:   [[ ## note ## ]]\ntrès bien (4★)
 * }</pre>
 *
 * <p>DSPy's own type names resolve in the string syntax without registration: {@code Tool}, {@code ToolCalls}
 * ({@code io.dspex.tool}), {@code Image} and {@code History} ({@code io.dspex.types}; a {@code History} is plain
 * data, not a custom type), and {@code dspy.}-prefixed forms of them.
 */
public interface CustomType {

    /** DSPy's {@code CUSTOM_TYPE_START_IDENTIFIER}: opens serialized content parts inside a user message. */
    String START = "<<CUSTOM-TYPE-START-IDENTIFIER>>";

    /** DSPy's {@code CUSTOM_TYPE_END_IDENTIFIER}: closes serialized content parts inside a user message. */
    String END = "<<CUSTOM-TYPE-END-IDENTIFIER>>";

    /**
     * Renders this value for the model (DSPy's {@code Type.format()}).
     *
     * @return a {@code String}; a {@code List} of OpenAI content parts (maps with a {@code "type"}); or another
     *         JSON-able value (a {@code Map}, a number, a record...)
     */
    Object format();

    /**
     * This value as an adapter renders it (DSPy's {@code serialize_model}): {@link #format()}, with a list of content
     * parts replaced by {@code START + json.dumps(parts, ensure_ascii=False) + END}.
     *
     * <pre>{@code
     * image.serialize();
     * // <<CUSTOM-TYPE-START-IDENTIFIER>>[{"type": "image_url", ...}]<<CUSTOM-TYPE-END-IDENTIFIER>>
     * }</pre>
     *
     * @return a JSON-able value: text with markers, or what {@link #format()} returned
     * @throws IllegalArgumentException when {@link #format()} returns null
     */
    default Object serialize() {
        Object formatted = format();
        if (formatted == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".format() returned null");
        }
        if (formatted instanceof List<?> parts) {
            return START + PyFormat.dumps(PyFormat.jsonable(parts), false) + END;
        }
        return formatted;
    }
}
