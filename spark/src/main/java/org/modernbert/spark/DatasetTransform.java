package org.modernbert.spark;

import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.modernbert.api.ModernBertException;
import org.modernbert.spark.RowTask.RowResult;
import org.modernbert.spark.RowTask.RowText;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Runs a {@link RowTask} over a dataset: checks the columns and the model on the driver, then maps
 * each partition lazily, one batch of rows at a time (a partition is never buffered whole), with the
 * model from the executor's cache ({@link ExecutorModels}).
 */
final class DatasetTransform {
    /** Added when a task needs row ids and the input has no id column: the row's position in the input. */
    static final String ROW_INDEX_COLUMN = "row_index";

    private DatasetTransform() {
    }

    static Dataset<Row> apply(Dataset<Row> input, RowTask task) {
        task.validate();
        // Only sampled rows need ids (their seeds derive from them); greedy rows ignore any id column.
        String idColumn = null;
        Dataset<Row> rows = input;
        if (task instanceof TextGeneration g && g.samples()) {
            idColumn = g.idColumn() != null ? g.idColumn() : ROW_INDEX_COLUMN;
            rows = g.idColumn() != null ? input : withRowIndex(input);
        }
        StructType in = rows.schema();
        String textColumn = task.settings().textColumn();
        int textIndex = columnIndex(in, textColumn, "text");
        if (!in.fields()[textIndex].dataType().equals(DataTypes.StringType)) {
            throw new ModernBertException("input column '" + textColumn + "' holds " + in.fields()[textIndex].dataType().simpleString()
                    + "; expected strings");
        }
        int idIndex = idColumn == null ? -1 : columnIndex(in, idColumn, "id");
        if (idIndex >= 0 && !ID_TYPES.contains(in.fields()[idIndex].dataType())) {
            throw new ModernBertException("id column '" + idColumn + "' holds " + in.fields()[idIndex].dataType().simpleString()
                    + "; expected strings or integers (sampling seeds derive from the id's text)");
        }
        List<StructField> added = new ArrayList<>(task.resultFields());
        added.add(DataTypes.createStructField(RowTask.ERROR_COLUMN, DataTypes.StringType, true));
        StructType out = in;
        for (StructField f : added) {
            for (String name : in.fieldNames()) {
                if (name.equalsIgnoreCase(f.name())) { // Spark's column names are case-insensitive
                    throw new ModernBertException("input column '" + name + "' has the name of a result column of this task ("
                            + added.stream().map(StructField::name).toList() + "): rename or drop it");
                }
            }
            out = out.add(f);
        }
        return rows.mapPartitions(new PartitionRunner(task, textIndex, idIndex, in.size(), added.size()), Encoders.row(out));
    }

    /** Id columns whose text form is stable across runs (not binary, maps or floating point). */
    private static final List<DataType> ID_TYPES = List.of(DataTypes.StringType, DataTypes.LongType, DataTypes.IntegerType,
            DataTypes.ShortType, DataTypes.ByteType);

    private static int columnIndex(StructType schema, String column, String what) {
        int i = Arrays.asList(schema.fieldNames()).indexOf(column);
        if (i < 0) {
            throw new ModernBertException("the input has no " + what + " column '" + column + "'; its columns are "
                    + Arrays.toString(schema.fieldNames()));
        }
        return i;
    }

    /**
     * The input with {@value #ROW_INDEX_COLUMN}: each row's position in the dataset as given (for a file
     * as read, its line order), whatever the partitioning that follows. Runs a Spark job to count the
     * partitions' rows. Number rows before a repartition: after one, positions follow the shuffle.
     */
    static Dataset<Row> withRowIndex(Dataset<Row> input) {
        if (Arrays.asList(input.schema().fieldNames()).contains(ROW_INDEX_COLUMN)) {
            throw new ModernBertException("sampling needs row ids: the input has no id column, and '" + ROW_INDEX_COLUMN
                    + "' (where the row's position would go) is taken; name an id column");
        }
        StructType schema = input.schema().add(ROW_INDEX_COLUMN, DataTypes.LongType, false);
        int width = input.schema().size();
        var indexed = input.javaRDD().zipWithIndex().map(pair -> {
            Object[] values = new Object[width + 1];
            for (int i = 0; i < width; i++) {
                values[i] = pair._1().get(i);
            }
            values[width] = pair._2();
            return RowFactory.create(values);
        });
        return input.sparkSession().createDataFrame(indexed, schema);
    }

    /** One partition: input rows in, the same rows with result columns out, a batch at a time. */
    private record PartitionRunner(RowTask task, int textIndex, int idIndex, int inputWidth, int addedWidth)
            implements MapPartitionsFunction<Row, Row> {

        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            return new Iterator<>() {
                private final List<Row> pending = new ArrayList<>();
                private int next;

                @Override
                public boolean hasNext() {
                    if (next < pending.size()) {
                        return true;
                    }
                    pending.clear();
                    next = 0;
                    if (!input.hasNext()) {
                        return false;
                    }
                    List<Row> rows = new ArrayList<>(task.settings().batchSize());
                    while (rows.size() < task.settings().batchSize() && input.hasNext()) {
                        rows.add(input.next());
                    }
                    pending.addAll(process(rows));
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return pending.get(next++);
                }
            };
        }

        private List<Row> process(List<Row> rows) {
            RowResult[] results = new RowResult[rows.size()];
            List<RowText> texts = new ArrayList<>(rows.size());
            List<Integer> at = new ArrayList<>(rows.size());
            for (int r = 0; r < rows.size(); r++) {
                Row row = rows.get(r);
                String text = row.isNullAt(textIndex) ? null : row.getString(textIndex);
                if (text == null) {
                    results[r] = RowResult.failed("text is null");
                } else if (text.isBlank()) {
                    results[r] = RowResult.failed("text is empty");
                } else if (idIndex >= 0 && row.isNullAt(idIndex)) {
                    results[r] = RowResult.failed("id is null: sampling seeds derive from it");
                } else {
                    texts.add(new RowText(text, idIndex < 0 ? null : String.valueOf(row.get(idIndex))));
                    at.add(r);
                }
            }
            if (!texts.isEmpty()) {
                List<RowResult> computed = task.run(texts);
                for (int i = 0; i < at.size(); i++) {
                    results[at.get(i)] = computed.get(i);
                }
            }
            List<Row> out = new ArrayList<>(rows.size());
            for (int r = 0; r < rows.size(); r++) {
                Object[] values = new Object[inputWidth + addedWidth];
                Row row = rows.get(r);
                for (int i = 0; i < inputWidth; i++) {
                    values[i] = row.get(i);
                }
                RowResult result = results[r];
                if (result.values() != null) {
                    System.arraycopy(result.values(), 0, values, inputWidth, result.values().length);
                }
                values[inputWidth + addedWidth - 1] = result.error();
                out.add(RowFactory.create(values));
            }
            return out;
        }
    }
}
