package io.dspex.predict;

import static org.assertj.core.api.Assertions.assertThat;

import io.dspex.Example;
import io.dspex.adapter.Adapter;
import io.dspex.adapter.ChatAdapter;
import io.dspex.lm.CallConfig;
import io.dspex.lm.LmRequest;
import io.dspex.lm.LmResponse;
import io.dspex.lm.Message;
import io.dspex.lm.ToolCall;
import io.dspex.signature.Signature;
import io.dspex.tool.Tool;
import io.dspex.tool.ToolCalls;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * Refine's hint wraps whatever adapter a predictor uses without losing what that adapter does: with native function
 * calling the tools still go in the request's {@code tools} and the reply's tool calls still become the
 * {@code ToolCalls} output (DSPy's {@code WrapperAdapter} calls the wrapped adapter whole).
 */
class HintAdapterTest {

    record Sum(int a, int b) {
    }

    private static final Signature SIG = Signature.parse("question, tools: list[Tool] -> answer, calls: ToolCalls");

    private static Adapter hinted(Adapter inner) {
        HintAdapter.Hints hints = new HintAdapter.Hints(Map.of(SIG, "agent"), Map.of("agent", "Call add."));
        return HintAdapter.wrap(Context.of(HintAdapter.Hints.class, hints), SIG, inner);
    }

    @Test
    void theHintedRequestKeepsTheWrappedAdaptersToolsAndConfig() {
        Tool add = Tool.of("add", "Add two integers.", Sum.class, s -> Mono.just(s.a() + s.b()));
        Adapter inner = new ChatAdapter().withNativeFunctionCalling();
        Adapter hinted = hinted(inner);
        assertThat(hinted).isNotSameAs(inner);
        LmRequest request = hinted.formatRequest(SIG, List.<Example>of(),
                Map.of("question", "What is 1 + 2?", "tools", List.of(add)), CallConfig.empty().withTemperature(0.5));
        assertThat(request.tools()).containsExactly(add.toFunctionSchema());
        assertThat(request.config().temperature()).isEqualTo(0.5);
        assertThat(request.messages().get(0).content()).contains("`hint_` (str): A hint to the module from an "
                + "earlier run").doesNotContain("`tools` (list[Tool])");
        Message user = request.messages().get(request.messages().size() - 1);
        assertThat(user.content()).contains("[[ ## hint_ ## ]]\nCall add.").doesNotContain("[[ ## tools ## ]]");
    }

    @Test
    void theHintedAdapterReadsToolCallsFromAChoice() {
        Adapter hinted = hinted(new ChatAdapter().withNativeFunctionCalling());
        Map<String, Object> out = hinted.parse(SIG, new LmResponse.Choice(
                "[[ ## answer ## ]]\nI add.\n\n[[ ## completed ## ]]", "tool_calls",
                List.of(new ToolCall("call_1", "add", "{\"a\": 1, \"b\": 2}"))));
        assertThat(out.get("answer")).isEqualTo("I add.");
        assertThat(((ToolCalls) out.get("calls")).toolCalls()).extracting(ToolCalls.ToolCall::name)
                .containsExactly("add");
        assertThat(hinted.formatUserContent(SIG, Map.of("question", "q")))
                .isEqualTo(new ChatAdapter().formatUserContent(SIG, Map.of("question", "q")));
    }
}
