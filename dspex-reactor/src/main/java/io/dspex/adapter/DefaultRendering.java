package io.dspex.adapter;

/** The adapter whose rendering {@link Adapter}'s default methods use. Not for users. */
final class DefaultRendering {

    /** DSPy's default adapter. */
    static final ChatAdapter CHAT = new ChatAdapter();

    private DefaultRendering() {
    }
}
