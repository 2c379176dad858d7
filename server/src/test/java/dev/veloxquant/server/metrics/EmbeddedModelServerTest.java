package dev.veloxquant.server.metrics;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The real server on a random port with the embedded model (models/velox-tiny) and the real engine.
 * Test classes carrying it share one Spring context, so the model loads once.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "veloxquant.model-dir=../models/velox-tiny",
        "veloxquant.limits.max-queue=32"})
@Import(KvGaugeProbe.ProbeConfiguration.class)
@interface EmbeddedModelServerTest {
}
