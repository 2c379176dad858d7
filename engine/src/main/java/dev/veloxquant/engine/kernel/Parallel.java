package dev.veloxquant.engine.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A parallel-for over index ranges on a fixed set of threads, built for the many short regions of
 * one decode step (~25 per token). Chunks are claimed from a shared counter by the caller and the
 * workers alike, so a worker the OS has not scheduled yet delays nothing: the caller takes its
 * chunks. Idle workers spin briefly between regions (a region starts in well under a microsecond)
 * and park after a couple of milliseconds. Generations running at once share it: while one holds the
 * workers, another caller runs its region on its own thread.
 */
public final class Parallel implements AutoCloseable {

    /** Work over {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final long SPIN_NANOS = 2_000_000;
    private static final int CHUNKS_PER_THREAD = 4;

    /** One dispatched loop; stale workers that pick it up late find its counter exhausted. */
    private static final class Region {
        final RangeBody body;
        final int n;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Region(RangeBody body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
        }

        void work() {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                try {
                    body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock dispatch = new ReentrantLock();
    private volatile Region current;
    private volatile boolean closed;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
    }

    /** All cores unless the system property {@code velox.threads} says otherwise. */
    public static int defaultThreads() {
        String p = System.getProperty("velox.threads");
        return p != null && !p.isBlank() ? Integer.parseInt(p.trim()) : Runtime.getRuntime().availableProcessors();
    }

    public int threads() {
        return threads;
    }

    /** Splits {@code [0, n)} into chunks of at least {@code minChunk} (a few per thread) and runs them. */
    public void forRange(int n, int minChunk, RangeBody body) {
        int k = Math.min(threads * CHUNKS_PER_THREAD, Math.max(1, n / Math.max(1, minChunk)));
        if (threads == 1 || k <= 1 || Thread.currentThread() instanceof Worker || !dispatch.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            Region r = new Region(body, n, k);
            current = r;
            for (Worker w : workers) {
                if (w.sleeping) {
                    LockSupport.unpark(w);
                }
            }
            r.work();
            int spins = 0;
            while (r.done.get() < k) {
                // A worker holding a chunk may be descheduled on a busy machine: give it the core.
                if (++spins < 64) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            current = null;
            Throwable f = r.failure;
            if (f instanceof RuntimeException re) {
                throw re;
            }
            if (f instanceof Error e) {
                throw e;
            }
            if (f != null) {
                throw new IllegalStateException(f);
            }
        } finally {
            dispatch.unlock();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
    }

    private final class Worker extends Thread {
        volatile boolean sleeping;

        Worker(int index) {
            super("velox-matmul-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            Region last = null;
            long idleSince = System.nanoTime();
            int spins = 0;
            while (!closed) {
                Region r = current;
                if (r != null && r != last) {
                    last = r;
                    r.work();
                    idleSince = System.nanoTime();
                    spins = 0;
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    if (++spins < 256) {
                        Thread.onSpinWait();
                    } else {
                        Thread.yield();
                    }
                } else {
                    sleeping = true;
                    Region now = current;
                    if ((now == null || now == last) && !closed) {
                        LockSupport.park(this);
                    }
                    sleeping = false;
                    idleSince = System.nanoTime();
                    spins = 0;
                }
            }
        }
    }
}
