package org.modelmon.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.modelmon.event.ParserLimits;

class ReferenceInputsTest {

  private static final ParserLimits LIMITS = ParserLimits.DEFAULTS;

  @TempDir Path dir;

  // --distribution ------------------------------------------------------------------------------

  @Test
  void shouldParseADistributionInTheOrderGiven() {
    assertThat(ReferenceInputs.parseDistribution("stay=0.8,leave=0.2"))
        .containsExactly(
            entry("stay", new BigDecimal("0.8")), entry("leave", new BigDecimal("0.2")));
  }

  @Test
  void shouldIgnoreSpacesAroundItemsNamesAndNumbers() {
    assertThat(ReferenceInputs.parseDistribution(" not spam = 0.7 ,  spam=0.3 "))
        .containsExactly(
            entry("not spam", new BigDecimal("0.7")), entry("spam", new BigDecimal("0.3")));
  }

  @Test
  void shouldSplitAtTheLastEqualsSoThatNamesMayHoldOne() {
    assertThat(ReferenceInputs.parseDistribution("x=y=0.5,z=0.5")).containsOnlyKeys("x=y", "z");
  }

  @Test
  void shouldKeepNumbersAsWritten() {
    assertThat(ReferenceInputs.parseDistribution("a=2.5e-1,b=.75,c=0"))
        .containsExactly(
            entry("a", new BigDecimal("2.5e-1")),
            entry("b", new BigDecimal(".75")),
            entry("c", BigDecimal.ZERO));
  }

