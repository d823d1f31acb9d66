package org.modelmon.event;

import static org.modelmon.event.InvalidReason.INVALID_FIELD;
import static org.modelmon.event.InvalidReason.INVALID_TIMESTAMP;
import static org.modelmon.event.InvalidReason.MALFORMED_JSON;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.modelmon.json.Names;
import org.modelmon.json.StrictJson;

/**
 * What the strict scan of one event value found in the fields prediction and label events share
 * ({@code model}, {@code id}, {@code timestamp}, {@code label}), how the scan reads them, and the
 * rules of those fields, so that both kinds of event apply them alike. A prediction's scan extends
 * it with the fields of its own; one instance per value.
 *
 * <p>A scan always reads the whole value, because a JSON error anywhere ({@link
 * InvalidReason#MALFORMED_JSON}) outranks every field rule: it throws only that reason, and records
 * every other finding for the parser's rules, which report them in their order. Each parser runs
 * its own loop over the keys ({@link #open}, {@link #firstOccurrence}, {@link #readSharedField},
 * {@link #end}), so that no call in the prediction parser's loop, run per key per event, is made
 * polymorphic by the label parser's scan.
 */
class EventScan {

  /**
   * The bits of the top-level keys a scan reads, one string match per key giving the bit that both
   * the duplicate check and the dispatch use; {@link #OTHER} for any other key.
   */
  static final int OTHER = 0;

  static final int MODEL = 1;
  static final int ID = 1 << 1;
  static final int TIMESTAMP = 1 << 2;
  static final int LABEL = 1 << 3;

  /** The first bit free for a parser's own fields. */
  static final int FIRST_OWN_FIELD = 1 << 4;

  /** A bit per field name the scan reads, set when it was seen. */
  private int knownFieldsSeen;

  /** The other top-level keys seen; allocated for the first one. */
  private Set<String> otherFieldsSeen;

  boolean modelPresent;
  String model;
  boolean idPresent;
  String id;

  TimestampKind timestampKind = TimestampKind.ABSENT;
  long timestampMillis;
  String timestampText;
  String timestampProblem;

  LabelKind labelKind = LabelKind.ABSENT;
  String labelName;
  boolean labelBoolean;
  boolean labelFitsLong;
  long labelLong;

  /** An integer label beyond a long, integral with scale ≤ 0. */
  BigDecimal labelBig;

  /** The first INVALID_FIELD finding, reported in rule order later. */
  String invalidField;

  /**
   * A parser over {@code value} at the first token inside its top-level object, for a scan that
   * reads every key with {@link #firstOccurrence} and then ends with {@link #end}; an {@link
   * IOException} on the way is {@link #malformed}.
   *
   * @throws InvalidEventException with {@link InvalidReason#MALFORMED_JSON} when the value is not
   *     UTF-8 or not an object
   */
  static JsonParser open(final byte[] value) throws IOException {
    final String encodingProblem = StrictJson.encodingProblem(value);
    if (encodingProblem != null) {
      throw new InvalidEventException(MALFORMED_JSON, encodingProblem);
    }
    final JsonParser parser = StrictJson.createParserCheckingKeysInCaller(value);
    boolean inObject = false;
    try {
      inObject = parser.nextToken() == JsonToken.START_OBJECT;
    } finally {
      if (!inObject) {
        parser.close();
      }
    }
    if (!inObject) {
      throw new InvalidEventException(MALFORMED_JSON, "the value is not a JSON object");
    }
    return parser;
  }

  /** Refuses anything after the top-level object, whose end the parser is at. */
  static void end(final JsonParser parser) throws IOException {
    if (parser.nextToken() != null) {
      throw new InvalidEventException(MALFORMED_JSON, "content after the JSON object");
    }
  }

  /** The {@link InvalidReason#MALFORMED_JSON} of a JSON error, which never quotes the value. */
  static InvalidEventException malformed(final IOException e) {
    return new InvalidEventException(MALFORMED_JSON, StrictJson.describe(e));
  }

  /** Reads a shared field, or skips the value of a key no parser reads. */
  final void readSharedField(final int known, final JsonToken token, final JsonParser parser)
      throws IOException {
    switch (known) {
      case MODEL -> {
        modelPresent = token != JsonToken.VALUE_NULL;
        model = readString(parser, token, "model");
      }
      case ID -> {
        idPresent = token != JsonToken.VALUE_NULL;
        id = readString(parser, token, "id");
      }
      case TIMESTAMP -> readTimestamp(parser, token);
      case LABEL -> readLabel(parser, token);
      default -> StrictJson.skipChildren(parser);
    }
  }

