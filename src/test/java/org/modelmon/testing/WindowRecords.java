package org.modelmon.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares a window record modelmon wrote (windows topic, API) with one a test computed
 * independently, field by field, and reads the records of {@code fixtures/window-fixtures.json}
 * (made by {@code generate_window_fixtures.py} with scikit-learn and SciPy).
 */
public final class WindowRecords {

  /**
   * Doubles agree to 1e-9 relative, the agreement with scikit-learn and SciPy modelmon promises.
   * The absolute floor is for values at or near 0 (the drift of a window whose mix is the
   * reference's), which have no relative precision to speak of; it is far below any value a wrong
   * formula would give.
   */
  public static final double RELATIVE = 1e-9;

  private static final double ABSOLUTE = 1e-12;

  private static final String FIXTURES = "/fixtures/window-fixtures.json";

  private WindowRecords() {}

  /** The content of {@code fixtures/window-fixtures.json}. */
  public static JsonNode fixtures() {
    try (InputStream in = WindowRecords.class.getResourceAsStream(FIXTURES)) {
      assertThat(in).as(FIXTURES).isNotNull();
      return new ObjectMapper().readTree(in);
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Asserts that {@code actual} is the window record {@code expected}: the same fields, texts and
   * integers exactly, doubles to {@link #RELATIVE}, per-class objects with exactly the same keys,
   * arrays (the calibration bins) item by item. A
   * field of {@code actual} that {@code expected} lacks fails, so a field added to the record later
   * cannot go unchecked.
   *
   * @param where names the record in failure messages
   */
  public static void assertMatches(
      final String where, final JsonNode actual, final JsonNode expected) {
    assertThat(actual).as("%s: no record", where).isNotNull();
    assertThat(actual.isObject()).as("%s is an object: %s", where, actual).isTrue();
    final Set<String> actualFields = fieldNames(actual);
    final Set<String> expectedFields = fieldNames(expected);
    final Set<String> unknown = new TreeSet<>(actualFields);
    unknown.removeAll(expectedFields);
    assertThat(unknown)
        .as("%s: fields the expected record does not have; compute them in the test", where)
        .isEmpty();
    final Set<String> missing = new TreeSet<>(expectedFields);
    missing.removeAll(actualFields);
    assertThat(missing).as("%s: fields missing from %s", where, actual).isEmpty();
    for (final String field : expectedFields) {
      if (actual.has(field)) {
        assertValue(where + " " + field, actual.get(field), expected.get(field));
      }
    }
  }

  private static void assertValue(
      final String where, final JsonNode actual, final JsonNode expected) {
    if (expected.isArray()) {
      assertThat(actual.isArray()).as("%s is an array: %s", where, actual).isTrue();
      assertThat(actual.size()).as("%s: items", where).isEqualTo(expected.size());
      for (int i = 0; i < expected.size(); i++) {
        assertValue(where + "[" + i + "]", actual.get(i), expected.get(i));
      }
    } else if (expected.isObject()) {
      assertThat(actual.isObject()).as("%s is an object: %s", where, actual).isTrue();
      assertThat(fieldNames(actual)).as("%s: keys", where).isEqualTo(fieldNames(expected));
      for (final String name : fieldNames(expected)) {
        assertValue(where + "." + name, actual.get(name), expected.get(name));
      }
    } else if (expected.isIntegralNumber()) {
      assertThat(actual.isIntegralNumber()).as("%s is an integer: %s", where, actual).isTrue();
      assertThat(actual.longValue()).as(where).isEqualTo(expected.longValue());
    } else if (expected.isFloatingPointNumber()) {
      assertThat(actual.isNumber()).as("%s is a number: %s", where, actual).isTrue();
      final double value = expected.doubleValue();
      assertThat(actual.doubleValue())
          .as(where)
          .isFinite()
          .isCloseTo(value, within(Math.max(ABSOLUTE, RELATIVE * Math.abs(value))));
    } else if (expected.isTextual()) {
      assertThat(actual.isTextual()).as("%s is a string: %s", where, actual).isTrue();
      assertThat(actual.textValue()).as(where).isEqualTo(expected.textValue());
    } else {
      throw new AssertionError(where + ": cannot compare " + expected.getNodeType());
    }
  }

  private static Set<String> fieldNames(final JsonNode node) {
    final Set<String> names = new TreeSet<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
