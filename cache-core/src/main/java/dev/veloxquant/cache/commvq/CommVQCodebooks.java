package dev.veloxquant.cache.commvq;

import dev.veloxquant.cache.InvalidKVCacheConfigException;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.ModelGeometry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which codebook a commvq cache uses. {@code codebook} unset: the model's
 * {@link CommVQCodebook#fileName calibrated file} next to the model if it exists (and was fitted for
 * the config's group size), else the calibration-free grids; {@code none}: the calibration-free
 * grids; a path: that file, which must exist and match. A file that is present but unreadable or
 * fitted for another model is an error naming {@code codebook}, never silently skipped. Loaded files
 * are kept per path (re-read when size or modification time change): every sequence builds a cache.
 */
public final class CommVQCodebooks {
    /** Attention-sink tokens of caches the builder makes (the calibration-free default's). */
    public static final int SINK_TOKENS = CommVQDefaults.SINK_TOKENS;

    private record Loaded(long size, long modified, CommVQCodebook codebook) {
    }

    private static final Map<Path, Loaded> LOADED = new ConcurrentHashMap<>();

    private CommVQCodebooks() {
    }

    /** The codebook for a commvq cache of {@code config} on {@code model}, or null for the calibration-free grids. */
    public static CommVQCodebook resolve(ModelGeometry model, KVCacheConfig config) {
        Path explicit = config.codebookPath();
        if (KVCacheConfig.CALIBRATION_FREE.equals(explicit)) {
            return null;
        }
        if (explicit == null) {
            if (model.modelDir() == null) {
                return null;
            }
            Path auto = model.modelDir().resolve(CommVQCodebook.fileName(config.bits(), config.numResiduals()));
            if (!Files.isRegularFile(auto)) {
                return null;
            }
            CommVQCodebook cb = load(auto, "the calibrated codebook next to the model");
            // The file name says bits and residuals only: another block size is a choice, not an error.
            if (cb.groupSize() != config.groupSize()) {
                return null;
            }
            return check(cb, model, config, auto + " (found next to the model)");
        }
        Path file = explicit.isAbsolute() || model.modelDir() == null ? explicit : model.modelDir().resolve(explicit);
        if (!Files.isRegularFile(file)) {
            throw new InvalidKVCacheConfigException("codebook", "codebook file " + explicit + " does not exist"
                    + " (set 'none' for calibration-free commvq, or create it with scripts/calibrate-commvq.sh)");
        }
        return check(load(file, "codebook"), model, config, file.toString());
    }

    private static CommVQCodebook check(CommVQCodebook cb, ModelGeometry model, KVCacheConfig config, String what) {
        String why = cb.mismatch(config.bits(), config.numResiduals(), model.rope().layout(), model.numLayers(),
                model.numKvHeads(), model.headDim(), config.groupSize());
        if (why != null) {
            throw new InvalidKVCacheConfigException("codebook", "codebook " + what + " does not match: " + why
                    + "; rerun scripts/calibrate-commvq.sh with these settings, or set codebook 'none'");
        }
        return cb;
    }

    private static CommVQCodebook load(Path file, String what) {
        try {
            Path key = file.toAbsolutePath().normalize();
            long size = Files.size(key);
            long modified = Files.getLastModifiedTime(key).toMillis();
            Loaded l = LOADED.get(key);
            if (l == null || l.size() != size || l.modified() != modified) {
                l = new Loaded(size, modified, CommVQCodebook.read(key));
                LOADED.put(key, l);
            }
            return l.codebook();
        } catch (IOException e) {
            throw new InvalidKVCacheConfigException("codebook", "cannot use " + what + ": " + e.getMessage());
        }
    }
}
