package dev.veloxquant.engine.safetensors;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file, memory-mapped in the given arena: an 8-byte little-endian header
 * length, a JSON header of {@code name -> {dtype, shape, data_offsets}}, then the raw data.
 */
public final class SafeTensorsFile {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path path;
    private final Map<String, Tensor> tensors;

    private SafeTensorsFile(Path path, Map<String, Tensor> tensors) {
        this.path = path;
        this.tensors = tensors;
    }

    public static SafeTensorsFile open(Path path, Arena arena) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (size < 8) {
                throw new UnsupportedModelException(path + " is not a safetensors file (too short)");
            }
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLen <= 0 || 8 + headerLen > size) {
                throw new UnsupportedModelException(path + " is not a safetensors file (header length " + headerLen + ")");
            }
            byte[] header = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            JsonNode root = JSON.readTree(new String(header, StandardCharsets.UTF_8));
            long dataStart = 8 + headerLen;
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : root.properties()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                String name = e.getKey();
                JsonNode t = e.getValue();
                DType dtype = DType.parse(t.get("dtype").asString(), name);
                JsonNode shapeNode = t.get("shape");
                long[] shape = new long[shapeNode.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeNode.get(i).asLong();
                }
                long begin = t.get("data_offsets").get(0).asLong();
                long end = t.get("data_offsets").get(1).asLong();
                long n = 1;
                for (long d : shape) {
                    n *= d;
                }
                if (end - begin != n * dtype.bytes() || dataStart + end > size) {
                    throw new UnsupportedModelException("tensor '" + name + "' in " + path.getFileName()
                            + " has inconsistent data_offsets [" + begin + ", " + end + "]");
                }
                tensors.put(name, new Tensor(name, dtype, shape, all.asSlice(dataStart + begin, end - begin)));
            }
            return new SafeTensorsFile(path, tensors);
        } catch (IOException e) {
            throw new UnsupportedModelException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }
}
