package io.dspex.contracts;

import io.dspex.adapter.Adapter;
import io.dspex.adapter.JsonAdapter;
import io.dspex.test.AdapterContract;

/** DSPy's JSONAdapter against the adapter contract: it has no fallback and does not stream fields. */
class JsonAdapterContractTest extends AdapterContract {

    @Override
    protected Adapter adapter() {
        return new JsonAdapter();
    }

    @Override
    protected boolean supportsStreamingFields() {
        return false;
    }
}
