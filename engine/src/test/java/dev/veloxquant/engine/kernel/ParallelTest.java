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
}
