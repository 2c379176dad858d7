package dev.veloxquant.server.metrics;

import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.server.generation.GenerationOutcome;
import dev.veloxquant.server.generation.RequestListener;
import dev.veloxquant.server.model.ModelRegistry;
import dev.veloxquant.server.model.ModelSpec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Latency histograms with vLLM's names and bucket edges (extended down to the millisecond, where a
 * small model on a CPU lives):
 * <ul>
 *   <li>{@code veloxquant_time_to_first_token_seconds{model}} - arrival to first token (queue + prefill)</li>
 *   <li>{@code veloxquant_inter_token_latency_seconds{model}} - between consecutive tokens of a choice</li>
 *   <li>{@code veloxquant_request_queue_time_seconds{model}} - waiting for a worker</li>
 *   <li>{@code veloxquant_e2e_request_latency_seconds{model,method}} - arrival to a choice's last token</li>
 *   <li>{@code veloxquant_request_prefill_time_seconds{model,method}}, {@code ..._decode_time_seconds} -
 *       the engine's own prefill and decode time of a choice: how each kv_cache method costs in speed</li>
 * </ul>
 */
@Component
public class RequestLatencyMetrics implements MeterBinder, RequestListener {
    static final Duration[] FIRST_TOKEN_BUCKETS = seconds(0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5,
            0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0);
    static final Duration[] INTER_TOKEN_BUCKETS = seconds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15,
            0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0);
    static final Duration[] REQUEST_BUCKETS = seconds(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0, 1.5,
            2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0);

    private final ModelRegistry models;
    private final Map<Tags, Timer> timers = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;

    public RequestLatencyMetrics(ModelRegistry models) {
        this.models = models;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
        for (ModelSpec spec : models.specs()) {
            timeToFirstToken(spec.id());
            interToken(spec.id());
            queueTime(spec.id());
            for (KVCacheMethod m : KVCacheMethod.values()) {
                e2e(spec.id(), m.id());
                prefill(spec.id(), m.id());
                decode(spec.id(), m.id());
            }
        }
    }

    @Override
    public void generationStarted(String model, String endpoint, long queueNanos) {
        record(queueTime(model), queueNanos);
    }

    @Override
    public void firstToken(String model, String endpoint, long sinceArrivalNanos) {
        record(timeToFirstToken(model), sinceArrivalNanos);
    }

    @Override
    public void interToken(String model, String endpoint, long sincePreviousNanos) {
        record(interToken(model), sincePreviousNanos);
    }

    @Override
    public void generationFinished(GenerationOutcome o) {
        String method = o.kvCacheConfig().method().id();
        record(e2e(o.model(), method), o.totalNanos());
        record(prefill(o.model(), method), o.prefillNanos());
        record(decode(o.model(), method), o.decodeNanos());
    }

    private static void record(Timer t, long nanos) {
        if (t != null && nanos >= 0) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    private Timer timeToFirstToken(String model) {
        return timer("veloxquant.time.to.first.token", "Time from request arrival to the first generated token (queue + prefill)",
                FIRST_TOKEN_BUCKETS, Tags.of("model", model));
    }

    private Timer interToken(String model) {
        return timer("veloxquant.inter.token.latency", "Time between consecutive generated tokens of one choice",
                INTER_TOKEN_BUCKETS, Tags.of("model", model));
    }

    private Timer queueTime(String model) {
        return timer("veloxquant.request.queue.time", "Time a request waited for a generation worker",
                REQUEST_BUCKETS, Tags.of("model", model));
    }

    private Timer e2e(String model, String method) {
        return timer("veloxquant.e2e.request.latency", "Time from request arrival to a choice's last token",
                REQUEST_BUCKETS, Tags.of("model", model, "method", method));
    }

    private Timer prefill(String model, String method) {
        return timer("veloxquant.request.prefill.time", "Engine time spent on a choice's prompt (prefill)",
                REQUEST_BUCKETS, Tags.of("model", model, "method", method));
    }

    private Timer decode(String model, String method) {
        return timer("veloxquant.request.decode.time", "Engine time spent generating a choice's tokens (decode)",
                REQUEST_BUCKETS, Tags.of("model", model, "method", method));
    }

    private Timer timer(String name, String description, Duration[] buckets, Tags tags) {
        MeterRegistry r = registry;
        if (r == null) {
            return null;
        }
        return timers.computeIfAbsent(tags.and("name", name), k -> Timer.builder(name)
                .description(description)
                .tags(tags)
                .serviceLevelObjectives(buckets)
                .register(r));
    }

    private static Duration[] seconds(double... s) {
        return Arrays.stream(s).mapToObj(x -> Duration.ofNanos(Math.round(x * 1e9))).toArray(Duration[]::new);
    }
}
