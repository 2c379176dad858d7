package dev.veloxquant.engine.tokenizer;

/**
 * One word during BPE: symbols in a linked list over arrays, and a min-heap of candidate merges keyed by
 * (rank, position) so the lowest rank wins and ties go to the leftmost pair.
 */
final class SymbolList {

    private int[] ids;
    private int[] prev;
    private int[] next;
    private boolean[] removed;
    private int count;

    private long[] heapKeys = new long[16];
    private int[] heapMerged = new int[16];
    private int heapSize;

    SymbolList(int capacity) {
        int c = Math.max(4, capacity);
        ids = new int[c];
        prev = new int[c];
        next = new int[c];
        removed = new boolean[c];
    }

    void add(int id) {
        if (count == ids.length) {
            int c = count * 2;
            ids = java.util.Arrays.copyOf(ids, c);
            prev = java.util.Arrays.copyOf(prev, c);
            next = java.util.Arrays.copyOf(next, c);
            removed = java.util.Arrays.copyOf(removed, c);
        }
        ids[count] = id;
        prev[count] = count - 1;
        next[count] = count + 1;
        count++;
    }

    void mergeAll(MergeTable merges) {
        if (count > 0) {
            next[count - 1] = -1;
        }
        for (int i = 0; i + 1 < count; i++) {
            offer(merges, i, ids[i], ids[i + 1]);
        }
        while (heapSize > 0) {
            long top = heapKeys[0];
            int mergedId = heapMerged[0];
            pop();
            int pos = (int) top;
            if (removed[pos] || next[pos] == -1) {
                continue;
            }
            int right = next[pos];
            long current = merges.get(ids[pos], ids[right]);
            if (current == -1L || (int) current != mergedId) {
                continue;
            }
            ids[pos] = mergedId;
            removed[right] = true;
            next[pos] = next[right];
            if (next[right] != -1) {
                prev[next[right]] = pos;
            }
            if (prev[pos] >= 0) {
                offer(merges, prev[pos], ids[prev[pos]], ids[pos]);
            }
            if (next[pos] != -1) {
                offer(merges, pos, ids[pos], ids[next[pos]]);
            }
        }
    }

    int[] ids() {
        int live = 0;
        for (int i = 0; i < count; i++) {
            if (!removed[i]) {
                live++;
            }
        }
        int[] out = new int[live];
        for (int i = 0, j = 0; i < count; i++) {
            if (!removed[i]) {
                out[j++] = ids[i];
            }
        }
        return out;
    }

    private void offer(MergeTable merges, int pos, int left, int right) {
        long merge = merges.get(left, right);
        if (merge == -1L) {
            return;
        }
        long key = (merge >>> 32) << 32 | pos;
        if (heapSize == heapKeys.length) {
            heapKeys = java.util.Arrays.copyOf(heapKeys, heapSize * 2);
            heapMerged = java.util.Arrays.copyOf(heapMerged, heapSize * 2);
        }
        int i = heapSize++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heapKeys[parent] <= key) {
                break;
            }
            heapKeys[i] = heapKeys[parent];
            heapMerged[i] = heapMerged[parent];
            i = parent;
        }
        heapKeys[i] = key;
        heapMerged[i] = (int) merge;
    }

    private void pop() {
        heapSize--;
        if (heapSize == 0) {
            return;
        }
        long key = heapKeys[heapSize];
        int merged = heapMerged[heapSize];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= heapSize) {
                break;
            }
            if (child + 1 < heapSize && heapKeys[child + 1] < heapKeys[child]) {
                child++;
            }
            if (key <= heapKeys[child]) {
                break;
            }
            heapKeys[i] = heapKeys[child];
            heapMerged[i] = heapMerged[child];
            i = child;
        }
        heapKeys[i] = key;
        heapMerged[i] = merged;
    }
}
