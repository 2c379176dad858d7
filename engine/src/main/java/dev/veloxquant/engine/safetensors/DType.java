package dev.veloxquant.engine.safetensors;

/** The tensor element types the engine reads from safetensors files (I32 for token-id fixtures, never weights). */
public enum DType {
    BF16(2), F16(2), F32(4), I32(4);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** Parses a safetensors dtype name; anything else fails naming the tensor and the dtype. */
    public static DType parse(String name, String tensor) {
        return switch (name) {
            case "BF16" -> BF16;
            case "F16" -> F16;
            case "F32" -> F32;
            case "I32" -> I32;
            default -> throw new UnsupportedModelException("tensor '" + tensor + "' has dtype " + name
                    + ", which is not supported (supported: BF16, F16, F32)");
        };
    }
}
