package org.modernbert.core.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** A mutable encoding under construction (one sequence, or the merged result of the post-processor). */
final class Sequence {
    final IntList ids;
    final List<String> tokens;
    final IntList typeIds;
    final IntList specialMask;
    final IntList starts;
    final IntList ends;

    Sequence(int capacity) {
        ids = new IntList(capacity);
        tokens = new ArrayList<>(capacity);
        typeIds = new IntList(capacity);
        specialMask = new IntList(capacity);
        starts = new IntList(capacity);
        ends = new IntList(capacity);
    }

    int length() {
        return ids.size();
    }

    void add(int id, String token, int typeId, boolean special, int start, int end) {
        ids.add(id);
        tokens.add(token);
        typeIds.add(typeId);
        specialMask.add(special ? 1 : 0);
        starts.add(start);
        ends.add(end);
    }

    void addAll(Sequence other) {
        for (int i = 0; i < other.length(); i++) {
            add(other.ids.get(i), other.tokens.get(i), other.typeIds.get(i), other.specialMask.get(i) == 1,
                    other.starts.get(i), other.ends.get(i));
        }
    }

    void setTypeIds(int typeId) {
        for (int i = 0; i < typeIds.size(); i++) {
            typeIds.set(i, typeId);
        }
    }

    /** Keeps the first {@code n} tokens (truncation to the right). */
    Sequence truncate(int n) {
        if (n >= length()) {
            return this;
        }
        Sequence out = new Sequence(n);
        for (int i = 0; i < n; i++) {
            out.add(ids.get(i), tokens.get(i), typeIds.get(i), specialMask.get(i) == 1, starts.get(i), ends.get(i));
        }
        return out;
    }

    /** Keeps the last {@code n} tokens (truncation to the left). */
    Sequence truncateLeft(int n) {
        if (n >= length()) {
            return this;
        }
        Sequence out = new Sequence(n);
        for (int i = length() - n; i < length(); i++) {
            out.add(ids.get(i), tokens.get(i), typeIds.get(i), specialMask.get(i) == 1, starts.get(i), ends.get(i));
        }
        return out;
    }

    org.modernbert.api.tokenizer.Encoding toEncoding() {
        int n = length();
        int[][] offsets = new int[n][];
        int[] mask = new int[n];
        for (int i = 0; i < n; i++) {
            offsets[i] = new int[]{starts.get(i), ends.get(i)};
            mask[i] = 1;
        }
        return new org.modernbert.api.tokenizer.Encoding(ids.toArray(), tokens.toArray(new String[0]), typeIds.toArray(), mask,
                specialMask.toArray(), offsets);
    }
}
