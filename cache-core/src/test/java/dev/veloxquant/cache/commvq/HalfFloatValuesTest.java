package dev.veloxquant.cache.commvq;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class HalfFloatValuesTest {

    @Test
    void finiteHalvesConvertExactly() {
        int vl = FloatVector.SPECIES_PREFERRED.length();
        short[] all = new short[65536 + vl];
        int n = 0;
        for (int h = 0; h < 65536; h++) {
            if ((h & 0x7C00) != 0x7C00) {
                all[n++] = (short) h;
            }
        }
        float[] out = new float[vl];
        for (int i = 0; i + vl <= n; i += vl) {
            HalfFloatValues.finiteToFloat(all, i).intoArray(out, 0);
            for (int j = 0; j < vl; j++) {
                assertThat(Float.floatToRawIntBits(out[j])).as("half %04x", all[i + j] & 0xFFFF)
                        .isEqualTo(Float.floatToRawIntBits(Float.float16ToFloat(all[i + j])));
            }
        }
    }

    @Test
    void vectorValuePassEqualsScalarReference() {
        Random r = new Random(3);
        for (int headDim : new int[] {64, 128, 48}) {
            for (int nq : new int[] {1, 3, 4, 6}) {
                int tokens = 300;
                short[] v = new short[tokens * headDim];
                for (int i = 0; i < v.length; i++) {
                    v[i] = UniformGridFit.half((float) r.nextGaussian() * 2);
                }
                int stride = tokens + 5;
                float[] w = new float[nq * stride];
                for (int i = 0; i < w.length; i++) {
                    w[i] = r.nextFloat();
                }
                float[] fast = new float[nq * headDim];
                float[] ref = new float[nq * headDim];
                HalfFloatValues.accumulate(v, 0, tokens, headDim, w, 2, stride, nq, fast, 0);
                HalfFloatValues.accumulateScalar(v, 0, tokens, headDim, w, 2, stride, nq, ref, 0);
                for (int i = 0; i < ref.length; i++) {
                    assertThat(fast[i]).as("d %d nq %d i %d", headDim, nq, i)
                            .isCloseTo(ref[i], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(ref[i]))));
                }
            }
        }
    }
}
