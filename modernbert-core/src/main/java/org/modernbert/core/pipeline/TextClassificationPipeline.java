package org.modernbert.core.pipeline;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.model.ClassifierOutput;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.backend.BackendOptions;
import org.modernbert.api.model.SequenceClassifier;
import org.modernbert.api.model.TokenBatch;
import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.ModernBert;
import org.modernbert.core.tokenizer.HuggingFaceTokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * transformers' {@code pipeline("text-classification")}: each text is encoded as {@code [CLS]} plus
 * its ids (as transformers' Python tokenizer does for these decoders), classified at its last token,
 * and its logits turned into scores by {@code function_to_apply} (default chosen from
 * {@code problem_type}/{@code num_labels}, see {@link ScoreFunction#defaultFor}). Results are sorted by
 * score, highest first; {@code top_k} null means every label, else the best {@code top_k}
 * (transformers' default {@code top_k=1} is {@link #classify(String)}). Close it to free the model.
 */
public final class TextClassificationPipeline implements AutoCloseable {
    private final SequenceClassifier model;
    private final Tokenizer tokenizer;
    private final ReentrantLock lock = new ReentrantLock();

    public TextClassificationPipeline(SequenceClassifier model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /** {@code pipeline("text-classification", model=folder)} on the named backend (null: the default choice). */
    public static TextClassificationPipeline open(Path folder, String backend) {
        return open(folder, backend, BackendOptions.defaults());
    }

    /** The same with backend options (threads, device, quantization). */
    public static TextClassificationPipeline open(Path folder, String backend, BackendOptions options) {
        Tokenizer tokenizer = HuggingFaceTokenizer.load(folder);
        return new TextClassificationPipeline(ModernBert.loadSequenceClassifier(folder, backend, options), tokenizer);
    }

    public SequenceClassifier model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ScoreFunction defaultFunction() {
        return ScoreFunction.defaultFor(model.config());
    }

    /** The best label of one text. */
    public LabelScore classify(String text) {
        return classify(text, 1, null).getFirst();
    }

    public List<LabelScore> classify(String text, Integer topK, ScoreFunction function) {
        return classify(List.of(text), topK, function).getFirst();
    }

    /** All texts in one batch; {@code function} null means the model's default. */
    public List<List<LabelScore>> classify(List<String> texts, Integer topK, ScoreFunction function) {
        if (texts.isEmpty()) {
            throw new ModernBertException("text-classification needs at least one text");
        }
        if (topK != null && topK < 1) {
            throw new ModernBertException("top_k must be at least 1 (or null for every label), got " + topK);
        }
        List<int[]> rows = new ArrayList<>(texts.size());
        for (String t : texts) {
            rows.add(tokenizer.encodeForGeneration(t));
        }
        return classifyIds(rows, topK, function);
    }

    /** Rows of token ids (as {@link Tokenizer#encodeForGeneration} makes them) in one batch. */
    public List<List<LabelScore>> classifyIds(List<int[]> rows, Integer topK, ScoreFunction function) {
        if (topK != null && topK < 1) {
            throw new ModernBertException("top_k must be at least 1 (or null for every label), got " + topK);
        }
        ClassifierOutput out;
        lock.lock();
        try {
            out = model.classify(new TokenBatch(rows));
        } finally {
            lock.unlock();
        }
        return scores(out.logits(), topK, function == null ? defaultFunction() : function);
    }

    /** Label scores from rows of logits. */
    public List<List<LabelScore>> scores(FloatMatrix logits, Integer topK, ScoreFunction function) {
        var id2label = model.config().id2label();
        List<List<LabelScore>> all = new ArrayList<>(logits.rows());
        for (int r = 0; r < logits.rows(); r++) {
            double[] s = function.apply(logits.row(r));
            List<LabelScore> row = new ArrayList<>(s.length);
            for (int i = 0; i < s.length; i++) {
                row.add(new LabelScore(id2label.getOrDefault(i, "LABEL_" + i), s[i]));
            }
            row.sort(Comparator.comparingDouble(LabelScore::score).reversed());
            all.add(topK == null || topK >= row.size() ? row : List.copyOf(row.subList(0, topK)));
        }
        return all;
    }

    @Override
    public void close() {
        model.close();
    }
}
