package org.modernbert.core.pipeline;

import org.modernbert.core.generation.GeneratedSequence;

/**
 * One output of the text-generation pipeline.
 *
 * @param generatedText transformers' {@code generated_text}: the prompt plus the continuation when
 *                      {@code return_full_text} is true, else the continuation only
 * @param sequence      the ids, finish reason and timing behind it
 */
public record GeneratedText(String generatedText, GeneratedSequence sequence) {
}
