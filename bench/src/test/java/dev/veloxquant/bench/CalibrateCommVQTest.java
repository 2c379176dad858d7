package dev.veloxquant.bench;

import dev.veloxquant.cache.KVCacheBuilder;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.cache.ModelGeometry;
import dev.veloxquant.cache.SequenceKVCache;
import dev.veloxquant.cache.commvq.CommVQKVCache;
import dev.veloxquant.engine.api.LanguageModel;
import dev.veloxquant.engine.api.LanguageModels;
import dev.veloxquant.engine.llama.LlamaLanguageModel;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class CalibrateCommVQTest {

    /** {@code --widths weights} must give exactly the widths a calibration-free cache of the model uses. */
    @Test
    void widthsFromTheWeightsAreTheCalibrationFreeCachesWidths() {
        try (LanguageModel lm = LanguageModels.load(Path.of("../models/velox-tiny"), "velox-tiny", s -> {})) {
            ModelGeometry g = ((LlamaLanguageModel) lm).geometry();
            KVCacheConfig config = KVCacheConfig.of(KVCacheMethod.COMMVQ).withCodebookPath(KVCacheConfig.CALIBRATION_FREE);
            int[][][] widths = CalibrateCommVQ.fromWeights(g, config.bits() * config.numResiduals());
            boolean spread = false;
            try (SequenceKVCache cache = KVCacheBuilder.build(g, config)) {
                for (int l = 0; l < g.numLayers(); l++) {
                    CommVQKVCache layer = (CommVQKVCache) cache.layer(l);
                    for (int h = 0; h < g.numKvHeads(); h++) {
                        assertThat(widths[l][h]).as("layer %d head %d", l, h).isEqualTo(layer.pairAxisBits(h));
                        spread |= widths[l][h][0] != widths[l][h][widths[l][h].length - 1];
                    }
                }
            }
            assertThat(spread).as("the weights spread the bits over the pairs").isTrue();
        }
    }
}
