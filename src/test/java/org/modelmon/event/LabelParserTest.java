package org.modelmon.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.modelmon.event.InvalidEvents.assertRejected;
import static org.modelmon.event.InvalidEvents.concat;
import static org.modelmon.event.InvalidEvents.utf8;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.modelmon.reference.ReferenceLookup;

class LabelParserTest {

  /** 2026-11-29T09:12:00Z, the outcome time of the example. */
  private static final long OUTCOME = Instant.parse("2026-11-29T09:12:00Z").toEpochMilli();

  /** The record timestamp of every test record: a minute after the outcome. */
  private static final long RECORD_TS = OUTCOME + 60_000L;

  /** Wall clock: ten minutes after the record timestamp. */
  private static final long NOW = RECORD_TS + 600_000L;

  private static final long SKEW = ParserLimits.DEFAULTS.maxFutureSkewMillis();

  private static final String VALID =
      "{\"model\": \"churn\", \"id\": \"req-81\", \"label\": \"leave\"}";

  private final LabelParser parser = new LabelParser(ParserLimits.DEFAULTS);

  // --- valid events -----------------------------------------------------------------------------

  /** The example of the label events section. */
  @Test
  void shouldParseTheExample() {
    final LabelEvent event =
        parse(
            "{'model': 'churn', 'id': 'req-81', 'label': 'leave',"
                + " 'timestamp': '2026-11-29T09:12:00Z'}");

    assertThat(event)
        .isEqualTo(new LabelEvent("churn", "req-81", LabelValue.ofName("leave"), OUTCOME));
  }

