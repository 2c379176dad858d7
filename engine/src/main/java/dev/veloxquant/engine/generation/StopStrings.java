package dev.veloxquant.engine.generation;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text is released only once it can no longer be the start of
 * a stop string, so a stop string split over several tokens never leaks out.
 */
public final class StopStrings {

    /** What to emit now, and whether a stop string was found (the text before it is in {@code emit}). */
    public record Step(String emit, boolean stopped) {
    }

    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();

    public StopStrings(List<String> stops) {
        this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
    }

    public Step push(String delta) {
        if (stops.isEmpty()) {
            return new Step(delta, false);
        }
        held.append(delta);
        int first = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) {
                first = i;
            }
        }
        if (first >= 0) {
            String emit = held.substring(0, first);
            held.setLength(0);
            return new Step(emit, true);
        }
        int keep = longestSuffixThatStartsAStop();
        String emit = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return new Step(emit, false);
    }

    /** Releases what was held back (the generation ended without completing a stop string). */
    public String flush() {
        String s = held.toString();
        held.setLength(0);
        return s;
    }

    private int longestSuffixThatStartsAStop() {
        String h = held.toString();
        int best = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, h.length()); len > best; len--) {
                if (h.regionMatches(h.length() - len, s, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
