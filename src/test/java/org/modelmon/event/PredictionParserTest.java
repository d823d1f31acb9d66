package org.modelmon.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.modelmon.event.InvalidEvents.assertRejected;
import static org.modelmon.event.InvalidEvents.concat;
import static org.modelmon.event.InvalidEvents.utf8;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.modelmon.reference.Reference;
import org.modelmon.reference.ReferenceLookup;

class PredictionParserTest {

  /** 2026-11-28T14:00:00Z, the record timestamp of every test record. */
  private static final long RECORD_TS = 1_795_874_400_000L;

  /** Wall clock: ten minutes after the record timestamp. */
  private static final long NOW = RECORD_TS + 600_000L;

  private final PredictionParser parser = new PredictionParser(ParserLimits.DEFAULTS);

  // --- the forms ----------------------------------------------------------------------------

  /** The example event of docs/reference.md#prediction-events. */
  @Test
  void shouldParseTheReferenceExampleInObjectForm() {
    final PredictionEvent event =
        parse(
            "{'model': 'churn', 'version': 'v3', 'id': 'req-81',"
                + " 'timestamp': '2026-11-28T14:00:03.120Z',"
                + " 'probabilities': {'stay': 0.82, 'leave': 0.18}, 'label': 'leave'}");

    assertThat(event.model()).isEqualTo("churn");
    assertThat(event.version()).isEqualTo("v3");
    assertThat(event.id()).isEqualTo("req-81");
    assertThat(event.eventTimeMillis()).isEqualTo(RECORD_TS + 3_120L);
    assertThat(event.classes()).containsExactly("stay", "leave");
    assertThat(event.probabilities()).containsExactly(0.82, 0.18);
    assertThat(event.labelIndex()).isEqualTo(1);
    assertThat(event.label()).isEqualTo("leave");
  }

  @Test
  void shouldParseArrayFormWithClasses() {
    final PredictionEvent event =
        parse(
            "{'model': 'm', 'probabilities': [0.2, 0.5, 0.3],"
                + " 'classes': ['cat', 'dog', 'fox'], 'label': 'fox'}");

    assertThat(event.classes()).containsExactly("cat", "dog", "fox");
    assertThat(event.probabilities()).containsExactly(0.2, 0.5, 0.3);
    assertThat(event.labelIndex()).isEqualTo(2);
  }

  @Test
  void shouldParseArrayFormWithDefaultClassNames() {
    final PredictionEvent event =
        parse("{'model': 'm', 'probabilities': [0.2, 0.5, 0.3], 'label': '1'}");

    assertThat(event.classes()).containsExactly("0", "1", "2");
    assertThat(event.probabilities()).containsExactly(0.2, 0.5, 0.3);
    assertThat(event.labelIndex()).isEqualTo(1);
    assertThat(event.version()).isEmpty();
    assertThat(event.id()).isNull();
  }

  @Test
  void shouldShareDefaultClassNamesBetweenEvents() {
    final PredictionEvent first = parse("{'model': 'm', 'probabilities': [0.5, 0.5], 'label': 0}");
    final PredictionEvent second = parse("{'model': 'm', 'score': 0.5, 'label': 0}");

    assertThat(second.classes()).isEqualTo(first.classes());
    assertThat(second.classes().get(1)).isSameAs(first.classes().get(1));
  }

  @Test
  void shouldParseScoreFormAsBinaryClasses() {
    final PredictionEvent event = parse("{'model': 'm', 'score': 0.25, 'label': '1'}");

    assertThat(event.classes()).containsExactly("0", "1");
    assertThat(event.probabilities()).containsExactly(0.75, 0.25);
    assertThat(event.labelIndex()).isEqualTo(1);
  }

  @Test
  void shouldTakeAnIntegerLabelAsAnIndexInArrayForm() {
    final PredictionEvent event =
        parse("{'model': 'm', 'probabilities': [0.2, 0.8], 'classes': ['no', 'yes'], 'label': 1}");

    assertThat(event.label()).isEqualTo("yes");
  }

  @Test
  void shouldTakeAnIntegerLabelAsAnIndexInScoreForm() {
    assertThat(parse("{'model': 'm', 'score': 0.9, 'label': 0}").labelIndex()).isZero();
    assertThat(parse("{'model': 'm', 'score': 0.9, 'label': 1}").labelIndex()).isEqualTo(1);
  }

  @Test
  void shouldTakeAnIntegerLabelAsTheNumberNamedClassInObjectForm() {
    // Index 3 would be out of range: the label names class "3", the second one.
    final PredictionEvent event =
        parse("{'model': 'm', 'probabilities': {'10': 0.4, '3': 0.6}, 'label': 3}");

    assertThat(event.labelIndex()).isEqualTo(1);
    assertThat(event.label()).isEqualTo("3");
  }

  @ParameterizedTest
  @ValueSource(strings = {"100000000000000000000", "1e20", "10.0e19"})
  void shouldTakeAnIntegerLabelBeyondALongAsTheNumberNamedClassInObjectForm(final String label) {
    final PredictionEvent event =
        parse(
            "{'model': 'm', 'probabilities': {'3': 0.4, '100000000000000000000': 0.6}, 'label': "
                + label
                + "}");

    assertThat(event.label()).isEqualTo("100000000000000000000");
  }

