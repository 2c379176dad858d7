package dev.veloxquant.bench.quality;

import dev.veloxquant.cache.CacheFootprint;
import dev.veloxquant.engine.api.LanguageModel;
import dev.veloxquant.engine.api.LanguageModels;
import dev.veloxquant.engine.llama.LlamaLanguageModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The KV-cache quality report: for each method and bit setting, key / value / attention-output
 * errors on the model's recorded tensors, next-token KL against fp16 and held-out perplexity with
 * the cache quantized causally. Writes a Markdown table and a PNG chart; {@code --check}
 * regenerates the table and fails if it differs from the committed one.
 *
 * <pre>scripts/quality-report.sh [--windows 24] [--context 2048] [--chunk 1] [--methods fp16,int4,commvq:b=2:r=2]
 *                          [--out docs/quality.md] [--chart docs/quality.png] [--check]</pre>
 */
public final class QualityReport {

    public static void main(String[] args) throws IOException {
        Locale.setDefault(Locale.ROOT);
        Path modelDir = Path.of("models/velox-tiny");
        int windowsWanted = 24;
        int context = 2048;
        int chunk = 1;
        String methods = null;
        Path out = Path.of("docs/quality.md");
        Path chart = Path.of("docs/quality.png");
        boolean check = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> modelDir = Path.of(args[++i]);
                case "--windows" -> windowsWanted = Integer.parseInt(args[++i]);
                case "--context" -> context = Integer.parseInt(args[++i]);
                case "--chunk" -> chunk = Integer.parseInt(args[++i]);
                case "--methods" -> methods = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--chart" -> chart = Path.of(args[++i]);
                case "--check" -> check = true;
                default -> {
                    System.err.println("unknown argument " + args[i]
                            + "; see the class comment of dev.veloxquant.bench.quality.QualityReport");
                    System.exit(2);
                }
            }
        }
        List<QualityConfigs.Named> configs = methods == null ? QualityConfigs.defaults(modelDir) : QualityConfigs.parse(methods);
        String command = "scripts/quality-report.sh" + (methods == null ? "" : " --methods " + methods)
                + " --windows " + windowsWanted + " --context " + context + " --chunk " + chunk
                + (out.equals(Path.of("docs/quality.md")) ? "" : " --out " + out)
                + (chart.equals(Path.of("docs/quality.png")) ? "" : " --chart " + chart);

        try (LanguageModel lm = LanguageModels.load(modelDir, modelDir.getFileName().toString(), System.err::println)) {
            LlamaLanguageModel model = (LlamaLanguageModel) lm;
            String text = Files.readString(modelDir.resolve("eval/heldout.txt"));
            List<int[]> windows = windows(model, text, context, windowsWanted);
            System.err.printf("held-out: %d windows of %d tokens, %d configurations, chunk %d%n",
                    windows.size(), context, configs.size(), chunk);
            FixtureErrors fixture = new FixtureErrors(modelDir.resolve("reference/kv.safetensors"), model.geometry());
            HeldOutEvaluation eval = new HeldOutEvaluation(model.forward(), windows, chunk, configs.size() > 1,
                    System.err::println);

            List<QualityRow> rows = new ArrayList<>();
            double basePpl = 0;
            for (QualityConfigs.Named c : configs) {
                System.err.println("[" + (rows.size() + 1) + "/" + configs.size() + "] " + c.label());
                FixtureErrors.Result fe = fixture.measure(c.config());
                HeldOutEvaluation.Result he = eval.evaluate(c.label(), c.config());
                if (rows.isEmpty()) {
                    basePpl = he.perplexity();
                }
                CacheFootprint f = he.footprint();
                rows.add(new QualityRow(c.label(), c.config().method().id(), f.keyBitsPerElement(), f.valueBitsPerElement(),
                        f.compressionRatio(), fe.keyRelMse(), fe.valueRelMse(), fe.attentionRelError(), he.meanKl(),
                        he.top1Agreement(), he.perplexity(), 100 * (he.perplexity() / basePpl - 1)));
            }
            String md = QualityMarkdown.render(rows, model.id(), windows.size(), context, fixture.seq(), chunk, command,
                    String.valueOf(chart.getFileName()));
            if (check) {
                String committed = Files.exists(out) ? Files.readString(out) : "";
                if (!committed.equals(md)) {
                    System.err.println("quality table differs from " + out + ":\n--- committed\n" + committed + "\n--- regenerated\n" + md);
                    System.exit(1);
                }
                System.err.println("quality table matches " + out);
                return;
            }
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, md);
            QualityChart.write(rows, "velox-tiny: perplexity cost of each KV-cache setting (" + windows.size() + " x "
                    + context + " held-out tokens)", chart);
            System.out.print(md);
            System.err.println("wrote " + out + " and " + chart);
        }
    }

    /** Non-overlapping windows of the tokenized held-out text, BOS first when the tokenizer adds one. */
    static List<int[]> windows(LanguageModel model, String text, int context, int wanted) {
        int[] ids = model.tokenizer().encode(text);
        boolean bos = model.tokenizer().addsBos() && model.tokenizer().bosId().isPresent();
        int body = bos ? context - 1 : context;
        List<int[]> out = new ArrayList<>();
        for (int start = 0; start + body <= ids.length && out.size() < wanted; start += body) {
            int[] w = new int[context];
            int o = 0;
            if (bos) {
                w[o++] = model.tokenizer().bosId().getAsInt();
            }
            System.arraycopy(ids, start, w, o, body);
            out.add(w);
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("held-out text has only " + ids.length + " tokens, fewer than one window of " + context);
        }
        return out;
    }
}
