package dev.veloxquant.cache.turboquant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class RandomRotationTest {

    @Test
    void rotationIsOrthogonalAndInvertible() {
        RandomRotation r = RandomRotation.forHead(3, 1, 64);
        for (int i = 0; i < 64; i++) {
            for (int j = 0; j < 64; j++) {
                double dot = 0;
                for (int k = 0; k < 64; k++) {
                    dot += r.entry(i, k) * r.entry(j, k);
                }
                assertThat(dot).isCloseTo(i == j ? 1.0 : 0.0, offset(1e-5));
            }
        }
        float[] x = new float[64];
        for (int i = 0; i < 64; i++) {
            x[i] = (float) Math.cos(i);
        }
        float[] y = new float[64];
        float[] back = new float[64];
        r.rotate(x, 0, y, 0);
        r.unrotate(y, 0, back, 0);
        for (int i = 0; i < 64; i++) {
            assertThat(back[i]).isCloseTo(x[i], offset(1e-5f));
        }
    }

    @Test
    void everySequenceGetsTheSameRotationPerLayerAndHead() {
        assertThat(RandomRotation.forHead(2, 0, 64)).isSameAs(RandomRotation.forHead(2, 0, 64));
        RandomRotation fresh = RandomRotation.generate(64, 99);
        RandomRotation again = RandomRotation.generate(64, 99);
        assertThat(fresh.entry(5, 7)).isEqualTo(again.entry(5, 7));
        assertThat(RandomRotation.forHead(2, 0, 64).entry(0, 0)).isNotEqualTo(RandomRotation.forHead(2, 1, 64).entry(0, 0));
        assertThat(RandomRotation.forHead(2, 0, 64).entry(0, 0)).isNotEqualTo(RandomRotation.forHead(3, 0, 64).entry(0, 0));
    }
}