  @Test
  void shouldRecordTheForm() {
    assertThat(parse("{'model': 'm', 'probabilities': {'a': 0.5, 'b': 0.5}, 'label': 'a'}").form())
        .isEqualTo(PredictionForm.OBJECT);
    assertThat(parse("{'model': 'm', 'probabilities': [0.5, 0.5], 'label': 0}").form())
        .isEqualTo(PredictionForm.ARRAY);
    assertThat(parse("{'model': 'm', 'score': 0.5, 'label': 0}").form())
        .isEqualTo(PredictionForm.SCORE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"true", "false"})
  void shouldTakeABooleanLabelInScoreForm(final String label) {
    final PredictionEvent event = parse("{'model': 'm', 'score': 0.9, 'label': " + label + "}");

    assertThat(event.label()).isEqualTo(label.equals("true") ? "1" : "0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.0", "1e0", "0.1e1", "100e-2"})
  void shouldTakeAnIntegralNumberAsAnIntegerLabel(final String label) {
    final PredictionEvent event =
        parse("{'model': 'm', 'probabilities': [0.2, 0.8], 'label': " + label + "}");

    assertThat(event.labelIndex()).isEqualTo(1);
  }

  @Test
  void shouldRenormaliseProbabilitiesWithinTolerance() {
    final PredictionEvent event =
        parse("{'model': 'm', 'probabilities': {'a': 0.6004, 'b': 0.4}, 'label': 'a'}");

    assertThat(event.probabilities()[0]).isCloseTo(0.6004 / 1.0004, within(1e-15));
    assertThat(event.probabilities()[1]).isCloseTo(0.4 / 1.0004, within(1e-15));
    assertThat(event.probabilities()[0] + event.probabilities()[1]).isCloseTo(1.0, within(1e-15));
  }

  @Test
  void shouldAcceptZeroAndOneAsIntegers() {
    final PredictionEvent event =
        parse("{'model': 'm', 'probabilities': [0, 1, -0.0], 'label': 1}");

    assertThat(event.probabilities()).containsExactly(0.0, 1.0, 0.0);
    assertThat(Double.doubleToRawLongBits(event.probabilities()[2])).isZero();
  }

  @Test
  void shouldTreatNullAsAbsent() {
    final PredictionEvent event =
        parse(
            "{'model': 'm', 'version': null, 'id': null, 'timestamp': null, 'classes': null,"
                + " 'probabilities': null, 'score': 0.5, 'label': 1}");

    assertThat(event.version()).isEmpty();
    assertThat(event.id()).isNull();
    assertThat(event.eventTimeMillis()).isEqualTo(RECORD_TS);
  }

  @Test
  void shouldSkipUnknownFieldsOfAnyShape() {
    final PredictionEvent event =
        parse(
            "{'features': {'age': [1, 2, {'x': null}], 'Model': 'other'}, 'model': 'm',"
                + " 'extra': [[[]]], 'score': 0.5, 'label': 1, 'note': 'ok'}");

    assertThat(event.model()).isEqualTo("m");
  }

  @Test
  void shouldAcceptModelAndVersionOfEveryAllowedCharacterAndMaximumLength() {
    final String model = "Az09_.:/-" + "m".repeat(119);
    final String version = "v".repeat(64);
    final PredictionEvent event =
        parse("{'model': '" + model + "', 'version': '" + version + "', 'score': 0.5, 'label': 1}");

    assertThat(event.model()).isEqualTo(model);
    assertThat(event.version()).isEqualTo(version);
  }

  @Test
  void shouldAcceptUnicodeClassNames() {
    final PredictionEvent event =
        parse(
            "{'model': 'm', 'probabilities': {'chat ✓': 0.5, '\uD83D\uDC08': 0.5}, 'label': 'chat"
                + " ✓'}");

    assertThat(event.classes()).containsExactly("chat ✓", "\uD83D\uDC08");
  }

  // --- timestamps -----------------------------------------------------------------------------

  @Test
  void shouldTakeAnIntegerTimestampAsEpochMillis() {
    assertThat(eventTime("1795874401234")).isEqualTo(1_795_874_401_234L);
    assertThat(eventTime("0")).isZero();
  }

  @Test
  void shouldTakeTheRecordTimestampWhenTimestampIsAbsent() {
    final PredictionEvent event = parse("{'model': 'm', 'score': 0.5, 'label': 1}");

    assertThat(event.eventTimeMillis()).isEqualTo(RECORD_TS);
  }

  static Stream<Arguments> rfc3339Timestamps() {
    return Stream.of(
        Arguments.of("'2026-11-28T14:00:03Z'", RECORD_TS + 3_000L), // no fraction
        Arguments.of("'2026-11-28T14:00:03.1Z'", RECORD_TS + 3_100L),
        Arguments.of("'2026-11-28T14:00:03.120Z'", RECORD_TS + 3_120L),
        Arguments.of("'2026-11-28T14:00:03.123456789Z'", RECORD_TS + 3_123L), // truncated
        Arguments.of("'2026-11-28T14:00:03.999999999Z'", RECORD_TS + 3_999L), // not rounded
        Arguments.of("'2026-11-28T15:30:03.5+01:30'", RECORD_TS + 3_500L),
        Arguments.of("'2026-11-28T09:00:03-05:00'", RECORD_TS + 3_000L),
        Arguments.of("'2026-11-28T14:00:03-00:00'", RECORD_TS + 3_000L),
        Arguments.of("'2026-11-28t14:00:03z'", RECORD_TS + 3_000L)); // RFC 3339 section 5.6
  }

