package org.modernbert.core.generation;

/**
 * One generated sequence.
 *
 * @param promptIndex   which prompt it continues
 * @param promptIds     the prompt's token ids
 * @param newIds        the generated ids (an eos that stopped it is included)
 * @param generatedText {@code decode(newIds, skip_special_tokens=true)}; null without a tokenizer
 * @param finishReason  why it stopped
 * @param elapsedNanos  time from the start of the request until this sequence finished
 */
public record GeneratedSequence(int promptIndex, int[] promptIds, int[] newIds, String generatedText,
                                FinishReason finishReason, long elapsedNanos) {
    /** The prompt followed by the new ids. */
    public int[] allIds() {
        int[] all = new int[promptIds.length + newIds.length];
        System.arraycopy(promptIds, 0, all, 0, promptIds.length);
        System.arraycopy(newIds, 0, all, promptIds.length, newIds.length);
        return all;
    }
}
