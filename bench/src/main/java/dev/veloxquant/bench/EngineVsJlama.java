package dev.veloxquant.bench;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.engine.api.GenerationListener;
import dev.veloxquant.engine.api.GenerationRequest;
import dev.veloxquant.engine.api.GenerationResult;
import dev.veloxquant.engine.api.LanguageModel;
import dev.veloxquant.engine.api.LanguageModels;
import dev.veloxquant.engine.api.SamplingParams;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Prefill and decode throughput of the VeloxQuant engine and of Jlama on the same model directory,
 * in one JVM, alternating (ours, Jlama, ours, Jlama, ...) so both see the same machine load; prints
 * per-round figures, medians and our/Jlama ratios. Greedy decoding, EOS ignored by both (Jlama gets
 * a copy of the directory whose config.json names no reachable EOS), fp16 KV cache for ours.
 */
public final class EngineVsJlama {

    record Figures(double prefillTps, double decodeTps, int promptTokens, int generated) {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of("models/velox-tiny");
        int promptTokens = 256;
        int decodeTokens = 128;
        int rounds = 5;
        int warmup = 3;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--prompt-tokens" -> promptTokens = Integer.parseInt(args[++i]);
                case "--decode-tokens" -> decodeTokens = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        String jlamaPath = Boolean.getBoolean("jlama.force_panama_tensor_operations") ? "panama (pure Java)" : "native";
        System.out.printf("config: model=%s threads=%d prompt=%d tokens decode=%d tokens rounds=%d jlama=%s java=%s cpus=%d%n",
                model, threads, promptTokens, decodeTokens, rounds, jlamaPath, Runtime.version(),
                Runtime.getRuntime().availableProcessors());

