package dev.veloxquant.cache.uniform;

import dev.veloxquant.cache.tensor.KVTensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class UniformQuantizerTest {

    static KVTensor randomTensor(long seed, int b, int h, int s, int d) {
        Random rnd = new Random(seed);
        KVTensor x = KVTensor.zeros(b, h, s, d);
        for (int i = 0; i < x.data().length; i++) {
            // a few outlier channels, as real keys have
            x.data()[i] = (float) rnd.nextGaussian() * ((i % d) % 17 == 0 ? 6f : 1f);
        }
        return x;
    }

    @ParameterizedTest
    @CsvSource({"2,32,PER_CHANNEL", "4,32,PER_CHANNEL", "8,16,PER_CHANNEL", "2,32,PER_TOKEN", "4,64,PER_TOKEN", "8,32,PER_TOKEN"})
    void decodeIsWithinHalfAStepOfEveryElement(int bits, int group, QuantAxis axis) {
        KVTensor x = randomTensor(bits * 100L + group, 2, 2, 77, 64);
        UniformQuantizer qz = new UniformQuantizer(bits, group, axis);
        UniformEncodedTensor e = qz.encode(x);
        KVTensor y = qz.decode(e);
        assertThat(y.data()).hasSameSizeAs(x.data());
        // every group's step is (max-min)/(2^b-1) <= (global range)/(2^b-1); fp16 rounding of scale and zero adds a little
        float lo = Float.MAX_VALUE;
        float hi = -Float.MAX_VALUE;
        for (float v : x.data()) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float step = (hi - lo) / ((1 << bits) - 1);
        double err = 0;
        double energy = 0;
        for (int i = 0; i < x.data().length; i++) {
            float diff = Math.abs(x.data()[i] - y.data()[i]);
            assertThat(diff).isLessThanOrEqualTo(step * 0.5f * 1.01f + 0.02f);
            err += diff * diff;
            energy += x.data()[i] * x.data()[i];
        }
        assertThat(err / energy).isLessThan(1.0);
    }

    /** KIVI's reason for per-channel keys: with outlier channels, per-token groups waste their range. */
    @ParameterizedTest
    @CsvSource({"2", "4"})
    void perChannelBeatsPerTokenOnOutlierChannels(int bits) {
        KVTensor x = randomTensor(42, 1, 2, 128, 64);
        KVTensor byChannel = new UniformQuantizer(bits, 32, QuantAxis.PER_CHANNEL).decode(new UniformQuantizer(bits, 32, QuantAxis.PER_CHANNEL).encode(x));
        KVTensor byToken = new UniformQuantizer(bits, 32, QuantAxis.PER_TOKEN).decode(new UniformQuantizer(bits, 32, QuantAxis.PER_TOKEN).encode(x));
        assertThat(sq(x, byChannel)).isLessThan(0.8 * sq(x, byToken));
    }

    static double sq(KVTensor a, KVTensor b) {
        double s = 0;
        for (int i = 0; i < a.data().length; i++) {
            double d = a.data()[i] - b.data()[i];
            s += d * d;
        }
        return s;
    }

    @ParameterizedTest
    @CsvSource({"2,32", "4,32", "8,32", "4,16"})
    void bytesAreCodesPlusFp16ScaleAndZero(int bits, int group) {
        KVTensor x = randomTensor(1, 1, 2, 100, 64);
        UniformEncodedTensor keys = UniformQuantizer.forKeys(bits, group).encode(x);
        int keyGroups = (100 + group - 1) / group;
        // codes: 2 heads x 100 tokens x 64 channels x bits; scale+zero: 2 heads x groups x 64 channels x 4 bytes
        assertThat(keys.bytes()).isEqualTo(2L * 100 * 64 * bits / 8 + 2L * keyGroups * 64 * 4);
        UniformEncodedTensor values = UniformQuantizer.forValues(bits, group).encode(x);
        assertThat(values.bytes()).isEqualTo(2L * 100 * 64 * bits / 8 + 2L * 100 * (64 / group) * 4);
        assertThat(values.bitsPerElement()).isEqualTo(bits + 32.0 / group);
    }

    @org.junit.jupiter.api.Test
    void constantChannelDecodesExactlyToItsFp16Value() {
        KVTensor x = KVTensor.zeros(1, 1, 8, 8);
        java.util.Arrays.fill(x.data(), 0.75f);
        UniformQuantizer qz = new UniformQuantizer(2, 8);
        assertThat(qz.decode(qz.encode(x)).data()).containsOnly(0.75f);
    }
}
