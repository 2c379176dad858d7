package dev.veloxquant.cache.tensor;

/**
 * A dense float tensor of keys or values, shaped {@code [batch, kvHeads, seq, headDim]} and stored
 * row-major, the shape the standalone quantizers encode and decode.
 */
public record KVTensor(int batch, int kvHeads, int seq, int headDim, float[] data) {
    public KVTensor {
        if (batch <= 0 || kvHeads <= 0 || seq < 0 || headDim <= 0) {
            throw new IllegalArgumentException("bad shape [" + batch + ", " + kvHeads + ", " + seq + ", " + headDim + "]");
        }
        long n = (long) batch * kvHeads * seq * headDim;
        if (data.length != n) {
            throw new IllegalArgumentException("data has " + data.length + " floats, shape needs " + n);
        }
    }

    public static KVTensor zeros(int batch, int kvHeads, int seq, int headDim) {
        return new KVTensor(batch, kvHeads, seq, headDim, new float[batch * kvHeads * seq * headDim]);
    }

    /** Offset of element [b, h, t, 0]. */
    public int offset(int b, int h, int t) {
        return ((b * kvHeads + h) * seq + t) * headDim;
    }

    public float get(int b, int h, int t, int d) {
        return data[offset(b, h, t) + d];
    }

    public long elements() {
        return data.length;
    }
}
