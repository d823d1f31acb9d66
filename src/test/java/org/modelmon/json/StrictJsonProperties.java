package org.modelmon.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** The word-at-a-time search for 0x00 finds exactly the first 0x00 byte, wherever it is. */
class StrictJsonProperties {

  @Property(tries = 5_000)
  void shouldFindTheFirstZeroByteAsAByteLoopDoes(@ForAll("bytesWithFewZeros") final byte[] value) {
    int expected = -1;
    for (int i = 0; i < value.length; i++) {
      if (value[i] == 0) {
        expected = i;
        break;
      }
    }

    assertThat(StrictJson.indexOfZeroByte(value)).isEqualTo(expected);
  }

  @Example
  void shouldFindAZeroByteAtEveryOffset() {
    for (int length = 1; length <= 40; length++) {
      for (int at = 0; at < length; at++) {
        final byte[] value = new byte[length];
        Arrays.fill(value, (byte) 0x80); // high bits set, as in multi-byte UTF-8
        value[at] = 0;
        assertThat(StrictJson.indexOfZeroByte(value)).isEqualTo(at);
        assertThat(StrictJson.encodingProblem(value)).contains("offset " + at);
      }
    }
  }

  @Provide
  Arbitrary<byte[]> bytesWithFewZeros() {
    // Mostly non-zero bytes, 0x01 and 0x80 (the edges of the test) among them, and rarely 0x00.
    final Arbitrary<Byte> bytes =
        Arbitraries.frequencyOf(
            Tuple.of(40, Arbitraries.bytes().filter(b -> b != 0)),
            Tuple.of(5, Arbitraries.of((byte) 0x01, (byte) 0x80, (byte) 0xFF)),
            Tuple.of(1, Arbitraries.just((byte) 0)));
    return bytes.array(byte[].class).ofMaxSize(70);
  }
}
