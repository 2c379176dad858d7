package dev.veloxquant.engine.safetensors;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * All tensors of a model directory: {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json}, or any {@code *.safetensors} present. The files stay mapped
 * until {@link #close()}.
 */
public final class SafeTensorsArchive implements AutoCloseable {
    private final Arena arena;
    private final Map<String, Tensor> tensors;

    private SafeTensorsArchive(Arena arena, Map<String, Tensor> tensors) {
        this.arena = arena;
        this.tensors = tensors;
    }

    public static SafeTensorsArchive open(Path dir, Consumer<String> progress) {
        return openFiles(shardFiles(dir), progress);
    }

    /** Exactly these files (e.g. one fixture file). */
    public static SafeTensorsArchive openFiles(List<Path> files, Consumer<String> progress) {
        Arena arena = Arena.ofShared();
        try {
            Map<String, Tensor> tensors = new HashMap<>();
            for (Path f : files) {
                SafeTensorsFile file = SafeTensorsFile.open(f, arena);
                tensors.putAll(file.tensors());
                progress.accept("mapped " + f.getFileName() + " (" + file.tensors().size() + " tensors)");
            }
            return new SafeTensorsArchive(arena, tensors);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static List<Path> shardFiles(Path dir) {
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            try {
                JsonNode map = JsonMapper.builder().build().readTree(Files.readString(index)).get("weight_map");
                if (map == null) {
                    throw new UnsupportedModelException(index + " has no weight_map");
                }
                Set<String> names = new LinkedHashSet<>();
                for (Map.Entry<String, JsonNode> e : map.properties()) {
                    names.add(e.getValue().asString());
                }
                List<Path> out = new ArrayList<>();
                for (String n : names) {
                    Path p = dir.resolve(n);
                    if (!Files.isRegularFile(p)) {
                        throw new UnsupportedModelException("shard " + n + " listed in " + index.getFileName() + " is missing");
                    }
                    out.add(p);
                }
                return out;
            } catch (IOException e) {
                throw new UnsupportedModelException("cannot read " + index + ": " + e.getMessage(), e);
            }
        }
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(single)) {
            return List.of(single);
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> any = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            if (any.isEmpty()) {
                throw new UnsupportedModelException("no *.safetensors weights in " + dir);
            }
            return any;
        } catch (IOException e) {
            throw new UnsupportedModelException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor, or a failure naming it. */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new UnsupportedModelException("missing tensor '" + name + "' in the model's safetensors");
        }
        return t;
    }

    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public void close() {
        arena.close();
    }
}
