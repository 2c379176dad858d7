package dev.veloxquant.engine.kernel;

import dev.veloxquant.cache.simd.VectorExp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The SwiGLU gate: {@code gate[i] = silu(gate[i]) * up[i]}, silu(g) = g / (1 + e^-g). */
public final class SwiGlu {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private SwiGlu() {
    }

    public static void apply(float[] gate, float[] up, int n) {
        int l = F.length();
        int i = 0;
        for (; i + l <= n; i += l) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector sig = VectorExp.exp(g.neg()).add(1f);
            g.div(sig).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            gate[i] = silu(gate[i]) * up[i];
        }
    }

    public static void reference(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            gate[i] = silu(gate[i]) * up[i];
        }
    }

    static float silu(float g) {
        return (float) (g / (1.0 + Math.exp(-g)));
    }
}
