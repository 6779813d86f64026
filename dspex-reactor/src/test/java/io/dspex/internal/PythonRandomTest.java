package io.dspex.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Expected values were printed by CPython 3.11's {@code random} module. */
class PythonRandomTest {

    private static List<Integer> range(int n) {
        return IntStream.range(0, n).boxed().collect(Collectors.toList());
    }

    @Test
    void randomMatchesCpython() {
        PythonRandom r = new PythonRandom(0);
        assertThat(List.of(r.random(), r.random(), r.random()))
                .containsExactly(0.8444218515250481, 0.7579544029403025, 0.420571580830845);
        assertThat(new PythonRandom((1L << 40) + 7).random()).isEqualTo(0.6137037779936511);
        assertThat(new PythonRandom(-3).random()).isEqualTo(0.23796462709189137);
    }

    @Test
    void stateRegeneratesAfter624Words() {
        PythonRandom r = new PythonRandom(0);
        for (int i = 0; i < 700; i++) {
            r.random();
        }
        assertThat(r.random()).isEqualTo(0.6380736282281027);
    }

    @Test
    void getrandbitsMatchesCpython() {
        PythonRandom r = new PythonRandom(42);
        assertThat(List.of(r.getrandbits(1), r.getrandbits(7), r.getrandbits(32), r.getrandbits(33), r.getrandbits(63)))
                .containsExactly(1L, 14L, 107420369L, 3184935163L, 2058755736454904720L);
    }

    @Test
    void sampleShuffleRandintChoiceMatchCpython() {
        assertThat(new PythonRandom(0).sample(range(10), 3)).containsExactly(6, 9, 0);
        // population larger than the set-size threshold: CPython's set-of-indexes branch
        assertThat(new PythonRandom(1).sample(range(100), 7)).containsExactly(17, 72, 97, 8, 32, 15, 63);
        assertThat(new PythonRandom(0).sample(range(30), 16))
                .containsExactly(27, 12, 24, 13, 1, 8, 16, 15, 28, 9, 22, 11, 6, 23, 4, 19);
        List<Integer> x = new ArrayList<>(range(10));
        new PythonRandom(0).shuffle(x);
        assertThat(x).containsExactly(7, 8, 1, 5, 3, 4, 2, 0, 9, 6);
        List<Long> ints = new ArrayList<>();
        for (int s = 0; s < 8; s++) {
            ints.add(new PythonRandom(s).randint(1, 4));
        }
        assertThat(ints).containsExactly(4L, 2L, 1L, 2L, 2L, 3L, 1L, 3L);
        PythonRandom c = new PythonRandom(7);
        List<String> letters = List.of("a", "b", "c", "d", "e", "f");
        List<String> chosen = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            chosen.add(c.choice(letters));
        }
        assertThat(chosen).containsExactly("c", "b", "d", "f", "a");
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> new PythonRandom(0).sample(range(3), 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k=4, n=3");
        assertThatThrownBy(() -> new PythonRandom(0).choice(List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> new PythonRandom(0).randint(3, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("randint(3, 2)");
    }
}
