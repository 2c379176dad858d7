package dev.veloxquant.server.model;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

import java.util.Map;

/** UP once every configured model is loaded; part of the readiness group, so readiness waits for the models. */
@Component("models")
public class ModelsHealthIndicator implements HealthIndicator {
    private final ModelRegistry registry;

    public ModelsHealthIndicator(ModelRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Health health() {
        Map<String, ModelRegistry.State> states = registry.states();
        Health.Builder b;
        if (states.containsValue(ModelRegistry.State.FAILED)) {
            b = Health.down();
            states.forEach((id, s) -> registry.failure(id).ifPresent(f -> b.withDetail(id + ".error", f)));
        } else if (states.values().stream().allMatch(s -> s == ModelRegistry.State.READY)) {
            b = Health.up();
        } else {
            b = Health.outOfService();
        }
        states.forEach((id, s) -> b.withDetail(id, s.name()));
        return b.build();
    }
}
