package org.modernbert.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.modernbert.api.model.CausalLanguageModel;
import org.modernbert.api.model.ForwardRequest;
import org.modernbert.api.model.HeadWeights.HeadKind;
import org.modernbert.core.pipeline.TextGenerationPipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The causal-LM loss of each row's text, as transformers computes it for
 * {@code enc = tokenizer(text); model(**enc, labels=enc.input_ids).loss}: the text encoded with the
 * tokenizer's special tokens, each position predicting the next token, the mean negative
 * log-likelihood. Columns: {@code loss}, {@code log_likelihood} (the sum, {@code -loss * (tokens - 1)})
 * and {@code tokens}.
 */
public record TextScoring(TaskSettings settings) implements RowTask {
    /** Logits are kept for every position of a model call: at most this many floats per call (256 MiB), unless one row alone needs more. */
    static final long MAX_LOGIT_FLOATS = 1L << 26;

    @Override
    public List<StructField> resultFields() {
        return List.of(DataTypes.createStructField("loss", DataTypes.DoubleType, true),
                DataTypes.createStructField("log_likelihood", DataTypes.DoubleType, true),
                DataTypes.createStructField("tokens", DataTypes.IntegerType, true));
    }

    @Override
    public void validateModel() {
        ModelFolder.validate(Path.of(settings.model().driverFolder()), HeadKind.LANGUAGE_MODEL);
    }

    @Override
    public List<RowResult> run(List<RowText> rows) {
        TextGenerationPipeline pipeline = ExecutorModels.causalLm(settings.model(), settings.backend());
        CausalLanguageModel model = pipeline.model();
        int maxPositions = model.config().maxPositionEmbeddings();
        int vocab = model.config().vocabSize();
        Batch<int[]> batch = new Batch<>();
        for (RowText row : rows) {
            int[] ids = pipeline.tokenizer().encode(row.text(), true).ids();
            if (ids.length < 2) {
                batch.fail("text has " + ids.length + " token(s): a loss needs at least 2 (one to predict from, one to predict)");
            } else if (ids.length > maxPositions) {
                batch.fail("text has " + ids.length + " tokens; the model takes at most " + maxPositions);
            } else if ((long) ids.length * vocab * Float.BYTES > Runtime.getRuntime().maxMemory() / 4) {
                batch.fail("text has " + ids.length + " tokens, whose logits need " + ((long) ids.length * vocab * Float.BYTES >> 20)
                        + " MiB, over a quarter of this executor's heap (" + (Runtime.getRuntime().maxMemory() >> 20)
                        + " MiB): raise spark.executor.memory");
            } else {
                batch.add(ids);
            }
        }
        long tokensPerCall = Math.max(1, MAX_LOGIT_FLOATS / vocab);
        return batch.run(all -> {
            List<RowResult> out = new ArrayList<>(all.size());
            int from = 0;
            while (from < all.size()) {
                int to = from + 1;
                long tokens = all.get(from).length;
                while (to < all.size() && tokens + all.get(to).length <= tokensPerCall) {
                    tokens += all.get(to++).length;
                }
                List<int[]> part = all.subList(from, to);
                double[] losses = model.forward(ForwardRequest.ids(part).withLabels(part)).lossPerRow();
                for (int i = 0; i < part.size(); i++) {
                    int n = part.get(i).length;
                    out.add(new RowResult(new Object[]{losses[i], -losses[i] * (n - 1), n}, null));
                }
                from = to;
            }
            return out;
        });
    }
}
