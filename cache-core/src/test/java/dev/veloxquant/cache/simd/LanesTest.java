package dev.veloxquant.cache.simd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class LanesTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private static float[] lanes(Random r) {
        float[] a = new float[S.length()];
        for (int i = 0; i < a.length; i++) {
            // magnitudes over six decades make the order of additions visible in the result
            a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(6)));
        }
        return a;
    }

    @Test
    void vectorSumEqualsTheScalarTreeBitForBit() {
        Random r = new Random(7);
        for (int k = 0; k < 2000; k++) {
            float[] a = lanes(r);
            assertThat(Lanes.sum(FloatVector.fromArray(S, a, 0))).isEqualTo(Lanes.sumScalar(a));
        }
    }

    @Test
    void sumDoesNotChangeOnceTheJitCompilesTheCaller() {
        Random r = new Random(11);
        float[][] inputs = new float[16][];
        float[] first = new float[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = lanes(r);
            first[i] = dot(inputs[i]);
        }
        // enough calls for C1 and then C2 to compile dot(); reduceLanes(ADD) changed its result here
        for (int k = 0; k < 200_000; k++) {
            int i = k % inputs.length;
            assertThat(dot(inputs[i])).isEqualTo(first[i]);
        }
    }

    private static float dot(float[] a) {
        FloatVector v = FloatVector.fromArray(S, a, 0);
        return Lanes.sum(v.mul(v.add(1f)));
    }
}
