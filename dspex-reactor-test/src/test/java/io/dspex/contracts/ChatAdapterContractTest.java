package io.dspex.contracts;

import io.dspex.adapter.Adapter;
import io.dspex.adapter.ChatAdapter;
import io.dspex.test.AdapterContract;

/** DSPy's ChatAdapter against the adapter contract: it streams fields and falls back to the JSON adapter. */
class ChatAdapterContractTest extends AdapterContract {

    @Override
    protected Adapter adapter() {
        return new ChatAdapter();
    }
}
