package org.modelmon.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ReferenceParserTest {

  private final ReferenceParser parser = new ReferenceParser(1e-3, 1000);

  @Test
  void shouldParseAModelWideReference() {
    final Reference reference =
        parse("churn", "{'model': 'churn', 'distribution': {'stay': 0.8, 'leave': 0.2}}");

    assertThat(reference.model()).isEqualTo("churn");
    assertThat(reference.version()).isEmpty();
    assertThat(reference.classes()).containsExactly("stay", "leave");
    assertThat(reference.distribution()).containsExactly(0.8, 0.2);
    assertThat(reference.indexOf("leave")).isEqualTo(1);
    assertThat(reference.entropy())
        .isCloseTo(-(0.8 * Math.log(0.8) + 0.2 * Math.log(0.2)), within(1e-15));
  }

  @Test
  void shouldParseAVersionSpecificReference() {
    final Reference reference =
        parse(
            "churn@v3",
            "{'model': 'churn', 'version': 'v3', 'distribution': {'stay': 0.5, 'leave': 0.5}}");

    assertThat(reference.model()).isEqualTo("churn");
    assertThat(reference.version()).isEqualTo("v3");
  }

  @Test
  void shouldTreatNullVersionAsModelWide() {
    final Reference reference =
        parse("churn", "{'model': 'churn', 'version': null, 'distribution': {'a': 0.5, 'b': 0.5}}");

    assertThat(reference.version()).isEmpty();
  }

  @Test
  void shouldRenormaliseTheDistributionWithinTolerance() {
    final Reference reference =
        parse("m", "{'model': 'm', 'distribution': {'a': 0.3, 'b': 0.3, 'c': 0.4009}}");

    assertThat(reference.probability(0)).isCloseTo(0.3 / 1.0009, within(1e-15));
    assertThat(reference.probability(2)).isCloseTo(0.4009 / 1.0009, within(1e-15));
    assertThat(reference.probability(0) + reference.probability(1) + reference.probability(2))
        .isCloseTo(1.0, within(1e-15));
  }

  @Test
  void shouldKeepClassesOfProbabilityZero() {
    final Reference reference =
        parse("m", "{'model': 'm', 'distribution': {'a': 1, 'b': 0, 'c': -0.0}}");

    assertThat(reference.classes()).containsExactly("a", "b", "c");
    assertThat(reference.distribution()).containsExactly(1.0, 0.0, 0.0);
    assertThat(Double.doubleToRawLongBits(reference.probability(2))).isZero();
    assertThat(reference.entropy()).isZero();
  }

  @Test
  void shouldIgnoreUnknownFields() {
    final Reference reference =
        parse(
            "m",
            "{'source': {'rows': 120000, 'from': ['2026-01']}, 'model': 'm',"
                + " 'distribution': {'a': 0.5, 'b': 0.5}, 'note': null}");

    assertThat(reference.classes()).containsExactly("a", "b");
  }

  @ParameterizedTest
  @CsvSource({"churn, '', churn", "churn, v3, churn@v3", "a.b/c:d-e_f, 1.0, a.b/c:d-e_f@1.0"})
  void shouldBuildTheRecordKey(final String model, final String version, final String key) {
    assertThat(ReferenceParser.key(model, version)).isEqualTo(key);
  }

  static Stream<Arguments> invalidReferences() {
    final String ab = "'distribution': {'a': 0.5, 'b': 0.5}";
    return Stream.of(
        // the key
        Arguments.of(null, "{'model': 'm', " + ab + "}", "no key"),
        Arguments.of("other", "{'model': 'm', " + ab + "}", "key"),
        Arguments.of("m@v1", "{'model': 'm', " + ab + "}", "key"),
        Arguments.of("m", "{'model': 'm', 'version': 'v1', " + ab + "}", "key"),
        Arguments.of("m@", "{'model': 'm', 'version': '', " + ab + "}", "key"),
        Arguments.of("m@v2", "{'model': 'm', 'version': 'v1', " + ab + "}", "key"),
        // model and version
        Arguments.of("m", "{" + ab + "}", "no model"),
        Arguments.of("m", "{'model': null, " + ab + "}", "no model"),
        Arguments.of("7", "{'model': 7, " + ab + "}", "model"),
        Arguments.of("m@x", "{'model': 'm@x', " + ab + "}", "model"),
        Arguments.of("", "{'model': '', " + ab + "}", "model"),
        Arguments.of("m", "{'model': 'm', 'version': 1, " + ab + "}", "version"),
        Arguments.of("m@v 1", "{'model': 'm', 'version': 'v 1', " + ab + "}", "version"),
        // the distribution
        Arguments.of("m", "{'model': 'm'}", "no distribution"),
        Arguments.of("m", "{'model': 'm', 'distribution': null}", "no distribution"),
        Arguments.of("m", "{'model': 'm', 'distribution': [0.5, 0.5]}", "not an object"),
        Arguments.of("m", "{'model': 'm', 'distribution': {}}", "fewer than 2"),
        Arguments.of("m", "{'model': 'm', 'distribution': {'a': 1}}", "fewer than 2"),
        Arguments.of("m", "{'model': 'm', 'distribution': {'a': 0.5, 'b': '0.5'}}", "not a number"),
        Arguments.of("m", "{'model': 'm', 'distribution': {'a': 0.5, 'b': null}}", "not a number"),
        Arguments.of("m", "{'model': 'm', 'distribution': {'a': 1.5, 'b': -0.5}}", "[0, 1]"),
        Arguments.of("m", "{'model': 'm', 'distribution': {'a': 1e400, 'b': 0}}", "[0, 1]"),
        Arguments.of("m", "{'model': 'm', 'distribution': {'a': 0.5, 'b': 0.6}}", "sums to"),
        Arguments.of("m", "{'model': 'm', 'distribution': {'a': 0, 'b': 0}}", "sums to"),
        Arguments.of("m", "{'model': 'm', 'distribution': {'a': 0.5, '': 0.5}}", "class name"),
        Arguments.of(
            "m", "{'model': 'm', 'distribution': {'a': 0.5, 'b\\u0000': 0.5}}", "class name"),
        // strict JSON
        Arguments.of("m", "{'model': 'm', 'distribution': {'a': 0.5, 'a': 0.5}}", "Duplicate"),
        Arguments.of("m", "{'model': 'm', " + ab + "} {}", "after the JSON object"),
        Arguments.of("m", "[{'model': 'm', " + ab + "}]", "not a JSON object"),
        Arguments.of("m", "null", "not a JSON object"),
        Arguments.of("m", "", "empty"),
        Arguments.of("m", "{'model': 'm', 'distribution': {'a': NaN, 'b': 1}}", "NaN"),
        Arguments.of(
            "m",
            "{'model': 'm', 'x': " + "[".repeat(5000) + "]".repeat(5000) + ", " + ab + "}",
            "nesting depth"));
  }

  @ParameterizedTest
  @MethodSource("invalidReferences")
  void shouldRejectAnInvalidReferenceSayingWhy(
      final String key, final String json, final String why) {
    assertThatThrownBy(() -> parse(key, json))
        .isInstanceOf(InvalidReferenceException.class)
        .hasMessageContaining(why);
  }

  @Test
  void shouldRejectMoreClassesThanTheLimit() {
    final ReferenceParser three = new ReferenceParser(1e-3, 3);
    final byte[] value =
        utf8(
            "{\"model\": \"m\", \"distribution\": {\"a\": 0.25, \"b\": 0.25, \"c\": 0.25, \"d\":"
                + " 0.25}}");

    assertThatThrownBy(() -> three.parse("m", value))
        .isInstanceOf(InvalidReferenceException.class)
        .hasMessageContaining("more than 3");
    assertThat(parser.parse("m", value).size()).isEqualTo(4);
  }

  @Test
  void shouldRejectAByteOrderMark() {
    final byte[] value =
        utf8("\uFEFF{\"model\": \"m\", \"distribution\": {\"a\": 0.5, \"b\": 0.5}}");

    assertThatThrownBy(() -> parser.parse("m", value))
        .isInstanceOf(InvalidReferenceException.class)
        .hasMessageContaining("byte order mark");
  }

  @Test
  void shouldRejectUtf16() {
    final byte[] value =
        "{\"model\": \"m\", \"distribution\": {\"a\": 0.5, \"b\": 0.5}}"
            .getBytes(StandardCharsets.UTF_16LE);

    assertThatThrownBy(() -> parser.parse("m", value))
        .isInstanceOf(InvalidReferenceException.class)
        .hasMessageContaining("UTF-8");
  }

  @Test
  void shouldLeaveTombstonesToTheCaller() {
    assertThatThrownBy(() -> parser.parse("m", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("tombstone");
  }

  @Test
  void shouldHaveNoStackTrace() {
    assertThatThrownBy(() -> parse("m", "{}"))
        .isInstanceOf(InvalidReferenceException.class)
        .satisfies(e -> assertThat(e.getStackTrace()).isEmpty());
  }

  @Test
  void shouldRejectInvalidSettings() {
    assertThatThrownBy(() -> new ReferenceParser(1.0, 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ReferenceParser(1e-3, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** Parses JSON written with single quotes for readability. */
  private Reference parse(final String key, final String json) {
    return parser.parse(key, utf8(json.replace('\'', '"')));
  }

  private static byte[] utf8(final String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
