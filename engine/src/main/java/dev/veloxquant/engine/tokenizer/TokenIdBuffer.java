package dev.veloxquant.engine.tokenizer;

import java.util.Arrays;

/** A growable int array, so encoding does not box every id. */
final class TokenIdBuffer {
    private int[] ids;
    private int size;

    TokenIdBuffer(int capacity) {
        ids = new int[capacity];
    }

    void add(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
    }

    void addAll(int[] more) {
        if (size + more.length > ids.length) {
            ids = Arrays.copyOf(ids, Math.max(size * 2, size + more.length));
        }
        System.arraycopy(more, 0, ids, size, more.length);
        size += more.length;
    }

    int[] toArray() {
        return Arrays.copyOf(ids, size);
    }
}
