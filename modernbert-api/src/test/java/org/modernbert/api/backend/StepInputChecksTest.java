package org.modernbert.api.backend;

import org.junit.jupiter.api.Test;
import org.modernbert.api.ModernBertException;
import org.modernbert.api.cache.KvCache;

import java.lang.reflect.Proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The shared step checks' messages and the ranking tie rules that {@link Head} promises. */
class StepInputChecksTest {
    /** A cache object nobody calls: the checks take lengths, not the cache. */
    private static final KvCache CACHE = (KvCache) Proxy.newProxyInstance(KvCache.class.getClassLoader(), new Class<?>[]{KvCache.class},
            (proxy, method, args) -> {
                throw new AssertionError("not used");
            });

    @Test
    void badInputGetsTheContractsOneLineMessages() {
        SequenceInput in = SequenceInput.tokens(CACHE, 3, 9);
        assertEquals("sequence 1, new token 1 (position 6): token id 9 is outside the vocabulary [0, 8)",
                assertThrows(ModernBertException.class, () -> StepInputChecks.tokens(in, 1, 5, 8, 4)).getMessage());
        assertEquals("sequence 0 would reach 7 positions but its cache holds at most 6",
                assertThrows(ModernBertException.class, () -> StepInputChecks.room(in, 0, 5, 6)).getMessage());
        assertEquals("sequence 0, new token 1: position id 16 is outside [0, max_position_embeddings = 16)",
                assertThrows(ModernBertException.class, () -> StepInputChecks.positions(in.withPositionIds(2, 16), 0, 0, 16)).getMessage());
        assertEquals("sequence 2 asks for head output Last[], but these weights have no head",
                assertThrows(ModernBertException.class, () -> StepInputChecks.head(in, 2, -1)).getMessage());
        assertEquals("sequence 0: top-k of 5 exceeds the head's 4 outputs",
                assertThrows(ModernBertException.class, () -> StepInputChecks.head(in.withHead(Head.topK(5)), 0, 4)).getMessage());
        assertDoesNotThrow(() -> StepInputChecks.head(in.withHead(Head.NONE), 0, -1));
    }

    @Test
    void positionsGiveTheLargestPosition() {
        SequenceInput in = SequenceInput.tokens(CACHE, 1, 2, 3);
        assertEquals(12, StepInputChecks.positions(in, 0, 10, 64));
        assertEquals(7, StepInputChecks.positions(in.withPositionIds(7, 0, 5), 0, 10, 64));
    }

    @Test
    void rankingPutsTheLowerIndexFirstOnTies() {
        float[] logits = {0, 5, 1, 5, 3, 9};
        assertEquals(4, LogitRanking.argmax(logits, 1, 5)); // relative to the offset: logits[5]
        assertEquals(1, LogitRanking.argmax(new float[]{2, 5, 5}, 0, 3));
        assertArrayEquals(new int[]{5, 1, 3, 4}, LogitRanking.topK(logits, 0, 6, 4));
    }
}
