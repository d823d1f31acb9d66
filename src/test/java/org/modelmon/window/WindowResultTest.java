package org.modelmon.window;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Window records as the stores and peers hand them back. */
class WindowResultTest {

  @Test
  void shouldReadARecordWrittenBeforeCalibrationWithEveryEventLabelled() {
    // A window record of the previous release, as an upgraded instance's history still holds it.
    final String old =
        "{\"model\":\"churn\",\"version\":\"v3\",\"window\":\"1m\","
            + "\"start\":\"2026-11-28T14:00:00Z\",\"end\":\"2026-11-28T14:01:00Z\","
            + "\"startMillis\":1795874400000,\"endMillis\":1795874460000,\"predictions\":2,"
            + "\"logLossSum\":0.7339691750802004,\"logLossMean\":0.3669845875401002,"
            + "\"labelCounts\":{\"stay\":1,\"leave\":1},"
            + "\"meanPrediction\":{\"stay\":0.6,\"leave\":0.4},"
            + "\"classLogLoss\":{\"stay\":0.2231435513142097,\"leave\":0.5108256237659907}}";

    final WindowResult read =
        WindowSerdes.windowResultFromJson(old.getBytes(StandardCharsets.UTF_8));

    // Every event of that release carried its label: the outcome side counts them all,
    assertThat(read.labelled()).isEqualTo(2);
    assertThat(read.logLossMean()).isEqualTo(0.3669845875401002);
    // and the calibration it did not compute stays absent rather than reading as 0.
    assertThat(read.excessLogLossMean()).isNull();
    assertThat(read.calibrationZ()).isNull();
    assertThat(read.accuracy()).isNull();
    assertThat(new String(WindowSerdes.windowResultJson(read), StandardCharsets.UTF_8))
        .doesNotContain("excessLogLossMean")
        .contains("\"labelled\":2");
  }
}
