package org.modernbert.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.modernbert.api.model.HeadWeights.HeadKind;
import org.modernbert.core.pipeline.LabelScore;
import org.modernbert.core.pipeline.TextClassificationPipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The text-classification pipeline over a column: {@code label} and {@code score} of the best label,
 * as {@code pipeline("text-classification")} gives them (the model's default score function).
 */
public record TextClassification(TaskSettings settings) implements RowTask {

    @Override
    public List<StructField> resultFields() {
        return List.of(DataTypes.createStructField("label", DataTypes.StringType, true),
                DataTypes.createStructField("score", DataTypes.DoubleType, true));
    }

    @Override
    public void validateModel() {
        ModelFolder.validate(Path.of(settings.model().driverFolder()), HeadKind.CLASSIFIER);
    }

    @Override
    public List<RowResult> run(List<RowText> rows) {
        TextClassificationPipeline pipeline = ExecutorModels.classifier(settings.model(), settings.backend());
        int maxPositions = pipeline.model().config().maxPositionEmbeddings();
        Batch<int[]> batch = new Batch<>();
        for (RowText row : rows) {
            int[] ids = pipeline.tokenizer().encodeForGeneration(row.text());
            if (ids.length > maxPositions) {
                batch.fail("text has " + ids.length + " tokens; the model takes at most " + maxPositions);
            } else {
                batch.add(ids);
            }
        }
        return batch.run(ids -> {
            List<RowResult> out = new ArrayList<>(ids.size());
            for (List<LabelScore> labels : pipeline.classifyIds(ids, 1, null)) {
                LabelScore best = labels.getFirst();
                out.add(new RowResult(new Object[]{best.label(), best.score()}, null));
            }
            return out;
        });
    }
}
