package org.modernbert.spark;

import org.modernbert.api.ModernBertException;

import java.io.Serializable;

/**
 * What every task needs: the model, the backend executors load it on, the input's text column and how
 * many rows go through the model together (one ragged batch per model call).
 */
public record TaskSettings(ModelSource model, BackendSettings backend, String textColumn, int batchSize) implements Serializable {
    public static final String DEFAULT_TEXT_COLUMN = "text";
    public static final int DEFAULT_BATCH_SIZE = 16;

    public TaskSettings {
        if (model == null) {
            throw new ModernBertException("a task needs a model (ModelSource.onEveryNode or ModelSource.shipped)");
        }
        if (backend == null) {
            backend = BackendSettings.defaults();
        }
        if (textColumn == null || textColumn.isBlank()) {
            throw new ModernBertException("the text column name is empty");
        }
        if (batchSize < 1) {
            throw new ModernBertException("batch size must be at least 1, got " + batchSize);
        }
    }

    /** The text column {@value #DEFAULT_TEXT_COLUMN}, batches of {@value #DEFAULT_BATCH_SIZE} rows, the default backend. */
    public static TaskSettings of(ModelSource model) {
        return new TaskSettings(model, BackendSettings.defaults(), DEFAULT_TEXT_COLUMN, DEFAULT_BATCH_SIZE);
    }

    public TaskSettings withTextColumn(String column) {
        return new TaskSettings(model, backend, column, batchSize);
    }

    public TaskSettings withBatchSize(int rows) {
        return new TaskSettings(model, backend, textColumn, rows);
    }

    public TaskSettings withBackend(BackendSettings settings) {
        return new TaskSettings(model, settings, textColumn, batchSize);
    }
}