  @ParameterizedTest
  @MethodSource("rfc3339Timestamps")
  void shouldParseRfc3339Timestamps(final String timestamp, final long expectedMillis) {
    assertThat(eventTime(timestamp)).isEqualTo(expectedMillis);
  }

  @Test
  void shouldAcceptAnEventTimeExactlyAtTheFutureSkewLimit() {
    assertThat(eventTime(Long.toString(NOW + 3_600_000L))).isEqualTo(NOW + 3_600_000L);
  }

  // --- MALFORMED_JSON -------------------------------------------------------------------------

  private static final String VALID = "{\"model\": \"m\", \"score\": 0.5, \"label\": 1}";

  static Stream<Arguments> malformedValues() {
    final byte[] withBom = concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8(VALID));
    final byte[] invalidUtf8 = utf8("{\"model\": \"m\", \"score\": 0.5, \"label\": \"\u00e9\"}");
    invalidUtf8[invalidUtf8.length - 3] = (byte) 0xFF;
    return Stream.of(
        Arguments.of("null reference", null),
        Arguments.of("empty", new byte[0]),
        Arguments.of("whitespace only", utf8("  \n")),
        Arguments.of("the bytes of null", utf8("null")),
        Arguments.of("array root", utf8("[" + VALID + "]")),
        Arguments.of("string root", utf8("\"" + VALID + "\"")),
        Arguments.of("number root", utf8("1")),
        Arguments.of("trailing garbage", utf8(VALID + " x")),
        Arguments.of("trailing object", utf8(VALID + "{}")),
        Arguments.of("trailing brace", utf8(VALID + "}")),
        Arguments.of("truncated", utf8(VALID.substring(0, VALID.length() - 1))),
        Arguments.of("duplicate key", utf8("{\"model\": \"m\", \"model\": \"m\", \"score\": 0.5}")),
        Arguments.of("duplicate key in unknown field", utf8(withExtra("{\"a\": 1, \"a\": 2}"))),
        Arguments.of(
            "duplicate unknown key",
            utf8("{\"x\": 1, \"model\": \"m\", \"score\": 0.5, \"label\": 1, \"x\": 1}")),
        Arguments.of(
            "duplicate key in an object in an array in an unknown field",
            utf8(withExtra("[{\"a\": 1}, {\"b\": {\"c\": 1, \"c\": 1}}]"))),
        Arguments.of(
            "duplicate key in a known field of the wrong type",
            utf8("{\"model\": {\"a\": 1, \"a\": 1}, \"score\": 0.5, \"label\": 1}")),
        Arguments.of(
            "duplicate class key far apart",
            utf8(
                "{\"model\": \"m\", \"label\": \"a\", \"probabilities\":"
                    + " {\"a\": 0.25, \"b\": 0.25, \"c\": 0.25, \"a\": 0.25}}")),
        Arguments.of("duplicate class key among many", utf8(manyClassesNamingOneTwice())),
        // Every way the scan reaches a structured value must refuse a duplicate key within it.
        Arguments.of(
            "duplicate key in an object as a probability",
            utf8(
                "{\"model\": \"m\", \"label\": \"a\", \"probabilities\":"
                    + " {\"a\": {\"x\": 1, \"x\": 1}, \"b\": 0.5}}")),
        Arguments.of(
            "duplicate key in an object in the array form",
            utf8(
                "{\"model\": \"m\", \"label\": 0, \"probabilities\": [{\"x\": 1, \"x\": 1},"
                    + " 0.5]}")),
        Arguments.of(
            "duplicate key in an object among the classes",
            utf8(
                "{\"model\": \"m\", \"label\": \"a\", \"probabilities\": [0.5, 0.5],"
                    + " \"classes\": [\"a\", {\"x\": 1, \"x\": 1}]}")),
        Arguments.of(
            "duplicate key in an object as the label",
            utf8("{\"model\": \"m\", \"score\": 0.5, \"label\": {\"x\": 1, \"x\": 1}}")),
        Arguments.of(
            "duplicate key in an object as the timestamp",
            utf8(
                "{\"model\": \"m\", \"score\": 0.5, \"label\": 1, \"timestamp\": {\"x\": 1, \"x\":"
                    + " 1}}")),
        Arguments.of(
            "duplicate key in a second skipped object",
            utf8(
                "{\"model\": \"m\", \"score\": 0.5, \"label\": 1, \"e1\": {\"x\": 1},"
                    + " \"e2\": {\"y\": 1, \"y\": 1}}")),
        Arguments.of(
            "duplicate key after a skipped object",
            utf8(
                "{\"model\": \"m\", \"score\": 0.5, \"label\": 1, \"e1\": {\"x\": 1},"
                    + " \"e1\": 2}")),
        Arguments.of(
            "duplicate class key",
            utf8(
                "{\"model\": \"m\", \"label\": \"a\","
                    + " \"probabilities\": {\"a\": 0.5, \"a\": 0.5}}")),
        Arguments.of("NaN", utf8("{\"model\": \"m\", \"score\": NaN, \"label\": 1}")),
        Arguments.of(
            "Infinity",
            utf8("{\"model\": \"m\", \"probabilities\": [Infinity, 0]," + " \"label\": 1}")),
        Arguments.of("-Infinity in unknown field", utf8(withExtra("-Infinity"))),
        Arguments.of("single quotes", utf8("{'model': 'm', 'score': 0.5, 'label': 1}")),
        Arguments.of("comment", utf8("{\"model\": \"m\", /* c */ \"score\": 0.5, \"label\": 1}")),
        Arguments.of("trailing comma", utf8("{\"model\": \"m\", \"score\": 0.5, \"label\": 1,}")),
        Arguments.of("leading zero", utf8("{\"model\": \"m\", \"score\": 00.5, \"label\": 1}")),
        Arguments.of("unescaped control character", utf8(withExtra("\"a\tb\""))),
        Arguments.of("UTF-8 BOM", withBom),
        Arguments.of("UTF-16 with BOM", VALID.getBytes(StandardCharsets.UTF_16)),
        Arguments.of(
            "UTF-16LE with BOM",
            concat(
                new byte[] {(byte) 0xFF, (byte) 0xFE}, VALID.getBytes(StandardCharsets.UTF_16LE))),
        Arguments.of("UTF-16LE", VALID.getBytes(StandardCharsets.UTF_16LE)),
        Arguments.of("UTF-16BE", VALID.getBytes(StandardCharsets.UTF_16BE)),
        Arguments.of("UTF-32", VALID.getBytes(Charset.forName("UTF-32"))),
        Arguments.of("0x00 after the object", concat(utf8(VALID), new byte[] {0})),
        Arguments.of("invalid UTF-8", invalidUtf8),
        // Jackson refuses an unpaired surrogate escape in a key (in a value it is INVALID_FIELD).
        Arguments.of(
            "unpaired surrogate in a class key",
            utf8(
                "{\"model\": \"m\","
                    + " \"probabilities\": {\"a\": 0.5, \"\\ud800\": 0.5}, \"label\": \"a\"}")),
        Arguments.of("5000 levels deep", utf8(withExtra("[".repeat(5000) + "]".repeat(5000)))),
        Arguments.of(
            "5000 objects deep", utf8(withExtra("{\"a\":".repeat(5000) + "1" + "}".repeat(5000)))),
        Arguments.of("65 levels deep", utf8(withExtra("[".repeat(64) + "]".repeat(64)))),
        Arguments.of("number longer than 1000 digits", utf8(withExtra("1".repeat(1001)))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedValues")
  void shouldRejectMalformedJson(final String description, final byte[] value) {
    assertRejected(() -> parse(value), InvalidReason.MALFORMED_JSON);
  }

  @Test
  void shouldAcceptNestingUpToTheLimit() {
    // The root object is level 1, so 63 arrays inside it reach the limit of 64.
    final PredictionEvent event = parse(utf8(withExtra("[".repeat(63) + "]".repeat(63))));

    assertThat(event.model()).isEqualTo("m");
  }

  @Test
  void shouldNotRepeatThePayloadInTheMessage() {
    final String secret = "s3cr3t".repeat(50);
    final byte[] value = utf8(VALID + " \"" + secret + "\"");

    assertThatThrownBy(() -> parse(value))
        .isInstanceOf(InvalidEventException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret).hasSizeLessThan(300));
  }

  @Test
  void shouldShortenAQuotedDuplicateKey() {
    final String key = "k".repeat(10_000);
    final byte[] value = utf8(withExtra("{\"" + key + "\": 1, \"" + key + "\": 2}"));

    assertThatThrownBy(() -> parse(value))
        .isInstanceOf(InvalidEventException.class)
        .satisfies(e -> assertThat(e.getMessage()).contains("Duplicate").hasSizeLessThan(300));
  }

  @Test
  void shouldNameTheFieldInTheMessage() {
    assertThatThrownBy(() -> parse("{'model': 'm', 'probabilities': [0.5, 'x'], 'label': 0}"))
        .hasMessage("INVALID_FIELD: probabilities entry 1 is not a number");
  }

  // --- MISSING_FIELD --------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{'score': 0.5, 'label': 1}",
        "{'model': null, 'score': 0.5, 'label': 1}",
        "{'model': 'm', 'label': 1}",
        "{'model': 'm', 'probabilities': null, 'score': null, 'label': 1}",
        "{'model': 'm', 'classes': ['a', 'b'], 'label': 'a'}",
        "{}"
      })
  void shouldRejectMissingFields(final String json) {
    assertRejected(() -> parse(json), InvalidReason.MISSING_FIELD);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{'model': 'm', 'score': 0.5}",
        "{'model': 'm', 'score': 0.5, 'label': null}",
        "{'model': 'm', 'probabilities': [0.25, 0.75]}",
        "{'model': 'm', 'probabilities': [0.25, 0.75], 'classes': ['a', 'b']}",
        "{'model': 'm', 'probabilities': {'a': 0.25, 'b': 0.75}, 'id': 'r-1'}"
      })
  void shouldAcceptAnEventWithoutALabelForThePredictionSideOnly(final String json) {
    final PredictionEvent event = parse(json);

    assertThat(event.labelled()).isFalse();
    assertThat(event.labelIndex()).isEqualTo(PredictionEvent.UNLABELLED);
    assertThat(event.label()).isNull();
    assertThat(event.classes()).hasSize(2);
  }

  // --- INVALID_FIELD --------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{'model': 7, 'score': 0.5, 'label': 1}",
        "{'model': ['m'], 'score': 0.5, 'label': 1}",
        "{'model': '', 'score': 0.5, 'label': 1}",
        "{'model': 'churn@v3', 'score': 0.5, 'label': 1}",
        "{'model': 'churn model', 'score': 0.5, 'label': 1}",
        "{'model': 'modèle', 'score': 0.5, 'label': 1}",
        "{'model': 'm', 'version': 3, 'score': 0.5, 'label': 1}",
        "{'model': 'm', 'version': 'v 3', 'score': 0.5, 'label': 1}",
        "{'model': 'm', 'id': 81, 'score': 0.5, 'label': 1}",
        "{'model': 'm', 'id': {'a': 1}, 'score': 0.5, 'label': 1}",
        "{'model': 'm', 'timestamp': true, 'score': 0.5, 'label': 1}",
        "{'model': 'm', 'timestamp': {'ms': 1}, 'score': 0.5, 'label': 1}",
        "{'model': 'm', 'timestamp': [1], 'score': 0.5, 'label': 1}",
        "{'model': 'm', 'probabilities': 'a=0.5,b=0.5', 'label': 'a'}",
        "{'model': 'm', 'probabilities': 0.5, 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, '0.5'], 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, null], 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, [0.5]], 'label': 1}",
        "{'model': 'm', 'probabilities': {'a': 0.5, 'b': true}, 'label': 'a'}",
        "{'model': 'm', 'probabilities': {'a': 0.5, '': 0.5}, 'label': 'a'}",
        "{'model': 'm', 'probabilities': {'a': 0.5, 'b\\u0007': 0.5}, 'label': 'a'}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a', '\\ud800'], 'label': 1}",
        "{'model': 'm', 'score': '0.5', 'label': 1}",
        "{'model': 'm', 'score': [0.5], 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': 'a,b', 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a', 2], 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a', null], 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a', ''], 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a', 'b\\n'], 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a'], 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a', 'b', 'c'], 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'score': 0.5, 'label': 1}",
        "{'model': 'm', 'probabilities': {'a': 1, 'b': 0}, 'classes': ['a', 'b'], 'label': 1}",
        "{'model': 'm', 'score': 0.5, 'classes': ['no', 'yes'], 'label': 1}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'label': true}",
        "{'model': 'm', 'probabilities': {'true': 0.5, 'false': 0.5}, 'label': true}",
        "{'model': 'm', 'score': 0.5, 'label': 0.5}",
        "{'model': 'm', 'score': 0.5, 'label': 1.000000000000000000001}",
        "{'model': 'm', 'score': 0.5, 'label': ['1']}",
        "{'model': 'm', 'score': 0.5, 'label': {'name': '1'}}"
      })
  void shouldRejectInvalidFields(final String json) {
    assertRejected(() -> parse(json), InvalidReason.INVALID_FIELD);
  }

  @Test
  void shouldAcceptAnIdOfOneTo128CharactersWithoutControlCharacters() {
    assertThat(parse("{'model': 'm', 'id': 'x', 'score': 0.5, 'label': 1}").id()).isEqualTo("x");
    final String longest = "é".repeat(128);
    assertThat(parse("{'model': 'm', 'id': '" + longest + "', 'score': 0.5, 'label': 1}").id())
        .isEqualTo(longest);
    assertRejected(
        () -> parse("{'model': 'm', 'id': '', 'score': 0.5, 'label': 1}"),
        InvalidReason.INVALID_FIELD);
    assertRejected(
        () -> parse("{'model': 'm', 'id': '" + "i".repeat(129) + "', 'score': 0.5, 'label': 1}"),
        InvalidReason.INVALID_FIELD);
    assertRejected(
        () -> parse("{'model': 'm', 'id': 'a\\u0007b', 'score': 0.5, 'label': 1}"),
        InvalidReason.INVALID_FIELD);
  }

  @Test
  void shouldRejectNamesBeyondTheirMaximumLength() {
    final String tooLongModel = "m".repeat(129);
    final String tooLongVersion = "v".repeat(65);
    final String tooLongClass = "c".repeat(129);

    assertRejected(
        () -> parse("{'model': '" + tooLongModel + "', 'score': 0.5, 'label': 1}"),
        InvalidReason.INVALID_FIELD);
    assertRejected(
        () ->
            parse("{'model': 'm', 'version': '" + tooLongVersion + "', 'score': 0.5, 'label': 1}"),
        InvalidReason.INVALID_FIELD);
    assertRejected(
        () ->
            parse(
                "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a', '"
                    + tooLongClass
                    + "'], 'label': 0}"),
        InvalidReason.INVALID_FIELD);
  }

  @Test
  void shouldCountClassNameLengthInCodePoints() {
    // 128 cats are 256 UTF-16 chars but 128 characters.
    final String cats = "\uD83D\uDC08".repeat(128);
    final PredictionEvent event =
        parse("{'model': 'm', 'probabilities': {'" + cats + "': 0.5, 'b': 0.5}, 'label': 'b'}");

    assertThat(event.classes().get(0)).isEqualTo(cats);
  }

  // --- INVALID_PROBABILITY --------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{'model': 'm', 'probabilities': [1e400, 0], 'label': 1}",
        "{'model': 'm', 'probabilities': [-0.1, 1.1], 'label': 1}",
        "{'model': 'm', 'probabilities': [1.0000001, 0], 'label': 1}",
        "{'model': 'm', 'probabilities': [2, -1], 'label': 1}",
        "{'model': 'm', 'probabilities': {'a': -1e-300, 'b': 1}, 'label': 'a'}",
        "{'model': 'm', 'probabilities': {'a': 100000000000000000000000, 'b': 0}, 'label': 'a'}",
        "{'model': 'm', 'score': 1.5, 'label': 1}",
        "{'model': 'm', 'score': -1e400, 'label': 1}"
      })
  void shouldRejectInvalidProbabilities(final String json) {
    assertRejected(() -> parse(json), InvalidReason.INVALID_PROBABILITY);
  }

  // --- PROBABILITY_SUM ------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{'model': 'm', 'probabilities': [0.5, 0.6], 'label': 1}",
        "{'model': 'm', 'probabilities': {'a': 0.5, 'b': 0.4989}, 'label': 'a'}",
        "{'model': 'm', 'probabilities': [0, 0], 'label': 1}",
        "{'model': 'm', 'probabilities': [], 'label': 1}",
        "{'model': 'm', 'probabilities': {}, 'label': 'a'}"
      })
  void shouldRejectProbabilitiesThatDoNotSumToOne(final String json) {
    assertRejected(() -> parse(json), InvalidReason.PROBABILITY_SUM);
  }

  // --- DUPLICATE_CLASS ------------------------------------------------------------------------

  @Test
  void shouldRejectAClassNamedTwice() {
    assertRejected(
        () ->
            parse(
                "{'model': 'm', 'probabilities': [0.2, 0.3, 0.5], 'classes': ['a', 'b', 'a'],"
                    + " 'label': 'b'}"),
        InvalidReason.DUPLICATE_CLASS);
  }

  @Test
  void shouldRejectAClassNamedTwiceAmongManyClasses() {
    final List<String> names =
        IntStream.range(0, 40).mapToObj(i -> "'c" + i + "'").collect(Collectors.toList());
    names.set(39, "'c7'");

    assertRejected(
        () ->
            parse(
                "{'model': 'm', 'probabilities': ["
                    + String.join(", ", Collections.nCopies(40, "0.025"))
                    + "], 'classes': ["
                    + String.join(", ", names)
                    + "], 'label': 0}"),
        InvalidReason.DUPLICATE_CLASS);
  }

  // --- TOO_MANY_CLASSES -----------------------------------------------------------------------

  @Test
  void shouldRejectASingleClass() {
    assertRejected(
        () -> parse("{'model': 'm', 'probabilities': {'a': 1}, 'label': 'a'}"),
        InvalidReason.TOO_MANY_CLASSES);
  }

  @Test
  void shouldRejectMoreClassesThanTheLimit() {
    final PredictionParser three = new PredictionParser(new ParserLimits(3, 1e-3, 3_600_000L));
    final String json = "{'model': 'm', 'probabilities': [0.25, 0.25, 0.25, 0.25], 'label': 1}";

    assertRejected(() -> parse(three, json), InvalidReason.TOO_MANY_CLASSES);
    assertThat(parse(json).classes()).hasSize(4);
  }

  @Test
  void shouldAcceptExactlyTheMaximumNumberOfClasses() {
    final String probabilities = String.join(",", Collections.nCopies(1000, "0.001"));
    final PredictionEvent event =
        parse("{'model': 'm', 'probabilities': [" + probabilities + "], 'label': 999}");

    assertThat(event.classes()).hasSize(1000).endsWith("999");
  }

  @Test
  void shouldNameDefaultClassesBeyondTheCache() {
    final PredictionParser large = new PredictionParser(new ParserLimits(2000, 1e-3, 0L));
    final String probabilities = String.join(",", Collections.nCopies(2000, "0.0005"));
    final PredictionEvent event =
        large.parse(
            utf8("{\"model\": \"m\", \"probabilities\": [" + probabilities + "], \"label\": 1500}"),
            RECORD_TS,
            NOW,
            ReferenceLookup.NONE);

    assertThat(event.classes()).hasSize(2000);
    assertThat(event.classes().get(1023)).isEqualTo("1023");
    assertThat(event.label()).isEqualTo("1500");
  }

  // --- UNKNOWN_LABEL --------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{'model': 'm', 'probabilities': {'a': 0.5, 'b': 0.5}, 'label': 'c'}",
        "{'model': 'm', 'probabilities': {'a': 0.5, 'b': 0.5}, 'label': 'A'}",
        "{'model': 'm', 'probabilities': {'a': 0.5, 'b': 0.5}, 'label': 0}",
        "{'model': 'm', 'probabilities': {'0': 0.5, '1': 0.5}, 'label': 2}",
        "{'model': 'm', 'probabilities': {'1': 0.5, '2': 0.5}, 'label': 100000000000000000001}",
        "{'model': 'm', 'probabilities': {'1': 0.5, '2': 0.5}, 'label': 1e999999999}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a', 'b'], 'label': 2}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a', 'b'], 'label': -1}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a', 'b'], 'label': '0'}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'label': '01'}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'label': 4294967296}",
        "{'model': 'm', 'probabilities': [0.5, 0.5], 'label': 1e300}",
        "{'model': 'm', 'score': 0.5, 'label': 2}",
        "{'model': 'm', 'score': 0.5, 'label': 'true'}",
        "{'model': 'm', 'score': 0.5, 'label': 99999999999999999999999999999}"
      })
  void shouldRejectALabelThatIsNotAClass(final String json) {
    assertRejected(() -> parse(json), InvalidReason.UNKNOWN_LABEL);
  }

  // --- CLASS_MISMATCH -------------------------------------------------------------------------

  private static final Reference CHURN_REFERENCE =
      new Reference("churn", "", List.of("stay", "leave", "gone"), new double[] {0.9, 0.1, 0.0});

  @Test
  void shouldRejectAnEventMissingAClassOfTheReference() {
    final String json =
        "{'model': 'churn', 'probabilities': {'stay': 0.9, 'x': 0.1}, 'label': 'x'}";

    assertRejected(() -> parse(json, (m, v, t) -> CHURN_REFERENCE), InvalidReason.CLASS_MISMATCH);
    assertThat(parse(json).classes()).containsExactly("stay", "x");
  }

  @Test
  void shouldAcceptAnEventMissingOnlyZeroProbabilityReferenceClasses() {
    final PredictionEvent event =
        parse(
            "{'model': 'churn', 'probabilities': {'leave': 0.1, 'stay': 0.8, 'new': 0.1},"
                + " 'label': 'new'}",
            (m, v, t) -> CHURN_REFERENCE);

    assertThat(event.classes()).containsExactly("leave", "stay", "new");
    assertThat(event.referenceIndexes()).containsExactly(1, 0, -1);
  }

  @Test
  void shouldIndexAnEventInTheReferencesOwnOrderByPosition() {
    final PredictionEvent event =
        parse(
            "{'model': 'churn', 'probabilities': {'stay': 0.7, 'leave': 0.2, 'gone': 0.1},"
                + " 'label': 'gone'}",
            (m, v, t) -> CHURN_REFERENCE);

    assertThat(event.reference()).isSameAs(CHURN_REFERENCE);
    assertThat(event.referenceIndexes()).containsExactly(0, 1, 2);
    assertThat(
            parse(
                    "{'model': 'churn', 'probabilities': {'stay': 0.7, 'leave': 0.3}, 'label':"
                        + " 'stay'}")
                .referenceIndexes())
        .as("no reference")
        .isNull();
  }

  @Test
  void shouldLookUpTheReferenceOfTheEventsModelAndVersionAtTheEventTime() {
    final List<String> lookups = new ArrayList<>();
    final ReferenceLookup lookup =
        (model, version, time) -> {
          lookups.add(model + "|" + version + "|" + time);
          return null;
        };

    parse("{'model': 'churn', 'version': 'v3', 'score': 0.5, 'label': 1}", lookup);
    parse(
        "{'model': 'churn', 'timestamp': '2026-11-28T14:00:03.120Z', 'score': 0.5, 'label': 1}",
        lookup);
    parse("{'model': 'churn', 'timestamp': 1795874400000, 'score': 0.5, 'label': 1}", lookup);

    assertThat(lookups)
        .containsExactly("churn|v3|" + RECORD_TS, "churn||1795874403120", "churn||1795874400000");
  }

  // --- INVALID_TIMESTAMP ----------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "'yesterday'",
        "''",
        "'1795874400000'",
        "'2026-11-28'",
        "'2026-11-28T14:00Z'",
        "'2026-11-28T14:00:03'",
        "'2026-11-28T14:00:03.Z'",
        "'2026-11-28T14:00:03.1234567891Z'",
        "'2026-11-28T14:00:03+01'",
        "'2026-11-28T14:00:03+0100'",
        "'2026-11-28 14:00:03Z'",
        "'2026-02-30T14:00:03Z'",
        "'2026-11-28T24:00:00Z'",
        "'2026-11-28T14:00:60Z'",
        "'1969-12-31T23:59:59Z'",
        "'+999999999-12-31T23:59:59Z'",
        "-1",
        "-1.0",
        "1795874400000.5",
        "1.5",
        "100000000000000000000",
        "1e300"
      })
  void shouldRejectAnInvalidTimestamp(final String timestamp) {
    assertRejected(() -> eventTime(timestamp), InvalidReason.INVALID_TIMESTAMP);
  }

  @Test
  void shouldRejectAnEventTimeTooFarAhead() {
    final long justTooLate = NOW + 3_600_001L;

    assertRejected(() -> eventTime(Long.toString(justTooLate)), InvalidReason.INVALID_TIMESTAMP);
    assertRejected(() -> eventTime("'2026-11-28T15:10:00.001Z'"), InvalidReason.INVALID_TIMESTAMP);
  }

  @Test
  void shouldHoldTheRecordTimestampToTheSameRules() {
    final byte[] value = utf8(VALID);

    assertRejected(
        () -> parser.parse(value, NOW + 3_600_001L, NOW, ReferenceLookup.NONE),
        InvalidReason.INVALID_TIMESTAMP);
    assertRejected(
        () -> parser.parse(value, -1L, NOW, ReferenceLookup.NONE), InvalidReason.INVALID_TIMESTAMP);
  }

  @Test
  void shouldAcceptAnIntegralFloatTimestamp() {
    assertThat(eventTime("1.7958744e12")).isEqualTo(1_795_874_400_000L);
  }

  // --- the order of the rules -----------------------------------------------------------------

  static Stream<Arguments> twoFailures() {
    return Stream.of(
        Arguments.of( // malformed beats everything, even when the error comes last
            "{'probabilities': [2, 2], 'label': {}} x", InvalidReason.MALFORMED_JSON),
        Arguments.of(
            "{'model': 'm', 'score': 0.5, 'label': 1, 'x': {'a': 1, 'a': 1}}",
            InvalidReason.MALFORMED_JSON),
        Arguments.of( // no probabilities, and a model of the wrong type
            "{'model': 7, 'label': 1}", InvalidReason.MISSING_FIELD),
        Arguments.of( // no model, and a probability out of range
            "{'score': 7, 'label': 1}", InvalidReason.MISSING_FIELD),
        Arguments.of( // an out-of-range value before a wrong-typed one
            "{'model': 'm', 'probabilities': [7, 'x'], 'label': 1}", InvalidReason.INVALID_FIELD),
        Arguments.of( // id of the wrong type, and a bad probability
            "{'model': 'm', 'id': 1, 'score': 7, 'label': 1}", InvalidReason.INVALID_FIELD),
        Arguments.of( // both forms, each broken
            "{'model': 'm', 'probabilities': [7, 7], 'score': 7, 'label': 1}",
            InvalidReason.INVALID_FIELD),
        Arguments.of( // out of range, and so the sum is off too
            "{'model': 'm', 'probabilities': [-0.5, 0.5], 'label': 1}",
            InvalidReason.INVALID_PROBABILITY),
        Arguments.of( // a bad timestamp string, and an invalid probability
            "{'model': 'm', 'timestamp': 'soon', 'score': 1.5, 'label': 1}",
            InvalidReason.INVALID_PROBABILITY),
        Arguments.of( // sum off, and a duplicate class
            "{'model': 'm', 'probabilities': [0.5, 0.6], 'classes': ['a', 'a'], 'label': 'a'}",
            InvalidReason.PROBABILITY_SUM),
        Arguments.of( // empty: sum 0 comes before fewer than 2 classes
            "{'model': 'm', 'probabilities': {}, 'label': 'a'}", InvalidReason.PROBABILITY_SUM),
        Arguments.of( // a duplicate class, and an unknown label
            "{'model': 'm', 'probabilities': [0.5, 0.5], 'classes': ['a', 'a'], 'label': 'z'}",
            InvalidReason.DUPLICATE_CLASS),
        Arguments.of( // one class, and the label is not it
            "{'model': 'm', 'probabilities': {'a': 1}, 'label': 'z'}",
            InvalidReason.TOO_MANY_CLASSES),
        Arguments.of( // unknown label, and a class of the reference missing
            "{'model': 'churn', 'probabilities': {'stay': 1, 'x': 0}, 'label': 'z'}",
            InvalidReason.UNKNOWN_LABEL),
        Arguments.of( // a class of the reference missing, and a bad timestamp
            "{'model': 'churn', 'timestamp': 'soon', 'probabilities': {'stay': 1, 'x': 0},"
                + " 'label': 'x'}",
            InvalidReason.CLASS_MISMATCH));
  }

  @ParameterizedTest
  @MethodSource("twoFailures")
  void shouldReportTheFirstRuleThatFails(final String json, final InvalidReason expected) {
    assertRejected(() -> parse(json, (m, v, t) -> CHURN_REFERENCE), expected);
  }

  @Test
  void shouldNotLookUpReferencesForAnEventThatFailsEarlier() {
    final ReferenceLookup failing =
        (m, v, t) -> {
          throw new AssertionError("looked up " + m);
        };

    assertRejected(
        () -> parse("{'model': 'm', 'score': 0.5, 'label': 2}", failing),
        InvalidReason.UNKNOWN_LABEL);
  }

  @Test
  void shouldRejectInvalidLimits() {
    assertThatThrownBy(() -> new ParserLimits(1, 1e-3, 0L))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ParserLimits(2, 1.0, 0L))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ParserLimits(2, Double.NaN, 0L))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ParserLimits(2, 1e-3, -1L))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // --- helpers --------------------------------------------------------------------------------

  /** Parses JSON written with single quotes for readability. */
  private PredictionEvent parse(final String json) {
    return parse(json, ReferenceLookup.NONE);
  }

  private PredictionEvent parse(final String json, final ReferenceLookup references) {
    return parser.parse(utf8(json.replace('\'', '"')), RECORD_TS, NOW, references);
  }

  private static PredictionEvent parse(final PredictionParser parser, final String json) {
    return parser.parse(utf8(json.replace('\'', '"')), RECORD_TS, NOW, ReferenceLookup.NONE);
  }

  private PredictionEvent parse(final byte[] value) {
    return parser.parse(value, RECORD_TS, NOW, ReferenceLookup.NONE);
  }

  private long eventTime(final String timestamp) {
    return parse("{'model': 'm', 'score': 0.5, 'label': 1, 'timestamp': " + timestamp + "}")
        .eventTimeMillis();
  }

  /** The object form with 40 classes, the last named as the fifth: beyond the pairwise check. */
  private static String manyClassesNamingOneTwice() {
    final StringBuilder json =
        new StringBuilder("{\"model\": \"m\", \"label\": \"c0\", \"probabilities\": {");
    for (int c = 0; c < 40; c++) {
      json.append(c == 0 ? "" : ", ").append("\"c").append(c == 39 ? 4 : c).append("\": 0.025");
    }
    return json.append("}}").toString();
  }

  /** A valid event with {@code extra} as the value of an unknown field. */
  private static String withExtra(final String extra) {
    return "{\"model\": \"m\", \"score\": 0.5, \"label\": 1, \"extra\": " + extra + "}";
  }
}