        // Jlama sizes its pool once per JVM, so the thread count is fixed before it loads.
        PhysicalCoreExecutor.overrideThreadCount(threads);
        try (LanguageModel ours = LanguageModels.load(model, "bench", s -> { }, threads)) {
            int[] prompt = prompt(ours, model, promptTokens);
            Path jlamaDir = jlamaCopy(model);
            AbstractModel jlama = ModelSupport.loadModel(jlamaDir.toFile(), DType.F32, DType.I8);
            try {
                String promptText = jlamaPrompt(ours, jlama, prompt);
                // Warm-up: both engines' Java kernels must be C2-compiled before measuring.
                for (int w = 0; w < warmup; w++) {
                    runOurs(ours, prompt, decodeTokens);
                    runJlama(jlama, promptText, prompt.length, decodeTokens);
                }
                List<Figures> a = new ArrayList<>();
                List<Figures> b = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    Figures o = runOurs(ours, prompt, decodeTokens);
                    Figures j = runJlama(jlama, promptText, prompt.length, decodeTokens);
                    a.add(o);
                    b.add(j);
                    System.out.printf("round %d: ours prefill %.1f tok/s decode %.1f tok/s | jlama prefill %.1f tok/s decode %.1f tok/s (prompt %d/%d tokens)%n",
                            r + 1, o.prefillTps, o.decodeTps, j.prefillTps, j.decodeTps, o.promptTokens, j.promptTokens);
                }
                double op = median(a.stream().mapToDouble(Figures::prefillTps).toArray());
                double od = median(a.stream().mapToDouble(Figures::decodeTps).toArray());
                double jp = median(b.stream().mapToDouble(Figures::prefillTps).toArray());
                double jd = median(b.stream().mapToDouble(Figures::decodeTps).toArray());
                double[] prefillRatios = new double[rounds];
                double[] decodeRatios = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    prefillRatios[r] = a.get(r).prefillTps / b.get(r).prefillTps;
                    decodeRatios[r] = a.get(r).decodeTps / b.get(r).decodeTps;
                }
                System.out.printf("RESULT threads=%d jlama=%s ours_prefill=%.1f ours_decode=%.1f jlama_prefill=%.1f jlama_decode=%.1f "
                                + "prefill_ratio=%.2f decode_ratio=%.2f%n", threads, jlamaPath.split(" ")[0], op, od, jp, jd,
                        median(prefillRatios), median(decodeRatios));
            } finally {
                jlama.close();
                deleteTree(jlamaDir);
            }
        }
        System.exit(0);
    }

    private static Figures runOurs(LanguageModel m, int[] prompt, int decodeTokens) {
        GenerationRequest req = new GenerationRequest(prompt, SamplingParams.greedy(), decodeTokens + 1, List.of(), Set.of(),
                true, -1, false, KVCacheConfig.fp16());
        GenerationResult r = m.generate(req, GenerationListener.NONE, () -> false);
        // decodeNanos covers choosing the first token plus one forward pass per later token.
        return new Figures(prompt.length / (r.prefillNanos() / 1e9), (r.completionTokens() - 1) / (r.decodeNanos() / 1e9),
                prompt.length, r.completionTokens());
    }

    private static Figures runJlama(AbstractModel m, String text, int ourPromptTokens, int decodeTokens) {
        // ntokens is Jlama's absolute position limit: prompt (with BOS) + the first sampled token + decodeTokens forwards.
        Generator.Response r = m.generate(UUID.randomUUID(), PromptContext.of(text), 0.0f, ourPromptTokens + decodeTokens, (s, f) -> { });
        return new Figures(r.promptTokens / (Math.max(1, r.promptTimeMs) / 1e3), r.generatedTokens / (Math.max(1, r.generateTimeMs) / 1e3),
                r.promptTokens, r.generatedTokens);
    }

    /** The first {@code n} tokens (after BOS) of the model's held-out text, or of a fixed paragraph. */
    private static int[] prompt(LanguageModel m, Path model, int n) throws IOException {
        Path heldout = model.resolve("eval/heldout.txt");
        String text = Files.isRegularFile(heldout) ? Files.readString(heldout)
                : "The quick brown fox jumps over the lazy dog. ".repeat(200);
        int[] body = m.tokenizer().encode(text.substring(0, Math.min(text.length(), n * 16)));
        int bos = m.tokenizer().bosId().orElse(-1);
        int[] ids = new int[Math.min(n, body.length + (bos >= 0 ? 1 : 0))];
        int k = 0;
        if (bos >= 0) {
            ids[k++] = bos;
        }
        System.arraycopy(body, 0, ids, k, ids.length - k);
        return ids;
    }

    /**
     * The longest prefix of our prompt's text that Jlama's own tokenizer turns into at most as many
     * tokens (with its BOS) as ours, so both engines prefill about the same number of tokens.
     */
    private static String jlamaPrompt(LanguageModel ours, AbstractModel jlama, int[] prompt) {
        int lo = 1;
        int hi = prompt.length;
        String best = ours.tokenizer().decode(Arrays.copyOf(prompt, 1), true);
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            String text = ours.tokenizer().decode(Arrays.copyOf(prompt, mid), true);
            if (jlama.getTokenizer().encode(text).length + 1 <= prompt.length) {
                best = text;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return best;
    }

    /** A copy of the model directory whose config names an EOS id the model never reaches, so Jlama runs to the limit. */
    private static Path jlamaCopy(Path model) throws IOException {
        Path dir = Files.createTempDirectory("jlama-bench");
        try (Stream<Path> files = Files.list(model)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String name = f.getFileName().toString();
                if (name.equals("config.json") || name.equals("generation_config.json")) {
                    String json = Files.readString(f).replaceAll("\"eos_token_id\"\\s*:\\s*(\\[[^]]*]|\\d+)", "\"eos_token_id\": 2147483647");
                    Files.writeString(dir.resolve(name), json);
                } else {
                    Files.createSymbolicLink(dir.resolve(name), f.toAbsolutePath());
                }
            }
        }
        return dir;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted((x, y) -> y.getNameCount() - x.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
