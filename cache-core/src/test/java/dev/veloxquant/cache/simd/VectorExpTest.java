package dev.veloxquant.cache.simd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class VectorExpTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    @Test
    void scalarReferenceIsWithinTwoUlpOfMathExp() {
        for (float x = -87f; x <= 88f; x += 0.0123f) {
            float ref = (float) Math.exp(x);
            assertThat(Math.abs(VectorExp.expScalar(x) - ref)).as("exp(%s)", x).isLessThanOrEqualTo(2 * Math.ulp(ref));
        }
        assertThat(VectorExp.expScalar(0f)).isEqualTo(1f);
    }

    @Test
    void clampsInsteadOfOverflowing() {
        assertThat(VectorExp.expScalar(-1000f)).isPositive().isLessThan(2e-38f);
        assertThat(VectorExp.expScalar(1000f)).isGreaterThan(1e38f).isFinite();
        assertThat(VectorExp.expScalar(Float.NEGATIVE_INFINITY)).isLessThan(2e-38f);
    }

    @Test
    void vectorEqualsScalarBitForBitAndStaysSoUnderTheJit() {
        Random rnd = new Random(3);
        float[] x = new float[S.length() * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextGaussian() * 20);
        }
        float[] out = new float[x.length];
        // enough rounds for C2 to compile the loop; lanewise(EXP) changed its results at that point
        for (int round = 0; round < 3000; round++) {
            for (int i = 0; i < x.length; i += S.length()) {
                VectorExp.exp(FloatVector.fromArray(S, x, i)).intoArray(out, i);
            }
            if (round % 500 == 0 || round == 2999) {
                for (int i = 0; i < x.length; i++) {
                    assertThat(out[i]).as("lane %d in round %d", i, round).isEqualTo(VectorExp.expScalar(x[i]));
                }
            }
        }
    }
}
