package dev.veloxquant.cache.turboquant;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleUnaryOperator;

/**
 * Lloyd-Max scalar quantizers (minimum mean squared error levels for a known density), designed in
 * code by Lloyd's iteration: thresholds at midpoints of neighbouring levels, each level the
 * conditional mean of its cell, repeated until nothing moves. Cell masses and moments come from
 * cumulative sums of the density on a fine grid, so any density works; the grid step (about 1e-4
 * standard deviations) puts the levels within about 1e-7 of the exact ones.
 *
 * @param levels     sorted reconstruction levels, 2^bits of them
 * @param thresholds the 2^bits - 1 decision boundaries between consecutive levels
 * @param mse        the quantizer's mean squared error for the density
 */
public record LloydMax(float[] levels, float[] thresholds, double mse) {

    /** The two densities TurboQuant's residual stages use, both with unit variance. */
    public enum Density {
        GAUSSIAN(x -> Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI), 12.0),
        /** Laplace with variance 1: scale b = 1/sqrt(2). */
        LAPLACIAN(x -> Math.exp(-Math.sqrt(2) * Math.abs(x)) / Math.sqrt(2), 30.0);

        final DoubleUnaryOperator pdf;
        final double support;

        Density(DoubleUnaryOperator pdf, double support) {
            this.pdf = pdf;
            this.support = support;
        }
    }

    private static final Map<String, LloydMax> DESIGNS = new ConcurrentHashMap<>();

    /** The (cached) unit-variance design for a density and width. */
    public static LloydMax of(Density density, int bits) {
        if (bits < 1 || bits > 8) {
            throw new IllegalArgumentException("bits must be 1..8, got " + bits);
        }
        return DESIGNS.computeIfAbsent(density + "/" + bits, k -> design(density, bits));
    }

    /** Index of the level nearest to {@code x}. */
    public int quantize(float x) {
        int lo = 0;
        int hi = thresholds.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (x > thresholds[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    static LloydMax design(Density density, int bits) {
        int n = 1 << bits;
        int steps = 240_000;
        double a = -density.support;
        double h = 2 * density.support / steps;
        // cumulative mass, first and second moment at grid points (trapezoid rule)
        double[] m0 = new double[steps + 1];
        double[] m1 = new double[steps + 1];
        double[] m2 = new double[steps + 1];
        double prevP = density.pdf.applyAsDouble(a);
        for (int i = 1; i <= steps; i++) {
            double x0 = a + (i - 1) * h;
            double x1 = a + i * h;
            double p = density.pdf.applyAsDouble(x1);
            m0[i] = m0[i - 1] + 0.5 * h * (prevP + p);
            m1[i] = m1[i - 1] + 0.5 * h * (prevP * x0 + p * x1);
            m2[i] = m2[i - 1] + 0.5 * h * (prevP * x0 * x0 + p * x1 * x1);
            prevP = p;
        }
        Cumulative c = new Cumulative(a, h, m0, m1, m2);
        double[] lv = new double[n];
        for (int i = 0; i < n; i++) {
            // start spread over +-2 standard deviations
            lv[i] = -2 + 4 * (i + 0.5) / n;
        }
        double[] th = new double[n - 1];
        for (int iter = 0; iter < 100_000; iter++) {
            for (int i = 0; i < n - 1; i++) {
                th[i] = 0.5 * (lv[i] + lv[i + 1]);
            }
            double move = 0;
            for (int i = 0; i < n; i++) {
                double lo = i == 0 ? a : th[i - 1];
                double hi = i == n - 1 ? -a : th[i];
                double mass = c.at(c.m0, hi) - c.at(c.m0, lo);
                double next = mass > 0 ? (c.at(c.m1, hi) - c.at(c.m1, lo)) / mass : lv[i];
                move = Math.max(move, Math.abs(next - lv[i]));
                lv[i] = next;
            }
            if (move < 1e-12) {
                break;
            }
        }
        for (int i = 0; i < n - 1; i++) {
            th[i] = 0.5 * (lv[i] + lv[i + 1]);
        }
        double mse = 0;
        for (int i = 0; i < n; i++) {
            double lo = i == 0 ? a : th[i - 1];
            double hi = i == n - 1 ? -a : th[i];
            double p0 = c.at(c.m0, hi) - c.at(c.m0, lo);
            double p1 = c.at(c.m1, hi) - c.at(c.m1, lo);
            double p2 = c.at(c.m2, hi) - c.at(c.m2, lo);
            mse += p2 - 2 * lv[i] * p1 + lv[i] * lv[i] * p0;
        }
        float[] levels = new float[n];
        float[] thresholds = new float[n - 1];
        for (int i = 0; i < n; i++) {
            levels[i] = (float) lv[i];
        }
        for (int i = 0; i < n - 1; i++) {
            thresholds[i] = (float) th[i];
        }
        return new LloydMax(levels, thresholds, mse);
    }

    private record Cumulative(double a, double h, double[] m0, double[] m1, double[] m2) {
        /** Linear interpolation of a cumulative table at x. */
        double at(double[] m, double x) {
            double pos = (x - a) / h;
            if (pos <= 0) {
                return 0;
            }
            int i = (int) pos;
            if (i >= m.length - 1) {
                return m[m.length - 1];
            }
            double f = pos - i;
            return m[i] + f * (m[i + 1] - m[i]);
        }
    }
}