  /**
   * Records a top-level key ({@code known}: its bit, or {@link #OTHER}), refusing a duplicate: the
   * parser leaves them to the scan ({@link StrictJson#createParserCheckingKeysInCaller}).
   */
  final void firstOccurrence(final int known, final String field, final JsonParser parser)
      throws JsonParseException {
    if (known != OTHER) {
      if ((knownFieldsSeen & known) != 0) {
        throw StrictJson.duplicateKey(parser, field);
      }
      knownFieldsSeen |= known;
      return;
    }
    if (otherFieldsSeen == null) {
      otherFieldsSeen = new HashSet<>();
    }
    if (!otherFieldsSeen.add(field)) {
      throw StrictJson.duplicateKey(parser, field);
    }
  }

  /** A string field's value; {@code null} when JSON null or (recorded as invalid) another type. */
  final String readString(final JsonParser parser, final JsonToken token, final String field)
      throws IOException {
    if (token == JsonToken.VALUE_STRING) {
      return parser.getText();
    }
    if (token != JsonToken.VALUE_NULL) {
      invalidField(field + " is not a string");
      StrictJson.skipChildren(parser);
    }
    return null;
  }

  private void readTimestamp(final JsonParser parser, final JsonToken token) throws IOException {
    switch (token) {
      case VALUE_NULL -> {}
      case VALUE_STRING -> {
        timestampKind = TimestampKind.TEXT;
        timestampText = parser.getText();
      }
      case VALUE_NUMBER_INT -> {
        final JsonParser.NumberType type = parser.getNumberType();
        if (type == JsonParser.NumberType.INT || type == JsonParser.NumberType.LONG) {
          setTimestampMillis(parser.getLongValue());
        } else {
          timestampProblem(
              parser.getBigIntegerValue().signum() < 0
                  ? "timestamp is negative"
                  : "timestamp is beyond any representable time");
        }
      }
      case VALUE_NUMBER_FLOAT -> {
        final BigDecimal integral = integralValue(parser);
        if (integral == null) {
          timestampProblem("timestamp is a number but not an integer");
        } else if (integral.signum() < 0) {
          timestampProblem("timestamp is negative");
        } else if (LabelValue.integerDigits(integral) > 18) {
          timestampProblem("timestamp is beyond any representable time");
        } else {
          setTimestampMillis(integral.longValueExact());
        }
      }
      default -> {
        timestampKind = TimestampKind.WRONG_TYPE;
        invalidField("timestamp is neither a number nor a string");
        StrictJson.skipChildren(parser);
      }
    }
  }

  private void setTimestampMillis(final long millis) {
    if (millis < 0) {
      timestampProblem("timestamp is negative");
    } else {
      timestampKind = TimestampKind.MILLIS;
      timestampMillis = millis;
    }
  }

  private void readLabel(final JsonParser parser, final JsonToken token) throws IOException {
    switch (token) {
      case VALUE_NULL -> {}
      case VALUE_STRING -> {
        labelKind = LabelKind.NAME;
        labelName = parser.getText();
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        labelKind = LabelKind.BOOLEAN;
        labelBoolean = token == JsonToken.VALUE_TRUE;
      }
      case VALUE_NUMBER_INT -> {
        labelKind = LabelKind.INTEGER;
        final JsonParser.NumberType type = parser.getNumberType();
        if (type == JsonParser.NumberType.INT || type == JsonParser.NumberType.LONG) {
          labelFitsLong = true;
          labelLong = parser.getLongValue();
        } else {
          labelBig = parser.getDecimalValue();
        }
      }
      case VALUE_NUMBER_FLOAT -> {
        final BigDecimal integral = integralValue(parser);
        if (integral == null) {
          labelKind = LabelKind.INVALID;
          invalidField("label is a number but not an integer");
        } else {
          labelKind = LabelKind.INTEGER;
          if (LabelValue.integerDigits(integral) <= 18) {
            labelFitsLong = true;
            labelLong = integral.longValueExact();
          } else {
            labelBig = integral;
          }
        }
      }
      default -> {
        labelKind = LabelKind.INVALID;
        invalidField("label is neither a string, an integer nor a boolean");
        StrictJson.skipChildren(parser);
      }
    }
  }

  /**
   * The current float token's value with trailing zeros stripped when it is integral, else {@code
   * null}. Exact (BigDecimal), so 1.0000000000000000001 is not taken for 1; this path runs only for
   * labels and timestamps written with a fraction or exponent.
   */
  private static BigDecimal integralValue(final JsonParser parser) throws IOException {
    final BigDecimal value = parser.getDecimalValue();
    if (value.signum() == 0) {
      return BigDecimal.ZERO;
    }
    final BigDecimal stripped = value.stripTrailingZeros();
    return stripped.scale() <= 0 ? stripped : null;
  }

  final void invalidField(final String detail) {
    if (invalidField == null) {
      invalidField = detail;
    }
  }

  private void timestampProblem(final String detail) {
    timestampKind = TimestampKind.INVALID;
    timestampProblem = detail;
  }

