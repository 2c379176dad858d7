package dev.veloxquant.engine.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
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
 * <p>On an oversubscribed machine a worker can be descheduled in the middle of a chunk, and the
 * caller would then wait a whole scheduler slice for it, many times per token. Two defences:
 * <ul>
 * <li>{@link #forChunks} regions let the caller <em>take over</em> a chunk a worker is still on.
 * Workers compute into their own scratch and publish a chunk only if they still own it, so once the
 * caller has redone a stalled chunk nothing the late worker does can reach the output. The caller
 * waits for a busy worker about two of its own chunk times, then redoes the chunk itself.</li>
 * <li>When callers still spend much of recent regions waiting, or awake workers keep finishing far
 * less than their share (they are not getting a core), the pool runs regions on the caller's thread
 * alone for a short while (one core at full speed beats two cores that keep stalling), then tries
 * the workers again.</li>
 * </ul>
 */
public final class Parallel implements AutoCloseable {

    /** Work over {@code [start, end)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /**
     * Work over {@code [start, end)} that a slow worker's chunk can be taken over from. Slot 0 is the
     * calling thread and writes the final output directly; slot {@code s > 0} is a worker and must write
     * only to storage private to that slot, which {@link #publish} then copies into the final output.
     * Computing a chunk must be repeatable (same inputs, same result) and have no other side effect.
     */
    public interface ChunkBody {
        void compute(int slot, int start, int end);

        /** Copies what worker {@code slot} computed for {@code [start, end)} into the final output. */
        void publish(int slot, int start, int end);
    }

    private static final long SPIN_NANOS = 200_000;
    private static final int CHUNKS_PER_THREAD = 4;
    /** Serial period after stalls were detected. */
    private static final long SERIAL_BACKOFF_NANOS = 200_000_000;
    /** Smoothed stall signal above which the pool backs off (see {@link #run}). */
    private static final double STALL_LEVEL = 0.4;
    /** Least time the caller waits for a busy worker's chunk before taking it over. */
    private static final long MIN_PATIENCE_NANOS = 4_000;

    // Chunk states. FREE -> WORKING (a worker) -> PUBLISHING -> DONE, or FREE/WORKING -> TAKEN (the caller) -> DONE.
    private static final int FREE = 0;
    private static final int WORKING = 1;
    private static final int PUBLISHING = 2;
    private static final int TAKEN = 3;
    private static final int DONE = 4;

    /** One dispatched loop; stale workers that pick it up late find its counter exhausted. */
    private static final class Region {
        final RangeBody range;
        final ChunkBody chunked;
        final int n;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicIntegerArray state;
        /** Chunks finished by workers. */
        final AtomicInteger byWorkers = new AtomicInteger();
        volatile Throwable failure;

        Region(RangeBody range, ChunkBody chunked, int n, int chunks) {
            this.range = range;
            this.chunked = chunked;
            this.n = n;
            this.chunks = chunks;
            this.state = new AtomicIntegerArray(chunks);
        }

        int start(int c) {
            return (int) ((long) n * c / chunks);
        }

        /** A worker's share: claims chunks until none are left. */
        void work(int slot) {
            int c;
            while ((c = next.getAndIncrement()) < chunks) {
                if (!state.compareAndSet(c, FREE, WORKING)) {
                    continue; // the caller took it before this worker got to it
                }
                try {
                    if (chunked == null) {
                        range.run(start(c), start(c + 1));
                    } else {
                        chunked.compute(slot, start(c), start(c + 1));
                        if (!state.compareAndSet(c, WORKING, PUBLISHING)) {
                            continue; // taken over while this worker was on it: the output is the caller's
                        }
                        chunked.publish(slot, start(c), start(c + 1));
                    }
                } catch (Throwable t) {
                    failure = t;
                    // Unless the caller took the chunk over (it then finishes it), end it here.
                    if (!state.compareAndSet(c, WORKING, DONE)) {
                        state.compareAndSet(c, PUBLISHING, DONE);
                    }
                    continue;
                }
                byWorkers.incrementAndGet();
                state.set(c, DONE);
            }
        }

        /** The caller runs chunk {@code c} itself, writing the final output. */
        void runHere(int c) {
            try {
                if (chunked == null) {
                    range.run(start(c), start(c + 1));
                } else {
                    chunked.compute(0, start(c), start(c + 1));
                }
            } catch (Throwable t) {
                failure = t;
            }
            state.set(c, DONE);
        }
    }

    private final int threads;
    private final Worker[] workers;
    private final ReentrantLock dispatch = new ReentrantLock();
    private volatile Region current;
    private volatile boolean closed;
    private volatile long serialUntil;
    // Smoothed stall signal of recent regions; guarded by the dispatch lock.
    private double stall;

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
        int k = chunks(n, minChunk);
        if (!parallel(k)) {
            body.run(0, n);
            return;
        }
        run(new Region(body, null, n, k));
    }

    /**
     * As {@link #forRange}, but a chunk a stalled worker is still on is taken over by the caller
     * (see {@link ChunkBody}); for short regions whose outputs are small enough to stage per worker.
     */
    public void forChunks(int n, int minChunk, ChunkBody body) {
        int k = chunks(n, minChunk);
        if (!parallel(k)) {
            body.compute(0, 0, n);
            return;
        }
        run(new Region(null, body, n, k));
    }

    private int chunks(int n, int minChunk) {
        return Math.min(threads * CHUNKS_PER_THREAD, Math.max(1, n / Math.max(1, minChunk)));
    }

    /** Whether to dispatch; on true the dispatch lock is held. */
    private boolean parallel(int k) {
        return threads > 1 && k > 1 && !(Thread.currentThread() instanceof Worker) && System.nanoTime() >= serialUntil
                && dispatch.tryLock();
    }

    private void run(Region r) {
        try {
            long start = System.nanoTime();
            current = r;
            boolean awake = true;
            for (Worker w : workers) {
                if (w.sleeping) {
                    awake = false;
                    LockSupport.unpark(w);
                }
            }
            int c;
            int own = 0;
            while ((c = r.next.getAndIncrement()) < r.chunks) {
                r.state.set(c, TAKEN); // nobody else touches a chunk it did not claim while it is FREE
                r.runHere(c);
                own++;
            }
            long worked = System.nanoTime();
            // About two of the caller's own chunk times before a busy worker's chunk is taken over.
            long patience = Math.max(MIN_PATIENCE_NANOS, own == 0 ? 0 : 2 * (worked - start) / own);
            for (c = 0; c < r.chunks; c++) {
                int spins = 0;
                long waitStart = 0;
                int s;
                while ((s = r.state.get(c)) != DONE) {
                    if (s == FREE && r.state.compareAndSet(c, FREE, TAKEN)) {
                        r.runHere(c); // claimed by a worker that has not started it
                        break;
                    }
                    if (s == WORKING && r.chunked != null) {
                        long now = System.nanoTime();
                        if (waitStart == 0) {
                            waitStart = now;
                        } else if (now - waitStart > patience && r.state.compareAndSet(c, WORKING, TAKEN)) {
                            r.runHere(c);
                            break;
                        }
                    }
                    // A worker holding a chunk may be descheduled on a busy machine: give it the core.
                    if (++spins < 64) {
                        Thread.onSpinWait();
                    } else {
                        Thread.yield();
                    }
                }
            }
            current = null;
            long end = System.nanoTime();
            // A region stalls when the caller waits (or redoes a worker's chunk) for much of it, or when
            // workers that were awake (spinning, not parked) at the start still did far less than their
            // share: they are not getting a core, and dispatching to them only takes time from the caller.
            // A parked worker needs a while to wake up, so its regions count only the waiting.
            double waited = (double) (end - worked) / Math.max(1, end - start);
            double share = (double) r.byWorkers.get() / r.chunks / ((threads - 1.0) / threads);
            stall = 0.9 * stall + 0.1 * (awake ? Math.max(waited, 1 - Math.min(1, share)) : waited);
            if (stall > STALL_LEVEL) {
                serialUntil = end + SERIAL_BACKOFF_NANOS;
                stall = 0;
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
        final int slot;
        volatile boolean sleeping;

        Worker(int slot) {
            super("velox-matmul-" + slot);
            this.slot = slot;
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
                    r.work(slot);
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
