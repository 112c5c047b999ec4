package org.modernbert.core.generation;

import java.io.Serializable;
import java.util.List;

/**
 * Per-run changes to a model's generation defaults, as command-line flags give them: every field is
 * optional (null or false: keep the default). Serializable, so a batch job can ship the same settings
 * to every worker and apply them there to the model's own {@code generation_config.json}.
 *
 * @param greedy       do_sample false, and the sampling knobs of the defaults reset (moot under greedy)
 * @param sample       do_sample true
 * @param eosTokenIds  replaces the model's eos ids; {@code ignoreEos} clears them instead
 */
public record GenerationOverrides(boolean greedy, boolean sample, Integer maxNewTokens, Integer maxLength,
                                  Integer minNewTokens, Double temperature, Integer topK, Double topP, Double minP,
                                  Double typicalP, Double repetitionPenalty, Integer noRepeatNgramSize,
                                  Integer numReturnSequences, Long seed, List<String> stopStrings, Double maxTime,
                                  List<Integer> eosTokenIds, Integer padTokenId, boolean ignoreEos) implements Serializable {

    public GenerationOverrides {
        stopStrings = stopStrings == null ? null : List.copyOf(stopStrings);
        eosTokenIds = eosTokenIds == null ? null : List.copyOf(eosTokenIds);
    }

    /** No changes. */
    public static GenerationOverrides none() {
        return new GenerationOverrides(false, false, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, false);
    }

    /** These settings on top of {@code defaults}; validated by {@link GenerationConfig.Builder#build()}. */
    public GenerationConfig apply(GenerationConfig defaults) {
        GenerationConfig.Builder b = defaults.toBuilder();
        if (greedy) {
            b.greedy();
        }
        if (sample) {
            b.doSample(true);
        }
        if (maxNewTokens != null) {
            b.maxNewTokens(maxNewTokens);
        }
        if (maxLength != null) {
            b.maxLength(maxLength);
            if (maxNewTokens == null) {
                b.maxNewTokens(null); // an explicit max_length replaces the model's max_new_tokens default
            }
        }
        if (minNewTokens != null) {
            b.minNewTokens(minNewTokens);
        }
        if (temperature != null) {
            b.temperature(temperature);
        }
        if (topK != null) {
            b.topK(topK);
        }
        if (topP != null) {
            b.topP(topP);
        }
        if (minP != null) {
            b.minP(minP);
        }
        if (typicalP != null) {
            b.typicalP(typicalP);
        }
        if (repetitionPenalty != null) {
            b.repetitionPenalty(repetitionPenalty);
        }
        if (noRepeatNgramSize != null) {
            b.noRepeatNgramSize(noRepeatNgramSize);
        }
        if (numReturnSequences != null) {
            b.numReturnSequences(numReturnSequences);
        }
        if (seed != null) {
            b.seed(seed);
        }
        if (stopStrings != null) {
            b.stopStrings(stopStrings);
        }
        if (maxTime != null) {
            b.maxTime(maxTime);
        }
        if (eosTokenIds != null) {
            b.eosTokenIds(eosTokenIds);
        }
        if (padTokenId != null) {
            b.padTokenId(padTokenId);
        }
        if (ignoreEos) {
            b.eosTokenIds(List.of());
        }
        return b.build();
    }
}
