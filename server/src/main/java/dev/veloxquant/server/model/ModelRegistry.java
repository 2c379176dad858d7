package dev.veloxquant.server.model;

import dev.veloxquant.cache.InvalidKVCacheConfigException;
import dev.veloxquant.server.config.VeloxQuantProperties;
import dev.veloxquant.server.config.VeloxQuantProperties.ModelProperties;
import dev.veloxquant.server.kv.KvCacheSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The configured models and their loading state. Models load one after another on a background
 * thread once the server is up, so liveness answers while a large model loads; readiness (see
 * {@link ModelsHealthIndicator}) turns UP when every model is loaded.
 *
 * <p>Configuration mistakes (duplicate ids, an invalid KV-cache default) fail the startup at once,
 * naming the property.
 */
@Component
public class ModelRegistry implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);

    /** Where a model stands. */
    public enum State { PENDING, LOADING, READY, FAILED }

    private final ModelLoader loader;
    private final Map<String, ModelSpec> specs = new LinkedHashMap<>();
    private final Map<String, ServedModel> loaded = new ConcurrentHashMap<>();
    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean running;
    private Thread loaderThread;

    public ModelRegistry(VeloxQuantProperties props, ModelLoader loader) {
        this.loader = loader;
        KvCacheSettings global = settings(props.kvCache(), "veloxquant.kv-cache");
        List<ModelSpec> list = new ArrayList<>();
        if (props.models().isEmpty()) {
            list.add(new ModelSpec(props.defaultModelId(), props.modelDir(), global));
        } else {
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < props.models().size(); i++) {
                ModelProperties m = props.models().get(i);
                String where = "veloxquant.models[" + i + "]";
                if (m.id() == null || m.id().isBlank()) {
                    throw new IllegalStateException(where + ".id is required");
                }
                if (m.path() == null) {
                    throw new IllegalStateException(where + ".path is required (the model directory)");
                }
                if (!ids.add(m.id())) {
                    throw new IllegalStateException(where + ".id '" + m.id() + "' is declared twice");
                }
                list.add(new ModelSpec(m.id(), m.path(), settings(m.kvCache(), where + ".kv-cache").over(global)));
            }
        }
        for (ModelSpec s : list) {
            try {
                s.kvCacheDefaults().toConfig();
            } catch (InvalidKVCacheConfigException e) {
                throw new IllegalStateException("KV-cache defaults of model '" + s.id() + "' are invalid ("
                        + e.field() + "): " + e.getMessage(), e);
            }
            specs.put(s.id(), s);
            states.put(s.id(), State.PENDING);
        }
    }

    private static KvCacheSettings settings(VeloxQuantProperties.KvCacheProperties p, String where) {
        try {
            return KvCacheSettings.of(p);
        } catch (InvalidKVCacheConfigException e) {
            throw new IllegalStateException(where + "." + e.field().replace('_', '-') + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void start() {
        running = true;
        loaderThread = Thread.ofPlatform().name("model-loader").daemon().start(this::loadAll);
    }

    private void loadAll() {
        try {
            for (ModelSpec spec : specs.values()) {
                if (!running) {
                    return;
                }
                states.put(spec.id(), State.LOADING);
                Path dir = spec.path().toAbsolutePath().normalize();
                log.info("Loading model '{}' from {} (KV-cache default: {})", spec.id(), dir, describe(spec));
                long t0 = System.nanoTime();
                try {
                    var model = loader.load(spec, line -> log.info("[{}] {}", spec.id(), line));
                    loaded.put(spec.id(), new ServedModel(spec, model, System.currentTimeMillis() / 1000));
                    states.put(spec.id(), State.READY);
                    log.info("Model '{}' ready in {} ms: {} layers, context {}, vocab {}", spec.id(),
                            (System.nanoTime() - t0) / 1_000_000, model.geometry().numLayers(), model.contextLength(),
                            model.vocabSize());
                } catch (RuntimeException | Error e) {
                    states.put(spec.id(), State.FAILED);
                    failures.put(spec.id(), String.valueOf(e.getMessage()));
                    log.error("Model '{}' failed to load from {}: {}", spec.id(), dir, e.toString(), e);
                }
            }
        } finally {
            done.countDown();
        }
    }

    private static String describe(ModelSpec spec) {
        var c = spec.kvCacheDefaults().toConfig();
        return c.method() + ", key bits " + c.nominalKeyBits() + ", value bits " + c.effectiveValueBits();
    }

    /** Waits until every model has loaded or failed; for tests and tools. */
    public boolean awaitLoaded(Duration timeout) throws InterruptedException {
        return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public List<ModelSpec> specs() {
        return List.copyOf(specs.values());
    }

    /** Loaded models in configuration order. */
    public List<ServedModel> models() {
        List<ServedModel> out = new ArrayList<>();
        for (String id : specs.keySet()) {
            ServedModel m = loaded.get(id);
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }

    public Optional<ServedModel> find(String id) {
        return Optional.ofNullable(loaded.get(id));
    }

    public boolean isConfigured(String id) {
        return specs.containsKey(id);
    }

    public State state(String id) {
        return states.getOrDefault(id, State.FAILED);
    }

    public Optional<String> failure(String id) {
        return Optional.ofNullable(failures.get(id));
    }

    public Map<String, State> states() {
        Map<String, State> out = new LinkedHashMap<>();
        for (String id : specs.keySet()) {
            out.put(id, states.get(id));
        }
        return out;
    }

    /** The model a request without {@code "model"} gets: the first configured one. */
    public String defaultModelId() {
        return specs.keySet().iterator().next();
    }

    @Override
    public void stop() {
        running = false;
        for (ServedModel m : loaded.values()) {
            try {
                m.model().close();
            } catch (RuntimeException e) {
                log.warn("Closing model '{}' failed: {}", m.id(), e.toString());
            }
        }
        loaded.clear();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        // Stop after the web server has drained (it stops in a later-starting, earlier-stopping phase).
        return Integer.MIN_VALUE + 1000;
    }
}
