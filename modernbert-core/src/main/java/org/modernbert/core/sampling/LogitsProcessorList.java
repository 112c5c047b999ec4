package org.modernbert.core.sampling;

import java.util.ArrayList;
import java.util.List;

/**
 * The processors of one generation request, applied in transformers' order
 * ({@code GenerationMixin._get_logits_processor}):
 * <ol>
 *   <li>{@link RepetitionPenalty} when {@code repetition_penalty != 1.0}</li>
 *   <li>{@link NoRepeatNGram} when {@code no_repeat_ngram_size > 0}</li>
 *   <li>{@link MinNewTokens} when {@code min_new_tokens > 0} and there is an eos token</li>
 * </ol>
 * then, only when sampling ({@code do_sample}), the warpers:
 * <ol>
 *   <li>{@link Temperature} when {@code temperature != 1.0}</li>
 *   <li>{@link TopK} when {@code top_k != 0}</li>
 *   <li>{@link TopP} when {@code top_p < 1.0}</li>
 *   <li>{@link MinP} when {@code min_p} is set (after temperature, as in llama.cpp)</li>
 *   <li>{@link TypicalP} when {@code typical_p < 1.0}</li>
 * </ol>
 * Greedy decoding takes the argmax of the processed scores; sampling draws from their softmax.
 */
public final class LogitsProcessorList implements LogitsProcessor {
    private final List<LogitsProcessor> processors;

    public LogitsProcessorList(List<LogitsProcessor> processors) {
        this.processors = List.copyOf(processors);
    }

    /**
     * The standard list; arguments carry transformers' meanings (1.0 / 0 / null switch a stage off).
     */
    public static LogitsProcessorList standard(double repetitionPenalty, int noRepeatNgramSize, int minNewTokens,
                                               int[] eosTokenIds, boolean doSample, double temperature, int topK,
                                               double topP, Double minP, double typicalP) {
        List<LogitsProcessor> list = new ArrayList<>();
        if (repetitionPenalty != 1.0) {
            list.add(new RepetitionPenalty(repetitionPenalty));
        }
        if (noRepeatNgramSize > 0) {
            list.add(new NoRepeatNGram(noRepeatNgramSize));
        }
        if (minNewTokens > 0 && eosTokenIds.length > 0) {
            list.add(new MinNewTokens(minNewTokens, eosTokenIds));
        }
        if (doSample) {
            if (temperature != 1.0) {
                list.add(new Temperature(temperature));
            }
            if (topK != 0) {
                list.add(new TopK(topK));
            }
            if (topP < 1.0) {
                list.add(new TopP(topP));
            }
            if (minP != null) {
                list.add(new MinP(minP));
            }
            if (typicalP < 1.0) {
                list.add(new TypicalP(typicalP));
            }
        }
        return new LogitsProcessorList(list);
    }

    public List<LogitsProcessor> processors() {
        return processors;
    }

    @Override
    public void process(int[] ids, int length, int promptLength, float[] scores) {
        for (LogitsProcessor p : processors) {
            p.process(ids, length, promptLength, scores);
        }
    }
}
