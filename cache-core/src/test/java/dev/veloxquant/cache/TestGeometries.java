package dev.veloxquant.cache;

/** Model shapes the cache tests share. */
public final class TestGeometries {
    private TestGeometries() {
    }

    /** velox-tiny: 6 layers, 6 query heads, 2 KV heads, head_dim 64. */
    public static final ModelGeometry TINY = new ModelGeometry("velox-tiny", 6, 6, 2, 64, 2048,
            RotaryEmbedding.standard(64, 10000, RopeLayout.HALF), null);
}
