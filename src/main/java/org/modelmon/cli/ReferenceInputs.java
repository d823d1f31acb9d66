package org.modelmon.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.modelmon.config.Texts;
import org.modelmon.event.InvalidEventException;
import org.modelmon.event.LabelEvent;
import org.modelmon.event.LabelParser;
import org.modelmon.event.ParserLimits;
import org.modelmon.event.PredictionEvent;
import org.modelmon.event.PredictionParser;
import org.modelmon.json.Names;
import org.modelmon.json.StrictJson;
import org.modelmon.reference.ReferenceLookup;

/**
 * Turns what a user gives {@code reference publish} into a distribution: a {@code --distribution}
 * argument, or a {@code --from-labels} file of labels whose empirical mix becomes p.
 *
 * <p>Only the syntax is checked here; whether the result is a valid reference (class count, range,
 * sum) is left to {@link org.modelmon.reference.ReferenceParser}, so that exactly the processor's
 * rules apply.
 */
final class ReferenceInputs {

  private static final int READ_BUFFER_SIZE = 1 << 16;

  private static final String SYNTAX = "expected CLASS=P[,CLASS=P...], e.g. stay=0.8,leave=0.2";

  private ReferenceInputs() {}

  /**
   * Parses {@code a=0.7,b=0.3}: comma-separated items, each a class name, {@code =} and a decimal
   * number.
   *
   * <p>White space around items, names and numbers is ignored, so a class name cannot start or end
   * with a space here, nor hold a comma; such names need {@code --from-labels}. A name may hold
   * {@code =}: the last one in an item separates the number. Numbers are plain decimals ({@code
   * 0.25}, {@code .25}, {@code 2.5e-1}); {@code NaN}, {@code Infinity}, hexadecimal and suffixes
   * are refused. A class given twice is refused.
   *
   * @return p by class, in the order given, each number as written
   * @throws InvalidInputException naming the item that is wrong
   */
  static Map<String, BigDecimal> parseDistribution(final String argument) {
    final Map<String, BigDecimal> distribution = new LinkedHashMap<>();
    final String[] items = argument.split(",", -1);
    for (int i = 0; i < items.length; i++) {
      final String item = items[i].strip();
      final String where = "--distribution item " + (i + 1) + " " + Texts.quote(item) + ": ";
      final int equals = item.lastIndexOf('=');
      if (item.isEmpty() || equals < 0) {
        throw new InvalidInputException(where + SYNTAX);
      }
      final String name = item.substring(0, equals).strip();
      final String number = item.substring(equals + 1).strip();
      if (name.isEmpty()) {
        throw new InvalidInputException(where + "no class name before '='");
      }
      if (!Names.isClassName(name)) {
        throw new InvalidInputException(where + classNameRule());
      }
      if (distribution.containsKey(name)) {
        throw new InvalidInputException(
            where + "class " + Texts.quote(name) + " is given twice; each class once");
      }
      distribution.put(name, decimal(number, where));
    }
    return distribution;
  }

  /**
   * Counts the labels of {@code model} in a JSON Lines file, one JSON value per line.
   *
   * <p>A line is either a prediction event (a JSON object), parsed and validated by {@link
   * PredictionParser} as the processor parses events, whose {@link PredictionEvent#label()} counts
   * when its model is {@code model} — events of other models, whatever their version, since the
   * true labels do not depend on which version predicted, and events without a label are counted as
   * ignored; a label event (a JSON object without {@code probabilities} or {@code score}), parsed
   * and validated by {@link LabelParser}, whose label names its class as a bare label does and
   * counts when its model is {@code model} (others are ignored); or a bare label: a JSON string is
   * a class name, an integer the class named by its decimal form, and {@code true}/{@code false}
   * the classes {@code "1"}/{@code "0"}, as in the event forms. Blank lines are skipped. Event
   * times do not matter here, so the processor's future-skew rule is not applied; every other rule
   * is.
   *
   * @param limits the configured limits; at most {@code maxClasses} distinct labels are accepted
   * @throws InvalidInputException for an unreadable file, an invalid line (naming its number), or a
   *     file without a single label of {@code model}
   */
  static LabelCounts readLabels(final Path file, final String model, final ParserLimits limits) {
    final String where = "--from-labels " + file;
    if (Files.isDirectory(file)) {
      throw new InvalidInputException(where + ": is a directory, not a file");
    }
    final LabelCounter counter = new LabelCounter(where, model, limits);
    // Lines are split on the bytes and decoded one by one, so that an encoding error is reported
    // on its own line (a Reader decodes ahead and would blame whichever line it was reading).
    try (InputStream in = Files.newInputStream(file)) {
      final byte[] buffer = new byte[READ_BUFFER_SIZE];
      final ByteArrayOutputStream line = new ByteArrayOutputStream();
      int read;
      while ((read = in.read(buffer)) != -1) {
        int start = 0;
        for (int i = 0; i < read; i++) {
          if (buffer[i] == '\n') {
            line.write(buffer, start, i - start);
            counter.accept(line.toByteArray());
            line.reset();
            start = i + 1;
          }
        }
        line.write(buffer, start, read - start);
      }
      if (line.size() > 0) {
        counter.accept(line.toByteArray());
      }
    } catch (final NoSuchFileException e) {
      throw new InvalidInputException(where + ": no such file");
    } catch (final AccessDeniedException e) {
      throw new InvalidInputException(where + ": permission denied");
    } catch (final IOException e) {
      throw new InvalidInputException(where + ": cannot be read: " + e.getMessage());
    }
    return counter.result();
  }

