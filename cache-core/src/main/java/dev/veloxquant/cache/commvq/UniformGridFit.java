package dev.veloxquant.cache.commvq;

/**
 * Fits the per-block grid of one axis of one RoPE pair: {@code levels} centres
 * {@code lo + step·(i + ½)}, stored as fp16. Starts from the min/max range and refines with a few
 * Lloyd (EM) rounds constrained to a uniform grid: assign each value to its nearest centre, then
 * solve the least-squares {@code lo, step} for those assignments. Each round cannot raise the error
 * on the block's own values, which are exactly the values to be encoded.
 */
final class UniformGridFit {
    static final int MAX_ROUNDS = 6;

    private UniformGridFit() {
    }

    /** fp16 of {@code v} saturated to the finite range (kernels convert grids and norms assuming finite halves). */
    static short half(float v) {
        return Float.floatToFloat16(Math.max(-65504f, Math.min(65504f, v)));
    }

    /** Dequantized value of code {@code i}; the one formula shared by decode and every kernel. */
    static float value(float base, float step, int i) {
        return Math.fma(step, (float) i, base);
    }

    /** Centre of code 0: {@code lo + step/2}. */
    static float base(float lo, float step) {
        return lo + 0.5f * step;
    }

    /** Nearest centre's index: the uniform midrise cell holding {@code x}, clamped to the grid. */
    static int index(float x, float lo, float step, int levels) {
        if (!(step > 0f)) {
            return 0;
        }
        float c = (x - lo) / step;
        if (c <= 0f) {
            return 0;
        }
        int i = (int) c;
        return i >= levels ? levels - 1 : i;
    }

    /**
     * Fits {@code lo, step} for the first {@code n} values of {@code v} and writes them, rounded to
     * fp16, to {@code out[outOff]} and {@code out[outOff + 1]}.
     */
    static void fit(float[] v, int n, int levels, short[] out, int outOff) {
        float mn = Float.POSITIVE_INFINITY;
        float mx = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            mn = Math.min(mn, v[j]);
            mx = Math.max(mx, v[j]);
        }
        if (n == 0 || !(mx > mn)) {
            out[outOff] = half(n == 0 ? 0f : mn);
            out[outOff + 1] = 0;
            return;
        }
        double lo = mn;
        double step = ((double) mx - mn) / levels;
        double err = sse(v, n, lo, step, levels);
        for (int round = 0; round < MAX_ROUNDS && levels > 1; round++) {
            double su = 0;
            double suu = 0;
            double sx = 0;
            double sux = 0;
            for (int j = 0; j < n; j++) {
                double u = index(v[j], (float) lo, (float) step, levels) + 0.5;
                su += u;
                suu += u * u;
                sx += v[j];
                sux += u * v[j];
            }
            double det = n * suu - su * su;
            if (det <= 1e-12 * n * suu) {
                break;
            }
            double nStep = (n * sux - su * sx) / det;
            double nLo = (sx - nStep * su) / n;
            if (!(nStep > 0)) {
                break;
            }
            double nErr = sse(v, n, nLo, nStep, levels);
            if (!(nErr < err * (1 - 1e-6))) {
                break;
            }
            lo = nLo;
            step = nStep;
            err = nErr;
        }
        // fp16 keeps lo only to ~1e-3 relative: refit the step around the rounded lo before rounding it.
        short lo16 = half((float) lo);
        float loR = Float.float16ToFloat(lo16);
        double su = 0;
        double suu = 0;
        for (int j = 0; j < n; j++) {
            double u = index(v[j], loR, (float) step, levels) + 0.5;
            su += u * (v[j] - loR);
            suu += u * u;
        }
        double refit = suu > 0 ? su / suu : step;
        short step16 = half((float) step);
        if (refit > 0 && sseHalf(v, n, loR, refit, levels) < sseHalf(v, n, loR, Float.float16ToFloat(step16), levels)) {
            step16 = half((float) refit);
        }
        out[outOff] = lo16;
        out[outOff + 1] = step16;
    }

    private static double sse(float[] v, int n, double lo, double step, int levels) {
        double e = 0;
        for (int j = 0; j < n; j++) {
            int i = index(v[j], (float) lo, (float) step, levels);
            double d = v[j] - (lo + step * (i + 0.5));
            e += d * d;
        }
        return e;
    }

    private static double sseHalf(float[] v, int n, float lo, double step, int levels) {
        float s = Float.float16ToFloat(half((float) step));
        float b = base(lo, s);
        double e = 0;
        for (int j = 0; j < n; j++) {
            double d = v[j] - value(b, s, index(v[j], lo, s, levels));
            e += d * d;
        }
        return e;
    }
}
