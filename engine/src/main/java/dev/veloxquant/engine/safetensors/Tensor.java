package dev.veloxquant.engine.safetensors;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One tensor of a safetensors file: its raw little-endian bytes stay in the memory-mapped file.
 *
 * @param shape row-major shape as stored (a Linear weight is {@code [out, in]})
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    public long elements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Fails naming the tensor unless its shape is exactly {@code expected}. */
    public Tensor requireShape(long... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new UnsupportedModelException("tensor '" + name + "' has shape " + Arrays.toString(shape)
                    + ", expected " + Arrays.toString(expected));
        }
        return this;
    }

    /** Reads the whole tensor as floats (for small tensors: norms, biases). */
    public float[] toFloatArray() {
        int n = Math.toIntExact(elements());
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    public int[] toIntArray() {
        if (dtype != DType.I32) {
            throw new UnsupportedModelException("tensor '" + name + "' is " + dtype + ", not I32");
        }
        return data.toArray(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED);
    }

    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4);
            case BF16 -> Float.intBitsToFloat(data.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i * 2) << 16);
            case F16 -> Float.float16ToFloat(data.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i * 2));
            case I32 -> throw new UnsupportedModelException("tensor '" + name + "' holds I32 integers, not floating-point weights");
        };
    }
}
