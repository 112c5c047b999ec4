package org.modernbert.core.model;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.config.ModernBertDecoderConfig;
import org.modernbert.api.model.TokenBatch;

/** Checks user input against the config before any compute, so bad ids never reach a kernel. */
final class InputValidation {
    private InputValidation() {
    }

    static void check(TokenBatch batch, ModernBertDecoderConfig config) {
        for (int r = 0; r < batch.size(); r++) {
            int[] row = batch.rows().get(r);
            if (row.length > config.maxPositionEmbeddings()) {
                throw new ModernBertException("input row " + r + " has " + row.length
                        + " tokens but max_position_embeddings is " + config.maxPositionEmbeddings());
            }
            for (int t = 0; t < row.length; t++) {
                if (row[t] < 0 || row[t] >= config.vocabSize()) {
                    throw new ModernBertException("token id " + row[t] + " at row " + r + ", position " + t
                            + " is outside the vocabulary [0, " + config.vocabSize() + ")");
                }
            }
        }
    }
}
