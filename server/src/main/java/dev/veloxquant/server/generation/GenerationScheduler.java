package dev.veloxquant.server.generation;

import dev.veloxquant.cache.InvalidKVCacheConfigException;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.engine.api.FinishReason;
import dev.veloxquant.engine.api.GeneratedToken;
import dev.veloxquant.engine.api.GenerationListener;
import dev.veloxquant.engine.api.GenerationResult;
import dev.veloxquant.server.config.VeloxQuantProperties;
import dev.veloxquant.server.error.ApiErrors;
import dev.veloxquant.server.error.ApiException;
import dev.veloxquant.server.kv.LiveKVCacheRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.scheduler.Schedulers;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs generation jobs on a fixed pool of worker threads with a bounded wait queue. A job that finds
 * both full is refused at once (429). Each job is cancelled when its subscriber goes away (client
 * disconnect) or when the request timeout passes, and the engine stops before its next token.
 */
@Component
public class GenerationScheduler implements DisposableBean {
    private static final Logger log = LoggerFactory.getLogger(GenerationScheduler.class);

    private final ThreadPoolExecutor executor;
    private final LiveKVCacheRegistry liveCaches;
    private final RequestListeners listeners;
    private final Duration timeout;
    private final Duration retryAfter;
    private final int threads;
    private final int maxQueue;
    private final long kvCacheBudget;
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    /** Requests running or waiting; at most threads + maxQueue. */
    private final AtomicInteger admitted = new AtomicInteger();

