package org.modernbert.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.api.backend.Head;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.backend.SequenceInput;
import org.modernbert.api.backend.SequenceOutput;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.api.model.SequenceClassifier;
import org.modernbert.api.tensor.WeightFormat;
import org.modernbert.conformance.ConformanceReport.Result;
import org.modernbert.core.ModernBert;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The machinery under the checks: the backend under test and its options, the tolerance hook, the
 * fixture models (loaded once per run), the report, and helpers to drive an executor. The checks
 * themselves are in {@link ExecutorChecks} (the {@code ModelExecutor} and {@code KvCache} contract)
 * and {@link BackendConformanceSuite} (the model classes on the backend); backend authors extend
 * {@link BackendConformanceSuite}.
 *
 * <p>Every check is a JUnit test whose display name is its id ({@code executor.fork},
 * {@code model.forward[tiny-mbd-bf16]}, ...). What it compares is recorded as report rows; the
 * table is printed when the class finishes ({@link #reportFinished}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.DisplayName.class)
@ExtendWith(ConformanceKit.OutcomeRecorder.class)
public abstract class ConformanceKit {
    /** Message of the assumption that skips a check or fixture the run did not select; such checks are left out of the report. */
    static final String NOT_SELECTED = "not selected for this run";

    private ConformanceReport report;
    private BackendProvider resolvedProvider;
    private final Map<String, DecoderModel> models = new LinkedHashMap<>();
    private Check current;

    // ------------------------------------------------------------------ what a backend author overrides

    /** The backend under test, as its provider names it. */
    protected abstract String backendName();

    /**
     * The provider of the backend under test. By default the installed provider named
     * {@link #backendName()} (found with {@link java.util.ServiceLoader}); override to test a provider
     * that is not registered.
     */
    protected BackendProvider provider() {
        return ConformanceTarget.findInstalled(backendName());
    }

    /** Options every fixture model is loaded with (threads, device, quantization). */
    protected BackendOptions options() {
        return BackendOptions.defaults();
    }

    /**
     * The tolerance hook: the tolerance to use for {@code comparison} instead of the {@code declared}
     * one. The default keeps every declared tolerance, except that when {@link #options()} quantizes
     * the weights, comparisons with the float64 reference use {@link QuantizedTolerances}. Override to
     * widen for a backend whose math is less precise than float32 (call {@code super} to keep the
     * quantization rule); the report marks every changed tolerance as widened.
     */
    protected Tolerance tolerance(Comparison comparison, Tolerance declared) {
        return QuantizedTolerances.widen(options().quantize(), comparison, declared);
    }

    /** Whether the run uses this fixture model; checks on the others are left out. All by default. */
    protected boolean usesFixture(String fixture) {
        return true;
    }

    /** Whether the run includes this check; the others are left out. All by default. */
    protected boolean runsCheck(String checkId) {
        return true;
    }

    /** Called with the full report when every check has run; prints the table on standard output by default. */
    protected void reportFinished(ConformanceReport finished) {
        PrintWriter out = new PrintWriter(System.out, false, StandardCharsets.UTF_8);
        out.println();
        finished.print(out);
        out.flush();
    }

    // ------------------------------------------------------------------ life cycle

    @BeforeAll
    final void probeBackend() {
        String title = "Conformance of backend " + backendName();
        report = new ConformanceReport(title);
        BackendProvider p;
        try {
            p = provider();
        } catch (ModernBertException e) {
            report.outcome("backend", Result.FAIL, e.getMessage());
            throw new AssertionFailedError(e.getMessage(), e);
        }
        Availability availability;
        try {
            availability = p.probe();
        } catch (RuntimeException | LinkageError e) {
            availability = Availability.unavailable("probe failed: " + e);
        }
        if (availability == null) {
            availability = Availability.unavailable("probe returned nothing");
        }
        if (!availability.available()) {
            String reason = "backend " + backendName() + " unavailable: " + availability.detail();
            report.outcome("backend", Result.SKIP, reason);
            Assumptions.abort(reason);
        }
        resolvedProvider = p;
        String device = availability.devices().getFirst().name();
        if (options().device() != null) {
            device = availability.devices().stream().filter(d -> d.id().equals(options().device())).map(d -> d.name())
                    .findFirst().orElse(options().device());
        }
        WeightFormat q = options().quantize();
        report = new ConformanceReport(title + " on " + device + " (" + availability.detail() + "); "
                + (q == null ? "stored weight formats" : "weights quantized to " + q.name().toLowerCase(Locale.ROOT))
                + (options().threads() > 0 ? ", " + options().threads() + " threads" : ""));
    }

    @BeforeEach
    final void startCheck(TestInfo info) {
        String id = info.getDisplayName();
        Assumptions.assumeTrue(runsCheck(id), NOT_SELECTED);
        current = new Check(id, report, this::tolerance);
    }

    @AfterAll
    final void finish() {
        RuntimeException failure = null;
        for (DecoderModel m : models.values()) {
            try {
                m.close();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        models.clear();
        if (report != null) {
            reportFinished(report);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Records each check's outcome (a check that failed outside its comparisons still gets a row). */
    static final class OutcomeRecorder implements TestWatcher {
        @Override
        public void testSuccessful(ExtensionContext context) {
            kit(context).ifPresent(k -> k.report.outcome(context.getDisplayName(), Result.PASS, null));
        }

        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            String message = cause instanceof AssertionError ? cause.getMessage() : cause.toString();
            kit(context).ifPresent(k -> k.report.outcome(context.getDisplayName(), Result.FAIL,
                    ConformanceReport.firstLine(message)));
        }

        @Override
        public void testAborted(ExtensionContext context, Throwable cause) {
            if (cause instanceof TestAbortedException && cause.getMessage() != null && cause.getMessage().contains(NOT_SELECTED)) {
                return;
            }
            kit(context).ifPresent(k -> k.report.outcome(context.getDisplayName(), Result.SKIP,
                    ConformanceReport.firstLine(cause.getMessage())));
        }

        @Override
        public void testDisabled(ExtensionContext context, Optional<String> reason) {
            kit(context).ifPresent(k -> k.report.outcome(context.getDisplayName(), Result.SKIP, reason.orElse("disabled")));
        }

        private static Optional<ConformanceKit> kit(ExtensionContext context) {
            return context.getTestInstance().filter(ConformanceKit.class::isInstance).map(ConformanceKit.class::cast)
                    .filter(k -> k.report != null);
        }
    }

    // ------------------------------------------------------------------ for the checks

    /** The running check. */
    protected final Check check() {
        if (current == null) {
            throw new IllegalStateException("no check is running");
        }
        return current;
    }

    /** The report of this run so far. */
    protected final ConformanceReport report() {
        return report;
    }

    /** The provider under test, as probed. */
    protected final BackendProvider backend() {
        return resolvedProvider;
    }

    /** Whether the weights are converted to a lossy format for this run. */
    protected final boolean quantized() {
        WeightFormat q = options().quantize();
        return q != null && q != WeightFormat.F32;
    }

    /** Skips the running check unless the run uses {@code fixture}. */
    protected final void requireFixture(String fixture) {
        Assumptions.assumeTrue(usesFixture(fixture), NOT_SELECTED);
    }

    /** A causal-LM fixture loaded on the backend under test, shared by the checks of this run (do not close it). */
    protected final CausalLanguageModel causalLm(String fixture) {
        return (CausalLanguageModel) shared(fixture);
    }

    /** The classifier fixture, shared (do not close it). */
    protected final SequenceClassifier classifier() {
        return (SequenceClassifier) shared(ReferenceFixtures.CLASSIFIER_MODEL);
    }

    private DecoderModel shared(String fixture) {
        requireFixture(fixture);
        DecoderModel m = models.get(fixture);
        if (m == null) {
            m = loadFresh(fixture);
            models.put(fixture, m);
        }
        return m;
    }

    /** A new instance of a fixture model (AutoModel) on the backend under test; the caller closes it. */
    protected final DecoderModel loadFresh(String fixture) {
        requireFixture(fixture);
        return ModernBert.load(ReferenceFixtures.modelDir(fixture), backend(), options());
    }

    // ------------------------------------------------------------------ driving an executor

    /** Outputs of a sequence fed through a cache, concatenated over the steps it took. */
    protected record Fed(float[] logits, float[] lastHidden) {
        /** Rows {@code from .. to-1} of the logits, {@code width} values per row. */
        public float[] logitRows(int from, int to, int width) {
            return Arrays.copyOfRange(logits, from * width, to * width);
        }
    }

    /** One step, checking that it returns one output per input. */
    protected static List<SequenceOutput> step(ModelExecutor executor, SequenceInput... inputs) {
        List<SequenceOutput> out = executor.step(List.of(inputs));
        if (out == null || out.size() != inputs.length) {
            throw new AssertionFailedError("step returned " + (out == null ? "null" : out.size() + " outputs") + " for "
                    + inputs.length + " sequences");
        }
        return out;
    }

    /**
     * Feeds {@code ids} into {@code cache} with {@link Head#ALL} and the last hidden state, in steps of
     * at most the executor's token limit (one step when it allows).
     */
    protected static Fed feed(ModelExecutor executor, KvCache cache, int[] ids) {
        int chunk = Math.max(1, executor.limits().maxTokensPerStep());
        List<float[]> logits = new ArrayList<>();
        List<float[]> hidden = new ArrayList<>();
        for (int from = 0; from < ids.length; from += chunk) {
            int[] part = Arrays.copyOfRange(ids, from, Math.min(ids.length, from + chunk));
            SequenceOutput o = step(executor, SequenceInput.tokens(cache, part).withHead(Head.ALL).withLastHiddenState(true))
                    .getFirst();
            logits.add(o.logits());
            hidden.add(o.lastHiddenState());
        }
        return new Fed(concat(logits), concat(hidden));
    }

    /** {@link #feed} into a new cache of exactly {@code ids.length} positions, closed afterwards. */
    protected static Fed fresh(ModelExecutor executor, int[] ids) {
        try (KvCache cache = executor.newCache(ids.length)) {
            return feed(executor, cache, ids);
        }
    }

    /** Feeds {@code ids} with no head output (a prefill), within the token limit. */
    protected static void prefill(ModelExecutor executor, KvCache cache, int[] ids) {
        int chunk = Math.max(1, executor.limits().maxTokensPerStep());
        for (int from = 0; from < ids.length; from += chunk) {
            step(executor, SequenceInput.tokens(cache, Arrays.copyOfRange(ids, from, Math.min(ids.length, from + chunk)))
                    .withHead(Head.NONE));
        }
    }

    static float[] concat(List<float[]> parts) {
        int n = 0;
        for (float[] p : parts) {
            if (p == null) {
                return null;
            }
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    static int[] slice(int[] a, int from, int to) {
        return Arrays.copyOfRange(a, from, to);
    }

    // ------------------------------------------------------------------ fixture data

    static List<String> causalModels() {
        return ReferenceFixtures.CAUSAL_LM_MODELS;
    }

    static double[] flat(JsonNode node) {
        return Tolerance.flatten(node);
    }

    static List<int[]> rows(JsonNode rows) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode r : rows) {
            out.add(ints(r));
        }
        return out;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    static int[] range(int from, int to) {
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = from + i;
        }
        return out;
    }
}
