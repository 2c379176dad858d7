package dev.veloxquant.cache.commvq;

/**
 * Weighted least squares of {@code v ≈ lo + step·u}: the M-step every grid fit shares (the uniform
 * block grid, the calibrated block grid, the codebook's block refits). Samples are added in the
 * caller's order, so a refactored fit gives bit-identical grids.
 */
final class LineFit {
    private double sw;
    private double su;
    private double suu;
    private double sx;
    private double sux;
    private double lo;
    private double step;

    void add(double u, double v, double w) {
        sw += w;
        su += w * u;
        suu += w * u * u;
        sx += w * v;
        sux += w * u * v;
    }

    /**
     * Solves for {@code lo, step} and starts the next round empty. False (nothing to read) when there
     * is no weight, every sample sits on one level, or the fitted step is not positive.
     */
    boolean solve() {
        double det = sw * suu - su * su;
        boolean ok = sw > 0 && det > 1e-12 * sw * suu;
        double nStep = ok ? (sw * sux - su * sx) / det : 0;
        ok &= nStep > 0;
        if (ok) {
            lo = (sx - nStep * su) / sw;
            step = nStep;
        }
        sw = su = suu = sx = sux = 0;
        return ok;
    }

    double lo() {
        return lo;
    }

    double step() {
        return step;
    }
}
