package dev.veloxquant.cache.tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough safetensors to read the reference KV fixtures (F16, F32 and BF16 tensors) into floats,
 * without the engine: an 8-byte header length, a JSON header of {@code name -> dtype, shape,
 * data_offsets}, then the raw little-endian data.
 */
public final class F16SafeTensors {
    private static final Pattern ENTRY = Pattern.compile(
            "\"([^\"]+)\"\\s*:\\s*\\{\\s*\"dtype\"\\s*:\\s*\"(\\w+)\"\\s*,\\s*\"shape\"\\s*:\\s*\\[([^\\]]*)\\]\\s*,\\s*\"data_offsets\"\\s*:\\s*\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\]\\s*\\}");

    /** One tensor: its shape and its values as floats. */
    public record Tensor(int[] shape, float[] data) {
        public int dim(int i) {
            return shape[i];
        }
    }

    private F16SafeTensors() {
    }

    public static Map<String, Tensor> read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = b.getLong(0);
        String header = new String(all, 8, (int) headerLen, java.nio.charset.StandardCharsets.UTF_8);
        int base = 8 + (int) headerLen;
        Map<String, Tensor> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(header);
        while (m.find()) {
            String dims = m.group(3).trim();
            int[] shape = dims.isEmpty() ? new int[0]
                    : java.util.Arrays.stream(dims.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
            int begin = base + Integer.parseInt(m.group(4));
            int end = base + Integer.parseInt(m.group(5));
            String dtype = m.group(2);
            int width = switch (dtype) {
                case "F16", "BF16" -> 2;
                case "F32" -> 4;
                default -> 0; // integer tensors (input ids) are not needed here
            };
            if (width == 0) {
                continue;
            }
            float[] data = new float[(end - begin) / width];
            for (int i = 0; i < data.length; i++) {
                int o = begin + i * width;
                data[i] = switch (dtype) {
                    case "F16" -> Float.float16ToFloat(b.getShort(o));
                    case "BF16" -> Float.intBitsToFloat((b.getShort(o) & 0xFFFF) << 16);
                    default -> b.getFloat(o);
                };
            }
            out.put(m.group(1), new Tensor(shape, data));
        }
        if (out.isEmpty()) {
            throw new IOException(file + ": no tensors found in the safetensors header");
        }
        return out;
    }
}
