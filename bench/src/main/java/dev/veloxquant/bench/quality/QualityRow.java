package dev.veloxquant.bench.quality;

/** One line of the quality table. */
record QualityRow(String label, String method, double keyBits, double valueBits, double compressionRatio,
                  double keyRelMse, double valueRelMse, double attentionRelError, double meanKl,
                  double top1Agreement, double perplexity, double perplexityIncreasePct) {
}
