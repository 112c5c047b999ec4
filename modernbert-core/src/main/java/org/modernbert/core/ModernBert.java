package org.modernbert.core;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Availability;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.backend.BackendProvider;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.DecoderModel;
import org.modernbert.api.model.HeadWeights.HeadKind;
import org.modernbert.api.model.SequenceClassifier;
import org.modernbert.core.backend.BackendRegistry;
import org.modernbert.core.loading.CheckpointLoader;
import org.modernbert.core.loading.LoadedCheckpoint;
import org.modernbert.core.model.BaseDecoderModel;
import org.modernbert.core.model.CausalLmModel;
import org.modernbert.core.model.ClassifierModel;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.nio.file.Path;

/**
 * Loads a Hugging Face checkpoint folder (config.json, model.safetensors or a sharded index) onto a
 * backend. {@link #load(Path, String)} is {@code AutoModel}: the class comes from
 * {@code architectures}. The backend is the named one (argument, then {@code -Dmodernbert.backend},
 * then {@code MODERNBERT_BACKEND}) or the best available one.
 */
public final class ModernBert {
    private static final Logger LOG = LogManager.getLogger(ModernBert.class);

    private ModernBert() {
    }

    /** AutoModel with the default backend. */
    public static DecoderModel load(Path folder) {
        return load(folder, null);
    }

    /** AutoModel: a {@link CausalLanguageModel}, {@link SequenceClassifier} or base model, by {@code architectures}. */
    public static DecoderModel load(Path folder, String backend) {
        return load(folder, backend, BackendOptions.defaults());
    }

    public static DecoderModel load(Path folder, String backend, BackendOptions options) {
        return open(folder, backend, options, true, null);
    }

    public static CausalLanguageModel loadCausalLM(Path folder, String backend) {
        return loadCausalLM(folder, backend, BackendOptions.defaults());
    }

    public static CausalLanguageModel loadCausalLM(Path folder, String backend, BackendOptions options) {
        return (CausalLanguageModel) open(folder, backend, options, false, HeadKind.LANGUAGE_MODEL);
    }

    public static SequenceClassifier loadSequenceClassifier(Path folder, String backend) {
        return loadSequenceClassifier(folder, backend, BackendOptions.defaults());
    }

    public static SequenceClassifier loadSequenceClassifier(Path folder, String backend, BackendOptions options) {
        return (SequenceClassifier) open(folder, backend, options, false, HeadKind.CLASSIFIER);
    }

    /** The bare decoder ({@code ModernBertDecoderModel}); head weights in the folder are ignored. */
    public static DecoderModel loadBaseModel(Path folder, String backend) {
        return loadBaseModel(folder, backend, BackendOptions.defaults());
    }

    public static DecoderModel loadBaseModel(Path folder, String backend, BackendOptions options) {
        return open(folder, backend, options, false, null);
    }

    /**
     * AutoModel on a provider the caller holds (not looked up by name): custom or test backends, and
     * the conformance kit.
     */
    public static DecoderModel load(Path folder, BackendProvider provider, BackendOptions options) {
        Availability availability = provider.probe();
        if (availability == null || !availability.available()) {
            throw new ModernBertException("backend '" + provider.name() + "' is not available: "
                    + (availability == null ? "its probe returned nothing" : availability.detail()));
        }
        return open(folder, provider, options, true, null);
    }

    private static DecoderModel open(Path folder, String backend, BackendOptions options, boolean auto, HeadKind head) {
        return open(folder, BackendRegistry.discover().select(backend), options, auto, head);
    }

    /**
     * Creates the backend, maps the checkpoint (head from {@code architectures} when {@code auto},
     * else {@code head}, null meaning none) converting its matrices to formats the backend runs, and
     * loads it on the backend; on failure everything opened so far is closed again.
     */
    private static DecoderModel open(Path folder, BackendProvider provider, BackendOptions options, boolean auto, HeadKind head) {
        long start = System.nanoTime();
        Backend engine = null;
        LoadedCheckpoint checkpoint = null;
        try {
            engine = provider.create(options);
            checkpoint = CheckpointLoader.load(folder, auto, head, engine.name(), engine.weightFormats(), options.quantize());
            HeadKind kind = checkpoint.weights().head() == null ? null : checkpoint.weights().head().kind();
            ModelExecutor executor = engine.load(checkpoint.weights());
            DecoderModel model = kind == null ? new BaseDecoderModel(checkpoint, engine, executor)
                    : switch (kind) {
                        case LANGUAGE_MODEL -> new CausalLmModel(checkpoint, engine, executor);
                        case CLASSIFIER -> new ClassifierModel(checkpoint, engine, executor);
                    };
            LOG.info("loaded {} ({}{}) on backend {} ({}) in {} ms", folder, kind == null ? "base model" : kind,
                    options.quantize() == null ? "" : ", quantized to " + options.quantize(), engine.name(),
                    engine.device().name(), (System.nanoTime() - start) / 1_000_000);
            return model;
        } catch (RuntimeException e) {
            if (engine != null) {
                engine.close();
            }
            if (checkpoint != null) {
                checkpoint.close();
            }
            if (e instanceof ModernBertException) {
                throw e;
            }
            throw new ModernBertException("backend " + provider.name() + " failed to load " + folder + ": " + e, e);
        }
    }
}
