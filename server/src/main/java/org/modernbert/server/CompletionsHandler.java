package org.modernbert.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.generation.BatchScheduler;
import org.modernbert.core.generation.FinishReason;
import org.modernbert.core.generation.GeneratedSequence;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.GenerationResult;
import org.modernbert.core.generation.Ticket;
import org.modernbert.core.generation.TokenLogprobs;
import org.modernbert.core.generation.TokenStreamer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * POST /v1/completions, OpenAI's legacy completions: a JSON answer, or with {@code "stream": true}
 * Server-Sent Events. Requests go to the {@link BatchScheduler}; its thread hands each token to a
 * queue ({@link Events}) that this exchange's own virtual thread drains, decodes and writes, so a slow
 * client never holds up the batch. A client that leaves a stream is noticed at the next write, and
 * its request is cancelled (its caches are freed at the scheduler's next step).
 */
final class CompletionsHandler {
    private final ModernBertServer server;

    CompletionsHandler(ModernBertServer server) {
        this.server = server;
    }

    void handle(HttpExchange ex) throws IOException {
        long arrival = System.nanoTime();
        ModernBertServer.Served served = server.served();
        ObjectNode body = Http.readObject(ex, server.options().maxBodyBytes());
        if (served.scheduler() == null) {
            throw ApiError.notFound("model_not_found", "the model '" + server.modelId()
                    + "' is a sequence classifier: it does not generate (use /v1/classify)");
        }
        server.requireModel(Fields.optString(body, "model"));
        CompletionRequest request = CompletionRequest.parse(body, served.tokenizer(), served.vocabSize(), served.maxPositions());
        GenerationConfig config = request.config(served.defaults());
        Events events = new Events(arrival);
        Ticket ticket = served.scheduler().submit(new BatchScheduler.Request(request.promptIds(), null, config, events,
                request.extraProcessors(), request.logprobs() == null ? -1 : request.logprobs()));
        Answer answer = new Answer(server.nextId("cmpl-"), System.currentTimeMillis() / 1000, server.modelId(),
                served.tokenizer(), request, config.numReturnSequences());
        try {
            if (request.stream()) {
                stream(ex, ticket, events, answer);
            } else {
                whole(ex, ticket, events, answer);
            }
        } catch (IOException | RuntimeException e) {
            ticket.cancel(); // the client left (or the answer failed): free its caches at the next step
            throw e;
        } finally {
            events.record(server.metrics());
        }
    }

    // ---- the tokens as the scheduler hands them over ----

    /** A token of a sequence, or its end (token -1). */
    private record Event(int sequence, int token, TokenLogprobs logprobs, FinishReason end) {
    }

    /** Called on the scheduler's thread: only queues and timestamps, never blocks. */
    private static final class Events implements TokenStreamer {
        final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();
        final long arrival;
        volatile long first;
        volatile long last;
        final Map<Integer, Integer> counts = new java.util.concurrent.ConcurrentHashMap<>();

        Events(long arrival) {
            this.arrival = arrival;
        }

        @Override
        public void put(int sequence, int tokenId) {
            put(sequence, tokenId, null);
        }

        @Override
        public void put(int sequence, int tokenId, TokenLogprobs logprobs) {
            long now = System.nanoTime();
            if (first == 0) {
                first = now;
            }
            last = now;
            counts.merge(sequence, 1, Integer::sum);
            queue.add(new Event(sequence, tokenId, logprobs, null));
        }

        @Override
        public void end(int sequence, FinishReason reason) {
            queue.add(new Event(sequence, -1, null, reason));
        }

        /** Time to the first token, and the mean time between tokens of the longest sequence after it. */
        void record(Metrics metrics) {
            if (first == 0) {
                return;
            }
            metrics.timeToFirstToken.observe((first - arrival) / 1e9);
            int longest = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
            if (longest > 1) {
                metrics.timePerOutputToken.observe((last - first) / 1e9 / (longest - 1));
            }
        }
    }

    // ---- the answer ----

    /** What both answer forms share: ids, choices' text trackers and logprobs. */
    private static final class Answer {
        final String id;
        final long created;
        final String model;
        final Tokenizer tokenizer;
        final CompletionRequest request;
        final int n;
        final ChoiceText[] texts;
        final List<List<Event>> tokens = new ArrayList<>();

        Answer(String id, long created, String model, Tokenizer tokenizer, CompletionRequest request, int n) {
            this.id = id;
            this.created = created;
            this.model = model;
            this.tokenizer = tokenizer;
            this.request = request;
            this.n = n;
            int total = request.prompts().size() * n;
            texts = new ChoiceText[total];
            for (int i = 0; i < total; i++) {
                texts[i] = new ChoiceText(tokenizer, request.prompts().get(i / n).ids(), request.stop());
                tokens.add(new ArrayList<>());
            }
        }

        int choices() {
            return texts.length;
        }

        ObjectNode root() {
            ObjectNode root = Http.JSON.createObjectNode();
            root.put("id", id);
            root.put("object", "text_completion");
            root.put("created", created);
            root.put("model", model);
            return root;
        }

        /** OpenAI's legacy logprobs object over tokens with the text offset of each. */
        ObjectNode logprobs(List<Event> events, List<Integer> offsets) {
            ObjectNode lp = Http.JSON.createObjectNode();
            ArrayNode toks = lp.putArray("tokens");
            ArrayNode values = lp.putArray("token_logprobs");
            ArrayNode tops = lp.putArray("top_logprobs");
            ArrayNode at = lp.putArray("text_offset");
            for (int i = 0; i < events.size(); i++) {
                Event e = events.get(i);
                toks.add(tokenizer.decode(new int[]{e.token()}, false));
                TokenLogprobs l = e.logprobs();
                if (l == null) {
                    values.addNull();
                    tops.addNull();
                } else {
                    values.add(l.logprob());
                    Map<String, Float> top = new LinkedHashMap<>();
                    for (int k = 0; k < l.topIds().length; k++) {
                        top.putIfAbsent(tokenizer.decode(new int[]{l.topIds()[k]}, false), l.topLogprobs()[k]);
                    }
                    ObjectNode t = tops.addObject();
                    top.forEach(t::put);
                }
                at.add(offsets.get(i));
            }
            return lp;
        }
    }

    private static String finishReason(FinishReason r) {
        return switch (r) {
            case EOS, STOP_STRING -> "stop";
            case LENGTH, MAX_TIME -> "length";
            case CANCELLED -> "abort";
        };
    }

    private void whole(HttpExchange ex, Ticket ticket, Events events, Answer a) throws IOException {
        GenerationResult result = await(ticket.result());
        List<Event> all = new ArrayList<>(events.queue);
        for (Event e : all) {
            if (e.end() == null) {
                a.tokens.get(e.sequence()).add(e);
            }
        }
        ObjectNode root = a.root();
        ArrayNode choices = root.putArray("choices");
        long completion = 0;
        for (int i = 0; i < result.sequences().size(); i++) {
            GeneratedSequence s = result.sequences().get(i);
            CompletionRequest.Prompt prompt = a.request.prompts().get(s.promptIndex());
            String text = ChoiceText.cut(continuation(a.tokenizer, s), a.request.stop());
            ObjectNode c = choices.addObject();
            c.put("index", i);
            c.put("text", a.request.echo() ? prompt.text() + text : text);
            if (a.request.logprobs() == null) {
                c.putNull("logprobs");
            } else {
                // offsets: where each token's text starts in the returned text, replayed token by token
                ChoiceText replay = new ChoiceText(a.tokenizer, prompt.ids(), a.request.stop());
                List<Integer> offsets = new ArrayList<>();
                for (Event e : a.tokens.get(i)) {
                    offsets.add(replay.text().length());
                    replay.add(e.token());
                }
                c.set("logprobs", a.logprobs(a.tokens.get(i), offsets));
            }
            c.put("finish_reason", finishReason(s.finishReason()));
            completion += s.newIds().length;
        }
        root.set("usage", usage(a.request, completion));
        Http.sendJson(ex, 200, root);
    }

    private static String continuation(Tokenizer tokenizer, GeneratedSequence s) {
        String full = tokenizer.decode(s.allIds(), true);
        int promptLength = tokenizer.decode(s.promptIds(), true).length();
        return promptLength <= full.length() ? full.substring(promptLength) : "";
    }

    private static ObjectNode usage(CompletionRequest request, long completion) {
        long prompt = request.prompts().stream().mapToLong(p -> p.ids().length).sum(); // each prompt once, whatever n
        ObjectNode u = Http.JSON.createObjectNode();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        return u;
    }

    private static GenerationResult await(CompletableFuture<GenerationResult> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.unavailable("the server is shutting down");
        } catch (ExecutionException e) {
            throw failed(e.getCause());
        }
    }

    private static ApiError failed(Throwable cause) {
        String reason = cause instanceof ModernBertException ? ModernBertServer.oneLine(cause.getMessage()) : cause.getClass().getSimpleName();
        return new ApiError(500, "internal_error", null, "generation_failed", "generation failed: " + reason);
    }

    // ---- Server-Sent Events ----

    /** How long a stream may stay silent before a keep-alive comment checks that its client is still there. */
    private static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private void stream(HttpExchange ex, Ticket ticket, Events events, Answer a) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        CompletableFuture<GenerationResult> result = ticket.result();
        try (OutputStream out = ex.getResponseBody()) {
            if (a.request.echo()) {
                for (int i = 0; i < a.choices(); i++) {
                    send(out, chunk(a, i, a.request.prompts().get(i / a.n).text(), null, null));
                }
            }
            int ended = 0;
            long completion = 0;
            List<List<Event>> pending = new ArrayList<>();
            List<List<Integer>> offsets = new ArrayList<>();
            for (int i = 0; i < a.choices(); i++) {
                pending.add(new ArrayList<>());
                offsets.add(new ArrayList<>());
            }
            long lastWrite = System.nanoTime();
            while (ended < a.choices()) {
                Event e;
                try {
                    e = events.queue.poll(50, TimeUnit.MILLISECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
                if (e == null) {
                    if (result.isDone() && events.queue.isEmpty()) {
                        break; // every event comes before the result: nothing more will arrive
                    }
                    if (System.nanoTime() - lastWrite > KEEP_ALIVE_NANOS) {
                        // An SSE comment while nothing else is written (queued, prefilling, text held back at a
                        // stop string's start): a client that left makes it fail, which cancels the request.
                        out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        lastWrite = System.nanoTime();
                    }
                    continue;
                }
                int i = e.sequence();
                ChoiceText text = a.texts[i];
                if (e.end() == null) {
                    completion++;
                    if (a.request.logprobs() != null) {
                        pending.get(i).add(e);
                        offsets.get(i).add(text.text().length());
                    }
                    String piece = text.add(e.token());
                    if (!piece.isEmpty()) {
                        send(out, chunk(a, i, piece, logprobs(a, pending.get(i), offsets.get(i)), null));
                    }
                } else {
                    ended++;
                    send(out, chunk(a, i, text.finish(), logprobs(a, pending.get(i), offsets.get(i)), finishReason(e.end())));
                }
            }
            if (result.isCompletedExceptionally()) {
                try {
                    result.join();
                } catch (RuntimeException failure) {
                    send(out, Http.errorBody(failed(failure.getCause() == null ? failure : failure.getCause())));
                }
            } else if (a.request.includeUsage()) {
                ObjectNode last = a.root();
                last.putArray("choices");
                last.set("usage", usage(a.request, completion));
                send(out, last);
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    private static ObjectNode chunk(Answer a, int index, String text, ObjectNode logprobs, String finish) {
        ObjectNode root = a.root();
        ObjectNode c = root.putArray("choices").addObject();
        c.put("index", index);
        c.put("text", text);
        c.set("logprobs", logprobs);
        c.put("finish_reason", finish);
        return root;
    }

    /** The pending tokens' logprobs (then forgotten), or null when not asked for. */
    private static ObjectNode logprobs(Answer a, List<Event> pending, List<Integer> offsets) {
        if (a.request.logprobs() == null) {
            return null;
        }
        ObjectNode lp = a.logprobs(pending, offsets);
        pending.clear();
        offsets.clear();
        return lp;
    }

    private static void send(OutputStream out, ObjectNode json) throws IOException {
        out.write(("data: " + Http.JSON.writeValueAsString(json) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
