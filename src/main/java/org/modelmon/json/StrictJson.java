package org.modelmon.json;

import com.fasterxml.jackson.core.ErrorReportConfiguration;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The strict JSON reading shared by every topic modelmon consumes (predictions and references):
 * UTF-8 only, no BOM, no duplicate keys, no {@code NaN}/{@code Infinity}, bounded nesting and token
 * sizes.
 *
 * <p>One {@link JsonFactory} is shared by all threads: a factory is thread-safe once built, and
 * sharing it lets Jackson reuse its field-name symbol table, so class names that are object keys
 * cost no allocation after their first occurrence.
 */
public final class StrictJson {

  /**
   * Nesting allowed in a document. A prediction needs depth 2 and a reference 2; the rest is room
   * for whatever metadata producers attach, which the parsers skip.
   */
  public static final int MAX_NESTING_DEPTH = 64;

  /** Longest JSON string value that is read, in characters; skipped values are only scanned. */
  public static final int MAX_STRING_LENGTH = 1 << 20;

  /** Longest number literal, in characters: far above any double's, far below a slow parse. */
  public static final int MAX_NUMBER_LENGTH = 1000;

  private static final int MAX_DETAIL_LENGTH = 200;

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** Longest duplicate key quoted in an error message, in characters. */
  private static final int MAX_QUOTED_KEY_LENGTH = 32;

  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          // Error messages go to logs and dead-letter headers: never echo the payload.
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .errorReportConfiguration(
              ErrorReportConfiguration.builder()
                  .maxErrorTokenLength(32)
                  .maxRawContentLength(0)
                  .build())
          // Interning untrusted keys buys nothing: field names are matched with switch/equals.
          .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(MAX_NESTING_DEPTH)
                  .maxStringLength(MAX_STRING_LENGTH)
                  .maxNumberLength(MAX_NUMBER_LENGTH)
                  .build())
          .build();

  private StrictJson() {}

  /**
   * Why {@code value} cannot be strict UTF-8 JSON before any parsing, or {@code null} when it may
   * be.
   *
   * <p>Jackson would auto-detect UTF-16/32 and skip a UTF-8 BOM, both of which
   * docs/reference.md#prediction-events forbids, so they are refused here: any 0x00 byte (every
   * UTF-16/32 text of JSON has one, and UTF-8 JSON never does), a UTF-8 BOM, or a UTF-16 BOM.
   */
  public static String encodingProblem(final byte[] value) {
    if (value == null) {
      return "the record value is null";
    }
    final int length = value.length;
    if (length == 0) {
      return "the record value is empty";
    }
    if (length >= 2) {
      final int b0 = value[0] & 0xFF;
      final int b1 = value[1] & 0xFF;
      if ((b0 == 0xFE && b1 == 0xFF) || (b0 == 0xFF && b1 == 0xFE)) {
        return "a UTF-16 byte order mark; only UTF-8 is accepted";
      }
      if (length >= 3 && b0 == 0xEF && b1 == 0xBB && (value[2] & 0xFF) == 0xBF) {
        return "a UTF-8 byte order mark";
      }
    }
    final int zero = indexOfZeroByte(value);
    return zero < 0 ? null : "a 0x00 byte at offset " + zero + "; only UTF-8 is accepted";
  }

  /**
   * Index of the first 0x00 byte, or -1. Eight bytes per step: this runs over every byte of every
   * record, and a loop over single bytes cost as much as a tenth of a small event's validation.
   */
  static int indexOfZeroByte(final byte[] value) {
    final int length = value.length;
    int i = 0;
    for (; i <= length - Long.BYTES; i += Long.BYTES) {
      final long word = (long) LONGS.get(value, i);
      // Exactly when some byte of word is 0x00 (Hacker's Delight, 6-1); the bytes are then
      // searched one by one, since bits above the first zero byte may be set spuriously.
      if (((word - 0x0101010101010101L) & ~word & 0x8080808080808080L) != 0) {
        break;
      }
    }
    for (; i < length; i++) {
      if (value[i] == 0) {
        return i;
      }
    }
    return -1;
  }

  /**
   * A parser over {@code value}; call only after {@link #encodingProblem} returned {@code null}.
   */
  public static JsonParser createParser(final byte[] value) throws IOException {
    return FACTORY.createParser(value);
  }

  /**
   * A parser over {@code value} that leaves duplicate keys to its caller, who must refuse them in
   * every object it reads key by key ({@link #duplicateKey}) and skip every other structured value
   * with {@link #skipChildren}; call only after {@link #encodingProblem} returned {@code null}.
   *
   * <p>Jackson's own detection keeps a hash set per object of three keys or more: for the two
   * objects of every prediction event that was a tenth of the parse, where a caller that knows the
   * few field names it reads can check them with a bit each.
   */
  public static JsonParser createParserCheckingKeysInCaller(final byte[] value) throws IOException {
    // The same factory as every other parser: its symbol table makes a class name read here the
    // same String instance as in the reference, so that looking it up compares references only.
    final JsonParser parser = FACTORY.createParser(value);
    parser.disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
    return parser;
  }

  /**
   * Skips the object or array at the parser's current token, as {@link JsonParser#skipChildren}
   * does, refusing a duplicate key in any object within it.
   *
   * @throws JsonParseException at a duplicate key
   */
  public static void skipChildren(final JsonParser parser) throws IOException {
    final JsonToken token = parser.currentToken();
    if (token != JsonToken.START_OBJECT && token != JsonToken.START_ARRAY) {
      return;
    }
    final JsonParser.Feature detection =
        StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature();
    if (parser.isEnabled(detection)) {
      parser.skipChildren();
      return;
    }
    // Enabling the feature gives the context just entered, and every context within it, a
    // duplicate detector; the enclosing object, whose keys the caller checks, gets none back.
    parser.enable(detection);
    try {
      parser.skipChildren();
    } finally {
      parser.disable(detection);
    }
  }

  /** The error for a key seen twice in one object, quoting at most the key's first characters. */
  public static JsonParseException duplicateKey(final JsonParser parser, final String key) {
    final String quoted =
        key.length() <= MAX_QUOTED_KEY_LENGTH
            ? key
            : key.substring(0, MAX_QUOTED_KEY_LENGTH) + "...";
    return new JsonParseException(parser, "Duplicate field '" + quoted + "'");
  }

  /** A one-line description of a JSON error that quotes at most a short token, never the input. */
  public static String describe(final IOException e) {
    if (e instanceof JsonProcessingException jsonError) {
      final JsonLocation location = jsonError.getLocation();
      final String message = oneLine(jsonError.getOriginalMessage());
      return location == null
          ? message
          : message + " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }
    return oneLine(e.getMessage());
  }

  private static String oneLine(final String message) {
    if (message == null) {
      return "unreadable JSON";
    }
    // Jackson shortens tokens it quotes, but not a duplicate key, which may be 50,000 chars long.
    final String line = message.replace('\n', ' ').replace('\r', ' ');
    return line.length() <= MAX_DETAIL_LENGTH
        ? line
        : line.substring(0, MAX_DETAIL_LENGTH - 3) + "...";
  }
}
