package org.modernbert.api.tokenizer;

/**
 * Special tokens named by {@code tokenizer_config.json} (null where absent), with their ids.
 *
 * @param modelMaxLength {@code model_max_length}, or {@link Integer#MAX_VALUE} when absent
 */
public record SpecialTokens(
        String bosToken, Integer bosTokenId,
        String eosToken, Integer eosTokenId,
        String padToken, Integer padTokenId,
        String unkToken, Integer unkTokenId,
        String clsToken, Integer clsTokenId,
        String sepToken, Integer sepTokenId,
        String maskToken, Integer maskTokenId,
        int modelMaxLength) {
}
