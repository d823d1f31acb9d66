package org.modelmon.reference;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.modelmon.json.Names;
import org.modelmon.json.StrictJson;
import org.modelmon.math.CompensatedSum;

/**
 * Turns a references-topic record (docs/reference.md#references) into a validated, renormalised
 * {@link Reference}, or refuses it with an {@link InvalidReferenceException}.
 *
 * <p>The value is {@code {"model": m, "version": v?, "distribution": {class: p}}}, read as strictly
 * as a prediction event (see {@link StrictJson}); other fields are ignored and {@code null} counts
 * as absent. The record key must be {@link #key(String, String)} of the value's model and version,
 * so that compaction keeps exactly one reference per (model, version). A null value is a tombstone,
 * which the caller handles before calling {@link #parse}.
 *
 * <p>As docs/reference.md#references states: model, version and class names follow the same rules
 * as in prediction events, and a reference may list at most {@code maxClasses} classes, because an
 * event with more could never be valid and so could never be compared with it.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ReferenceParser {

  private static final int INITIAL_CAPACITY = 8;

  private final double probabilityTolerance;
  private final int maxClasses;

  /**
   * @param probabilityTolerance {@code modelmon.probability.tolerance}, in [0, 1)
   * @param maxClasses {@code modelmon.max.classes}, at least 2
   */
  public ReferenceParser(final double probabilityTolerance, final int maxClasses) {
    if (!(probabilityTolerance >= 0.0 && probabilityTolerance < 1.0)) {
      throw new IllegalArgumentException(
          "probabilityTolerance must be in [0, 1): " + probabilityTolerance);
    }
    if (maxClasses < 2) {
      throw new IllegalArgumentException("maxClasses must be at least 2: " + maxClasses);
    }
    this.probabilityTolerance = probabilityTolerance;
    this.maxClasses = maxClasses;
  }

  /**
   * The record key of the reference for {@code model} at {@code version}: {@code model} when {@code
   * version} is {@code ""}, else {@code model@version}.
   */
  public static String key(final String model, final String version) {
    Objects.requireNonNull(model, "model");
    return version.isEmpty() ? model : model + "@" + version;
  }

  /**
   * Parses and validates one references-topic record.
   *
   * @param key the record key, {@code model} or {@code model@version}
   * @param value the record value, not {@code null} (a tombstone is not a reference)
   * @return the reference, its distribution divided by its sum
   * @throws InvalidReferenceException when any rule fails
   */
  public Reference parse(final String key, final byte[] value) {
    Objects.requireNonNull(value, "value (a null value is a tombstone, for the caller to handle)");
    final Raw raw = scan(value);

    if (raw.problem != null) {
      throw new InvalidReferenceException(raw.problem);
    }
    if (raw.model == null) {
      throw new InvalidReferenceException("no model");
    }
    if (!Names.isModel(raw.model)) {
      throw new InvalidReferenceException(
          "model must be 1-" + Names.MAX_MODEL_LENGTH + " characters of [A-Za-z0-9_.:/-]");
    }
    final String version = raw.version == null ? "" : raw.version;
    if (!Names.isVersion(version)) {
      throw new InvalidReferenceException(
          "version must be 0-" + Names.MAX_VERSION_LENGTH + " characters of [A-Za-z0-9_.:/-]");
    }
    if (key == null) {
      throw new InvalidReferenceException("the record has no key");
    }
    final String expectedKey = key(raw.model, version);
    if (!key.equals(expectedKey)) {
      throw new InvalidReferenceException(
          "the record key does not match the value's model and version (expected key '"
              + expectedKey
              + "')");
    }
    if (raw.names == null) {
      throw new InvalidReferenceException("no distribution");
    }
    final int n = raw.count;
    if (n < 2) {
      throw new InvalidReferenceException("distribution has " + n + " classes, fewer than 2");
    }
    if (n > maxClasses) {
      throw new InvalidReferenceException(
          "distribution has " + n + " classes, more than " + maxClasses);
    }
    final double[] p = raw.values.length == n ? raw.values : Arrays.copyOf(raw.values, n);
    final CompensatedSum sum = new CompensatedSum();
    for (int c = 0; c < n; c++) {
      if (!(p[c] >= 0.0 && p[c] <= 1.0)) {
        throw new InvalidReferenceException(
            "distribution entry " + c + " is not a finite number in [0, 1]");
      }
      // -0.0 == 0.0: store +0.0 so that no -0.0 leaks into entropy terms or output.
      if (p[c] == 0.0) {
        p[c] = 0.0;
      }
      sum.add(p[c]);
    }
    final double total = sum.value();
    if (!(Math.abs(total - 1.0) <= probabilityTolerance)) {
      throw new InvalidReferenceException(
          "distribution sums to " + total + ", more than " + probabilityTolerance + " away from 1");
    }
    if (total != 1.0) {
      for (int c = 0; c < n; c++) {
        p[c] /= total;
      }
    }
    final List<String> classes =
        Arrays.asList(raw.names.length == n ? raw.names : Arrays.copyOf(raw.names, n));
    return new Reference(raw.model, version, classes, p);
  }

  private static Raw scan(final byte[] value) {
    final String encodingProblem = StrictJson.encodingProblem(value);
    if (encodingProblem != null) {
      throw new InvalidReferenceException("malformed JSON: " + encodingProblem);
    }
    final Raw raw = new Raw();
    try (JsonParser parser = StrictJson.createParser(value)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new InvalidReferenceException("malformed JSON: the value is not a JSON object");
      }
      String field;
      while ((field = parser.nextFieldName()) != null) {
        final JsonToken token = parser.nextToken();
        switch (field) {
          case "model" -> raw.model = readString(parser, token, raw, "model");
          case "version" -> raw.version = readString(parser, token, raw, "version");
          case "distribution" -> readDistribution(parser, token, raw);
          default -> parser.skipChildren();
        }
      }
      if (parser.nextToken() != null) {
        throw new InvalidReferenceException("malformed JSON: content after the JSON object");
      }
    } catch (IOException e) {
      throw new InvalidReferenceException("malformed JSON: " + StrictJson.describe(e));
    }
    return raw;
  }

  private static String readString(
      final JsonParser parser, final JsonToken token, final Raw raw, final String field)
      throws IOException {
    if (token == JsonToken.VALUE_STRING) {
      return parser.getText();
    }
    if (token != JsonToken.VALUE_NULL) {
      raw.problem(field + " is not a string");
      parser.skipChildren();
    }
    return null;
  }

  private static void readDistribution(
      final JsonParser parser, final JsonToken token, final Raw raw) throws IOException {
    if (token == JsonToken.VALUE_NULL) {
      return;
    }
    if (token != JsonToken.START_OBJECT) {
      raw.problem("distribution is not an object");
      parser.skipChildren();
      return;
    }
    raw.names = new String[INITIAL_CAPACITY];
    raw.values = new double[INITIAL_CAPACITY];
    String name;
    while ((name = parser.nextFieldName()) != null) {
      final int index = raw.count;
      if (!Names.isClassName(name)) {
        raw.problem(
            "distribution: the class name of entry "
                + index
                + " is empty, longer than "
                + Names.MAX_CLASS_NAME_LENGTH
                + " characters or has a control character");
      }
      final JsonToken element = parser.nextToken();
      double p = Double.NaN;
      if (element == JsonToken.VALUE_NUMBER_INT || element == JsonToken.VALUE_NUMBER_FLOAT) {
        p = parser.getDoubleValue();
      } else {
        raw.problem("distribution entry " + index + " is not a number");
        parser.skipChildren();
      }
      raw.add(name, p);
    }
  }

  /** What the scan found. One per call. */
  private static final class Raw {
    String model;
    String version;
    String[] names;
    double[] values;
    int count;

    /** The first field problem, reported after the whole value proved to be strict JSON. */
    String problem;

    void problem(final String detail) {
      if (problem == null) {
        problem = detail;
      }
    }

    void add(final String name, final double p) {
      if (count == names.length) {
        names = Arrays.copyOf(names, count * 2);
        values = Arrays.copyOf(values, count * 2);
      }
      names[count] = name;
      values[count++] = p;
    }
  }
}