  /** Whether the line is a JSON object, i.e. meant as an event rather than a bare label. */
  private static boolean isObject(final byte[] line, final String where) {
    final String encodingProblem = StrictJson.encodingProblem(line);
    if (encodingProblem != null) {
      throw new InvalidInputException(where + "malformed JSON: " + encodingProblem);
    }
    try (JsonParser json = StrictJson.createParser(line)) {
      return json.nextToken() == JsonToken.START_OBJECT;
    } catch (final IOException e) {
      throw malformed(where, e);
    }
  }

  /**
   * Whether a JSON object's top level has {@code probabilities} or {@code score}, not null: a
   * prediction event, not a label event. A malformed object counts as a prediction event, whose
   * parser says what is wrong with it.
   */
  private static boolean isPredictionEvent(final byte[] line) {
    try (JsonParser json = StrictJson.createParser(line)) {
      json.nextToken();
      String field;
      while ((field = json.nextFieldName()) != null) {
        final JsonToken value = json.nextToken();
        if ((field.equals("probabilities") || field.equals("score"))
            && value != JsonToken.VALUE_NULL) { // null counts as absent
          return true;
        }
        StrictJson.skipChildren(json);
      }
      return false;
    } catch (final IOException e) {
      return true;
    }
  }

  private static LabelEvent labelEvent(
      final LabelParser parser, final byte[] line, final String where) {
    try {
      // As for prediction events: no record timestamp, and no time is too far ahead.
      return parser.parse(line, 0L, Long.MAX_VALUE);
    } catch (final InvalidEventException e) {
      throw new InvalidInputException(
          where
              + "invalid label event (an object without probabilities or score): "
              + withoutLineOne(e.getMessage()));
    }
  }

  private static PredictionEvent event(
      final PredictionParser parser, final byte[] line, final String where) {
    try {
      // A file has no record timestamp: 0 keeps an event without one valid. The wall clock is
      // Long.MAX_VALUE so that no event time counts as too far ahead of it.
      return parser.parse(line, 0L, Long.MAX_VALUE, ReferenceLookup.NONE);
    } catch (final InvalidEventException e) {
      throw new InvalidInputException(
          where + "invalid prediction event: " + withoutLineOne(e.getMessage()));
    }
  }

  private static String bareLabel(final byte[] line, final String where) {
    try (JsonParser json = StrictJson.createParser(line)) {
      final JsonToken token = json.nextToken();
      final String label =
          switch (token) {
            case VALUE_STRING -> {
              final String name = json.getText();
              if (!Names.isClassName(name)) {
                throw new InvalidInputException(where + "the label " + classNameRule());
              }
              yield name;
            }
            case VALUE_TRUE -> "1";
            case VALUE_FALSE -> "0";
            case VALUE_NUMBER_INT -> json.getBigIntegerValue().toString();
            case VALUE_NUMBER_FLOAT -> integerName(json.getDecimalValue(), where);
            default ->
                throw new InvalidInputException(
                    where
                        + "neither a prediction event (a JSON object) nor a label (a JSON string,"
                        + " integer or boolean)");
          };
      if (json.nextToken() != null) {
        throw new InvalidInputException(where + "malformed JSON: content after the label");
      }
      return label;
    } catch (final IOException e) {
      throw malformed(where, e);
    }
  }

