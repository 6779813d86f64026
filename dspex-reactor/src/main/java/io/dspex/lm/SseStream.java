package io.dspex.lm;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

/**
 * The decoding state of one streamed exchange, shared by the clients: network buffers in, {@link LmChunk}s out.
 * Buffers are split into events by an {@link SseDecoder}; each protocol reads its events in {@link #decode} and says
 * in {@link #atEnd} what a body that ends without the protocol's end marker means (the rest of the answer, or a
 * truncated stream). An {@link LmException} thrown while decoding ends the stream after the chunks decoded before
 * it. One per subscription; not thread-safe (a stream is decoded on one thread at a time).
 */
abstract class SseStream {

    private final SseDecoder decoder = new SseDecoder();
    /** The provider's request id of this exchange, for error messages. */
    protected final @Nullable String requestId;
    private boolean done;

    protected SseStream(@Nullable String requestId) {
        this.requestId = requestId;
    }

    /** Decodes one buffer; after the end marker or an error, further bytes are ignored. */
    final HttpTransport.Batch feed(ByteBuf buf) {
        if (done) {
            return HttpTransport.Batch.EMPTY_BATCH;
        }
        int n = buf.readableBytes();
        byte[] bytes;
        int offset;
        if (buf.hasArray()) {
            bytes = buf.array();
            offset = buf.arrayOffset() + buf.readerIndex();
        } else {
            bytes = new byte[n];
            buf.getBytes(buf.readerIndex(), bytes);
            offset = 0;
        }
        List<SseDecoder.Event> events = decoder.feed(bytes, offset, n);
        if (events.isEmpty()) {
            return HttpTransport.Batch.EMPTY_BATCH;
        }
        List<LmChunk> out = new ArrayList<>(events.size());
        try {
            for (SseDecoder.Event e : events) {
                if (done) {
                    break;
                }
                decode(e, out);
            }
        } catch (LmException e) {
            done = true;
            return new HttpTransport.Batch(out, e);
        }
        return new HttpTransport.Batch(out, null);
    }

    /**
     * Reads one event, adding the chunks it completes; calls {@link #end()} at the protocol's end marker.
     *
     * @throws LmException for an error event, or an event that is not the protocol's
     */
    protected abstract void decode(SseDecoder.Event event, List<LmChunk> out);

    /** Marks the protocol's end of stream: later bytes are ignored, and a clean end of the body is expected. */
    protected final void end() {
        done = true;
    }

    /**
     * The body ended without the protocol's end marker.
     *
     * @param partial whether bytes of an unfinished line or event were left over
     * @return the chunks that complete the answer, when it was complete all the same
     * @throws LmException ({@link LmException.MalformedResponse}) when the stream was cut short
     */
    protected abstract List<LmChunk> atEnd(boolean partial);

    /** @return what follows the last buffer: nothing after the end marker, else what {@link #atEnd} says */
    final Flux<LmChunk> finish() {
        if (done) {
            return Flux.empty();
        }
        done = true;
        try {
            return Flux.fromIterable(atEnd(decoder.hasPartial()));
        } catch (LmException e) {
            return Flux.error(e);
        }
    }

    /** @return " (request id X)", or "" when there is none */
    protected final String requestIdSuffix() {
        return requestId == null ? "" : " (request id " + requestId + ")";
    }
}
