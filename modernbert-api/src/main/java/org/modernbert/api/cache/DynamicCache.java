package org.modernbert.api.cache;

import org.modernbert.api.ModernBertException;

import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code past_key_values}: the caches of a batch's rows, held by the caller between
 * forwards ({@code use_cache=True} returns one; pass it to the next forward to continue every row).
 * Each row has its own {@link KvCache} holding only its real tokens (pads are never cached), and
 * the position id its next token gets by default: transformers counts pads in the sequence length,
 * so a left-padded row continues at the padded length. Close it to free the caches.
 */
public final class DynamicCache implements AutoCloseable {
    private final List<KvCache> rows;
    private final int[] nextPositions;
    private final boolean[] rightPadded;
    private boolean closed;

    /**
     * @param rows          one cache per row
     * @param nextPositions the default position id of each row's next token
     * @param rightPadded   rows whose last input was padding: they cannot be continued
     */
    public DynamicCache(List<KvCache> rows, int[] nextPositions, boolean[] rightPadded) {
        if (rows.size() != nextPositions.length || rows.size() != rightPadded.length) {
            throw new IllegalArgumentException("a DynamicCache needs one cache, next position and padding flag per row");
        }
        this.rows = List.copyOf(rows);
        this.nextPositions = nextPositions.clone();
        this.rightPadded = rightPadded.clone();
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

    /** transformers' {@code get_seq_length()} for a row: positions seen so far, pads included. */
    public int seqLength(int r) {
        return nextPositions[r];
    }

    /** The default position id of row {@code r}'s next token. */
    public int nextPosition(int r) {
        return nextPositions[r];
    }

    public boolean rightPadded(int r) {
        return rightPadded[r];
    }

    /** Records that row {@code r} took {@code tokens} more positions (the model classes call this after a forward). */
    public void advance(int r, int tokens, boolean endsWithPadding) {
        checkOpen();
        nextPositions[r] += tokens;
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
        return new DynamicCache(copies, nextPositions, rightPadded);
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
