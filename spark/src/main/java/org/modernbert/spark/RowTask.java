package org.modernbert.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;

import java.io.Serializable;
import java.util.List;

/**
 * A model task over a text column: {@link #transform} gives the input rows plus the task's result
 * columns and an {@code error} column (null when the row succeeded; a bad row never fails the job).
 */
public sealed interface RowTask extends Serializable permits TextClassification, TextGeneration, TextScoring {

    /** The column that holds a row's failure, null on success. */
    String ERROR_COLUMN = "error";

    /** One row as a task sees it: its text, and an id for what must not depend on partitioning (seeds). */
    record RowText(String text, String id) {
    }

    /** One row's result: the values of {@link #resultFields()} in order, or why it has none. */
    record RowResult(Object[] values, String error) {
        static RowResult failed(String error) {
            return new RowResult(null, error);
        }
    }

    TaskSettings settings();

    /** The columns this task adds (before {@value #ERROR_COLUMN}). */
    List<StructField> resultFields();

    /**
     * Checks on the driver, before any task runs: the backend's name, the model folder, the settings
     * against the model's defaults.
     */
    default void validate() {
        settings().backend().requireKnown();
        validateModel();
    }

    /** The task's own checks of the model folder (see {@link #validate()}). */
    void validateModel();

    /** Runs one batch on this JVM's copy of the model; one result per row, in order. */
    List<RowResult> run(List<RowText> rows);

    /** The input rows with this task's result columns and {@value #ERROR_COLUMN}; lazy, as Spark transformations are. */
    default Dataset<Row> transform(Dataset<Row> input) {
        return DatasetTransform.apply(input, this);
    }
}
