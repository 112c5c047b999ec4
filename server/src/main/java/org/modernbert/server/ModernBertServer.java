package org.modernbert.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.api.model.SequenceClassifier;
import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.ModernBert;
import org.modernbert.core.generation.BatchScheduler;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.QueueFullException;
import org.modernbert.core.pipeline.TextClassificationPipeline;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OpenAI-compatible HTTP server for one model folder, on the JDK's HTTP server with a virtual
 * thread per exchange. A causal LM is served through a {@link BatchScheduler} (concurrent requests
 * share the model's steps); a sequence classifier through a {@link TextClassificationPipeline}.
 *
 * <p>{@link #start} binds first and then loads, so /health and /ready answer (ready: 503) during the
 * load; {@link #stop} turns /ready to 503 and refuses new work before it drains what is running.
 */
public final class ModernBertServer {
    private static final Logger LOG = LogManager.getLogger(ModernBertServer.class);

    enum State { NEW, LOADING, READY, DRAINING, STOPPED }

    /** What was loaded: exactly one of scheduler (with its model) and classifier is set. */
    record Served(Tokenizer tokenizer, int maxPositions, int vocabSize, GenerationConfig defaults,
                  CausalLanguageModel lm, BatchScheduler scheduler, TextClassificationPipeline classifier) {
    }

    /** One endpoint's handler; {@code open}: answered without the API key and while not ready. */
    private record Route(String method, Endpoint endpoint, boolean open) {
    }

    @FunctionalInterface
    interface Endpoint {
        void handle(HttpExchange exchange) throws IOException;
    }

    private final ServerOptions options;
    private final String modelId;
    private final Metrics metrics = new Metrics();
    private final Map<String, Route> routes = new LinkedHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final long created = System.currentTimeMillis() / 1000;
    private volatile State state = State.NEW;
    private volatile Served served;
    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
    private HttpServer http;

    public ModernBertServer(ServerOptions options) {
        this.options = options;
        this.modelId = options.modelId();
        CompletionsHandler completions = new CompletionsHandler(this);
        TokenizerHandler tokenizer = new TokenizerHandler(this);
        ClassifyHandler classify = new ClassifyHandler(this);
        OperationsHandler ops = new OperationsHandler(this);
        routes.put("/v1/completions", new Route("POST", completions::handle, false));
        routes.put("/v1/models", new Route("GET", new ModelsHandler(this)::handle, false));
        routes.put("/tokenize", new Route("POST", tokenizer::tokenize, false));
        routes.put("/detokenize", new Route("POST", tokenizer::detokenize, false));
        routes.put("/v1/classify", new Route("POST", classify::handle, false));
        routes.put("/classify", new Route("POST", classify::handle, false));
        routes.put("/metrics", new Route("GET", ops::metrics, false));
        routes.put("/health", new Route("GET", ops::health, true));
        routes.put("/ready", new Route("GET", ops::ready, true));
    }

    /**
     * Binds to {@code host:port} (port 0: any free port), loads the model and returns the bound address
     * once requests are accepted. A model that cannot be loaded stops the server and is thrown.
     */
    public synchronized InetSocketAddress start(String host, int port) throws IOException {
        if (state != State.NEW) {
            throw new IllegalStateException("a server starts once");
        }
        // Streamed tokens are small writes: without TCP_NODELAY, Nagle's algorithm holds each one until the
        // previous is acknowledged, which doubled per-token latency for clients here (JDK HttpClient 48 -> 19 ms per request).
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        http = HttpServer.create(new InetSocketAddress(host, port), 0);
        http.createContext("/", this::route);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        state = State.LOADING;
        http.start();
        try {
            served = load(options);
        } catch (RuntimeException | Error e) {
            state = State.STOPPED;
            http.stop(0);
            stopped.countDown();
            throw e;
        }
        state = State.READY;
        return http.getAddress();
    }

    private static Served load(ServerOptions o) {
        Tokenizer tokenizer = HuggingFaceTokenizer.load(o.model());
        DecoderModel model = ModernBert.load(o.model(), o.backend(), o.backendOptions());
        int maxPositions = model.config().maxPositionEmbeddings();
        int vocab = model.config().vocabSize();
        if (model instanceof CausalLanguageModel lm) {
            GenerationConfig defaults = GenerationConfig.fromModelFolder(o.model());
            BatchScheduler scheduler = new BatchScheduler(lm, tokenizer, new BatchScheduler.Options(
                    o.maxBatchSequences(), o.maxQueuedRequests(), BatchScheduler.Options.defaults().prefillChunkTokens()));
            return new Served(tokenizer, maxPositions, vocab, defaults, lm, scheduler, null);
        }
        if (model instanceof SequenceClassifier cls) {
            return new Served(tokenizer, maxPositions, vocab, null, null, null, new TextClassificationPipeline(cls, tokenizer));
        }
        model.close();
        throw new ModernBertException("model folder " + o.model() + " holds a base model: the server serves causal LMs"
                + " (completions) and sequence classifiers (classify)");
    }

    /**
     * Stops: /ready answers 503 and new requests are refused at once; running and queued generation
     * requests get up to {@code drain} to finish (the rest are cancelled); then the port is closed and
     * the model freed. True when everything finished in time.
     */
    public synchronized boolean stop(Duration drain) {
        if (state == State.STOPPED || state == State.NEW) {
            state = State.STOPPED;
            stopped.countDown();
            return true;
        }
        state = State.DRAINING;
        Served s = served;
        boolean drained = s == null || s.scheduler() == null || s.scheduler().shutdown(drain);
        http.stop(1); // lets handlers write the answers of what just finished
        if (s != null) {
            if (s.lm() != null) {
                s.lm().close();
            }
            if (s.classifier() != null) {
                s.classifier().close();
            }
        }
        state = State.STOPPED;
        stopped.countDown();
        return drained;
    }

    /** Blocks until {@link #stop} has finished (or the server failed to start). */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    public String modelId() {
        return modelId;
    }

    /** The bound address once started, else null. */
    public InetSocketAddress address() {
        return http == null ? null : http.getAddress();
    }

    State state() {
        return state;
    }

    Served served() {
        return served;
    }

    Metrics metrics() {
        return metrics;
    }

    ServerOptions options() {
        return options;
    }

    long created() {
        return created;
    }

    String nextId(String prefix) {
        return prefix + Long.toHexString(System.currentTimeMillis()) + "-" + ids.incrementAndGet();
    }

    /** 404 unless {@code model} (when given) is the served model's id. */
    void requireModel(String model) {
        if (model != null && !model.equals(modelId)) {
            throw ApiError.notFound("model_not_found", "the model '" + model + "' does not exist; this server serves '" + modelId + "'");
        }
    }

    // ---- routing: one context for every path, so unknown paths and methods get OpenAI error objects ----

    private void route(HttpExchange ex) {
        String path = ex.getRequestURI().getPath();
        Route route = routes.get(path);
        String label = route == null ? "other" : path;
        try {
            if (route == null) {
                throw ApiError.notFound("not_found", "no endpoint " + path + " on this server");
            }
            String method = ex.getRequestMethod();
            if (!route.method().equals(method)) {
                ex.getResponseHeaders().set("Allow", route.method());
                throw new ApiError(405, "invalid_request_error", null, "method_not_allowed",
                        path + " takes " + route.method() + ", not " + method);
            }
            if (!route.open()) {
                if (options.apiKey() != null && !authorized(ex)) {
                    throw new ApiError(401, "invalid_request_error", null, "invalid_api_key",
                            "missing or wrong API key: send the header 'Authorization: Bearer KEY'");
                }
                requireReady();
            }
            route.endpoint().handle(ex);
        } catch (ApiError e) {
            answer(ex, e);
        } catch (QueueFullException e) {
            answer(ex, new ApiError(429, "rate_limit_error", null, "queue_full", e.getMessage()));
        } catch (ModernBertException e) {
            answer(ex, state == State.READY ? ApiError.invalid(null, oneLine(e.getMessage()))
                    : ApiError.unavailable("the server is shutting down"));
        } catch (IOException e) {
            LOG.debug("exchange on {} ended: {}", path, e.toString()); // the client left
        } catch (RuntimeException e) {
            LOG.error("internal error on " + path, e);
            answer(ex, new ApiError(500, "internal_error", null, null, "internal error: " + e.getClass().getSimpleName()));
        } finally {
            int status = ex.getResponseCode();
            metrics.request(label, status < 0 ? 499 : status);
            ex.close();
        }
    }

    void requireReady() {
        switch (state) {
            case READY -> {
            }
            case NEW, LOADING -> throw ApiError.unavailable("the model is still loading: try again shortly");
            default -> throw ApiError.unavailable("the server is shutting down");
        }
    }

    private boolean authorized(HttpExchange ex) {
        String header = ex.getRequestHeaders().getFirst("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, options.apiKey().getBytes(StandardCharsets.UTF_8)); // constant time
    }

    private static void answer(HttpExchange ex, ApiError e) {
        if (ex.getResponseCode() >= 0) {
            return; // the answer has begun (a stream): nothing more can be said in HTTP terms
        }
        try {
            Http.sendError(ex, e);
        } catch (IOException ignored) {
            // the client left
        }
    }

    static String oneLine(String message) {
        if (message == null) {
            return "invalid request";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