  static Stream<Arguments> labels() {
    return Stream.of(
        Arguments.of("'leave'", LabelValue.ofName("leave")),
        Arguments.of("''", LabelValue.ofName("")), // valid here; the join finds it is no class
        Arguments.of("'3'", LabelValue.ofName("3")),
        Arguments.of("3", LabelValue.ofInteger(3)),
        Arguments.of("-1", LabelValue.ofInteger(-1)),
        Arguments.of("-0", LabelValue.ofInteger(0)),
        Arguments.of("2.0", LabelValue.ofInteger(2)),
        Arguments.of("2e0", LabelValue.ofInteger(2)),
        Arguments.of("100e-2", LabelValue.ofInteger(1)),
        Arguments.of("9223372036854775807", LabelValue.ofInteger(Long.MAX_VALUE)),
        Arguments.of("9.223372036854775807e18", LabelValue.ofInteger(Long.MAX_VALUE)),
        Arguments.of(
            "100000000000000000000", LabelValue.ofInteger(new BigDecimal("100000000000000000000"))),
        Arguments.of("1e999999999", LabelValue.ofInteger(new BigDecimal("1e999999999"))),
        Arguments.of("true", LabelValue.TRUE),
        Arguments.of("false", LabelValue.FALSE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("labels")
  void shouldReadEachTypeOfLabel(final String label, final LabelValue expected) {
    final LabelEvent event = parse("{'model': 'm', 'id': 'r', 'label': " + label + "}");

    assertThat(event.label()).isEqualTo(expected);
  }

  @Test
  void shouldTakeTheRecordTimestampWithoutATimestamp() {
    assertThat(parse("{'model': 'm', 'id': 'r', 'label': 1}").outcomeTimeMillis())
        .isEqualTo(RECORD_TS);
    assertThat(
            parse("{'model': 'm', 'id': 'r', 'label': 1, 'timestamp': null}").outcomeTimeMillis())
        .isEqualTo(RECORD_TS);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "1795943520000",
        "1.79594352e12",
        "'2026-11-29T09:12:00Z'",
        "'2026-11-29T09:12:00.000999999Z'",
        "'2026-11-29t10:12:00+01:00'",
        "'2026-11-29T09:12:00z'"
      })
  void shouldReadTheOutcomeTimeAsAPredictionsEventTime(final String timestamp) {
    assertThat(outcomeTime(timestamp)).isEqualTo(OUTCOME);
  }

  @Test
  void shouldIgnoreOtherFields() {
    final LabelEvent event =
        parse(
            "{'version': 7, 'model': 'm', 'probabilities': 'x', 'id': 'r', 'extra': {'a': [1, {}]},"
                + " 'label': 0, 'score': null}");

    assertThat(event).isEqualTo(new LabelEvent("m", "r", LabelValue.ofInteger(0), RECORD_TS));
  }

  @Test
  void shouldNotHoldTheRecordTimestampToTheRulesWhenTheValueHasATime() {
    final LabelEvent event =
        parser.parse(
            utf8("{\"model\": \"m\", \"id\": \"r\", \"label\": 1, \"timestamp\": 0}"), -1L, NOW);

    assertThat(event.outcomeTimeMillis()).isZero();
  }

  // --- MALFORMED_JSON ---------------------------------------------------------------------------

  static Stream<Arguments> malformedValues() {
    return Stream.of(
        Arguments.of("null value", null),
        Arguments.of("empty", new byte[0]),
        Arguments.of("whitespace", utf8(" ")),
        Arguments.of("an array", utf8("[" + VALID + "]")),
        Arguments.of("a string", utf8("\"x\"")),
        Arguments.of("JSON null", utf8("null")),
        Arguments.of("truncated", utf8(VALID.substring(0, VALID.length() - 1))),
        Arguments.of("trailing data", utf8(VALID + " x")),
        Arguments.of("a second object", utf8(VALID + VALID)),
        Arguments.of(
            "UTF-8 BOM", concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8(VALID))),
        Arguments.of("UTF-16LE", VALID.getBytes(StandardCharsets.UTF_16LE)),
        Arguments.of("UTF-16 with BOM", VALID.getBytes(StandardCharsets.UTF_16)),
        Arguments.of("NaN", utf8(withExtra("NaN"))),
        Arguments.of("Infinity", utf8(withExtra("Infinity"))),
        Arguments.of("NaN as the label", utf8("{\"model\": \"m\", \"id\": \"r\", \"label\": NaN}")),
        Arguments.of(
            "duplicate model",
            utf8("{\"model\": \"m\", \"model\": \"m\", \"id\": \"r\", \"label\": 1}")),
        Arguments.of(
            "duplicate label",
            utf8("{\"model\": \"m\", \"id\": \"r\", \"label\": 1, \"label\": 1}")),
        Arguments.of(
            "duplicate id, the first null",
            utf8("{\"model\": \"m\", \"id\": null, \"id\": \"r\", \"label\": 1}")),
        Arguments.of("duplicate other key", utf8(VALID.replace("}", ", \"x\": 1, \"x\": 2}"))),
        Arguments.of(
            "duplicate key nested", utf8(withExtra("{\"a\": 1, \"b\": [{\"a\": 1, \"a\": 2}]}"))),
        Arguments.of("single quotes", utf8("{'model': 'm', 'id': 'r', 'label': 1}")),
        Arguments.of("65 levels deep", utf8(withExtra("[".repeat(64) + "]".repeat(64)))),
        Arguments.of("number longer than 1000 digits", utf8(withExtra("1".repeat(1001)))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedValues")
  void shouldRejectMalformedJson(final String description, final byte[] value) {
    assertRejected(() -> parser.parse(value, RECORD_TS, NOW), InvalidReason.MALFORMED_JSON);
  }

  @Test
  void shouldNotRepeatThePayloadInTheMessage() {
    final String secret = "s3cr3t".repeat(50);

    assertThatThrownBy(() -> parser.parse(utf8(VALID + " \"" + secret + "\""), RECORD_TS, NOW))
        .isInstanceOf(InvalidEventException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret).hasSizeLessThan(300));
    assertThatThrownBy(() -> parse("{'model': 'm', 'id': '" + secret + "', 'label': 1}"))
        .isInstanceOf(InvalidEventException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
  }

  // --- MISSING_FIELD ----------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "{'id': 'r', 'label': 1}",
        "{'model': null, 'id': 'r', 'label': 1}",
        "{'model': 'm', 'label': 1}",
        "{'model': 'm', 'id': null, 'label': 1}",
        "{'model': 'm', 'id': 'r'}",
        "{'model': 'm', 'id': 'r', 'label': null}",
        "{'model': 'm', 'id': 'r', 'labels': 1}"
      })
  void shouldRejectMissingFields(final String json) {
    assertRejected(() -> parse(json), InvalidReason.MISSING_FIELD);
  }

  @Test
  void shouldNameTheFirstMissingField() {
    assertThatThrownBy(() -> parse("{'label': 1}")).hasMessage("MISSING_FIELD: no model");
    assertThatThrownBy(() -> parse("{'model': 'm'}")).hasMessage("MISSING_FIELD: no id");
    assertThatThrownBy(() -> parse("{'model': 'm', 'id': 'r'}"))
        .hasMessage("MISSING_FIELD: no label");
  }

  // --- INVALID_FIELD ----------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{'model': 7, 'id': 'r', 'label': 1}",
        "{'model': ['m'], 'id': 'r', 'label': 1}",
        "{'model': '', 'id': 'r', 'label': 1}",
        "{'model': 'churn@v3', 'id': 'r', 'label': 1}",
        "{'model': 'churn model', 'id': 'r', 'label': 1}",
        "{'model': 'modèle', 'id': 'r', 'label': 1}",
        "{'model': 'm', 'id': 81, 'label': 1}",
        "{'model': 'm', 'id': true, 'label': 1}",
        "{'model': 'm', 'id': {}, 'label': 1}",
        "{'model': 'm', 'id': '', 'label': 1}",
        "{'model': 'm', 'id': 'a\\u0000b', 'label': 1}",
        "{'model': 'm', 'id': 'a\\nb', 'label': 1}",
        "{'model': 'm', 'id': 'a\\u007fb', 'label': 1}",
        "{'model': 'm', 'id': 'a\\u0085b', 'label': 1}",
        "{'model': 'm', 'id': '\\ud800', 'label': 1}",
        "{'model': 'm', 'id': 'r', 'label': 1.5}",
        "{'model': 'm', 'id': 'r', 'label': 1e-999999999}",
        "{'model': 'm', 'id': 'r', 'label': {}}",
        "{'model': 'm', 'id': 'r', 'label': ['a']}",
        "{'model': 'm', 'id': 'r', 'label': 1, 'timestamp': true}",
        "{'model': 'm', 'id': 'r', 'label': 1, 'timestamp': {'ms': 0}}",
        "{'model': 'm', 'id': 'r', 'label': 1, 'timestamp': [0]}"
      })
  void shouldRejectInvalidFields(final String json) {
    assertRejected(() -> parse(json), InvalidReason.INVALID_FIELD);
  }

