package org.modernbert.core.model;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.Backend;
import org.modernbert.api.backend.ModelExecutor;
import org.modernbert.api.config.ProblemType;
import org.modernbert.api.model.ClassifierOutput;
import org.modernbert.api.model.FloatMatrix;
import org.modernbert.api.model.ForwardRequest;
import org.modernbert.api.model.SequenceClassifier;
import org.modernbert.api.model.TokenBatch;
import org.modernbert.core.loading.LoadedCheckpoint;

import java.util.List;

/**
 * {@code ModernBertDecoderForSequenceClassification}: the head runs only at the last token of each
 * row (ragged rows have no padding, so that is the last non-pad token). The loss follows
 * transformers: {@code problem_type} when set, else regression for one label, single-label for
 * class-index labels and multi-label for float targets.
 */
public final class ClassifierModel extends LoadedModel implements SequenceClassifier {
    public ClassifierModel(LoadedCheckpoint checkpoint, Backend backend, ModelExecutor executor) {
        super(checkpoint, backend, executor);
    }

    @Override
    public ClassifierOutput classify(TokenBatch batch) {
        return new ClassifierOutput(pooledLogits(batch), null);
    }

    @Override
    public ClassifierOutput classify(ForwardRequest request) {
        if (request.labels() != null) {
            throw new ModernBertException("a classifier's labels are class indices or float targets per row: "
                    + "use classify(batch, labels), not ForwardRequest.labels");
        }
        if (request.useCache() || request.pastKeyValues() != null) {
            throw new ModernBertException("use_cache / past_key_values are for the causal LM; a classifier pools one forward");
        }
        return new ClassifierOutput(pooledLogits(request), null);
    }

    @Override
    public ClassifierOutput classify(TokenBatch batch, int[] classLabels) {
        if (classLabels.length != batch.size()) {
            throw new ModernBertException("got " + classLabels.length + " labels for " + batch.size() + " input rows");
        }
        ProblemType type = problemType(true);
        FloatMatrix logits = pooledLogits(batch);
        return switch (type) {
            case SINGLE_LABEL_CLASSIFICATION -> new ClassifierOutput(logits,
                    Losses.crossEntropyMean(logits.data(), logits.cols(), classLabels));
            case REGRESSION -> {
                float[][] targets = new float[classLabels.length][1];
                for (int r = 0; r < classLabels.length; r++) {
                    targets[r][0] = classLabels[r];
                }
                yield regression(logits, targets);
            }
            case MULTI_LABEL_CLASSIFICATION -> throw new ModernBertException(
                    "problem_type multi_label_classification needs float targets (rows x num_labels), not class indices");
        };
    }

    @Override
    public ClassifierOutput classify(TokenBatch batch, float[][] targets) {
        if (targets.length != batch.size()) {
            throw new ModernBertException("got " + targets.length + " target rows for " + batch.size() + " input rows");
        }
        int labels = config().numLabels();
        for (int r = 0; r < targets.length; r++) {
            if (targets[r].length != labels) {
                throw new ModernBertException("target row " + r + " has " + targets[r].length + " values but num_labels is " + labels);
            }
        }
        ProblemType type = problemType(false);
        FloatMatrix logits = pooledLogits(batch);
        return switch (type) {
            case REGRESSION -> regression(logits, targets);
            case MULTI_LABEL_CLASSIFICATION -> new ClassifierOutput(logits,
                    Losses.binaryCrossEntropyWithLogits(logits.data(), targets));
            case SINGLE_LABEL_CLASSIFICATION -> throw new ModernBertException(
                    "problem_type single_label_classification needs class-index labels, not float targets");
        };
    }

    private static ClassifierOutput regression(FloatMatrix logits, float[][] targets) {
        return new ClassifierOutput(logits, Losses.meanSquaredError(logits.data(), targets));
    }

    private ProblemType problemType(boolean integerLabels) {
        if (config().problemType() != null) {
            return config().problemType();
        }
        if (config().numLabels() == 1) {
            return ProblemType.REGRESSION;
        }
        return integerLabels ? ProblemType.SINGLE_LABEL_CLASSIFICATION : ProblemType.MULTI_LABEL_CLASSIFICATION;
    }

    private FloatMatrix pooledLogits(TokenBatch batch) {
        return pooledLogits(ForwardRequest.of(batch));
    }

    private FloatMatrix pooledLogits(ForwardRequest request) {
        List<ForwardPass.Row> rows = run(request, ForwardPass.HeadUse.LAST).rows();
        int labels = config().numLabels();
        float[] out = new float[rows.size() * labels];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r).logits(), 0, out, r * labels, labels);
        }
        return new FloatMatrix(rows.size(), labels, out);
    }
}
