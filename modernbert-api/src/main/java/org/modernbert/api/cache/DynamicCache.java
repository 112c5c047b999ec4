package org.modernbert.api.cache;

import org.modernbert.api.ModernBertException;
import org.modernbert.api.backend.ModelExecutor;

import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code past_key_values}: the caches of a batch's rows, held by the caller between
 * forwards ({@code use_cache=True} returns one; pass it to the next forward to continue every row).
 * Each row has its own {@link KvCache} holding only its real tokens (pads are never cached), the
 * sequence length transformers sees (pads counted: a left-padded row continues at the padded length,
 * and that is its next default position id), and where its cached tokens sit in that length (after
 * the left pads), so attention maps and masks keep transformers' layout. Close it to free the caches.
 */
public final class DynamicCache implements AutoCloseable {
    private final ModelExecutor executor;
    private final List<KvCache> rows;
    private final int[] seqLengths;
    private final int[] padOffsets;
    private final boolean[] rightPadded;
    private boolean closed;

    /**
     * @param executor    the executor whose caches these are (a forward on another model refuses them)
     * @param rows        one cache per row
     * @param seqLengths  each row's length as transformers counts it, pads included
     * @param padOffsets  each row's left pads: the index of its first cached token in that length
     * @param rightPadded rows whose last input was padding: they cannot be continued
     */
    public DynamicCache(ModelExecutor executor, List<KvCache> rows, int[] seqLengths, int[] padOffsets, boolean[] rightPadded) {
        if (rows.size() != seqLengths.length || rows.size() != padOffsets.length || rows.size() != rightPadded.length) {
            throw new IllegalArgumentException("a DynamicCache needs one cache, length, pad offset and padding flag per row");
        }
        this.executor = executor;
        this.rows = List.copyOf(rows);
        this.seqLengths = seqLengths.clone();
        this.padOffsets = padOffsets.clone();
        this.rightPadded = rightPadded.clone();
    }

    /** The executor these caches belong to. */
    public ModelExecutor executor() {
        return executor;
    }

    /** Number of rows (the batch size it continues). */
    public int rowCount() {
        return rows.size();
    }

    /** The cache of one row. */
    public KvCache row(int r) {
        checkOpen();
        return rows.get(r);
    }

    /**
     * transformers' {@code get_seq_length()} for a row: positions seen so far, pads included; also the
     * default position id of the row's next token.
     */
    public int seqLength(int r) {
        return seqLengths[r];
    }

    /** The left pads of row {@code r}: its cached tokens sit at indices {@code padOffset ..} of its sequence. */
    public int padOffset(int r) {
        return padOffsets[r];
    }

    public boolean rightPadded(int r) {
        return rightPadded[r];
    }

    /** Records that row {@code r} took {@code tokens} more positions (the model classes call this after a forward). */
    public void advance(int r, int tokens, boolean endsWithPadding) {
        checkOpen();
        seqLengths[r] += tokens;
        rightPadded[r] = endsWithPadding;
    }

    /** An independent copy of every row's cache ({@link KvCache#fork()}). */
    public DynamicCache fork() {
        checkOpen();
        List<KvCache> copies = new ArrayList<>(rows.size());
        try {
            for (KvCache c : rows) {
                copies.add(c.fork());
            }
        } catch (RuntimeException e) {
            copies.forEach(KvCache::close);
            throw e;
        }
        return new DynamicCache(executor, copies, seqLengths, padOffsets, rightPadded);
    }

    /** Bytes held by all rows' caches. */
    public long byteSize() {
        checkOpen();
        long n = 0;
        for (KvCache c : rows) {
            n += c.byteSize();
        }
        return n;
    }

    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        if (closed) {
            throw new ModernBertException("this DynamicCache (past_key_values) is closed");
        }
    }

    /** Frees every row's cache; closing twice is harmless. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        KvCache.closeAll(rows);
    }
}
