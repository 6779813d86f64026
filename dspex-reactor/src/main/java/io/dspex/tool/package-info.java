/**
 * Tools a model can call (DSPy's {@code dspy.Tool} and {@code dspy.ToolCalls}): {@link io.dspex.tool.Tool} is a
 * named function with a JSON schema per argument, validated and coerced before each call, run where its
 * {@code Mono} runs (or on {@code Schedulers.boundedElastic()} for a {@link io.dspex.tool.Tool#blocking blocking}
 * one); {@link io.dspex.tool.ToolCalls} is what a model asked for, as an output field value, and runs them;
 * {@link io.dspex.tool.McpTools} turns the tools of an MCP server into {@code Tool}s. Agents that use tools are in
 * {@code io.dspex.predict} ({@code ReAct}); native function calling is an adapter setting
 * ({@code ChatAdapter.withNativeFunctionCalling()}).
 *
 * <pre>{@code
 * Tool add = Tool.of("add", "Add two integers.", Sum.class, s -> Mono.just(s.a() + s.b()));
 * add.call(Map.of("a", 1, "b", 2)).block();   // 3
 * }</pre>
 */
@NullMarked
package io.dspex.tool;

import org.jspecify.annotations.NullMarked;
