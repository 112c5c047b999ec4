package org.modernbert.examples.cli;

import org.modernbert.api.ModernBertException;
import org.modernbert.server.ModernBertServer;
import org.modernbert.server.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code modernbert serve}: an OpenAI-compatible HTTP server for one model folder, until SIGTERM or
 * SIGINT, which drain the requests in flight (up to 30 s) before the process exits.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a model over HTTP with OpenAI's API: /v1/completions (a causal LM), /v1/classify (a classifier),",
                "/v1/models, /tokenize, /detokenize, /health, /ready and /metrics (Prometheus).",
                "Prints 'serving MODEL on http://HOST:PORT' once the model is loaded; SIGTERM/SIGINT drain and stop."})
final class ServeCommand implements Callable<Integer> {
    /** How long SIGTERM/SIGINT wait for running requests. */
    static final Duration DRAIN = Duration.ofSeconds(30);
    /** The server of the running command (tests stop it through this). */
    static final AtomicReference<ModernBertServer> RUNNING = new AtomicReference<>();

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "Model folder (default: the bundled model).")
    Path model;

    @Mixin
    BackendChoice backend;

    @Option(names = "--host", description = "Address to bind (default: 127.0.0.1, this machine only).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "Port (default: 8080; 0: any free port).")
    int port = 8080;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Require 'Authorization: Bearer KEY' (not on /health and /ready).")
    String apiKey;

    @Option(names = "--max-batch", paramLabel = "N", description = "Sequences generated together at most (default: 32).")
    Integer maxBatch;

    @Option(names = "--max-queue", paramLabel = "N", description = "Requests waiting at most; more get 429 (default: 256).")
    Integer maxQueue;

    @Option(names = "--served-model-name", paramLabel = "NAME", description = "The model id of the API (default: the folder's name).")
    String servedModelName;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (port < 0 || port > 65535) {
            throw new ModernBertException("--port must be in [0, 65535], got " + port);
        }
        Path folder = ModelFolders.resolve(model);
        ModelFolders.requireModelFiles(folder, "the server needs the model's tokenizer");
        ServerOptions options = ServerOptions.of(folder).withBackend(backend.backend, backend.options())
                .withApiKey(apiKey).withServedModelName(servedModelName);
        if (maxBatch != null) {
            options = options.withMaxBatchSequences(atLeastOne("--max-batch", maxBatch));
        }
        if (maxQueue != null) {
            options = options.withMaxQueuedRequests(atLeastOne("--max-queue", maxQueue));
        }
        ModernBertServer server = new ModernBertServer(options);
        Thread hook = new Thread(() -> {
            // SIGTERM/SIGINT: /ready turns 503, in-flight requests finish (for up to DRAIN), then the port closes.
            boolean drained = server.stop(DRAIN);
            System.err.println(drained ? "stopped: every in-flight request finished"
                    : "stopped: requests still running after " + DRAIN.toSeconds() + " s were cancelled");
        }, "modernbert-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        InetSocketAddress bound;
        try {
            bound = server.start(host, port);
        } catch (java.net.BindException e) {
            throw new ModernBertException("cannot listen on " + host + ":" + port + ": " + e.getMessage());
        }
        RUNNING.set(server);
        PrintWriter out = spec.commandLine().getOut();
        out.println("serving " + server.modelId() + " on http://" + hostForUrl(host) + ":" + bound.getPort());
        out.flush();
        server.awaitStop();
        RUNNING.compareAndSet(server, null);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // stopped by the hook itself: the JVM is exiting
        }
        return 0;
    }

    private static int atLeastOne(String flag, int value) {
        if (value < 1) {
            throw new ModernBertException(flag + " must be at least 1, got " + value);
        }
        return value;
    }

    private static String hostForUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
