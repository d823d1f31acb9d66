package org.modelmon.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.modelmon.event.ParserLimits;
import org.modelmon.event.PredictionEvent;
import org.modelmon.event.PredictionParser;
import org.modelmon.reference.Reference;
import org.modelmon.window.ScoredPrediction;

class PredictionScorerTest {

  private static final long NOW = 1_700_000_000_000L;
  private static final Reference CHURN =
      new Reference("churn", "", List.of("stay", "leave", "gone"), new double[] {0.9, 0.1, 0.0});

  private final PredictionParser parser = new PredictionParser(ParserLimits.DEFAULTS);
  private final PredictionScorer scorer = new PredictionScorer(1e-15);

  @Test
  void shouldScoreAgainstTheReferenceWhateverTheOrderAndSubsetOfTheEventsClasses() {
    // q over the reference's classes is (0.8, 0.2, 0): D(p‖q) = 0.9 ln(0.9/0.8) + 0.1 ln(0.1/0.2),
    // scipy.stats.entropy([0.9, 0.1, 0.0], [0.8, 0.2, 0.0]) = 0.036690014034750584.
    final double expectedKl = 0.036690014034750584;
    final double referenceEntropy = -(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1));

    for (final String probabilities :
        List.of(
            "{\"stay\": 0.8, \"leave\": 0.2, \"gone\": 0.0}",
            "{\"leave\": 0.2, \"stay\": 0.8}",
            "{\"new\": 0.0, \"leave\": 0.2, \"stay\": 0.8}")) {
      final ScoredPrediction scored = scorer.score(parse(probabilities));

      assertThat(scored.klDivergence()).as(probabilities).isCloseTo(expectedKl, within(1e-15));
      // H(p,q) = D(p‖q) + H(p).
      assertThat(scored.referenceCrossEntropy())
          .as(probabilities)
          .isCloseTo(expectedKl + referenceEntropy, within(1e-15));
    }
  }

  private PredictionEvent parse(final String probabilities) {
    final String json =
        "{\"model\": \"churn\", \"probabilities\": " + probabilities + ", \"label\": \"stay\"}";
    return parser.parse(
        json.getBytes(StandardCharsets.UTF_8), NOW, NOW, (model, version, time) -> CHURN);
  }
}