  @Test
  void shouldLeaveRangeAndSumToTheReferenceRules() {
    // Syntactically fine: whether p is a valid reference is ReferenceParser's to say.
    assertThat(ReferenceInputs.parseDistribution("a=-0.5,b=7")).hasSize(2);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "a=0.5,b=x      | --distribution item 2 \"b=x\": \"x\" is not a decimal number (e.g. 0.25)",
        "a=NaN,b=0.5    | --distribution item 1 \"a=NaN\": \"NaN\" is not a decimal number",
        "a=Infinity,b=0 | --distribution item 1 \"a=Infinity\": \"Infinity\" is not a decimal",
        "a=0x1p-1,b=0.5 | --distribution item 1 \"a=0x1p-1\": \"0x1p-1\" is not a decimal number",
        "a=0.5d,b=0.5   | --distribution item 1 \"a=0.5d\": \"0.5d\" is not a decimal number",
        "a=0.5,b=       | --distribution item 2 \"b=\": no probability after '='",
        "a=0.5,=0.5     | --distribution item 2 \"=0.5\": no class name before '='",
        "a=0.5,b        | --distribution item 2 \"b\": expected CLASS=P[,CLASS=P...]",
        "a=0.5,b=0.5,   | --distribution item 3 \"\": expected CLASS=P[,CLASS=P...]",
        "a=0.5,,b=0.5   | --distribution item 2 \"\": expected CLASS=P[,CLASS=P...]",
        "a=0.5,a=0.5    | --distribution item 2 \"a=0.5\": class \"a\" is given twice",
        "a=0.5, a =0.5  | --distribution item 2 \"a =0.5\": class \"a\" is given twice",
      })
  void shouldRefuseABadDistributionNamingTheItem(final String argument, final String message) {
    assertThatThrownBy(() -> ReferenceInputs.parseDistribution(argument))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith(message);
  }

  @Test
  void shouldRefuseAClassNameWithAControlCharacterOrTooLong() {
    assertThatThrownBy(() -> ReferenceInputs.parseDistribution("a\u0007b=0.5,c=0.5"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage(
            "--distribution item 1 \"a\\u0007b=0.5\": is not a class name: 1-128 characters, no"
                + " control characters");
    assertThatThrownBy(() -> ReferenceInputs.parseDistribution("x".repeat(129) + "=0.5,c=0.5"))
        .hasMessageContaining("is not a class name");
  }

  // --from-labels: events ------------------------------------------------------------------------

  @Test
  void shouldCountTheLabelsOfEventsInEveryForm() throws IOException {
    final Path file =
        write(
            // object form: a string label, and an integer naming the class "1"
            "{\"model\": \"m\", \"probabilities\": {\"stay\": 0.9, \"leave\": 0.1}, \"label\":"
                + " \"stay\"}",
            "{\"model\": \"m\", \"probabilities\": {\"0\": 0.4, \"1\": 0.6}, \"label\": 1}",
            // array form with classes: the label is an index
            "{\"model\": \"m\", \"probabilities\": [0.2, 0.8], \"classes\": [\"stay\", \"leave\"],"
                + " \"label\": 1}",
            // array form without classes: default names "0", "1", ...
            "{\"model\": \"m\", \"probabilities\": [0.2, 0.3, 0.5], \"label\": 2}",
            // score form: index and boolean
            "{\"model\": \"m\", \"score\": 0.7, \"label\": 1}",
            "{\"model\": \"m\", \"score\": 0.7, \"label\": false}");

    final ReferenceInputs.LabelCounts counts = ReferenceInputs.readLabels(file, "m", LIMITS);

    assertThat(counts.counts())
        .containsExactly(
            entry("stay", 1L), entry("1", 2L), entry("leave", 1L), entry("2", 1L), entry("0", 1L));
    assertThat(counts.labels()).isEqualTo(6);
    assertThat(counts.ignored()).isZero();
  }

  @Test
  void shouldIgnoreEventsOfOtherModelsButCountEveryVersion() throws IOException {
    final Path file =
        write(
            "{\"model\": \"m\", \"version\": \"v1\", \"score\": 0.7, \"label\": 1}",
            "{\"model\": \"other\", \"score\": 0.7, \"label\": 1}",
            "{\"model\": \"m\", \"version\": \"v2\", \"score\": 0.7, \"label\": 0}",
            "{\"model\": \"m2\", \"score\": 0.7, \"label\": 0}");

    final ReferenceInputs.LabelCounts counts = ReferenceInputs.readLabels(file, "m", LIMITS);

    assertThat(counts.counts()).containsExactly(entry("1", 1L), entry("0", 1L));
    assertThat(counts.ignored()).isEqualTo(2);
  }

  @Test
  void shouldCountLabelEventsByTheClassTheirLabelNamesAndIgnoreEventsWithoutALabel()
      throws IOException {
    final Path file =
        write(
            "{\"model\": \"m\", \"id\": \"r1\", \"label\": \"stay\"}",
            "{\"model\": \"m\", \"id\": \"r2\", \"label\": 1}",
            "{\"model\": \"m\", \"id\": \"r3\", \"label\": true}",
            "{\"model\": \"m\", \"id\": \"r4\", \"label\": 2.0, \"timestamp\":"
                + " \"2999-01-01T00:00:00Z\"}",
            "{\"model\": \"other\", \"id\": \"r5\", \"label\": \"stay\"}",
            "{\"model\": \"m\", \"id\": \"r7\", \"label\": \"stay\", \"score\": null}",
            "{\"model\": \"m\", \"id\": \"r6\", \"score\": 0.7}");

    final ReferenceInputs.LabelCounts counts = ReferenceInputs.readLabels(file, "m", LIMITS);

    assertThat(counts.counts()).containsExactly(entry("stay", 2L), entry("1", 2L), entry("2", 1L));
    assertThat(counts.ignored()).as("another model's label, a prediction without one").isEqualTo(2);
  }

  @Test
  void shouldRefuseAnInvalidLabelEventNamingTheLineAndReason() throws IOException {
    final Path noId = write("{\"model\": \"m\", \"label\": \"a\"}");
    assertThatThrownBy(() -> ReferenceInputs.readLabels(noId, "m", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage(
            "--from-labels "
                + noId
                + " line 1: invalid label event (an object without probabilities or score):"
                + " MISSING_FIELD: no id");

    final Path noClass = write("{\"model\": \"m\", \"id\": \"r\", \"label\": \"\"}");
    assertThatThrownBy(() -> ReferenceInputs.readLabels(noClass, "m", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith(
            "--from-labels " + noClass + " line 1: the label is not a class name");
  }

  @Test
  void shouldIgnoreTheWallClockButNotOtherTimestampRules() throws IOException {
    // Far in the future: the stream would refuse it now, but a labels file is not live traffic.
    final Path future =
        write(
            "{\"model\": \"m\", \"timestamp\": \"2999-01-01T00:00:00Z\", \"score\": 0.5,"
                + " \"label\": 1}");
    assertThat(ReferenceInputs.readLabels(future, "m", LIMITS).counts()).containsOnlyKeys("1");

    final Path bad =
        write("{\"model\": \"m\", \"timestamp\": \"yesterday\", \"score\": 0.5, \"label\": 1}");
    assertThatThrownBy(() -> ReferenceInputs.readLabels(bad, "m", LIMITS))
        .hasMessageStartingWith(
            "--from-labels " + bad + " line 1: invalid prediction event: INVALID_TIMESTAMP: ");
  }

  @Test
  void shouldRefuseAnInvalidEventNamingTheLineAndReason() throws IOException {
    final Path file =
        write(
            "\"a\"",
            "",
            "{\"model\": \"m\", \"probabilities\": {\"a\": 0.5, \"b\": 0.5}, \"label\": \"c\"}");

    assertThatThrownBy(() -> ReferenceInputs.readLabels(file, "m", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessage(
            "--from-labels "
                + file
                + " line 3: invalid prediction event: UNKNOWN_LABEL: label is not one of the"
                + " event's classes");
  }

  @Test
  void shouldRefuseAnInvalidEventOfAnotherModelToo() throws IOException {
    final Path file = write("{\"model\": \"other\", \"score\": 1.5, \"label\": 1}");

    assertThatThrownBy(() -> ReferenceInputs.readLabels(file, "m", LIMITS))
        .hasMessageContaining("line 1: invalid prediction event: INVALID_PROBABILITY: ");
  }

  @Test
  void shouldReportMalformedJsonWithTheFileLineAndColumn() throws IOException {
    final Path file = write("\"a\"", "{\"model\": \"m\",, }");

    assertThatThrownBy(() -> ReferenceInputs.readLabels(file, "m", LIMITS))
        .hasMessageStartingWith(
            "--from-labels " + file + " line 2: invalid prediction event:" + " MALFORMED_JSON: ")
        .hasMessageContaining("(column ")
        .hasMessageNotContaining("line 1");
  }

  // --from-labels: bare labels -------------------------------------------------------------------

  @Test
  void shouldCountBareLabelsAsTheEventFormsNameThem() throws IOException {
    final Path file =
        write("\"stay\"", "  \"leave\"  ", "1", "2.0", "-0", "true", "false", "0", "12e1", "-3");

    final ReferenceInputs.LabelCounts counts = ReferenceInputs.readLabels(file, "m", LIMITS);

    assertThat(counts.counts())
        .containsExactly(
            entry("stay", 1L),
            entry("leave", 1L),
            entry("1", 2L),
            entry("2", 1L),
            entry("0", 3L),
            entry("120", 1L),
            entry("-3", 1L));
  }

  @Test
  void shouldSkipBlankLinesAndAcceptCrLfAndNoFinalNewline() throws IOException {
    final Path file = dir.resolve("crlf.jsonl");
    Files.write(file, "\"a\"\r\n\r\n   \r\n\t\n\"b\"\r\n\"a\"".getBytes(UTF_8));

    final ReferenceInputs.LabelCounts counts = ReferenceInputs.readLabels(file, "m", LIMITS);

    assertThat(counts.counts()).containsExactly(entry("a", 2L), entry("b", 1L));
  }

  @ParameterizedTest
  @ValueSource(strings = {"null", "[\"a\"]", "0.5", "\"a\" \"b\"", "'a'", "a", "\"\"", "1e200"})
  void shouldRefuseALineThatIsNoLabel(final String line) throws IOException {
    final Path file = write("\"a\"", line);

    assertThatThrownBy(() -> ReferenceInputs.readLabels(file, "m", LIMITS))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("--from-labels " + file + " line 2: ");
  }

  @Test
  void shouldNameTheLineOfInvalidUtf8EvenFarIntoTheFile() throws IOException {
    final StringBuilder text = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      text.append("\"a\"\n");
    }
    final byte[] good = text.toString().getBytes(UTF_8);
    final byte[] bytes = new byte[good.length + 4];
    System.arraycopy(good, 0, bytes, 0, good.length);
    bytes[good.length] = '"';
    bytes[good.length + 1] = (byte) 0xC3; // a lead byte without its continuation
    bytes[good.length + 2] = '"';
    bytes[good.length + 3] = '\n';
    final Path file = dir.resolve("latin1.jsonl");
    Files.write(file, bytes);

    assertThatThrownBy(() -> ReferenceInputs.readLabels(file, "m", LIMITS))
        .hasMessage("--from-labels " + file + " line 5001: not valid UTF-8");
  }

  @Test
  void shouldRefuseAByteOrderMark() throws IOException {
    final Path file = dir.resolve("bom.jsonl");
    Files.write(file, "\uFEFF\"a\"\n\"b\"\n".getBytes(UTF_8));

    assertThatThrownBy(() -> ReferenceInputs.readLabels(file, "m", LIMITS))
        .hasMessage("--from-labels " + file + " line 1: malformed JSON: a UTF-8 byte order mark");
  }

  @Test
  void shouldStopAtMoreDistinctLabelsThanMaxClasses() throws IOException {
    final Path file = write("\"a\"", "\"b\"", "\"a\"", "\"c\"");

    assertThatThrownBy(
            () -> ReferenceInputs.readLabels(file, "m", new ParserLimits(2, 1e-3, 3_600_000L)))
        .hasMessage(
            "--from-labels "
                + file
                + " line 4: more than 2 distinct labels, the most a reference may have"
                + " (modelmon.max.classes)");
  }

  @Test
  void shouldRefuseAFileWithoutLabelsOfTheModel() throws IOException {
    final Path empty = write("", "  ");
    assertThatThrownBy(() -> ReferenceInputs.readLabels(empty, "m", LIMITS))
        .hasMessage("--from-labels " + empty + ": no labels of model m");

    final Path others = write("{\"model\": \"x\", \"score\": 0.5, \"label\": 1}");
    assertThatThrownBy(() -> ReferenceInputs.readLabels(others, "m", LIMITS))
        .hasMessage(
            "--from-labels "
                + others
                + ": no labels of model m (1 events of other models or without a label ignored)");
  }

  @Test
  void shouldRefuseAMissingFileAndADirectory() {
    final Path missing = dir.resolve("missing.jsonl");
    assertThatThrownBy(() -> ReferenceInputs.readLabels(missing, "m", LIMITS))
        .hasMessage("--from-labels " + missing + ": no such file");
    assertThatThrownBy(() -> ReferenceInputs.readLabels(dir, "m", LIMITS))
        .hasMessage("--from-labels " + dir + ": is a directory, not a file");
  }

  // distribution from counts ---------------------------------------------------------------------

  @Test
  void shouldDivideCountsByTheTotal() {
    final ReferenceInputs.LabelCounts counts = new ReferenceInputs.LabelCounts(Map.of("a", 2L), 0);
    assertThat(counts.distribution()).containsExactly(entry("a", new BigDecimal("1.0")));

    final Map<String, Long> twoToOne = new LinkedHashMap<>();
    twoToOne.put("a", 2L);
    twoToOne.put("b", 1L);
    assertThat(new ReferenceInputs.LabelCounts(twoToOne, 0).distribution())
        .containsExactly(
            entry("a", new BigDecimal("0.6666666666666666")),
            entry("b", new BigDecimal("0.3333333333333333")));
  }

  private Path write(final String... lines) throws IOException {
    final Path file = Files.createTempFile(dir, "labels", ".jsonl");
    Files.writeString(file, String.join("\n", lines) + "\n", UTF_8);
    return file;
  }
}