  // ---------------------------------------------------------------------------------------------
  // The rules of the shared fields; each parser calls them in its own order.

  /** {@link InvalidReason#INVALID_FIELD} for the first value of the wrong JSON type. */
  final void checkTypes() {
    if (invalidField != null) {
      throw new InvalidEventException(INVALID_FIELD, invalidField);
    }
  }

  /**
   * {@link InvalidReason#INVALID_FIELD} unless the model, present, has the characters of a model.
   */
  final void checkModel() {
    if (!Names.isModel(model)) {
      throw new InvalidEventException(
          INVALID_FIELD,
          "model must be 1-" + Names.MAX_MODEL_LENGTH + " characters of [A-Za-z0-9_.:/-]");
    }
  }

  /** {@link InvalidReason#INVALID_FIELD} when the id is there but is not an id. */
  final void checkId() {
    if (id != null && !Names.isId(id)) {
      throw new InvalidEventException(
          INVALID_FIELD,
          "id must be 1-" + Names.MAX_ID_LENGTH + " characters without control characters");
    }
  }

  /**
   * The time {@code timestamp} gives, or {@code recordTimestampMillis} without one; call only after
   * {@link #checkTypes}.
   *
   * @throws InvalidEventException with {@link InvalidReason#INVALID_TIMESTAMP} when {@code
   *     timestamp} is unreadable
   */
  final long timeOr(final long recordTimestampMillis) {
    return switch (timestampKind) {
      case ABSENT -> recordTimestampMillis;
      case MILLIS -> timestampMillis;
      case TEXT -> parseTimestamp(timestampText);
      case INVALID -> throw new InvalidEventException(INVALID_TIMESTAMP, timestampProblem);
      case WRONG_TYPE -> throw new IllegalStateException("reported as INVALID_FIELD before");
    };
  }

  private static long parseTimestamp(final String text) {
    try {
      return Rfc3339.toEpochMilli(text);
    } catch (DateTimeException | ArithmeticException e) {
      throw new InvalidEventException(
          INVALID_TIMESTAMP,
          "timestamp is not an RFC 3339 date-time (yyyy-mm-ddThh:mm:ss[.fraction] and Z or an"
              + " offset)");
    }
  }

  /**
   * {@link InvalidReason#INVALID_TIMESTAMP} unless {@code time} is ≥ 0 and at most {@code
   * maxFutureSkewMillis} after {@code nowMillis}, whether it came from {@code timestamp} or from
   * the record, since either would move windows.
   *
   * @param what the time's name in the message, as "event time"
   */
  static void checkTime(
      final long time, final long nowMillis, final long maxFutureSkewMillis, final String what) {
    if (time < 0) {
      throw new InvalidEventException(INVALID_TIMESTAMP, what + " is before 1970");
    }
    final long latest =
        nowMillis > Long.MAX_VALUE - maxFutureSkewMillis
            ? Long.MAX_VALUE
            : nowMillis + maxFutureSkewMillis;
    if (time > latest) {
      throw new InvalidEventException(
          INVALID_TIMESTAMP,
          what
              + " is "
              + (time - nowMillis)
              + " ms ahead of the wall clock, more than "
              + maxFutureSkewMillis);
    }
  }

  /**
   * Index of the label in {@code classes} by {@link LabelValue#indexIn}'s rule, or -1; call only
   * with a label of a valid type. Builds no {@link LabelValue}: predictions resolve theirs here
   * once per event.
   */
  final int labelIndexIn(final List<String> classes, final PredictionForm form) {
    return switch (labelKind) {
      case NAME -> LabelValue.nameIndex(classes, labelName);
      case BOOLEAN -> LabelValue.booleanIndex(form, labelBoolean);
      case INTEGER ->
          labelFitsLong
              ? LabelValue.integerIndex(classes, form, labelLong)
              : LabelValue.integerIndex(classes, form, labelBig);
      case ABSENT, INVALID -> throw new IllegalStateException("no label of a valid type");
    };
  }

  /** The label as a value; call only with a label of a valid type. */
  final LabelValue labelValue() {
    return switch (labelKind) {
      case NAME -> LabelValue.ofName(labelName);
      case BOOLEAN -> LabelValue.ofBoolean(labelBoolean);
      case INTEGER ->
          labelFitsLong ? LabelValue.ofInteger(labelLong) : LabelValue.ofInteger(labelBig);
      case ABSENT, INVALID -> throw new IllegalStateException("no label of a valid type");
    };
  }

  enum LabelKind {
    ABSENT,
    NAME,
    INTEGER,
    BOOLEAN,
    INVALID
  }

  enum TimestampKind {
    ABSENT,
    MILLIS,
    TEXT,
    INVALID,
    WRONG_TYPE
  }
}
