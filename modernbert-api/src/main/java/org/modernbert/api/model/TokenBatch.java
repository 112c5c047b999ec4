package org.modernbert.api.model;

import org.modernbert.api.ModernBertException;

import java.util.ArrayList;
import java.util.List;

/**
 * A ragged batch: rows of token ids with their own lengths. Each row is computed as if alone
 * (positions from 0), with no padding.
 */
public record TokenBatch(List<int[]> rows) {
    public TokenBatch {
        if (rows.isEmpty()) {
            throw new ModernBertException("a batch needs at least one row");
        }
        List<int[]> copy = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            int[] r = rows.get(i);
            if (r == null || r.length == 0) {
                throw new ModernBertException("input row " + i + " is empty: every row needs at least one token");
            }
            copy.add(r.clone());
        }
        rows = List.copyOf(copy);
    }

    public static TokenBatch of(int[]... rows) {
        return new TokenBatch(List.of(rows));
    }

    public int size() {
        return rows.size();
    }

    public int[] row(int i) {
        return rows.get(i).clone();
    }

    public int rowLength(int i) {
        return rows.get(i).length;
    }
}
