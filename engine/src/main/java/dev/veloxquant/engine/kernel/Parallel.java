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
 *
 * <p>On an oversubscribed machine a worker can be descheduled in the middle of a chunk and the caller
 * then waits a whole scheduler slice for it, many times per token. The pool watches for that: when
 * callers spend more time waiting than working over recent regions, it runs regions on the caller's
 * thread alone for a short while (one core at full speed beats two cores that keep stalling), then
 * tries the workers again.
 */
public final class Parallel implements AutoCloseable {

    /** Work over {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final long SPIN_NANOS = 200_000;
    private static final int CHUNKS_PER_THREAD = 4;
    /** Serial period after stalls were detected. */
    private static final long SERIAL_BACKOFF_NANOS = 200_000_000;
    /** Fraction of region time spent waiting for workers above which the pool backs off. */
    private static final double STALL_FRACTION = 0.25;

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
    private volatile long serialUntil;
    // Smoothed fraction of region time the caller spent waiting; guarded by the dispatch lock.
    private double waitFraction;

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
        if (threads == 1 || k <= 1 || Thread.currentThread() instanceof Worker || System.nanoTime() < serialUntil
                || !dispatch.tryLock()) {
            body.run(0, n);
            return;
        }
        try {
            long start = System.nanoTime();
            Region r = new Region(body, n, k);
            current = r;
            for (Worker w : workers) {
                if (w.sleeping) {
                    LockSupport.unpark(w);
                }
            }
            r.work();
            long worked = System.nanoTime();
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
            long end = System.nanoTime();
            waitFraction = 0.9 * waitFraction + 0.1 * ((double) (end - worked) / Math.max(1, end - start));
            if (waitFraction > STALL_FRACTION) {
                serialUntil = end + SERIAL_BACKOFF_NANOS;
                waitFraction = 0;
            }
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
