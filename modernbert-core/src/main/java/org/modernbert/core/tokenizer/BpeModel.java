package org.modernbert.core.tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of HF {@code tokenizers}: initial symbols per code point (with continuing-subword prefix,
 * end-of-word suffix, byte fallback or unk), then merges applied lowest rank first (leftmost on ties),
 * exactly as {@code Word::merge_all}. Results of short words are cached (bounded, thread-safe).
 */
final class BpeModel {
    /** Words this long or longer (in chars) are not cached, as in HF. */
    private static final int MAX_CACHED_WORD = 256;
    static final int DEFAULT_CACHE_CAPACITY = 10_000;

    /** Token ids of a word and each token's {@code [start, end)} char range within the word. */
    record Word(int[] ids, int[] starts, int[] ends) {
    }

    private final Map<String, Integer> vocab;
    private final String[] idToToken;
    private final PrimitiveMaps.LongLongMap merges;
    private final Integer unkId;
    private final String continuingSubwordPrefix;
    private final String endOfWordSuffix;
    private final boolean fuseUnk;
    private final boolean byteFallback;
    private final boolean ignoreMerges;
    /** id of each single-code-point token (BMP) when no prefix/suffix applies, or -1. */
    private final int[] bmpIds;
    private final Map<Integer, Integer> supplementaryIds;
    /** id of the {@code <0xXX>} token of each byte, or -1. */
    private final int[] byteIds;
    private final ConcurrentHashMap<String, Word> cache;
    private final int cacheCapacity;

    BpeModel(Map<String, Integer> vocab, PrimitiveMaps.LongLongMap merges, String unkToken, String continuingSubwordPrefix,
             String endOfWordSuffix, boolean fuseUnk, boolean byteFallback, boolean ignoreMerges, int cacheCapacity) {
        this.vocab = vocab;
        this.merges = merges;
        this.continuingSubwordPrefix = continuingSubwordPrefix;
        this.endOfWordSuffix = endOfWordSuffix;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.unkId = unkToken == null ? null : vocab.get(unkToken);
        int maxId = -1;
        for (int id : vocab.values()) {
            maxId = Math.max(maxId, id);
        }
        idToToken = new String[maxId + 1];
        bmpIds = new int[65536];
        Arrays.fill(bmpIds, -1);
        supplementaryIds = new java.util.HashMap<>();
        byteIds = new int[256];
        Arrays.fill(byteIds, -1);
        for (Map.Entry<String, Integer> e : vocab.entrySet()) {
            String token = e.getKey();
            int id = e.getValue();
            idToToken[id] = token;
            if (token.codePointCount(0, token.length()) == 1) {
                int cp = token.codePointAt(0);
                if (cp < 65536) {
                    bmpIds[cp] = id;
                } else {
                    supplementaryIds.put(cp, id);
                }
            }
            if (token.length() == 6 && token.startsWith("<0x") && token.endsWith(">")) {
                try {
                    byteIds[Integer.parseInt(token.substring(3, 5), 16)] = id;
                } catch (NumberFormatException ignored) {
                    // not a byte token
                }
            }
        }
        this.cacheCapacity = cacheCapacity;
        this.cache = cacheCapacity > 0 ? new ConcurrentHashMap<>(Math.min(cacheCapacity, 1024)) : null;
    }

    Integer tokenToId(String token) {
        return vocab.get(token);
    }

