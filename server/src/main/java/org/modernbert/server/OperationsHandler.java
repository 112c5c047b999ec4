package org.modernbert.server;

import com.sun.net.httpserver.HttpExchange;
import org.modernbert.core.generation.BatchScheduler;

import java.io.IOException;

/** /health (the process answers), /ready (loaded and accepting) and /metrics (Prometheus text). */
final class OperationsHandler {
    private final ModernBertServer server;

    OperationsHandler(ModernBertServer server) {
        this.server = server;
    }

    void health(HttpExchange ex) throws IOException {
        Http.sendText(ex, 200, "text/plain; charset=utf-8", "ok\n");
    }

    void ready(HttpExchange ex) throws IOException {
        ModernBertServer.State s = server.state();
        if (s == ModernBertServer.State.READY) {
            Http.sendText(ex, 200, "text/plain; charset=utf-8", "ready\n");
        } else {
            Http.sendText(ex, 503, "text/plain; charset=utf-8",
                    (s == ModernBertServer.State.LOADING || s == ModernBertServer.State.NEW ? "loading" : "shutting down") + "\n");
        }
    }

    void metrics(HttpExchange ex) throws IOException {
        ModernBertServer.Served served = server.served();
        BatchScheduler scheduler = served == null ? null : served.scheduler();
        Http.sendText(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                server.metrics().render(scheduler == null ? null : scheduler.stats()));
    }
}
