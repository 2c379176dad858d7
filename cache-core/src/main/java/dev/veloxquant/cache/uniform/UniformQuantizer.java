package dev.veloxquant.cache.uniform;

import dev.veloxquant.cache.simd.PackedCodes;
import dev.veloxquant.cache.tensor.KVQuantizer;
import dev.veloxquant.cache.tensor.KVTensor;

/**
 * KIVI-style asymmetric uniform quantizer on {@code [batch, kvHeads, seq, headDim]} tensors. Keys
 * ({@link QuantAxis#PER_CHANNEL}, the default) share a fp16 (scale, zero) per channel over groups of
 * {@code groupSize} tokens; values ({@link QuantAxis#PER_TOKEN}) per token over groups of channels.
 */
public record UniformQuantizer(int bits, int groupSize, QuantAxis axis) implements KVQuantizer<UniformEncodedTensor> {

    public UniformQuantizer {
        if (bits != 2 && bits != 4 && bits != 8) {
            throw new IllegalArgumentException("bits must be 2, 4 or 8, got " + bits);
        }
        if (groupSize < 1) {
            throw new IllegalArgumentException("groupSize must be positive, got " + groupSize);
        }
        if (axis == null) {
            throw new IllegalArgumentException("axis is required");
        }
    }

    /** Key quantizer: per channel over groups of {@code groupSize} tokens. */
    public UniformQuantizer(int bits, int groupSize) {
        this(bits, groupSize, QuantAxis.PER_CHANNEL);
    }

    public static UniformQuantizer forKeys(int bits, int groupSize) {
        return new UniformQuantizer(bits, groupSize, QuantAxis.PER_CHANNEL);
    }

    public static UniformQuantizer forValues(int bits, int channelGroup) {
        return new UniformQuantizer(bits, channelGroup, QuantAxis.PER_TOKEN);
    }

    @Override
    public UniformEncodedTensor encode(KVTensor x) {
        int d = x.headDim();
        int rb = PackedCodes.rowBytes(d, bits);
        int rows = x.batch() * x.kvHeads() * x.seq();
        byte[] codes = new byte[rows * rb];
        if (axis == QuantAxis.PER_CHANNEL) {
            int groups = (x.seq() + groupSize - 1) / groupSize;
            short[] sc = new short[x.batch() * x.kvHeads() * groups * d];
            short[] zr = new short[sc.length];
            for (int bh = 0; bh < x.batch() * x.kvHeads(); bh++) {
                for (int g = 0; g < groups; g++) {
                    int t0 = g * groupSize;
                    int n = Math.min(groupSize, x.seq() - t0);
                    int row = bh * x.seq() + t0;
                    AffineCodec.encodeChannels(x.data(), row * d, d, n, d, bits, codes, row * rb,
                            sc, zr, (bh * groups + g) * d);
                }
            }
            return new UniformEncodedTensor(x.batch(), x.kvHeads(), x.seq(), d, bits, groupSize, axis, codes, sc, zr);
        }
        int cg = AffineCodec.valueChannelGroup(groupSize, d);
        int groups = d / cg;
        short[] sc = new short[rows * groups];
        short[] zr = new short[sc.length];
        for (int r = 0; r < rows; r++) {
            AffineCodec.encodeToken(x.data(), r * d, d, cg, bits, codes, r * rb, sc, zr, r * groups);
        }
        return new UniformEncodedTensor(x.batch(), x.kvHeads(), x.seq(), d, bits, cg, axis, codes, sc, zr);
    }

    @Override
    public KVTensor decode(UniformEncodedTensor e) {
        int d = e.headDim();
        int rb = PackedCodes.rowBytes(d, e.bits());
        KVTensor out = KVTensor.zeros(e.batch(), e.kvHeads(), e.seq(), d);
        float[] o = out.data();
        int rows = e.batch() * e.kvHeads() * e.seq();
        for (int r = 0; r < rows; r++) {
            int bh = r / e.seq();
            int t = r % e.seq();
            for (int c = 0; c < d; c++) {
                int si;
                if (e.axis() == QuantAxis.PER_CHANNEL) {
                    int groups = (e.seq() + e.groupSize() - 1) / e.groupSize();
                    si = (bh * groups + t / e.groupSize()) * d + c;
                } else {
                    si = r * (d / e.groupSize()) + c / e.groupSize();
                }
                int code = PackedCodes.get(e.codes(), r * rb, d, e.bits(), c);
                o[r * d + c] = Float.float16ToFloat(e.scales()[si]) * code + Float.float16ToFloat(e.zeros()[si]);
            }
        }
        return out;
    }
}
