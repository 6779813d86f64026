/**
 * Signatures: what a step does, as typed input and output fields plus instructions (DSPy's {@code dspy.Signature}).
 * {@link io.dspex.signature.Signature} parses DSPy's string syntax or is built field by field;
 * {@link io.dspex.signature.Field} is one named field with its description and prefix;
 * {@link io.dspex.signature.FieldType} is a field's type, from a DSPy type string or a Java type, with its DSPy name,
 * pydantic-2 JSON schema and lax conversion of replies; {@link io.dspex.signature.SignatureException} names the
 * problem and its column. The type machinery behind {@code FieldType} is package-private.
 *
 * <pre>{@code
 * Signature qa = Signature.parse("question, context: list[str] -> answer, confidence: float")
 *     .withInstructions("Answer from the context.");
 * FieldType confidence = qa.outputFields().get(1).type();   // float
 * }</pre>
 */
@NullMarked
package io.dspex.signature;

import org.jspecify.annotations.NullMarked;
