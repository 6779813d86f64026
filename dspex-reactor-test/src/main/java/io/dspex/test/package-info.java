/**
 * The DSPEx test kit, for users' tests and the library's own: {@link io.dspex.test.ScriptedLm} (an in-memory,
 * scripted {@link io.dspex.lm.LanguageModel}), {@link io.dspex.test.MockLmServer} (an HTTP server on 127.0.0.1 that
 * speaks OpenAI's, Anthropic's or Gemini's wire protocol, with fault injection, see {@link io.dspex.test.Fault}), both
 * scripted with the same words,
 * and a contract for every extension point: abstract JUnit 5 classes with {@code protected} cases and capability
 * hooks, which an implementation's test extends.
 *
 * <ul>
 *   <li>{@link io.dspex.test.LanguageModelContract}: any {@code LanguageModel}, provider-neutral;
 *       {@link io.dspex.test.OpenAiCompatibleContract} adds OpenAI's chat-completions wire details.</li>
 *   <li>{@link io.dspex.test.AdapterContract}: any {@code Adapter}.</li>
 *   <li>{@link io.dspex.test.ModuleContract}: any {@code Module}, the library's or your own.</li>
 *   <li>{@link io.dspex.test.TeleprompterContract}: any {@code Teleprompter} (optimizer).</li>
 * </ul>
 *
 * <pre>{@code
 * ScriptedLm lm = ScriptedLm.replying("[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]");
 * try (MockLmServer server = MockLmServer.create().reply("Paris").start()) {
 *     LanguageModel http = OpenAiCompatibleLm.builder().baseUrl(server.baseUrl()).model("m").build();
 * }
 * }</pre>
 *
 * <p>Nullness is in the types, with JSpecify: every package is {@code @NullMarked}, so a parameter,
 * return value or field is never null unless its type is annotated {@code @Nullable}.
 */
@NullMarked
package io.dspex.test;

import org.jspecify.annotations.NullMarked;
