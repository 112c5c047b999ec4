package org.modernbert.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.model.HeadWeights.HeadKind;
import org.modernbert.core.generation.GeneratedSequence;
import org.modernbert.core.generation.GenerationConfig;
import org.modernbert.core.generation.GenerationOverrides;
import org.modernbert.core.generation.Generator;
import org.modernbert.core.pipeline.GeneratedText;
import org.modernbert.core.pipeline.TextGenerationPipeline;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The text-generation pipeline over a prompt column, with the model's {@code generation_config.json}
 * as defaults and {@code overrides} on top (the knobs of {@code ./modernbert generate}).
 * Columns: {@code generated_text} (the continuation, as {@code ./modernbert generate} prints it, or
 * prompt + continuation with {@code returnFullText}), {@code finish_reason}, {@code prompt_tokens},
 * {@code new_tokens} and {@code seed}.
 *
 * <p>Sampling draws from a seed per row, derived from {@code seed} and the row's id
 * ({@link RowSeeds}), so the result does not depend on partitioning, batching or task retries; the
 * {@code seed} column (null under greedy decoding) reproduces a row alone with
 * {@code ./modernbert generate --seed}.
 *
 * @param idColumn the column of row ids; null: the row's position in the input (see {@link DatasetTransform})
 */
public record TextGeneration(TaskSettings settings, GenerationOverrides overrides, String idColumn, long seed,
                             boolean returnFullText) implements RowTask {

    public TextGeneration {
        if (overrides == null) {
            overrides = GenerationOverrides.none();
        }
        if (overrides.seed() != null) {
            throw new ModernBertException("give the job's seed as TextGeneration.seed, not in the overrides: each row derives its own from it");
        }
    }

    /** Greedy or sampled as the model's defaults say, every row keyed by its position in the input. */
    public static TextGeneration of(TaskSettings settings, GenerationOverrides overrides, long seed) {
        return new TextGeneration(settings, overrides, null, seed, false);
    }

    @Override
    public List<StructField> resultFields() {
        return List.of(DataTypes.createStructField("generated_text", DataTypes.StringType, true),
                DataTypes.createStructField("finish_reason", DataTypes.StringType, true),
                DataTypes.createStructField("prompt_tokens", DataTypes.IntegerType, true),
                DataTypes.createStructField("new_tokens", DataTypes.IntegerType, true),
                DataTypes.createStructField("seed", DataTypes.LongType, true));
    }

    @Override
    public void validateModel() {
        Path folder = Path.of(settings.model().driverFolder());
        ModelFolder.validate(folder, HeadKind.LANGUAGE_MODEL);
        GenerationConfig config = overrides.apply(GenerationConfig.fromModelFolder(folder));
        if (config.numReturnSequences() != 1) {
            throw new ModernBertException("num_return_sequences is " + config.numReturnSequences()
                    + ": a batch job writes one row per input row; give rows several ids (or runs several seeds) instead");
        }
    }

    /** Whether rows are sampled (so need seeds and ids), by the model's defaults with the overrides; reads the driver's folder. */
    public boolean samples() {
        return overrides.apply(GenerationConfig.fromModelFolder(Path.of(settings.model().driverFolder()))).doSample();
    }

    @Override
    public List<RowResult> run(List<RowText> rows) {
        TextGenerationPipeline pipeline = ExecutorModels.causalLm(settings.model(), settings.backend());
        GenerationConfig config = overrides.apply(pipeline.defaults());
        int maxPositions = pipeline.model().config().maxPositionEmbeddings();
        Batch<Prompt> batch = new Batch<>();
        for (RowText row : rows) {
            int length = pipeline.encode(row.text()).length;
            try {
                Generator.requireFits(0, length, config, maxPositions);
                batch.add(new Prompt(row.text(), config.doSample() ? RowSeeds.derive(seed, row.id()) : null));
            } catch (ModernBertException e) {
                batch.fail(e.getMessage().replaceFirst("^prompt 0 ", "prompt "));
            }
        }
        return batch.run(prompts -> {
            List<String> texts = prompts.stream().map(Prompt::text).toList();
            long[] seeds = config.doSample() ? prompts.stream().mapToLong(Prompt::seed).toArray() : null;
            List<List<GeneratedText>> generated = pipeline.generate(texts, seeds, config, returnFullText);
            List<RowResult> out = new ArrayList<>(prompts.size());
            for (int i = 0; i < prompts.size(); i++) {
                GeneratedText g = generated.get(i).getFirst();
                GeneratedSequence s = g.sequence();
                out.add(new RowResult(new Object[]{g.generatedText(), s.finishReason().jsonName(), s.promptIds().length,
                        s.newIds().length, prompts.get(i).seed()}, null));
            }
            return out;
        });
    }

    private record Prompt(String text, Long seed) {
    }
}
