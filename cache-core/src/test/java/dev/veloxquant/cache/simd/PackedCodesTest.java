package dev.veloxquant.cache.simd;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PackedCodesTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void packThenUnpackAndGetReturnTheCodes(int bits) {
        Random rnd = new Random(bits);
        for (int n : new int[] {8, 16, 64, 128, 136}) {
            int[] codes = new int[n];
            for (int i = 0; i < n; i++) {
                codes[i] = rnd.nextInt(1 << bits);
            }
            byte[] packed = new byte[PackedCodes.rowBytes(n, bits) + 3];
            PackedCodes.pack(codes, 0, n, bits, packed, 3);
            int[] back = new int[n];
            PackedCodes.unpack(packed, 3, n, bits, back, 0);
            assertThat(back).containsExactly(codes);
            for (int i = 0; i < n; i++) {
                assertThat(PackedCodes.get(packed, 3, n, bits, i)).isEqualTo(codes[i]);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void rowIsExactlyBitsPerCode(int bits) {
        assertThat(PackedCodes.rowBytes(64, bits) * 8).isEqualTo(64 * bits);
    }
}
