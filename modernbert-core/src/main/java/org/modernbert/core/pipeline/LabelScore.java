package org.modernbert.core.pipeline;

/** One label of the text-classification pipeline with its score. */
public record LabelScore(String label, double score) {
}
