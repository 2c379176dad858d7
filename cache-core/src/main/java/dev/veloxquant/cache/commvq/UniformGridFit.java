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
        fit(v, null, n, levels, out, outOff);
    }

    /** As {@link #fit(float[], int, int, short[], int)} minimizing the error weighted by {@code w} (null: all 1). */
    static void fit(float[] v, float[] w, int n, int levels, short[] out, int outOff) {
        double[] ls = emFit(v, w, n, levels);
        if (ls[1] == 0) {
            out[outOff] = half((float) ls[0]);
            out[outOff + 1] = 0;
            return;
        }
        double lo = ls[0];
        double step = ls[1];
        // fp16 keeps lo only to ~1e-3 relative: refit the step around the rounded lo before rounding it.
        short lo16 = half((float) lo);
        float loR = Float.float16ToFloat(lo16);
        double su = 0;
        double suu = 0;
        for (int j = 0; j < n; j++) {
            double u = index(v[j], loR, (float) step, levels) + 0.5;
            double wj = w == null ? 1 : w[j];
            su += wj * u * (v[j] - loR);
            suu += wj * u * u;
        }
        double refit = suu > 0 ? su / suu : step;
        short step16 = half((float) step);
        if (refit > 0 && sseHalf(v, w, n, loR, refit, levels) < sseHalf(v, w, n, loR, Float.float16ToFloat(step16), levels)) {
            step16 = half((float) refit);
        }
        out[outOff] = lo16;
        out[outOff + 1] = step16;
    }

    /**
     * Min/max start, then Lloyd rounds on a uniform grid: {@code {lo, step}} in double, step 0 for a
     * constant block. A round assigns each value to its nearest centre and solves the least-squares
     * lo and step for those assignments; neither half can raise the error, so rounds run until the
     * assignments settle (or {@link #MAX_ROUNDS}).
     */
    static double[] emFit(float[] v, float[] w, int n, int levels) {
        float mn = Float.POSITIVE_INFINITY;
        float mx = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            mn = Math.min(mn, v[j]);
            mx = Math.max(mx, v[j]);
        }
        if (n == 0 || !(mx > mn)) {
            return new double[] {n == 0 ? 0 : mn, 0};
        }
        double lo = mn;
        double step = ((double) mx - mn) / levels;
        long prevHash = 0;
        for (int round = 0; round < MAX_ROUNDS && levels > 1; round++) {
            double inv = 1.0 / step;
            LineFit fit = new LineFit();
            long hash = 1;
            for (int j = 0; j < n; j++) {
                double c = (v[j] - lo) * inv;
                int i = c <= 0 ? 0 : (c >= levels ? levels - 1 : (int) c);
                hash = hash * 31 + i;
                double u = i + 0.5;
                double wj = w == null ? 1 : w[j];
                fit.add(u, v[j], wj);
            }
            if (round > 0 && hash == prevHash) {
                break;
            }
            prevHash = hash;
            if (!fit.solve()) {
                break;
            }
            lo = fit.lo();
            step = fit.step();
        }
        return new double[] {lo, step};
    }

    /** Steps of the compact grid: code c in 1..255 is 2^((c − 255)/16), 0 is a zero step. Units: unit-norm keys. */
    static final float[] LOG_STEPS = new float[256];

    static {
        for (int c = 1; c < 256; c++) {
            LOG_STEPS[c] = (float) Math.pow(2, (c - 255) / 16.0);
        }
    }

    /**
     * Compact grid: lo in fp16, the step as an 8-bit log code ({@link #LOG_STEPS}). Tries the two
     * codes around the fitted step, re-solving lo for each, and keeps the one with less error.
     * Writes lo to {@code loOut[loOff]} and returns the step code.
     */
    static int fitCompact(float[] v, float[] w, int n, int levels, short[] loOut, int loOff) {
        double[] ls = emFit(v, w, n, levels);
        if (ls[1] == 0) {
            loOut[loOff] = half((float) ls[0]);
            return 0;
        }
        int c0 = (int) Math.floor(Math.log(ls[1]) / Math.log(2) * 16) + 255;
        double best = Double.MAX_VALUE;
        int bestCode = 0;
        short bestLo = half((float) ls[0]);
        for (int c = c0; c <= c0 + 1; c++) {
            int code = Math.max(1, Math.min(255, c));
            float st = LOG_STEPS[code];
            double lo = ls[0];
            for (int round = 0; round < 2; round++) {
                double sum = 0;
                double sw = 0;
                for (int j = 0; j < n; j++) {
                    double wj = w == null ? 1 : w[j];
                    sum += wj * (v[j] - st * (index(v[j], (float) lo, st, levels) + 0.5));
                    sw += wj;
                }
                lo = sw > 0 ? sum / sw : lo;
            }
            short lo16 = half((float) lo);
            double e = sseAt(v, w, n, Float.float16ToFloat(lo16), st, levels);
            if (e < best) {
                best = e;
                bestCode = code;
                bestLo = lo16;
            }
        }
        loOut[loOff] = bestLo;
        return bestCode;
    }

    private static double sseAt(float[] v, float[] w, int n, float lo, float st, int levels) {
        float b = base(lo, st);
        double e = 0;
        for (int j = 0; j < n; j++) {
            double d = v[j] - value(b, st, index(v[j], lo, st, levels));
            e += (w == null ? 1 : w[j]) * d * d;
        }
        return e;
    }

    private static double sseHalf(float[] v, float[] w, int n, float lo, double step, int levels) {
        float s = Float.float16ToFloat(half((float) step));
        float b = base(lo, s);
        double e = 0;
        for (int j = 0; j < n; j++) {
            double d = v[j] - value(b, s, index(v[j], lo, s, levels));
            e += (w == null ? 1 : w[j]) * d * d;
        }
        return e;
    }
}
