package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.RopeLayout;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Fits a {@link CommVQCodebook} by EM on calibration keys. The model is the cache's own: per block of
 * {@code G} tokens and per axis of a RoPE pair the unit-norm key values {@code v} are coded as
 * {@code lo_b + step_b·u_i}; the block parameters {@code lo_b, step_b} stay free (the cache refits
 * them per block), the levels {@code u} are shared per layer, head, pair and axis. One EM
 * iteration: per block, assign each value to its nearest level and solve {@code lo_b, step_b} by
 * least squares (Lloyd rounds); then re-solve every level as the weighted least-squares value of
 * the values assigned to it. Each half minimises the same weighted error over its own unknowns,
 * so the error never rises; it starts from the uniform grid {@code u_i = i + ½} of the
 * calibration-free default, so the fit can only improve on it (on the calibration data, before
 * fp16 / log-step rounding). Weights are the squared token norms, as in the cache's own grid fit:
 * the error that matters is in key units.
 *
 * <p>Residual stages: with {@code L = 2^(bits·R)} levels per axis the {@code R} stages are the
 * {@code bits}-wide digits of a level index (stage {@code r} picks among the sub-cells of stage
 * {@code r−1}'s cell); fitting all {@code L} levels jointly fits every stage on the previous
 * stages' residuals at once.
 */
public final class CodebookFit {
    /** Lloyd rounds per block and EM iteration (warm-started, so few are needed). */
    private static final int BLOCK_ROUNDS = 2;

    private CodebookFit() {
    }

    /**
     * Fits the levels of one axis. {@code v[b·G + j]} is value {@code j} of block {@code b} (unit-norm
     * keys), {@code w} its weight (null: 1). Writes the weighted error after the uniform start and
     * after each iteration to {@code sse} when non-null ({@code sse.length = iterations + 1}).
     */
    public static double[] fitAxis(float[] v, float[] w, int groupSize, int levels, int iterations, double[] sse) {
        int blocks = v.length / groupSize;
        double[] u = new double[levels];
        for (int i = 0; i < levels; i++) {
            u[i] = i + 0.5;
        }
        double[] lo = new double[blocks];
        double[] st = new double[blocks];
        float[] uf = new float[levels];
        for (int i = 0; i < levels; i++) {
            uf[i] = (float) u[i];
        }
        float[] bv = new float[groupSize];
        float[] bw = w == null ? null : new float[groupSize];
        for (int b = 0; b < blocks; b++) {
            System.arraycopy(v, b * groupSize, bv, 0, groupSize);
            if (bw != null) {
                System.arraycopy(w, b * groupSize, bw, 0, groupSize);
            }
            double[] ls = LevelGrid.emFit(bv, bw, groupSize, uf, 0, levels);
            lo[b] = ls[0];
            st[b] = ls[1];
        }
        if (sse != null) {
            sse[0] = error(v, w, groupSize, u, lo, st);
        }
        double[] num = new double[levels];
        double[] den = new double[levels];
        for (int it = 0; it < iterations; it++) {
            Arrays.fill(num, 0);
            Arrays.fill(den, 0);
            for (int b = 0; b < blocks; b++) {
                if (!(st[b] > 0)) {
                    continue; // constant block: coded exactly by lo, whatever the levels
                }
                refitBlock(v, w, b * groupSize, groupSize, u, lo, st, b);
                for (int j = b * groupSize; j < (b + 1) * groupSize; j++) {
                    int i = nearest((v[j] - lo[b]) / st[b], u);
                    double wj = w == null ? 1 : w[j];
                    num[i] += wj * st[b] * (v[j] - lo[b]);
                    den[i] += wj * st[b] * st[b];
                }
            }
            for (int i = 0; i < levels; i++) {
                if (den[i] > 0) {
                    u[i] = num[i] / den[i];
                }
            }
            Arrays.sort(u);
            normalize(u, lo, st);
            if (sse != null) {
                sse[it + 1] = error(v, w, groupSize, u, lo, st);
            }
        }
        return u;
    }

    /**
     * Fits every layer, head, pair and axis. {@code keys[layer][head]} holds pre-RoPE keys
     * {@code [token][headDim]} whose token count is a multiple of {@code groupSize}, blocks in order.
     */
    public static CommVQCodebook fit(float[][][] keys, int headDim, RopeLayout layout, int bits, int numResiduals,
                                     int groupSize, int iterations, Consumer<String> progress) {
        return fit(keys, null, headDim, layout, bits, numResiduals, groupSize, iterations, progress);
    }

    /** Axes of more levels keep the uniform ones: a fitted shape buys little there, and the fused scorer reads them without a table. */
    public static final int MAX_FITTED_AXIS_BITS = 4;

    /**
     * As above with each pair's bits per axis given by {@code pairBits[layer][head][pair]} (null: all
     * {@code bits × numResiduals}). Axes of up to {@link #MAX_FITTED_AXIS_BITS} bits get fitted levels;
     * wider axes keep the uniform levels {@code i + ½}.
     */
    public static CommVQCodebook fit(float[][][] keys, int[][][] pairBits, int headDim, RopeLayout layout, int bits,
                                     int numResiduals, int groupSize, int iterations, Consumer<String> progress) {
        int layers = keys.length;
        int kvHeads = keys[0].length;
        int pairs = headDim / 2;
        byte[] widths = new byte[layers * kvHeads * pairs];
        long total = 0;
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < kvHeads; h++) {
                for (int p = 0; p < pairs; p++) {
                    int b = pairBits == null ? bits * numResiduals : pairBits[l][h][p];
                    widths[(l * kvHeads + h) * pairs + p] = (byte) b;
                    total += 2L << b;
                }
            }
        }
        float[] out = new float[(int) total];
        long tokens = 0;
        double before = 0;
        double after = 0;
        int base = 0;
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < kvHeads; h++) {
                float[] k = keys[l][h];
                int n = k.length / headDim;
                if (n % groupSize != 0 || n == 0) {
                    throw new IllegalArgumentException("token count " + n + " is not a positive multiple of " + groupSize);
                }
                tokens = n;
                float[] unit = new float[k.length];
                float[] w = new float[n];
                unitKeys(k, headDim, unit, w);
                float[] v = new float[n];
                double[] sse = new double[iterations + 1];
                for (int p = 0; p < pairs; p++) {
                    int axisBits = widths[(l * kvHeads + h) * pairs + p];
                    int levels = 1 << axisBits;
                    for (int axis = 0; axis < 2; axis++) {
                        if (axisBits > MAX_FITTED_AXIS_BITS) {
                            for (int i = 0; i < levels; i++) {
                                out[base + i] = i + 0.5f;
                            }
                            base += levels;
                            continue;
                        }
                        int dim = axis == 0 ? layout.first(p, headDim) : layout.second(p, headDim);
                        for (int t = 0; t < n; t++) {
                            v[t] = unit[t * headDim + dim];
                        }
                        double[] u = fitAxis(v, w, groupSize, levels, iterations, sse);
                        before += sse[0];
                        after += sse[iterations];
                        for (int i = 0; i < levels; i++) {
                            float f = (float) u[i];
                            // keep the table strictly increasing after float rounding (empty levels can meet)
                            out[base + i] = i > 0 && !(f > out[base + i - 1]) ? Math.nextUp(out[base + i - 1]) : f;
                        }
                        base += levels;
                    }
                }
                progress.accept(String.format(java.util.Locale.ROOT,
                        "layer %d head %d: %d tokens fitted; weighted error of the fitted axes so far %.4e -> %.4e (%.1f%% lower)",
                        l, h, n, before, after, 100 * (1 - after / Math.max(before, 1e-300))));
            }
        }
        return new CommVQCodebook(bits, numResiduals, layout, layers, kvHeads, headDim, groupSize, tokens, widths, out);
    }

    /** Unit-norm keys with the cache's fp16-rounded norm, and weights norm² (as {@link BlockCodec}). */
    static void unitKeys(float[] k, int headDim, float[] unit, float[] w) {
        int n = k.length / headDim;
        for (int t = 0; t < n; t++) {
            double ss = 0;
            for (int d = 0; d < headDim; d++) {
                ss += (double) k[t * headDim + d] * k[t * headDim + d];
            }
            float nf = Float.float16ToFloat(UniformGridFit.half((float) Math.sqrt(ss)));
            float scale = nf > 0f ? 1f / nf : 0f;
            for (int d = 0; d < headDim; d++) {
                unit[t * headDim + d] = k[t * headDim + d] * scale;
            }
            w[t] = nf * nf;
        }
    }

    /** Warm-started Lloyd rounds of one block's {@code lo, step} for the current levels. */
    private static void refitBlock(float[] v, float[] w, int off, int n, double[] u, double[] lo, double[] st, int b) {
        for (int round = 0; round < BLOCK_ROUNDS; round++) {
            LineFit fit = new LineFit();
            for (int j = off; j < off + n; j++) {
                double ui = u[nearest((v[j] - lo[b]) / st[b], u)];
                double wj = w == null ? 1 : w[j];
                fit.add(ui, v[j], wj);
            }
            if (!fit.solve()) {
                return;
            }
            lo[b] = fit.lo();
            st[b] = fit.step();
        }
    }

    /**
     * Rescales the levels to span {@code [½, L − ½]} like the uniform grid and moves every block's
     * {@code lo, step} so each decoded value is unchanged: keeps the log-coded steps in range.
     */
    private static void normalize(double[] u, double[] lo, double[] st) {
        int l = u.length;
        double span = u[l - 1] - u[0];
        if (!(span > 0)) {
            return;
        }
        double beta = (l - 1) / span;
        double alpha = 0.5 - beta * u[0];
        for (int i = 0; i < l; i++) {
            u[i] = alpha + beta * u[i];
        }
        for (int b = 0; b < lo.length; b++) {
            lo[b] -= st[b] * alpha / beta;
            st[b] /= beta;
        }
    }

    private static int nearest(double c, double[] u) {
        int lo = 0;
        int hi = u.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (c > 0.5 * (u[mid] + u[mid + 1])) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Weighted squared error of every block at its current {@code lo, step} with nearest levels. */
    static double error(float[] v, float[] w, int groupSize, double[] u, double[] lo, double[] st) {
        double e = 0;
        for (int b = 0; b < lo.length; b++) {
            for (int j = b * groupSize; j < (b + 1) * groupSize; j++) {
                double rec = st[b] > 0 ? lo[b] + st[b] * u[nearest((v[j] - lo[b]) / st[b], u)] : lo[b];
                double d = v[j] - rec;
                e += (w == null ? 1 : w[j]) * d * d;
            }
        }
        return e;
    }
}
