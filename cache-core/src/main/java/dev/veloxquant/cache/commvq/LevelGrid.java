package dev.veloxquant.cache.commvq;

/**
 * The per-block grid of one axis of one RoPE pair when a calibrated codebook supplies the level
 * shape: centres {@code lo + step·u_i} with {@code u_0 < … < u_{L−1}} calibrated per layer, head,
 * pair and axis (in grid units: the calibration-free grid is {@code u_i = i + ½}), while {@code lo}
 * and {@code step} are still fitted per block and stored exactly like the default grid. So a block
 * keeps its cheap range adaptation and the codebook adds the shape the calibration data showed.
 *
 * <p>Levels of one head sit in a padded table: axis {@code a} of pair {@code p} at
 * {@code ((p·2 + a)·stride)}, {@code stride = }{@link #stride(int)}, the tail repeating the last
 * level, so one vector load is one axis's whole table (the scorer looks codes up by lane shuffle).
 */
final class LevelGrid {
    private LevelGrid() {
    }

    /** Table slots per axis: the levels padded to at least one float vector. */
    static int stride(int levels) {
        return Math.max(levels, CodeScorer.VL);
    }

    /**
     * Padded table of one head from {@code raw[rawOff ..]}: per pair, axis 0's {@code 2^pairBits[p]}
     * levels then axis 1's; each axis padded to {@link #stride} of the head's widest pair by repeating
     * its last level.
     */
    static float[] padded(float[] raw, int rawOff, int[] pairBits) {
        int max = 0;
        for (int b : pairBits) {
            max = Math.max(max, 1 << b);
        }
        int s = stride(max);
        float[] t = new float[pairBits.length * 2 * s];
        int at = rawOff;
        for (int p = 0; p < pairBits.length; p++) {
            int levels = 1 << pairBits[p];
            for (int a = 0; a < 2; a++) {
                for (int i = 0; i < s; i++) {
                    t[(p * 2 + a) * s + i] = raw[at + Math.min(i, levels - 1)];
                }
                at += levels;
            }
        }
        return t;
    }

    /** Decoded value of level {@code u}: the one formula shared by decode and every kernel. */
    static float value(float lo, float step, float u) {
        return Math.fma(step, u, lo);
    }

    /** Index of the level nearest {@code c} (grid units) among the sorted {@code u[off..off+L)}. */
    static int nearest(double c, float[] u, int off, int levels) {
        int lo = 0;
        int hi = levels - 1;
        // first level whose midpoint with its successor lies above c
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (c > 0.5 * ((double) u[off + mid] + u[off + mid + 1])) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Nearest level of {@code x} on the block grid {@code lo, step}; index 0 for a zero step. */
    static int index(float x, float lo, float step, float[] u, int off, int levels) {
        return step > 0f ? nearest(((double) x - lo) / step, u, off, levels) : 0;
    }

    /**
     * Min/max start, then Lloyd rounds: assign each value to its nearest level, solve the
     * least-squares {@code lo, step} for those assignments. Returns {@code {lo, step}}, step 0 for a
     * constant block. Neither half of a round can raise the (weighted) error.
     */
    static double[] emFit(float[] v, float[] w, int n, float[] u, int off, int levels) {
        float mn = Float.POSITIVE_INFINITY;
        float mx = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            mn = Math.min(mn, v[j]);
            mx = Math.max(mx, v[j]);
        }
        if (n == 0 || !(mx > mn)) {
            return new double[] {n == 0 ? 0 : mn, 0};
        }
        // map the outer levels onto the block's range
        double step = ((double) mx - mn) / (u[off + levels - 1] - u[off] + 1e-30);
        double lo = mn - step * u[off];
        return lloyd(v, w, n, u, off, levels, lo, step, UniformGridFit.MAX_ROUNDS);
    }

    /** {@code rounds} Lloyd rounds from {@code lo, step}; stops early once assignments settle. */
    static double[] lloyd(float[] v, float[] w, int n, float[] u, int off, int levels, double lo, double step, int rounds) {
        long prevHash = 0;
        for (int round = 0; round < rounds && levels > 1 && step > 0; round++) {
            LineFit fit = new LineFit();
            long hash = 1;
            for (int j = 0; j < n; j++) {
                int i = nearest((v[j] - lo) / step, u, off, levels);
                hash = hash * 31 + i;
                double ui = u[off + i];
                double wj = w == null ? 1 : w[j];
                fit.add(ui, v[j], wj);
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

    /**
     * Compact grid as the default stores it (lo fp16, step an 8-bit log code): tries the two codes
     * around the fitted step, re-solving lo for each, keeps the one with less error. Writes lo to
     * {@code loOut[loOff]} and returns the step code.
     */
    static int fitCompact(float[] v, float[] w, int n, float[] u, int off, int levels, short[] loOut, int loOff) {
        double[] ls = emFit(v, w, n, u, off, levels);
        if (ls[1] == 0) {
            loOut[loOff] = UniformGridFit.half((float) ls[0]);
            return 0;
        }
        int c0 = (int) Math.floor(Math.log(ls[1]) / Math.log(2) * 16) + 255;
        double best = Double.MAX_VALUE;
        int bestCode = 0;
        short bestLo = UniformGridFit.half((float) ls[0]);
        for (int c = c0; c <= c0 + 1; c++) {
            int code = Math.max(1, Math.min(255, c));
            float st = UniformGridFit.LOG_STEPS[code];
            double lo = ls[0];
            for (int round = 0; round < 2; round++) {
                double sum = 0;
                double sw = 0;
                for (int j = 0; j < n; j++) {
                    double wj = w == null ? 1 : w[j];
                    sum += wj * (v[j] - st * u[off + index(v[j], (float) lo, st, u, off, levels)]);
                    sw += wj;
                }
                lo = sw > 0 ? sum / sw : lo;
            }
            short lo16 = UniformGridFit.half((float) lo);
            double e = sse(v, w, n, Float.float16ToFloat(lo16), st, u, off, levels);
            if (e < best) {
                best = e;
                bestCode = code;
                bestLo = lo16;
            }
        }
        loOut[loOff] = bestLo;
        return bestCode;
    }

    /** fp16 lo and step (the non-compact grid layout). */
    static void fitHalf(float[] v, float[] w, int n, float[] u, int off, int levels, short[] out, int outOff) {
        double[] ls = emFit(v, w, n, u, off, levels);
        out[outOff] = UniformGridFit.half((float) ls[0]);
        out[outOff + 1] = UniformGridFit.half((float) ls[1]);
    }

    static double sse(float[] v, float[] w, int n, float lo, float step, float[] u, int off, int levels) {
        double e = 0;
        for (int j = 0; j < n; j++) {
            double d = v[j] - value(lo, step, u[off + index(v[j], lo, step, u, off, levels)]);
            e += (w == null ? 1 : w[j]) * d * d;
        }
        return e;
    }
}
