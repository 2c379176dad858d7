package dev.veloxquant.cache.turboquant;

import dev.veloxquant.cache.tensor.KVQuantizer;
import dev.veloxquant.cache.tensor.KVTensor;

/**
 * TurboQuant (Zandieh et al., 2025) as a standalone quantizer: each head vector is rotated by the
 * seeded orthogonal matrix of its (layer, head), then coded per coordinate in {@code numResiduals}
 * stages of {@code bits} (Gaussian Lloyd-Max, then Laplacian Lloyd-Max on the residual), with one
 * fp16 scale per vector. {@code decode} rotates back.
 */
public record TurboQuantizer(int bits, int numResiduals, int layer) implements KVQuantizer<TurboQuantEncodedTensor> {

    public TurboQuantizer {
        if (bits < 1 || bits > 4) {
            throw new IllegalArgumentException("bits must be 1..4, got " + bits);
        }
        if (numResiduals < 1 || numResiduals > 4) {
            throw new IllegalArgumentException("numResiduals must be 1..4, got " + numResiduals);
        }
    }

    /** Uses layer 0's rotations. */
    public TurboQuantizer(int bits, int numResiduals) {
        this(bits, numResiduals, 0);
    }

    @Override
    public TurboQuantEncodedTensor encode(KVTensor x) {
        int d = x.headDim();
        ResidualScalarCodec codec = new ResidualScalarCodec(d, bits, numResiduals);
        int rows = x.batch() * x.kvHeads() * x.seq();
        byte[] codes = new byte[rows * codec.rowBytes()];
        short[] scales = new short[rows];
        float[] y = new float[d];
        for (int b = 0; b < x.batch(); b++) {
            for (int h = 0; h < x.kvHeads(); h++) {
                RandomRotation rot = RandomRotation.forHead(layer, h, d);
                for (int t = 0; t < x.seq(); t++) {
                    int r = (b * x.kvHeads() + h) * x.seq() + t;
                    rot.rotate(x.data(), x.offset(b, h, t), y, 0);
                    scales[r] = codec.encode(y, 0, codes, r * codec.rowBytes());
                }
            }
        }
        return new TurboQuantEncodedTensor(x.batch(), x.kvHeads(), x.seq(), d, bits, numResiduals, layer, codes, scales);
    }

    @Override
    public KVTensor decode(TurboQuantEncodedTensor e) {
        int d = e.headDim();
        ResidualScalarCodec codec = new ResidualScalarCodec(d, e.bits(), e.numResiduals());
        KVTensor out = KVTensor.zeros(e.batch(), e.kvHeads(), e.seq(), d);
        float[] y = new float[d];
        for (int b = 0; b < e.batch(); b++) {
            for (int h = 0; h < e.kvHeads(); h++) {
                RandomRotation rot = RandomRotation.forHead(e.layer(), h, d);
                for (int t = 0; t < e.seq(); t++) {
                    int r = (b * e.kvHeads() + h) * e.seq() + t;
                    codec.decode(e.codes(), r * codec.rowBytes(), e.scales()[r], y, 0);
                    rot.unrotate(y, 0, out.data(), out.offset(b, h, t));
                }
            }
        }
        return out;
    }
}
