package org.modelmon.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LabelValueTest {

  private static final List<String> NAMED = List.of("cat", "dog", "fox");
  private static final List<String> NUMBERED = List.of("10", "2", "x");
  private static final List<String> DEFAULT = List.of("0", "1", "2");
  private static final List<String> BINARY = List.of("0", "1");

  // --- object form ------------------------------------------------------------------------------

  @Test
  void shouldNameTheClassALabelNamesOnItsOwnAsABareLabelDoes() {
    assertThat(LabelValue.ofName("stay").className()).isEqualTo("stay");
    assertThat(LabelValue.ofInteger(-3).className()).isEqualTo("-3");
    assertThat(LabelValue.ofInteger(new BigDecimal("12e1")).className()).isEqualTo("120");
    assertThat(LabelValue.ofInteger(new BigDecimal("1e20")).className())
        .isEqualTo("100000000000000000000");
    assertThat(LabelValue.ofBoolean(true).className()).isEqualTo("1");
    assertThat(LabelValue.ofBoolean(false).className()).isEqualTo("0");
    assertThat(LabelValue.ofName("").className()).as("empty").isNull();
    assertThat(LabelValue.ofName("a\u0001").className()).as("control character").isNull();
    assertThat(LabelValue.ofInteger(new BigDecimal("1e128")).className()).as("129 digits").isNull();
    assertThat(LabelValue.ofInteger(new BigDecimal("1e999999999")).className()).isNull();
  }

  @Test
  void shouldTakeAnIntegerAsTheNumberNamedClassInObjectForm() {
    assertThat(LabelValue.ofInteger(2).indexIn(NUMBERED, PredictionForm.OBJECT)).isEqualTo(1);
    assertThat(LabelValue.ofInteger(10).indexIn(NUMBERED, PredictionForm.OBJECT)).isZero();
    // Index 0 would be "10": in the object form an integer is never an index.
    assertThat(LabelValue.ofInteger(0).indexIn(NUMBERED, PredictionForm.OBJECT)).isEqualTo(-1);
    assertThat(LabelValue.ofInteger(0).indexIn(NAMED, PredictionForm.OBJECT)).isEqualTo(-1);
  }

  @Test
  void shouldNameAClassWithAnIntegerBeyondALongInObjectForm() {
    final List<String> classes = List.of("a", "100000000000000000000");
    final LabelValue label = LabelValue.ofInteger(new BigDecimal("1e20"));

    assertThat(label.indexIn(classes, PredictionForm.OBJECT)).isEqualTo(1);
    assertThat(label.indexIn(classes, PredictionForm.ARRAY)).isEqualTo(-1);
  }

  // --- array form -------------------------------------------------------------------------------

  @Test
  void shouldTakeAnIntegerAsAnIndexInArrayForm() {
    assertThat(LabelValue.ofInteger(2).indexIn(NAMED, PredictionForm.ARRAY)).isEqualTo(2);
    assertThat(LabelValue.ofInteger(0).indexIn(NUMBERED, PredictionForm.ARRAY)).isZero();
    assertThat(LabelValue.ofInteger(3).indexIn(NAMED, PredictionForm.ARRAY)).isEqualTo(-1);
    assertThat(LabelValue.ofInteger(-1).indexIn(NAMED, PredictionForm.ARRAY)).isEqualTo(-1);
    assertThat(LabelValue.ofInteger(4_294_967_296L).indexIn(NAMED, PredictionForm.ARRAY))
        .isEqualTo(-1);
  }

  @Test
  void shouldTakeAStringAsAClassNameInEveryForm() {
    assertThat(LabelValue.ofName("dog").indexIn(NAMED, PredictionForm.ARRAY)).isEqualTo(1);
    assertThat(LabelValue.ofName("dog").indexIn(NAMED, PredictionForm.OBJECT)).isEqualTo(1);
    assertThat(LabelValue.ofName("2").indexIn(DEFAULT, PredictionForm.ARRAY)).isEqualTo(2);
    assertThat(LabelValue.ofName("1").indexIn(BINARY, PredictionForm.SCORE)).isEqualTo(1);
    // A string is never an index.
    assertThat(LabelValue.ofName("1").indexIn(NAMED, PredictionForm.ARRAY)).isEqualTo(-1);
  }

  // --- score form -------------------------------------------------------------------------------

  @Test
  void shouldTakeABooleanInScoreForm() {
    assertThat(LabelValue.TRUE.indexIn(BINARY, PredictionForm.SCORE)).isEqualTo(1);
    assertThat(LabelValue.FALSE.indexIn(BINARY, PredictionForm.SCORE)).isZero();
    assertThat(LabelValue.ofInteger(1).indexIn(BINARY, PredictionForm.SCORE)).isEqualTo(1);
    assertThat(LabelValue.ofInteger(2).indexIn(BINARY, PredictionForm.SCORE)).isEqualTo(-1);
  }

  @ParameterizedTest
  @EnumSource(
      value = PredictionForm.class,
      names = {"OBJECT", "ARRAY"})
  void shouldResolveABooleanOnlyInScoreForm(final PredictionForm form) {
    // Even classes named "0" and "1", as the score form's, do not make a boolean one of them.
    assertThat(LabelValue.TRUE.indexIn(BINARY, form)).isEqualTo(-1);
    assertThat(LabelValue.FALSE.indexIn(BINARY, form)).isEqualTo(-1);
  }

  // --- unknown ----------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(PredictionForm.class)
  void shouldResolveAnUnknownLabelToMinusOne(final PredictionForm form) {
    final List<String> classes = form == PredictionForm.SCORE ? BINARY : NAMED;

    assertThat(LabelValue.ofName("wolf").indexIn(classes, form)).isEqualTo(-1);
    assertThat(LabelValue.ofName("").indexIn(classes, form)).isEqualTo(-1);
    assertThat(LabelValue.ofInteger(Long.MIN_VALUE).indexIn(classes, form)).isEqualTo(-1);
    assertThat(LabelValue.ofInteger(new BigDecimal("9223372036854775808")).indexIn(classes, form))
        .isEqualTo(-1);
    // Resolved without writing out its billion digits.
    assertThat(LabelValue.ofInteger(new BigDecimal("1e999999999")).indexIn(classes, form))
        .isEqualTo(-1);
  }

  // --- the value --------------------------------------------------------------------------------

  @Test
  void shouldEqualTheSameJsonValue() {
    assertThat(LabelValue.ofInteger(new BigDecimal("2.0"))).isEqualTo(LabelValue.ofInteger(2));
    assertThat(LabelValue.ofInteger(new BigDecimal("-0"))).isEqualTo(LabelValue.ofInteger(0));
    assertThat(LabelValue.ofInteger(new BigDecimal(Long.toString(Long.MIN_VALUE))))
        .isEqualTo(LabelValue.ofInteger(Long.MIN_VALUE));
    assertThat(LabelValue.ofInteger(new BigDecimal("100000000000000000000")))
        .isEqualTo(LabelValue.ofInteger(new BigDecimal("1e20")))
        .hasSameHashCodeAs(LabelValue.ofInteger(new BigDecimal("1e20")));
    assertThat(LabelValue.ofName("2")).isNotEqualTo(LabelValue.ofInteger(2));
    assertThat(LabelValue.ofBoolean(true)).isSameAs(LabelValue.TRUE).isNotEqualTo(LabelValue.FALSE);
    assertThat(LabelValue.ofInteger(1)).isNotEqualTo(LabelValue.TRUE);
  }

  @Test
  void shouldGiveItsValueByKind() {
    assertThat(LabelValue.ofName("dog").kind()).isEqualTo(LabelValue.Kind.NAME);
    assertThat(LabelValue.ofName("dog").name()).isEqualTo("dog");
    assertThat(LabelValue.ofInteger(20).kind()).isEqualTo(LabelValue.Kind.INTEGER);
    assertThat(LabelValue.ofInteger(20).integerValue()).isEqualByComparingTo("20");
    assertThat(LabelValue.ofInteger(new BigDecimal("1e999999999")).integerValue().scale())
        .isEqualTo(-999_999_999);
    assertThat(LabelValue.FALSE.kind()).isEqualTo(LabelValue.Kind.BOOLEAN);
    assertThat(LabelValue.FALSE.booleanValue()).isFalse();

    assertThatThrownBy(() -> LabelValue.ofInteger(2).name())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> LabelValue.ofName("2").integerValue())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> LabelValue.ofInteger(1).booleanValue())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void shouldRefuseANumberThatIsNotAnInteger() {
    assertThatThrownBy(() -> LabelValue.ofInteger(new BigDecimal("2.5")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LabelValue.ofName(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void shouldReadAsItsJson() {
    assertThat(LabelValue.ofName("leave")).hasToString("\"leave\"");
    assertThat(LabelValue.ofInteger(-3)).hasToString("-3");
    assertThat(LabelValue.ofInteger(new BigDecimal("1e999999999"))).hasToString("1E+999999999");
    assertThat(LabelValue.TRUE).hasToString("true");
  }
}
