package dev.veloxquant.bench.quality;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Perplexity increase over fp16 against key bits per element (overhead included), one point per
 * setting, drawn with Java2D so the report needs nothing outside the JDK. The y axis is
 * logarithmic: the interesting settings differ by hundredths of a percent, the poor ones by tens.
 */
final class QualityChart {
    private static final Map<String, Color> COLORS = Map.of(
            "int8", new Color(0x1f77b4), "int4", new Color(0x1f77b4), "int2", new Color(0x1f77b4),
            "commvq", new Color(0xd62728), "turboquant", new Color(0x2ca02c));
    private static final double FLOOR_PCT = 0.001;

    private QualityChart() {
    }

    static void write(List<QualityRow> rows, String title, Path png) throws IOException {
        int w = 960, h = 600, left = 100, right = 30, top = 60, bottom = 70;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double xMin = 0, xMax = 10;
        double yMinLog = Math.log10(FLOOR_PCT), yMaxLog = 2;
        for (QualityRow r : rows) {
            if (!r.method().equals("fp16")) {
                xMax = Math.max(xMax, Math.ceil(r.keyBits() + 0.5));
                yMaxLog = Math.max(yMaxLog, Math.ceil(Math.log10(Math.max(r.perplexityIncreasePct(), FLOOR_PCT))));
            }
        }
        int pw = w - left - right, ph = h - top - bottom;
        g.setColor(new Color(0xeeeeee));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int e = (int) yMinLog; e <= yMaxLog; e++) {
            int y = top + ph - (int) ((e - yMinLog) / (yMaxLog - yMinLog) * ph);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.DARK_GRAY);
            String tick = formatPct(Math.pow(10, e));
            g.drawString(tick, left - 8 - g.getFontMetrics().stringWidth(tick), y + 4);
        }
        for (int x = (int) xMin; x <= xMax; x++) {
            int px = left + (int) ((x - xMin) / (xMax - xMin) * pw);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(px, top, px, top + ph);
            g.setColor(Color.DARK_GRAY);
            g.drawString(Integer.toString(x), px - 4, top + ph + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString("key bits per element (incl. scales, norms, fp16 window)", left + pw / 2 - 170, h - 25);
        g.rotate(-Math.PI / 2);
        g.drawString("perplexity increase over fp16 (%, log scale)", -top - ph / 2 - 140, 18);
        g.rotate(Math.PI / 2);
        g.setStroke(new BasicStroke(1.5f));
        int n = 0;
        for (QualityRow r : rows) {
            if (r.method().equals("fp16")) {
                continue;
            }
            double yv = Math.log10(Math.max(r.perplexityIncreasePct(), FLOOR_PCT));
            int px = left + (int) ((r.keyBits() - xMin) / (xMax - xMin) * pw);
            int py = top + ph - (int) ((yv - yMinLog) / (yMaxLog - yMinLog) * ph);
            Color c = COLORS.getOrDefault(r.method(), Color.GRAY);
            g.setColor(c);
            g.fillOval(px - 5, py - 5, 10, 10);
            g.setColor(c.darker());
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            // Alternate labels above and below their points: settings of equal bits would overprint.
            int dy = (n++ % 2 == 0) ? -6 : 14;
            g.drawString(r.label() + String.format(" (%+.3f%%)", r.perplexityIncreasePct()), px + 8, py + dy);
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    private static String formatPct(double v) {
        if (v >= 1) {
            return String.format("%.0f%%", v);
        }
        return String.format("%." + (int) Math.ceil(-Math.log10(v)) + "f%%", v);
    }
}
