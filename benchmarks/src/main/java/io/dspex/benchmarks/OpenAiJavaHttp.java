package io.dspex.benchmarks;

import com.openai.core.RequestOptions;
import com.openai.core.http.Headers;
import com.openai.core.http.HttpClient;
import com.openai.core.http.HttpRequest;
import com.openai.core.http.HttpRequestBody;
import com.openai.core.http.HttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.jetbrains.annotations.NotNull;

/**
 * The OpenAI SDK's transport on an OkHttp client sized to the load: a connection pool that keeps
 * {@code concurrency} idle connections (OkHttp's default keeps 5) and a dispatcher that runs {@code concurrency}
 * requests at once, per host too (OkHttp's default: 64 and 5; the SDK raises the per-host limit to 64). The SDK's
 * OkHttp builder in version 4.8.0 exposes neither setting; the SDK takes any {@link HttpClient} through
 * {@code ClientOptions.httpClient}, and this is that: request and response are carried over as they are, with the
 * SDK's timeouts, while the SDK's own layers (serialization, retries, response parsing and validation) stay the same.
 */
final class OpenAiJavaHttp implements HttpClient {

    private final OkHttpClient okHttp;

    private OpenAiJavaHttp(OkHttpClient okHttp) {
        this.okHttp = okHttp;
    }

    /** @return the transport with pool and dispatcher sized to {@code concurrency} */
    static OpenAiJavaHttp sized(int concurrency) {
        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequests(concurrency);
        dispatcher.setMaxRequestsPerHost(concurrency);
        return new OpenAiJavaHttp(new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                .connectionPool(new ConnectionPool(concurrency, 5, TimeUnit.MINUTES))
                .build());
    }

    @Override
    public HttpResponse execute(HttpRequest request, RequestOptions options) {
        try {
            return wrap(newCall(request, options).execute());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public CompletableFuture<HttpResponse> executeAsync(HttpRequest request, RequestOptions options) {
        CompletableFuture<HttpResponse> future = new CompletableFuture<>();
        Call call = newCall(request, options);
        call.enqueue(new Callback() {
            @Override
            public void onResponse(@NotNull Call c, @NotNull Response response) {
                future.complete(wrap(response));
            }

            @Override
            public void onFailure(@NotNull Call c, @NotNull IOException e) {
                future.completeExceptionally(e);
            }
        });
        future.whenComplete((r, e) -> {
            if (future.isCancelled()) {
                call.cancel();
            }
        });
        return future;
    }

    private Call newCall(HttpRequest request, RequestOptions options) {
        OkHttpClient client = okHttp;
        com.openai.core.Timeout timeout = options.getTimeout();
        if (timeout != null) {
            client = okHttp.newBuilder().connectTimeout(orZero(timeout.connect())).readTimeout(orZero(timeout.read()))
                    .writeTimeout(orZero(timeout.write())).callTimeout(orZero(timeout.request())).build();
        }
        HttpUrl.Builder url = HttpUrl.get(request.baseUrl()).newBuilder();
        request.pathSegments().forEach(url::addPathSegment);
        request.queryParams().keys().forEach(k -> request.queryParams().values(k)
                .forEach(v -> url.addQueryParameter(k, v)));
        Request.Builder b = new Request.Builder().url(url.build());
        Headers headers = request.headers();
        headers.names().forEach(n -> headers.values(n).forEach(v -> b.addHeader(n, v)));
        HttpRequestBody body = request.body();
        RequestBody okBody = body == null ? null : new RequestBody() {
            @Override
            public MediaType contentType() {
                return body.contentType() == null ? null : MediaType.parse(body.contentType());
            }

            @Override
            public long contentLength() {
                return body.contentLength();
            }

            @Override
            public boolean isOneShot() {
                return !body.repeatable();
            }

            @Override
            public void writeTo(@NotNull BufferedSink sink) {
                body.writeTo(sink.outputStream());
            }
        };
        b.method(request.method().name(), okBody);
        return client.newCall(b.build());
    }

    private static Duration orZero(Duration d) {
        return d == null ? Duration.ZERO : d;
    }

    private static HttpResponse wrap(Response response) {
        Headers.Builder headers = Headers.builder();
        response.headers().names().forEach(n -> headers.put(n, response.headers().values(n)));
        Headers h = headers.build();
        return new HttpResponse() {
            @Override
            public int statusCode() {
                return response.code();
            }

            @Override
            public Headers headers() {
                return h;
            }

            @Override
            public InputStream body() {
                return response.body() == null ? InputStream.nullInputStream() : response.body().byteStream();
            }

            @Override
            public void close() {
                response.close();
            }
        };
    }

    @Override
    public void close() {
        okHttp.dispatcher().executorService().shutdown();
        okHttp.connectionPool().evictAll();
    }
}