    String idToToken(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    int vocabSize() {
        return vocab.size();
    }

    /** The largest id of the vocabulary, or -1 when it is empty. */
    int maxId() {
        return idToToken.length - 1;
    }

    Map<String, Integer> vocab() {
        return vocab;
    }

    /** Tokenizes one pre-tokenized word. */
    Word tokenize(String word) {
        if (word.isEmpty()) {
            return new Word(new int[0], new int[0], new int[0]);
        }
        if (ignoreMerges) {
            Integer id = vocab.get(word);
            if (id != null) {
                return new Word(new int[]{id}, new int[]{0}, new int[]{word.length()});
            }
        }
        if (cache != null) {
            Word hit = cache.get(word);
            if (hit != null) {
                return hit;
            }
        }
        Word result = mergeWord(word);
        if (cache != null && word.length() < MAX_CACHED_WORD && cache.size() < cacheCapacity) {
            cache.putIfAbsent(word, result);
        }
        return result;
    }

    private int symbolId(String word, int i, int n, boolean first, boolean last) {
        boolean decorated = (!first && continuingSubwordPrefix != null) || (last && endOfWordSuffix != null);
        if (!decorated) {
            int cp = Chars.codePointAt(word, i);
            if (cp < 65536 && n == 1) {
                return bmpIds[cp];
            }
            if (n == 1) {
                return -1;
            }
            Integer id = supplementaryIds.get(cp);
            return id == null ? -1 : id;
        }
        String s = symbolString(word, i, n, first, last);
        Integer id = vocab.get(s);
        return id == null ? -1 : id;
    }

    private String symbolString(String word, int i, int n, boolean first, boolean last) {
        String s = word.substring(i, i + n);
        if (!first && continuingSubwordPrefix != null) {
            s = continuingSubwordPrefix + s;
        }
        if (last && endOfWordSuffix != null) {
            s = s + endOfWordSuffix;
        }
        return s;
    }

    private Word mergeWord(String word) {
        int len = word.length();
        int[] ids = new int[len * 4 + 4];
        int[] starts = new int[ids.length];
        int[] ends = new int[ids.length];
        int count = 0;
        int pendingUnkStart = -1;
        int pendingUnkEnd = -1;
        for (int i = 0; i < len; ) {
            int n = Chars.charCount(word, i);
            boolean first = i == 0;
            boolean last = i + n == len;
            int id = symbolId(word, i, n, first, last);
            if (id >= 0) {
                if (pendingUnkStart >= 0) {
                    ids[count] = unkId;
                    starts[count] = pendingUnkStart;
                    ends[count++] = pendingUnkEnd;
                    pendingUnkStart = -1;
                }
                ids[count] = id;
                starts[count] = i;
                ends[count++] = i + n;
            } else {
                boolean handled = false;
                if (byteFallback) {
                    byte[] bytes = ByteLevelAlphabet.utf8(symbolString(word, i, n, first, last));
                    boolean all = true;
                    for (byte b : bytes) {
                        all &= byteIds[b & 0xFF] >= 0;
                    }
                    if (all) {
                        if (count + bytes.length > ids.length) {
                            ids = Arrays.copyOf(ids, (count + bytes.length) * 2);
                            starts = Arrays.copyOf(starts, ids.length);
                            ends = Arrays.copyOf(ends, ids.length);
                        }
                        for (byte b : bytes) {
                            ids[count] = byteIds[b & 0xFF];
                            starts[count] = i;
                            ends[count++] = i + n;
                        }
                        handled = true;
                    }
                }
                if (!handled && unkId != null) {
                    if (pendingUnkStart >= 0 && fuseUnk) {
                        pendingUnkEnd = i + n;
                    } else {
                        if (pendingUnkStart >= 0) {
                            ids[count] = unkId;
                            starts[count] = pendingUnkStart;
                            ends[count++] = pendingUnkEnd;
                        }
                        pendingUnkStart = i;
                        pendingUnkEnd = i + n;
                    }
                }
                // Without unk token and byte fallback, HF silently drops the char.
            }
            i += n;
        }
        if (pendingUnkStart >= 0) {
            ids[count] = unkId;
            starts[count] = pendingUnkStart;
            ends[count++] = pendingUnkEnd;
        }
        return mergeAll(ids, starts, ends, count);
    }

    /** HF {@code Word::merge_all}: a heap of (rank, position), stale entries skipped. */
    private Word mergeAll(int[] ids, int[] starts, int[] ends, int count) {
        if (count > 1) {
            int[] prev = new int[count];
            int[] next = new int[count];
            boolean[] removed = new boolean[count];
            for (int k = 0; k < count; k++) {
                prev[k] = k - 1;
                next[k] = k + 1 < count ? k + 1 : -1;
            }
            MergeHeap heap = new MergeHeap(count);
            for (int k = 0; k + 1 < count; k++) {
                long m = merges.get(pair(ids[k], ids[k + 1]), -1L);
                if (m != -1L) {
                    heap.push((int) (m >>> 32), k, (int) m);
                }
            }
            while (heap.size > 0) {
                long top = heap.topKey();
                int newId = heap.topValue();
                heap.pop();
                int pos = (int) top;
                if (removed[pos] || next[pos] < 0) {
                    continue;
                }
                int right = next[pos];
                long m = merges.get(pair(ids[pos], ids[right]), -1L);
                if (m == -1L || (int) m != newId) {
                    continue;
                }
                ids[pos] = newId;
                ends[pos] = ends[right];
                removed[right] = true;
                next[pos] = next[right];
                if (next[right] >= 0) {
                    prev[next[right]] = pos;
                }
                if (prev[pos] >= 0) {
                    long pm = merges.get(pair(ids[prev[pos]], ids[pos]), -1L);
                    if (pm != -1L) {
                        heap.push((int) (pm >>> 32), prev[pos], (int) pm);
                    }
                }
                if (next[pos] >= 0) {
                    long nm = merges.get(pair(ids[pos], ids[next[pos]]), -1L);
                    if (nm != -1L) {
                        heap.push((int) (nm >>> 32), pos, (int) nm);
                    }
                }
            }
            int w = 0;
            for (int k = 0; k < count; k++) {
                if (!removed[k]) {
                    ids[w] = ids[k];
                    starts[w] = starts[k];
                    ends[w++] = ends[k];
                }
            }
            count = w;
        }
        return new Word(Arrays.copyOf(ids, count), Arrays.copyOf(starts, count), Arrays.copyOf(ends, count));
    }

    static long pair(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** Min-heap ordered by (rank, position), carrying the merged id. */
    private static final class MergeHeap {
        long[] keys;
        int[] values;
        int size;

        MergeHeap(int capacity) {
            keys = new long[Math.max(capacity, 4)];
            values = new int[keys.length];
        }

        void push(int rank, int pos, int value) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
                values = Arrays.copyOf(values, size * 2);
            }
            long key = ((long) rank << 32) | pos;
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (keys[parent] <= key) {
                    break;
                }
                keys[i] = keys[parent];
                values[i] = values[parent];
                i = parent;
            }
            keys[i] = key;
            values[i] = value;
        }

        long topKey() {
            return keys[0];
        }

        int topValue() {
            return values[0];
        }

        void pop() {
            size--;
            if (size == 0) {
                return;
            }
            long key = keys[size];
            int value = values[size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) {
                    break;
                }
                if (child + 1 < size && keys[child + 1] < keys[child]) {
                    child++;
                }
                if (keys[child] >= key) {
                    break;
                }
                keys[i] = keys[child];
                values[i] = values[child];
                i = child;
            }
            keys[i] = key;
            values[i] = value;
        }
    }
}