  @Test
  void shouldAcceptNamesUpToTheirLongestAndNoLonger() {
    final String model = "m".repeat(128);
    // 128 code points, 256 UTF-16 chars: the id's length counts code points.
    final String id = "\uD83D\uDE00".repeat(128);

    assertThat(parse("{'model': '" + model + "', 'id': '" + id + "', 'label': 1}"))
        .extracting(LabelEvent::model, LabelEvent::id)
        .containsExactly(model, id);
    assertRejected(
        () -> parse("{'model': '" + model + "m', 'id': 'r', 'label': 1}"),
        InvalidReason.INVALID_FIELD);
    assertRejected(
        () -> parse("{'model': 'm', 'id': '" + id + "x', 'label': 1}"),
        InvalidReason.INVALID_FIELD);
    assertThat(parse("{'model': 'm', 'id': '" + "i".repeat(128) + "', 'label': 1}").id())
        .hasSize(128);
    assertRejected(
        () -> parse("{'model': 'm', 'id': '" + "i".repeat(129) + "', 'label': 1}"),
        InvalidReason.INVALID_FIELD);
  }

  // --- INVALID_TIMESTAMP ------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "'yesterday'",
        "''",
        "'1795943520000'",
        "'2026-11-29'",
        "'2026-11-29T09:12Z'",
        "'2026-11-29T09:12:00'",
        "'2026-11-29T09:12:00+0100'",
        "'2026-02-30T09:12:00Z'",
        "'2026-11-29T09:12:60Z'",
        "'1969-12-31T23:59:59Z'",
        "'1969-12-31T23:59:59.999Z'",
        "'+999999999-12-31T23:59:59Z'",
        "-1",
        "-1.0",
        "1795943520000.5",
        "100000000000000000000",
        "1e300"
      })
  void shouldRejectAnInvalidTimestamp(final String timestamp) {
    assertRejected(() -> outcomeTime(timestamp), InvalidReason.INVALID_TIMESTAMP);
  }

  @Test
  void shouldAcceptTheEpochAndTheLatestTimeTheSkewAllows() {
    assertThat(outcomeTime("0")).isZero();
    assertThat(outcomeTime("'1970-01-01T00:00:00Z'")).isZero();
    assertThat(outcomeTime(Long.toString(NOW + SKEW))).isEqualTo(NOW + SKEW);
    assertThat(outcomeTime("'" + Instant.ofEpochMilli(NOW + SKEW) + "'")).isEqualTo(NOW + SKEW);
  }

  @Test
  void shouldRejectAnOutcomeTimeOneMillisecondBeyondTheSkew() {
    assertRejected(
        () -> outcomeTime(Long.toString(NOW + SKEW + 1)), InvalidReason.INVALID_TIMESTAMP);
    assertRejected(
        () -> outcomeTime("'" + Instant.ofEpochMilli(NOW + SKEW + 1) + "'"),
        InvalidReason.INVALID_TIMESTAMP);
  }

  @Test
  void shouldHoldTheRecordTimestampToTheSameRulesWhenItIsTheOutcomeTime() {
    final byte[] value = utf8(VALID);

    assertThat(parser.parse(value, NOW + SKEW, NOW).outcomeTimeMillis()).isEqualTo(NOW + SKEW);
    assertThat(parser.parse(value, 0L, NOW).outcomeTimeMillis()).isZero();
    assertRejected(() -> parser.parse(value, NOW + SKEW + 1, NOW), InvalidReason.INVALID_TIMESTAMP);
    assertRejected(() -> parser.parse(value, -1L, NOW), InvalidReason.INVALID_TIMESTAMP);
  }

  @Test
  void shouldApplyTheConfiguredSkew() {
    final LabelParser strict = new LabelParser(new ParserLimits(2, 1e-3, 0L));

    assertThat(strict.parse(utf8(VALID), NOW, NOW).outcomeTimeMillis()).isEqualTo(NOW);
    assertRejected(() -> strict.parse(utf8(VALID), NOW + 1, NOW), InvalidReason.INVALID_TIMESTAMP);
    assertThat(strict.limits()).isEqualTo(new ParserLimits(2, 1e-3, 0L));
  }

  @Test
  void shouldNotOverflowNearTheEndOfTime() {
    assertThat(parser.parse(utf8(VALID), Long.MAX_VALUE, Long.MAX_VALUE).outcomeTimeMillis())
        .isEqualTo(Long.MAX_VALUE);
  }

  // --- the order of the rules -------------------------------------------------------------------

  static Stream<Arguments> twoFailures() {
    return Stream.of(
        Arguments.of( // malformed beats everything, even when the error comes last
            "{'model': 7, 'label': 1.5, 'timestamp': 'soon'} x", InvalidReason.MALFORMED_JSON),
        Arguments.of(
            "{'id': 'r', 'label': 1, 'x': {'a': 1, 'a': 1}}", InvalidReason.MALFORMED_JSON),
        Arguments.of( // no id, and a model of the wrong type
            "{'model': 7, 'label': 1}", InvalidReason.MISSING_FIELD),
        Arguments.of( // no label, and an id with a control character
            "{'model': 'm', 'id': 'a\\u0001'}", InvalidReason.MISSING_FIELD),
        Arguments.of( // no model, and a bad timestamp
            "{'id': 'r', 'label': 1, 'timestamp': 'soon'}", InvalidReason.MISSING_FIELD),
        Arguments.of( // a label of the wrong type, and a bad timestamp
            "{'model': 'm', 'id': 'r', 'label': 1.5, 'timestamp': -1}",
            InvalidReason.INVALID_FIELD),
        Arguments.of( // bad model characters, and a timestamp too far ahead
            "{'model': 'm@', 'id': 'r', 'label': 1, 'timestamp': 99999999999999}",
            InvalidReason.INVALID_FIELD),
        Arguments.of( // a timestamp of the wrong type is a field rule, not a time rule
            "{'model': 'm', 'id': 'r', 'label': 1, 'timestamp': false}",
            InvalidReason.INVALID_FIELD));
  }

  @ParameterizedTest
  @MethodSource("twoFailures")
  void shouldReportTheFirstRuleThatFails(final String json, final InvalidReason expected) {
    assertRejected(() -> parse(json), expected);
  }

  @Test
  void shouldReportTheRecordTimestampOnlyAfterTheFieldRules() {
    assertRejected(
        () -> parser.parse(utf8("{\"model\": \"m\", \"id\": \"\", \"label\": 1}"), -1L, NOW),
        InvalidReason.INVALID_FIELD);
  }

  // --- one rule with predictions ----------------------------------------------------------------

  static Stream<Arguments> predictionsAndLabels() {
    // Each prediction with a label it accepts, to learn its classes and form.
    final String[][] predictions = {
      {"'probabilities': {'10': 0.4, '2': 0.6}", "'2'"},
      {"'probabilities': {'stay': 0.5, 'leave': 0.5}", "'stay'"},
      {"'probabilities': {'a': 0.5, '100000000000000000000': 0.5}", "'a'"},
      {"'probabilities': [0.2, 0.3, 0.5], 'classes': ['cat', 'dog', 'fox']", "'cat'"},
      {"'probabilities': [0.2, 0.3, 0.5]", "'0'"},
      {"'score': 0.7", "'0'"}
    };
    final String[] labels = {
      "'leave'",
      "'dog'",
      "'2'",
      "'1'",
      "'x'",
      "0",
      "1",
      "2",
      "2.0",
      "10",
      "3",
      "-1",
      "100000000000000000000",
      "1e20",
      "1e999999999",
      "true",
      "false"
    };
    return Stream.of(predictions)
        .flatMap(p -> Stream.of(labels).map(label -> Arguments.of(p[0], p[1], label)));
  }

  /**
   * A label that arrives later means what it would have meant inline: {@link LabelValue#indexIn}
   * over the prediction's classes and form gives the prediction parser's index, and -1 exactly
   * where the prediction parser finds no class.
   */
  @ParameterizedTest(name = "{0} / {2}")
  @MethodSource("predictionsAndLabels")
  void shouldResolveALabelAsTheSameLabelInline(
      final String prediction, final String accepted, final String label) {
    final LabelValue later = parse("{'model': 'm', 'id': 'r', 'label': " + label + "}").label();
    final PredictionEvent unlabelled = parsePrediction(prediction, accepted);

    int expected;
    try {
      expected = parsePrediction(prediction, label).labelIndex();
    } catch (InvalidEventException e) {
      // Inline, a boolean outside the score form is refused before it is looked up.
      final boolean misplacedBoolean =
          later.kind() == LabelValue.Kind.BOOLEAN && unlabelled.form() != PredictionForm.SCORE;
      assertThat(e.reason())
          .as(e.getMessage())
          .isEqualTo(misplacedBoolean ? InvalidReason.INVALID_FIELD : InvalidReason.UNKNOWN_LABEL);
      expected = -1;
    }
    assertThat(later.indexIn(unlabelled.classes(), unlabelled.form())).isEqualTo(expected);
  }

  @Test
  void shouldGiveEachPredictionItsForm() {
    assertThat(parsePrediction("'probabilities': {'a': 0.5, 'b': 0.5}", "'a'").form())
        .isEqualTo(PredictionForm.OBJECT);
    assertThat(parsePrediction("'probabilities': [0.5, 0.5], 'classes': ['a', 'b']", "0").form())
        .isEqualTo(PredictionForm.ARRAY);
    assertThat(parsePrediction("'probabilities': [0.5, 0.5]", "0").form())
        .isEqualTo(PredictionForm.ARRAY);
    assertThat(parsePrediction("'score': 0.5", "0").form()).isEqualTo(PredictionForm.SCORE);
  }

  private static PredictionEvent parsePrediction(final String fields, final String label) {
    final String json = "{'model': 'm', " + fields + ", 'label': " + label + "}";
    return new PredictionParser(ParserLimits.DEFAULTS)
        .parse(utf8(json.replace('\'', '"')), RECORD_TS, NOW, ReferenceLookup.NONE);
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** Parses JSON written with single quotes for readability. */
  private LabelEvent parse(final String json) {
    return parser.parse(utf8(json.replace('\'', '"')), RECORD_TS, NOW);
  }

  private long outcomeTime(final String timestamp) {
    return parse("{'model': 'm', 'id': 'r', 'label': 1, 'timestamp': " + timestamp + "}")
        .outcomeTimeMillis();
  }

  /** A valid label event with {@code extra} as the value of an unknown field. */
  private static String withExtra(final String extra) {
    return "{\"model\": \"m\", \"id\": \"r\", \"label\": 1, \"extra\": " + extra + "}";
  }
}
