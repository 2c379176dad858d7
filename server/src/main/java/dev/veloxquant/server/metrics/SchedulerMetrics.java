package dev.veloxquant.server.metrics;

import dev.veloxquant.server.generation.GenerationScheduler;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

/**
 * The generation queue, as vLLM names it: {@code veloxquant_num_requests_running} and
 * {@code veloxquant_num_requests_waiting}, plus the limits they run against. One worker pool serves
 * every model, so these carry no model label.
 */
@Component
public class SchedulerMetrics implements MeterBinder {
    private final GenerationScheduler scheduler;

    public SchedulerMetrics(GenerationScheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("veloxquant.num.requests.running", scheduler, GenerationScheduler::running)
                .description("Requests generating now (each holds one worker)")
                .strongReference(true).register(registry);
        Gauge.builder("veloxquant.num.requests.waiting", scheduler, GenerationScheduler::waiting)
                .description("Requests queued for a worker; beyond the queue capacity requests get 429")
                .strongReference(true).register(registry);
        Gauge.builder("veloxquant.generation.workers", scheduler, GenerationScheduler::workerThreads)
                .description("Generation worker threads (veloxquant.limits.generation-threads)")
                .strongReference(true).register(registry);
        Gauge.builder("veloxquant.queue.capacity", scheduler, GenerationScheduler::queueCapacity)
                .description("Wait-queue slots (veloxquant.limits.max-queue)")
                .strongReference(true).register(registry);
    }
}
