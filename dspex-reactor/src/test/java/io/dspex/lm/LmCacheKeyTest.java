package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

class LmCacheKeyTest {

    private static final LanguageModel LM = named("test-lm");

    private static LanguageModel named(String id) {
        return new LanguageModel() {
            @Override
            public Mono<LmResponse> call(LmRequest request) {
                return Mono.just(LmResponse.of("x"));
            }

            @Override
            public String id() {
                return id;
            }
        };
    }

    private static LmRequest full() {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("top_p", 0.9);
        extra.put("logit_bias", Map.of("50256", -100, "1", 2));
        return LmRequest.of(List.of(Message.system("sys"), Message.user("hi")), CallConfig.empty()
                .withModel("m1").withTemperature(0.7).withMaxTokens(100).withN(2).withStop(List.of("END"))
                .withSeed(42L).withExtra(extra).withRolloutId("r1"))
                .withResponseFormat(Map.of("type", "json_object"));
    }

    @Test
    void sameRequestGivesSameHexKeyRegardlessOfMapOrder() {
        String key = LmCacheKey.of(LM, full());
        assertThat(key).matches("[0-9a-f]{64}");
        assertThat(LmCacheKey.of(LM, full())).isEqualTo(key);
        assertThat(LmCacheKey.of(named("test-lm"), full())).isEqualTo(key);

        Map<String, Object> reversed = new LinkedHashMap<>();
        Map<String, Object> bias = new LinkedHashMap<>();
        bias.put("1", 2);
        bias.put("50256", -100);
        reversed.put("logit_bias", bias);
        reversed.put("top_p", 0.9);
        assertThat(LmCacheKey.of(LM, full().withConfig(full().config().withExtra(reversed)))).isEqualTo(key);
    }

    @Test
    void everyFieldChangesTheKey() {
        LmRequest base = full();
        List<UnaryOperator<LmRequest>> changes = List.of(
                r -> r.withMessages(List.of(Message.system("sys"), Message.user("hi!"))),
                r -> r.withMessages(List.of(Message.system("sys"), Message.assistant("hi"))),
                r -> r.withMessages(List.of(Message.user("hi"))),
                r -> r.withConfig(r.config().withModel("m2")),
                r -> r.withConfig(r.config().withModel(null)),
                r -> r.withConfig(r.config().withTemperature(0.0)),
                r -> r.withConfig(r.config().withMaxTokens(101)),
                r -> r.withConfig(r.config().withN(1)),
                r -> r.withConfig(r.config().withStop(List.of("STOP"))),
                r -> r.withResponseFormat(Map.of("type", "text")),
                r -> r.withConfig(r.config().withSeed(43L)),
                r -> r.withConfig(r.config().withExtra("top_p", 0.8)),
                r -> r.withConfig(r.config().withExtra("frequency_penalty", 0.1)),
                r -> r.withConfig(r.config().withRolloutId("r2")),
                r -> r.withConfig(r.config().withRolloutId(null)));
        List<String> keys = new ArrayList<>();
        keys.add(LmCacheKey.of(LM, base));
        for (UnaryOperator<LmRequest> change : changes) {
            keys.add(LmCacheKey.of(LM, change.apply(base)));
        }
        keys.add(LmCacheKey.of(named("other-lm"), base));
        assertThat(keys).doesNotHaveDuplicates().hasSize(changes.size() + 2);
    }

    @Test
    void aFreshRolloutIdBypassesTheEarlierKey() {
        LmRequest r = LmRequest.of(List.of(Message.user("q")));
        assertThat(LmCacheKey.of(LM, r.withConfig(r.config().withRolloutId("a")))).isNotEqualTo(LmCacheKey.of(LM, r))
                .isNotEqualTo(LmCacheKey.of(LM, r.withConfig(r.config().withRolloutId("b"))))
                .isEqualTo(LmCacheKey.of(LM, r.withConfig(r.config().withRolloutId("a"))));
    }

    @Test
    void canonicalFormHasSortedKeysAndNoSecret() {
        OpenAiCompatibleLm lm = OpenAiCompatibleLm.builder().baseUrl("http://127.0.0.1:1/v1")
                .apiKey("sk-very-secret").model("m").build();
        String canonical = new String(LmCacheKey.canonicalBytes(lm.id(), full()), StandardCharsets.UTF_8);
        assertThat(canonical).doesNotContain("sk-very-secret").contains("127.0.0.1");
        assertThat(canonical).startsWith("{\"extra\":{\"logit_bias\":{\"1\":2,\"50256\":-100},\"top_p\":0.9},"
                + "\"lm\":");
        assertThat(canonical).contains("\"messages\":[{\"content\":\"sys\",\"role\":\"system\"}");
    }

    @Test
    void anUnserializableExtraValueIsATypedErrorNamingTheField() {
        LmRequest r = LmRequest.of(List.of(Message.user("q")), CallConfig.empty().withExtra("weird", new Object()));
        assertThatThrownBy(() -> LmCacheKey.of(LM, r)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("extra['weird']");
    }
}
