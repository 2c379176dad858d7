package dev.veloxquant.engine.sampling;

import dev.veloxquant.engine.api.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SamplerTest {
    private static final float[] LOGITS = {1f, 3f, 2.5f, 0f, -1f, 2.9f};

    private static SamplingParams p(double t, int k, double topP, double minP, Long seed) {
        return new SamplingParams(t, k, topP, minP, seed, 1, 0, 0, Map.of());
    }

    @Test
    void greedyTakesTheArgmaxAndLeavesLogitsAlone() {
        float[] l = LOGITS.clone();
        assertThat(new Sampler(SamplingParams.greedy(), new int[0], 6).next(l)).isEqualTo(1);
        assertThat(l).containsExactly(LOGITS);
    }

    @Test
    void samplingWithoutBiasOrPenaltiesReadsTheRawLogitsWithoutChangingThem() {
        float[] l = LOGITS.clone();
        Sampler s = new Sampler(p(1, 2, 0.9, 0.1, 7L), new int[]{1, 2}, 6);
        for (int i = 0; i < 50; i++) {
            assertThat(s.next(l)).isIn(1, 5);
        }
        assertThat(l).containsExactly(LOGITS);
    }

    @Test
    void sameSeedSameSequenceAndDifferentSeedsDiffer() {
        Set<String> distinct = new HashSet<>();
        for (long seed = 0; seed < 5; seed++) {
            String a = draw(p(1.5, 0, 1, 0, seed), 40);
            assertThat(draw(p(1.5, 0, 1, 0, seed), 40)).isEqualTo(a);
            distinct.add(a);
        }
        assertThat(distinct).hasSizeGreaterThan(1);
    }

    @Test
    void topKTopPAndMinPRestrictTheCandidates() {
        assertThat(draw(p(5, 2, 1, 0, 1L), 200)).matches("[15]+");
        // Probabilities at T=1: token 1 .33, token 5 .30, token 2 .20, ...; top_p 0.5 keeps {1, 5}.
        assertThat(draw(p(1, 0, 0.5, 0, 2L), 200)).matches("[15]+").contains("1").contains("5");
        // min_p 0.7: keeps tokens with p >= 0.7 p(1): tokens 1 and 5 (e^-0.1 = .905), not 2 (e^-0.5 = .61).
        assertThat(draw(p(1, 0, 1, 0.7, 3L), 200)).matches("[15]+");
        assertThat(draw(p(1, 0, 1, 0, 4L), 400)).contains("0").contains("2").contains("3");
    }

    @Test
    void penaltiesAndBias() {
        // Repetition penalty divides the positive logit of a prompt token: 3/2 = 1.5 < 2.9.
        SamplingParams rep = new SamplingParams(0, 0, 1, 0, null, 2.0, 0, 0, Map.of());
        assertThat(new Sampler(rep, new int[]{1}, 6).next(LOGITS)).isEqualTo(5);
        // Frequency penalty grows with each use, presence penalty once.
        SamplingParams freq = new SamplingParams(0, 0, 1, 0, null, 1, 0, 0.3, Map.of());
        Sampler s = new Sampler(freq, new int[0], 6);
        assertThat(new int[]{s.next(LOGITS), s.next(LOGITS), s.next(LOGITS)}).containsExactly(1, 5, 1);
        SamplingParams pres = new SamplingParams(0, 0, 1, 0, null, 1, 0.55, 0, Map.of());
        Sampler s2 = new Sampler(pres, new int[0], 6);
        assertThat(new int[]{s2.next(LOGITS), s2.next(LOGITS), s2.next(LOGITS), s2.next(LOGITS)}).containsExactly(1, 5, 2, 1);
        SamplingParams bias = new SamplingParams(0, 0, 1, 0, null, 1, 0, 0, Map.of(4, 100f, 1, -100f));
        assertThat(new Sampler(bias, new int[0], 6).next(LOGITS)).isEqualTo(4);
    }

    @Test
    void topIdsAndLogSumExp() {
        assertThat(Logprobs.topIds(LOGITS, 0, 6, 3)).containsExactly(1, 5, 2);
        double lse = Logprobs.logSumExp(LOGITS, 0, 6);
        double sum = 0;
        for (float l : LOGITS) {
            sum += Math.exp(l);
        }
        assertThat(lse).isCloseTo(Math.log(sum), org.assertj.core.data.Offset.offset(1e-9));
    }

    private static String draw(SamplingParams params, int n) {
        Sampler s = new Sampler(params, new int[0], 6);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            // Fresh penalties-free sampler state: counts only matter with penalties, off here.
            sb.append(s.next(LOGITS));
        }
        return sb.toString();
    }
}