  /**
   * The class an integral number written with a fraction or exponent names, as in events: {@code
   * 2.0} and {@code 2e0} name {@code "2"}, {@code -0.0} names {@code "0"}.
   */
  private static String integerName(final BigDecimal value, final String where) {
    if (value.signum() == 0) {
      return "0";
    }
    final BigDecimal stripped = value.stripTrailingZeros();
    if (stripped.scale() > 0) {
      throw new InvalidInputException(where + "the label is a number but not an integer");
    }
    // 1e1000000 is short to write but would be a million digits: longer than any class name.
    if (stripped.precision() - stripped.scale() > Names.MAX_CLASS_NAME_LENGTH) {
      throw new InvalidInputException(where + "the label " + classNameRule());
    }
    final BigInteger integer = stripped.toBigIntegerExact();
    return integer.toString();
  }

  private static BigDecimal decimal(final String number, final String where) {
    if (number.isEmpty()) {
      throw new InvalidInputException(where + "no probability after '='");
    }
    try {
      // Like the configuration: BigDecimal refuses NaN, Infinity, hexadecimal and a "d" suffix.
      return new BigDecimal(number);
    } catch (final NumberFormatException e) {
      throw new InvalidInputException(
          where + Texts.quote(number) + " is not a decimal number (e.g. 0.25)");
    }
  }

  private static String classNameRule() {
    return "is not a class name: 1-"
        + Names.MAX_CLASS_NAME_LENGTH
        + " characters, no control characters";
  }

  private static InvalidInputException malformed(final String where, final IOException e) {
    return new InvalidInputException(
        where + "malformed JSON: " + withoutLineOne(StrictJson.describe(e)));
  }

  // Each line is parsed on its own, so the parser's position is always "line 1"; the file's line
  // number is already in the message.
  private static String withoutLineOne(final String message) {
    return message.replace("(line 1, column ", "(column ");
  }

  /** Counts labels line by line; one per file. */
  private static final class LabelCounter {

    private final String where;
    private final String model;
    private final int maxClasses;
    private final PredictionParser parser;
    private final LabelParser labelParser;
    private final Map<String, Long> counts = new LinkedHashMap<>();
    private long ignored;
    private long lineNumber;

    LabelCounter(final String where, final String model, final ParserLimits limits) {
      this.where = where;
      this.model = model;
      this.maxClasses = limits.maxClasses();
      this.parser = new PredictionParser(limits);
      this.labelParser = new LabelParser(limits);
    }

    /** One line, without its line feed. */
    void accept(final byte[] bytes) {
      lineNumber++;
      final String lineWhere = where + " line " + lineNumber + ": ";
      final int length =
          bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
      final String text;
      try {
        text = UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 0, length)).toString();
      } catch (final CharacterCodingException e) {
        throw new InvalidInputException(lineWhere + "not valid UTF-8");
      }
      if (text.isBlank()) {
        return;
      }
      final byte[] line = length == bytes.length ? bytes : Arrays.copyOf(bytes, length);
      final String label;
      if (!isObject(line, lineWhere)) {
        label = bareLabel(line, lineWhere);
      } else if (isPredictionEvent(line)) {
        final PredictionEvent event = event(parser, line, lineWhere);
        if (!event.model().equals(model) || !event.labelled()) {
          ignored++;
          return;
        }
        label = event.label();
      } else {
        final LabelEvent event = labelEvent(labelParser, line, lineWhere);
        if (!event.model().equals(model)) {
          ignored++;
          return;
        }
        label = event.label().className();
        if (label == null) {
          throw new InvalidInputException(lineWhere + "the label " + classNameRule());
        }
      }
      counts.merge(label, 1L, Long::sum);
      if (counts.size() > maxClasses) {
        throw new InvalidInputException(
            lineWhere
                + "more than "
                + maxClasses
                + " distinct labels, the most a reference may have (modelmon.max.classes)");
      }
    }

    LabelCounts result() {
      if (counts.isEmpty()) {
        throw new InvalidInputException(
            where
                + ": no labels of model "
                + model
                + (ignored > 0
                    ? " (" + ignored + " events of other models or without a label ignored)"
                    : ""));
      }
      return new LabelCounts(counts, ignored);
    }
  }

  /**
   * The labels counted in a file.
   *
   * @param counts labels by class, in the order the classes first appear
   * @param ignored events of other models or without a label that were skipped
   */
  record LabelCounts(Map<String, Long> counts, long ignored) {

    LabelCounts {
      counts = Collections.unmodifiableMap(new LinkedHashMap<>(counts));
    }

    /** How many labels were counted. */
    long labels() {
      return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The empirical distribution: each class's count divided by {@link #labels()}. */
    Map<String, BigDecimal> distribution() {
      final double total = labels();
      final Map<String, BigDecimal> distribution = new LinkedHashMap<>();
      // BigDecimal.valueOf writes the shortest decimal that reads back as the same double.
      counts.forEach((name, count) -> distribution.put(name, BigDecimal.valueOf(count / total)));
      return distribution;
    }
  }
}
