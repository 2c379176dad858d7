package dev.veloxquant.engine.cli;

import dev.veloxquant.cache.KVCacheConfig;
import dev.veloxquant.cache.KVCacheMethod;
import dev.veloxquant.engine.api.GeneratedToken;
import dev.veloxquant.engine.api.GenerationListener;
import dev.veloxquant.engine.api.GenerationRequest;
import dev.veloxquant.engine.api.GenerationResult;
import dev.veloxquant.engine.api.LanguageModel;
import dev.veloxquant.engine.api.LanguageModels;
import dev.veloxquant.engine.api.SamplingParams;
import dev.veloxquant.engine.chat.ChatMessage;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command line: prints a completion for a prompt, streamed as it is generated. Progress and timing
 * go to stderr so stdout holds only the generated text.
 */
public final class GenerateCommand {
    private static final String USAGE = """
            usage: generate.sh [options] PROMPT
              --model DIR         model directory (default models/velox-tiny)
              --max-tokens N      tokens to generate at most (default 64)
              --temperature T     0 = greedy (default 0)
              --top-k K  --top-p P  --min-p P  --seed S  --repetition-penalty R
              --stop TEXT         stop string (repeatable)
              --chat              wrap the prompt as a user message with the model's chat template
              --kv-cache METHOD   fp16 (default), int8, int4, int2, commvq, turboquant
              --threads N         matmul threads (default: all cores)
            """;

    private GenerateCommand() {
    }

    public static void main(String[] args) {
        Path modelDir = Path.of("models/velox-tiny");
        int maxTokens = 64;
        double temperature = 0;
        int topK = 0;
        double topP = 1;
        double minP = 0;
        double repetition = 1;
        Long seed = null;
        boolean chat = false;
        String kv = "fp16";
        List<String> stop = new ArrayList<>();
        StringBuilder prompt = new StringBuilder();
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--model" -> modelDir = Path.of(args[++i]);
                    case "--max-tokens" -> maxTokens = Integer.parseInt(args[++i]);
                    case "--temperature" -> temperature = Double.parseDouble(args[++i]);
                    case "--top-k" -> topK = Integer.parseInt(args[++i]);
                    case "--top-p" -> topP = Double.parseDouble(args[++i]);
                    case "--min-p" -> minP = Double.parseDouble(args[++i]);
                    case "--repetition-penalty" -> repetition = Double.parseDouble(args[++i]);
                    case "--seed" -> seed = Long.parseLong(args[++i]);
                    case "--stop" -> stop.add(args[++i]);
                    case "--chat" -> chat = true;
                    case "--kv-cache" -> kv = args[++i];
                    case "--threads" -> System.setProperty("velox.threads", args[++i]);
                    case "-h", "--help" -> {
                        System.out.print(USAGE);
                        return;
                    }
                    default -> {
                        if (a.startsWith("--")) {
                            throw new IllegalArgumentException("unknown option " + a);
                        }
                        prompt.append(prompt.isEmpty() ? "" : " ").append(a);
                    }
                }
            }
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
        }
        if (prompt.isEmpty()) {
            System.err.print("error: no prompt given\n" + USAGE);
            System.exit(2);
        }
        SamplingParams sampling = new SamplingParams(temperature, topK, topP, minP, seed, repetition, 0, 0, Map.of());
        KVCacheConfig cacheConfig = KVCacheConfig.of(KVCacheMethod.parse(kv));
        try (LanguageModel model = LanguageModels.load(modelDir, modelDir.getFileName().toString(), s -> System.err.println("[load] " + s))) {
            String text = chat ? model.chatTemplate().render(List.of(new ChatMessage("user", prompt.toString())), true) : prompt.toString();
            int[] body = model.tokenizer().encode(text);
            int[] ids = body;
            boolean addBos = !chat && model.tokenizer().addsBos() && model.tokenizer().bosId().isPresent();
            if (addBos) {
                ids = new int[body.length + 1];
                ids[0] = model.tokenizer().bosId().getAsInt();
                System.arraycopy(body, 0, ids, 1, body.length);
            }
            GenerationRequest req = new GenerationRequest(ids, sampling, maxTokens, stop, Set.of(), false, -1, false, cacheConfig);
            if (!chat) {
                System.out.print(prompt);
            }
            GenerationResult r = model.generate(req, new GenerationListener() {
                @Override
                public void onToken(GeneratedToken token) {
                    System.out.print(token.textDelta());
                    System.out.flush();
                }
            }, () -> false);
            System.out.println();
            System.err.printf("[done] %d prompt tokens, %d generated, finish=%s, prefill %.1f tok/s, decode %.1f tok/s, kv cache %d bytes (%s)%n",
                    r.promptTokens(), r.completionTokens(), r.finishReason().openAiName(),
                    r.promptTokens() / (r.prefillNanos() / 1e9),
                    r.completionTokens() > 1 ? (r.completionTokens() - 1) / (r.decodeNanos() / 1e9) : 0.0,
                    r.kvCache().bytes(), cacheConfig.method().id());
        }
    }
}
