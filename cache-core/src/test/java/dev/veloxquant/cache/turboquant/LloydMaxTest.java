package dev.veloxquant.cache.turboquant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class LloydMaxTest {

    /** Max (1960) / the TurboQuant paper: Gaussian MSE 0.3634, 0.1175, 0.03454, 0.009497 for 1-4 bits. */
    @ParameterizedTest
    @CsvSource({"1,0.3634", "2,0.1175", "3,0.03454", "4,0.009497"})
    void gaussianDesignsHaveThePublishedDistortion(int bits, double mse) {
        LloydMax lm = LloydMax.of(LloydMax.Density.GAUSSIAN, bits);
        assertThat(lm.levels()).hasSize(1 << bits);
        assertThat(lm.mse()).isCloseTo(mse, offset(mse * 2e-3));
    }

    @Test
    void gaussianLevelsMatchKnownValues() {
        // 1 bit: +-sqrt(2/pi); 2 bits: +-0.4528, +-1.5104
        assertThat(LloydMax.of(LloydMax.Density.GAUSSIAN, 1).levels()[1]).isCloseTo((float) Math.sqrt(2 / Math.PI), offset(1e-5f));
        float[] l2 = LloydMax.of(LloydMax.Density.GAUSSIAN, 2).levels();
        assertThat(l2[2]).isCloseTo(0.4528f, offset(2e-4f));
        assertThat(l2[3]).isCloseTo(1.5104f, offset(2e-4f));
        assertThat(l2[0]).isCloseTo(-l2[3], offset(1e-6f));
    }

    @Test
    void laplacianLevelsMatchKnownValues() {
        // unit-variance Laplace: 1 bit +-1/sqrt(2) with MSE 1/2; 2 bits +-0.4198, +-1.8340, MSE 0.1765 (Adams & Giesler)
        LloydMax one = LloydMax.of(LloydMax.Density.LAPLACIAN, 1);
        assertThat(one.levels()[1]).isCloseTo((float) Math.sqrt(0.5), offset(1e-5f));
        assertThat(one.mse()).isCloseTo(0.5, offset(1e-5));
        LloydMax two = LloydMax.of(LloydMax.Density.LAPLACIAN, 2);
        assertThat(two.levels()[2]).isCloseTo(0.4198f, offset(1e-3f));
        assertThat(two.levels()[3]).isCloseTo(1.8340f, offset(1e-3f));
        assertThat(two.mse()).isCloseTo(0.1765, offset(1e-3));
    }

    @ParameterizedTest
    @CsvSource({"GAUSSIAN,3", "LAPLACIAN,3", "LAPLACIAN,4"})
    void designsSatisfyTheLloydConditions(LloydMax.Density density, int bits) {
        LloydMax lm = LloydMax.of(density, bits);
        float[] l = lm.levels();
        for (int i = 0; i < l.length - 1; i++) {
            assertThat(l[i]).isLessThan(l[i + 1]);
            assertThat(lm.thresholds()[i]).isCloseTo(0.5f * (l[i] + l[i + 1]), offset(1e-6f));
            assertThat(lm.quantize(lm.thresholds()[i] - 1e-4f)).isEqualTo(i);
            assertThat(lm.quantize(lm.thresholds()[i] + 1e-4f)).isEqualTo(i + 1);
        }
        // more levels, less distortion
        assertThat(lm.mse()).isLessThan(LloydMax.of(density, bits - 1).mse());
    }
}

class StageScaleTest {
    /**
     * The fitted Laplacian scale must beat the variance-matched one on the true residual of a unit
     * Gaussian (checked here by Monte Carlo, independent of the grid used in the fit).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 3})
    void fittedScaleBeatsVarianceMatchingOnTheRealResidual(int bits) {
        ResidualScalarCodec codec = new ResidualScalarCodec(64, bits, 2);
        LloydMax g = LloydMax.of(LloydMax.Density.GAUSSIAN, bits);
        LloydMax lap = LloydMax.of(LloydMax.Density.LAPLACIAN, bits);
        float matched = (float) Math.sqrt(g.mse());
        float fitted = codec.stageScale(1);
        java.util.Random rnd = new java.util.Random(bits);
        double eFit = 0;
        double eMatch = 0;
        for (int i = 0; i < 400_000; i++) {
            float u = (float) rnd.nextGaussian();
            float r = u - g.levels()[g.quantize(u)];
            float a = r - lap.levels()[lap.quantize(r / fitted)] * fitted;
            float b = r - lap.levels()[lap.quantize(r / matched)] * matched;
            eFit += a * a;
            eMatch += b * b;
        }
        // 1-bit stages happen to sit near the variance-matched scale; wider stages gain clearly
        org.assertj.core.api.Assertions.assertThat(eFit).isLessThan(eMatch * (bits == 1 ? 1.0005 : 0.95));
        org.assertj.core.api.Assertions.assertThat(codec.stageScale(0)).isEqualTo(1f);
    }
}
