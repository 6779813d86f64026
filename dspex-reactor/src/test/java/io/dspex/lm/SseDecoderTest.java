package io.dspex.lm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseDecoderTest {

    private static final String STREAM = ": keep-alive comment\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Héllo ✓ 😀\"}}]}\n\n"
            + "event: message\r\n"
            + "data:{\"a\":1}\r\n"
            + "data: second line\r\n\r\n"
            + "id: 7\rdata: cr only\r\r"
            + "data: [DONE]\n\n";

    private static final List<SseDecoder.Event> EXPECTED = List.of(
            new SseDecoder.Event(null, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Héllo ✓ 😀\"}}]}"),
            new SseDecoder.Event("message", "{\"a\":1}\nsecond line"),
            new SseDecoder.Event(null, "cr only"),
            new SseDecoder.Event(null, "[DONE]"));

    @Test
    void decodesWholeStream() {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        assertThat(new SseDecoder().feed(bytes, 0, bytes.length)).isEqualTo(EXPECTED);
    }

    @Test
    void decodesTheStreamSplitAtEveryByteOffset() {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        for (int split = 0; split <= bytes.length; split++) {
            SseDecoder d = new SseDecoder();
            List<SseDecoder.Event> events = new ArrayList<>(d.feed(bytes, 0, split));
            events.addAll(d.feed(bytes, split, bytes.length - split));
            assertThat(events).as("split at byte %d", split).isEqualTo(EXPECTED);
            assertThat(d.hasPartial()).isFalse();
        }
    }

    @Test
    void decodesTheStreamSplitAtEveryPairOfOffsets() {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        for (int a = 0; a <= bytes.length; a++) {
            for (int b = a; b <= bytes.length; b += 7) {
                SseDecoder d = new SseDecoder();
                List<SseDecoder.Event> events = new ArrayList<>(d.feed(bytes, 0, a));
                events.addAll(d.feed(bytes, a, b - a));
                events.addAll(d.feed(bytes, b, bytes.length - b));
                assertThat(events).as("split at %d and %d", a, b).isEqualTo(EXPECTED);
            }
        }
    }

    @Test
    void decodesOneByteAtATime() {
        byte[] bytes = STREAM.getBytes(StandardCharsets.UTF_8);
        SseDecoder d = new SseDecoder();
        List<SseDecoder.Event> events = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            events.addAll(d.feed(bytes, i, 1));
        }
        assertThat(events).isEqualTo(EXPECTED);
    }

    @Test
    void keepsAnUnterminatedEventAsPartial() {
        byte[] bytes = "data: {\"a\":".getBytes(StandardCharsets.UTF_8);
        SseDecoder d = new SseDecoder();
        assertThat(d.feed(bytes, 0, bytes.length)).isEmpty();
        assertThat(d.hasPartial()).isTrue();
    }

    @Test
    void growsItsLineBufferForLongLines() {
        String big = "x".repeat(10_000);
        byte[] bytes = ("data: " + big + "\n\n").getBytes(StandardCharsets.UTF_8);
        assertThat(new SseDecoder().feed(bytes, 0, bytes.length)).containsExactly(new SseDecoder.Event(null, big));
    }
}
