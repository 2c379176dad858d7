package dev.veloxquant.engine.kernel;

import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParallelTest {

    @Test
    void everyIndexRunsExactlyOnceAcrossManyRegions() {
        try (Parallel par = new Parallel(3)) {
            for (int n : new int[]{1, 2, 7, 64, 1000}) {
                for (int rep = 0; rep < 200; rep++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    par.forRange(n, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            hits.incrementAndGet(i);
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertThat(hits.get(i)).as("n=%d index %d", n, i).isEqualTo(1);
                    }
                }
            }
        }
    }

    @Test
    void concurrentCallersEachGetTheirWholeRange() throws Exception {
        try (Parallel par = new Parallel(2)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                Future<?>[] fs = new Future<?>[4];
                for (int c = 0; c < fs.length; c++) {
                    fs[c] = pool.submit(() -> {
                        for (int rep = 0; rep < 300; rep++) {
                            AtomicIntegerArray hits = new AtomicIntegerArray(97);
                            par.forRange(97, 4, (s, e) -> {
                                for (int i = s; i < e; i++) {
                                    hits.incrementAndGet(i);
                                }
                            });
                            for (int i = 0; i < 97; i++) {
                                assertThat(hits.get(i)).isEqualTo(1);
                            }
                        }
                        return null;
                    });
                }
                for (Future<?> f : fs) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void aFailingChunkFailsTheCallAndThePoolStaysUsable() {
        try (Parallel par = new Parallel(2)) {
            assertThatThrownBy(() -> par.forRange(100, 1, (s, e) -> {
                if (s <= 90 && 90 < e) {
                    throw new IllegalStateException("chunk failed");
                }
            })).hasMessage("chunk failed");
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            par.forRange(10, 1, (s, e) -> {
                for (int i = s; i < e; i++) {
                    hits.incrementAndGet(i);
                }
            });
            assertThat(hits.toString()).isEqualTo("[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]");
        }
    }

    /**
     * Workers that stall in the middle of a chunk (here: sleep) have it taken over by the caller; what a
     * late worker computes afterwards never reaches the output, even after the caller has moved on and
     * overwritten it.
     */
    @Test
    void aStalledWorkersChunkIsTakenOverAndItsLateResultDiscarded() throws Exception {
        try (Parallel par = new Parallel(3)) {
            int n = 64;
            float[] out = new float[n];
            for (int rep = 0; rep < 200; rep++) {
                int stamp = rep;
                float[][] staged = new float[3][n];
                par.forChunks(n, 1, new Parallel.ChunkBody() {
                    @Override
                    public void compute(int slot, int start, int end) {
                        if (slot > 0 && (start + stamp) % 5 == 0) {
                            try {
                                Thread.sleep(2); // a descheduled worker
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        float[] dst = slot == 0 ? out : staged[slot];
                        for (int i = start; i < end; i++) {
                            dst[i] = stamp * 1000 + i;
                        }
                    }

                    @Override
                    public void publish(int slot, int start, int end) {
                        System.arraycopy(staged[slot], start, out, start, end - start);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertThat(out[i]).as("rep %d index %d", rep, i).isEqualTo(stamp * 1000 + i);
                }
                java.util.Arrays.fill(out, -1f); // the caller moves on; late workers must not write here
            }
            Thread.sleep(20);
            assertThat(out).containsOnly(-1f);
        }
    }

    @Test
    void chunkBodiesRunEachRangeOnceWithOneThread() {
        try (Parallel par = new Parallel(1)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            par.forChunks(10, 1, new Parallel.ChunkBody() {
                @Override
                public void compute(int slot, int start, int end) {
                    assertThat(slot).isZero();
                    for (int i = start; i < end; i++) {
                        hits.incrementAndGet(i);
                    }
                }

                @Override
                public void publish(int slot, int start, int end) {
                    throw new AssertionError("nothing to publish without workers");
                }
            });
            assertThat(hits.toString()).isEqualTo("[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]");
        }
    }
}
