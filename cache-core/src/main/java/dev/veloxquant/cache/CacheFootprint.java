package dev.veloxquant.cache;

/**
 * Memory a cache really holds for its tokens, next to what an fp16 cache would hold for the same
 * tokens. Byte counts include every overhead the method needs per sequence: codes, scales, zero
 * points, norms, the fp16 window of newest tokens, and codebooks or statistics built for this
 * sequence. Tables shared by every sequence (seeded rotations, data-free codebooks, a calibrated
 * codebook file) are not charged to a sequence.
 *
 * @param tokens        tokens held (per layer; every layer holds the same tokens)
 * @param elements      key elements held = tokens x layers x kvHeads x headDim (values the same)
 * @param keyBytes      bytes held for keys, all layers
 * @param valueBytes    bytes held for values, all layers
 */
public record CacheFootprint(long tokens, long elements, long keyBytes, long valueBytes) {
    public static final CacheFootprint EMPTY = new CacheFootprint(0, 0, 0, 0);

    public long bytes() {
        return keyBytes + valueBytes;
    }

    /** An fp16 cache of the same tokens: 2 bytes per key element and per value element. */
    public long fp16Bytes() {
        return 4L * elements;
    }

    public long savedBytes() {
        return fp16Bytes() - bytes();
    }

    public double compressionRatio() {
        return bytes() == 0 ? 1.0 : (double) fp16Bytes() / bytes();
    }

    public double keyBitsPerElement() {
        return elements == 0 ? 0.0 : keyBytes * 8.0 / elements;
    }

    public double valueBitsPerElement() {
        return elements == 0 ? 0.0 : valueBytes * 8.0 / elements;
    }

    /** Sums the footprints of layers holding the same tokens. */
    public CacheFootprint plusLayer(CacheFootprint layer) {
        return new CacheFootprint(Math.max(tokens, layer.tokens), elements + layer.elements,
                keyBytes + layer.keyBytes, valueBytes + layer.valueBytes);
    }
}
