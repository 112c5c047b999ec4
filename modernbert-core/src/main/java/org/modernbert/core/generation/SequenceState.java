package org.modernbert.core.generation;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.cache.KvCache;
import org.modernbert.api.tokenizer.Tokenizer;
import org.modernbert.core.sampling.LogitsProcessor;
import org.modernbert.core.sampling.LogitsProcessorList;
import org.modernbert.core.sampling.Sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One sequence being generated: its ids, cache, random generator and stop state, and the choice of its
 * next token. Shared by {@link Generator} and {@link BatchScheduler}, so a sequence continues the same
 * way whichever of them runs it.
 */
final class SequenceState {
    final int index;
    final int promptIndex;
    final int promptLength;
    final int maxNew;
    KvCache cache;
    final SplittableRandom rng;
    final int[] ids;
    final float[] scores;
    int length;
    StopStringMatcher stopMatcher;
    FinishReason reason;
    long elapsedNanos;

    SequenceState(int index, int promptIndex, int[] prompt, int maxNew, SplittableRandom rng, int vocab) {
        this.index = index;
        this.promptIndex = promptIndex;
        this.promptLength = prompt.length;
        this.maxNew = maxNew;
        this.rng = rng;
        this.ids = new int[prompt.length + maxNew];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        this.length = prompt.length;
        this.scores = new float[vocab];
    }

    /**
     * The sequences of a request: {@code num_return_sequences} per prompt, numbered prompt-major. With
     * a seed (per prompt, else the config's), copy {@code c} of a prompt draws from the {@code c}-th
     * split of {@code new SplittableRandom(seed)}, so a prompt samples the same alone or in a batch;
     * without one, a fresh random seed is split across all sequences.
     */
    static List<SequenceState> create(List<int[]> prompts, long[] seeds, GenerationConfig config, int vocab, Tokenizer tokenizer) {
        int copies = config.numReturnSequences();
        long baseSeed = config.seed() != null ? config.seed() : ThreadLocalRandom.current().nextLong();
        SplittableRandom unseededRoot = new SplittableRandom(baseSeed);
        List<SequenceState> all = new ArrayList<>(prompts.size() * copies);
        for (int p = 0; p < prompts.size(); p++) {
            int[] prompt = prompts.get(p).clone();
            SplittableRandom seededRoot = new SplittableRandom(seeds != null ? seeds[p] : baseSeed);
            for (int c = 0; c < copies; c++) {
                SplittableRandom rng = seeds != null || config.seed() != null ? seededRoot.split() : unseededRoot.split();
                SequenceState s = new SequenceState(all.size(), p, prompt, config.maxNewTokensFor(prompt.length), rng, vocab);
                if (!config.stopStrings().isEmpty()) {
                    s.stopMatcher = new StopStringMatcher(tokenizer, config.stopStrings(), prompt, s.maxNew);
                }
                all.add(s);
            }
        }
        return all;
    }

    /**
     * The sequences grouped by prompt, in order of first appearance: the copies and repeats of one
     * prompt are prefilled once and fork the cache.
     */
    static List<List<SequenceState>> byPrompt(List<SequenceState> sequences) {
        Map<List<Integer>, List<SequenceState>> groups = new LinkedHashMap<>();
        for (SequenceState s : sequences) {
            groups.computeIfAbsent(Arrays.stream(s.prompt()).boxed().toList(), k -> new ArrayList<>()).add(s);
        }
        return new ArrayList<>(groups.values());
    }

    /** transformers' processors for the config, after {@code first} (e.g. OpenAI's presence/frequency penalties). */
    static LogitsProcessorList processors(GenerationConfig config, List<LogitsProcessor> first) {
        LogitsProcessorList standard = LogitsProcessorList.standard(config.repetitionPenalty(), config.noRepeatNgramSize(),
                config.minNewTokens(), config.eosTokenIdArray(), config.doSample(), config.temperature(), config.topK(),
                config.topP(), config.minP(), config.typicalP());
        if (first.isEmpty()) {
            return standard;
        }
        List<LogitsProcessor> all = new ArrayList<>(first);
        all.addAll(standard.processors());
        return new LogitsProcessorList(all);
    }

    int[] prompt() {
        return Arrays.copyOf(ids, promptLength);
    }

    int[] newIds() {
        return Arrays.copyOfRange(ids, promptLength, length);
    }

    /**
     * Picks the next token from the logits, or takes {@code argmax} as it is when the executor
     * computed it (greedy without processors: {@code argmax >= 0}, logits null); with {@code topLogprobs}
     * not null (0 or more alternatives), the streamer also gets the token's log-probability under the
     * model's raw logits.
     */
    void choose(float[] logits, int argmax, GenerationConfig config, LogitsProcessorList processors, int[] eos,
                TokenStreamer streamer, Integer topLogprobs) {
        int vocab = scores.length;
        int token;
        if (argmax >= 0) {
            if (argmax >= vocab) {
                throw new ModernBertException("backend returned argmax " + argmax + " for a vocabulary of " + vocab);
            }
            token = argmax;
        } else {
            if (logits == null || logits.length != vocab) {
                throw new ModernBertException("backend returned " + (logits == null ? "no" : logits.length)
                        + " logits for a vocabulary of " + vocab);
            }
            System.arraycopy(logits, 0, scores, 0, vocab);
            processors.process(ids, length, promptLength, scores);
            token = config.doSample() ? Sampler.sample(scores, rng) : Sampler.argmax(scores);
        }
        ids[length++] = token;
        if (streamer != null) {
            streamer.put(index, token, topLogprobs == null || logits == null ? null : TokenLogprobs.of(logits, token, topLogprobs));
        }
        FinishReason stop = null;
        for (int e : eos) {
            if (e == token) {
                stop = FinishReason.EOS;
                break;
            }
        }
        if (stopMatcher != null && stopMatcher.add(token) && stop == null) {
            stop = FinishReason.STOP_STRING;
        }
        if (stop == null && length - promptLength >= maxNew) {
            stop = FinishReason.LENGTH;
        }
        if (stop != null) {
            reason = stop;
            if (streamer != null) {
                streamer.end(index, stop);
            }
        }
    }

    void finish(FinishReason why, long elapsed, TokenStreamer streamer) {
        reason = why;
        elapsedNanos = elapsed;
        if (streamer != null) {
            streamer.end(index, why);
        }
    }

    /** The record of this sequence in a result; text decoded when there is a tokenizer. */
    GeneratedSequence result(Tokenizer tokenizer) {
        int[] generated = newIds();
        return new GeneratedSequence(promptIndex, prompt(), generated, tokenizer == null ? null : tokenizer.decode(generated, true),
                reason, elapsedNanos);
    }
}