    public GenerationScheduler(VeloxQuantProperties props, LiveKVCacheRegistry liveCaches, RequestListeners listeners,
                               @Value("${veloxquant.kv-cache.budget-bytes:1GB}") DataSize kvCacheBudget) {
        this.liveCaches = liveCaches;
        this.listeners = listeners;
        this.timeout = props.limits().requestTimeout();
        this.retryAfter = props.limits().retryAfter();
        this.threads = props.limits().generationThreads();
        this.maxQueue = props.limits().maxQueue();
        this.kvCacheBudget = kvCacheBudget.toBytes();
        // Admission is counted here, not by the executor's queue: a bounded queue would also refuse
        // work in the instant between a worker finishing and it taking the next task.
        AtomicInteger n = new AtomicInteger();
        this.executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> Thread.ofPlatform().name("generation-" + n.incrementAndGet()).daemon().unstarted(r),
                new ThreadPoolExecutor.AbortPolicy());
    }

    /** Generations running now. */
    public int running() {
        return running.get();
    }

    /** Requests waiting for a worker. */
    public int waiting() {
        return waiting.get();
    }

    public int workerThreads() {
        return threads;
    }

    public int queueCapacity() {
        return maxQueue;
    }

    /**
     * Bytes the live KV caches of one model may hold ({@code veloxquant.kv-cache.budget-bytes}); while
     * they hold more, new requests for that model are refused with 429.
     */
    public long kvCacheBudgetBytes() {
        return kvCacheBudget;
    }

    /**
     * Runs the job when subscribed. Errors before the first event ({@link ApiException}: 429, 504,
     * invalid KV-cache settings) arrive before any output, so they become proper HTTP statuses.
     */
    public Flux<GenerationEvent> run(GenerationJob job) {
        return Flux.create(sink -> {
            if (liveCaches.liveBytes(job.model().id()) >= kvCacheBudget) {
                sink.error(ApiErrors.kvCacheBudgetFull(retryAfter, kvCacheBudget));
                return;
            }
            if (admitted.incrementAndGet() > threads + maxQueue) {
                admitted.decrementAndGet();
                sink.error(ApiErrors.overloaded(retryAfter));
                return;
            }
            Execution exec = new Execution(job, sink);
            waiting.incrementAndGet();
            try {
                executor.execute(exec);
            } catch (RejectedExecutionException e) {
                // only after shutdown
                waiting.decrementAndGet();
                exec.release();
                sink.error(ApiErrors.overloaded(retryAfter));
                return;
            }
            listeners.each(l -> l.requestQueued(job.model().id(), job.endpoint()));
            Disposable timer = Schedulers.parallel().schedule(exec::timeOut, timeout.toMillis(), TimeUnit.MILLISECONDS);
            sink.onDispose(() -> {
                timer.dispose();
                exec.cancel();
            });
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    @Override
    public void destroy() {
        executor.shutdownNow();
    }

    private final class Execution implements Runnable {
        private final GenerationJob job;
        private final FluxSink<GenerationEvent> sink;
        private final AtomicBoolean cancelled = new AtomicBoolean();
        private final AtomicBoolean finished = new AtomicBoolean();
        private final AtomicBoolean released = new AtomicBoolean();
        private final long queuedAt = System.nanoTime();
        private volatile boolean timedOut;
        private boolean started;
        private boolean firstTokenSeen;

        Execution(GenerationJob job, FluxSink<GenerationEvent> sink) {
            this.job = job;
            this.sink = sink;
        }

        /** The subscriber is gone (or done): stop generating, or never start. */
        void cancel() {
            if (cancelled.compareAndSet(false, true) && executor.remove(this)) {
                waiting.decrementAndGet();
                release();
            }
        }

        /** Gives the admission slot back, once. */
        void release() {
            if (released.compareAndSet(false, true)) {
                admitted.decrementAndGet();
            }
        }

        void timeOut() {
            if (finished.get()) {
                return;
            }
            timedOut = true;
            cancel();
            sink.error(ApiErrors.timeout(timeout));
        }

        @Override
        public void run() {
            waiting.decrementAndGet();
            if (cancelled.get()) {
                release();
                return;
            }
            running.incrementAndGet();
            String model = job.model().id();
            listeners.each(l -> l.generationStarted(model, job.endpoint(), System.nanoTime() - queuedAt));
            Throwable failure = null;
            try {
                for (ChoicePlan choice : job.choices()) {
                    if (cancelled.get()) {
                        break;
                    }
                    ChoiceListener listener = new ChoiceListener(choice.index());
                    GenerationResult result;
                    try {
                        result = job.model().model().generate(choice.request(), listener, cancelled::get);
                    } finally {
                        listener.release();
                    }
                    if (result.finishReason() == FinishReason.CANCELLED || cancelled.get()) {
                        break;
                    }
                    GenerationOutcome outcome = new GenerationOutcome(model, job.endpoint(), result.kvCacheConfig(),
                            result.kvCache(), result.finishReason(), result.promptTokens(), result.completionTokens(),
                            result.prefillNanos(), result.decodeNanos(), System.nanoTime() - job.arrivalNanos());
                    listeners.each(l -> l.generationFinished(outcome));
                    ensureStarted();
                    sink.next(new GenerationEvent.ChoiceDone(choice.index(), result));
                }
            } catch (InvalidKVCacheConfigException e) {
                failure = ApiErrors.invalidKvCache(e);
            } catch (ApiException e) {
                failure = e;
            } catch (IllegalArgumentException e) {
                // The engine's own check of a request value the server let through: still the client's input.
                log.warn("Engine refused a request on model '{}': {}", model, e.getMessage());
                failure = ApiErrors.invalid(null, "The engine refused the request: " + e.getMessage());
            } catch (RuntimeException | Error e) {
                log.error("Generation failed on model '{}'", model, e);
                failure = ApiErrors.internal("Generation failed: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            } finally {
                // Free the slot before answering, so a client's next request never meets its own old one.
                running.decrementAndGet();
                release();
            }
            if (failure != null) {
                finished.set(true);
                sink.error(failure);
            } else if (cancelled.get()) {
                listeners.each(l -> l.generationCancelled(model, job.endpoint(), timedOut));
            } else {
                finished.set(true);
                sink.complete();
            }
        }

        private void ensureStarted() {
            if (!started) {
                started = true;
                sink.next(new GenerationEvent.Started());
            }
        }

        /** Bridges one choice's engine callbacks to the live-cache registry, listeners and the event stream. */
        private final class ChoiceListener implements GenerationListener {
            private final int choice;
            private LiveKVCacheRegistry.Entry cacheEntry;
            private long lastTokenAt = -1;

            ChoiceListener(int choice) {
                this.choice = choice;
            }

            @Override
            public void onCacheCreated(SequenceKVCache cache) {
                cacheEntry = liveCaches.register(job.model().id(), cache);
            }

            @Override
            public void onPrefillDone(int promptTokens) {
                if (cacheEntry != null) {
                    cacheEntry.update();
                }
                ensureStarted();
            }

            @Override
            public void onToken(GeneratedToken token) {
                if (cacheEntry != null) {
                    cacheEntry.update();
                }
                long now = System.nanoTime();
                String model = job.model().id();
                if (!firstTokenSeen) {
                    firstTokenSeen = true;
                    long ttft = now - job.arrivalNanos();
                    listeners.each(l -> l.firstToken(model, job.endpoint(), ttft));
                } else if (lastTokenAt >= 0) {
                    long gap = now - lastTokenAt;
                    listeners.each(l -> l.interToken(model, job.endpoint(), gap));
                }
                lastTokenAt = now;
                ensureStarted();
                sink.next(new GenerationEvent.Token(choice, token));
            }

            void release() {
                if (cacheEntry != null) {
                    cacheEntry.close();
                    cacheEntry = null;
                }
            }
        }
    }
}
