package dev.veloxquant.cache.tensor;

/**
 * A KV quantizer usable on its own: {@code encode} a {@link KVTensor}, {@code decode} it back.
 *
 * @param <E> the encoded form (codes plus whatever side data the method keeps)
 */
public interface KVQuantizer<E extends EncodedTensor> {
    E encode(KVTensor tensor);

    KVTensor decode(E encoded);
}
