package org.modelmon.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Medians over forks of a JMH run: reads the JSON result file of {@code bin/bench jmh -f N -rf json
 * -rff FILE} and prints, per benchmark and parameter set, the median of the forks' means, the
 * spread of those means, and the median allocation per operation when {@code -prof gc} was on.
 *
 * <p>JMH's own summary pools the iterations of every fork into one mean; the issue asks for the
 * median of several runs, and a fork is a run of its own (a fresh JVM, its own JIT decisions).
 */
public final class JmhMedians {

  private static final String ALLOCATION = "gc.alloc.rate.norm";

  private JmhMedians() {}

  public static void main(final String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: bin/bench jmh-medians RESULTS.json");
      System.exit(2);
    }
    final JsonNode results = new ObjectMapper().readTree(Path.of(args[0]).toFile());
    System.out.println(
        "| benchmark | parameters | forks | median of fork means | fork means min–max | unit"
            + " | B/op (median) |");
    System.out.println("|---|---|---:|---:|---:|---|---:|");
    for (final JsonNode result : results) {
      final double[] forkMeans = forkMeans(result.path("primaryMetric").path("rawData"));
      final JsonNode allocation = result.path("secondaryMetrics").path(ALLOCATION);
      final double[] sorted = forkMeans.clone();
      Arrays.sort(sorted);
      System.out.printf(
          "| %s | %s | %d | %,.0f | %,.0f–%,.0f | %s | %s |%n",
          shortName(result.path("benchmark").asText()),
          parameters(result.path("params")),
          forkMeans.length,
          Stats.median(forkMeans),
          sorted[0],
          sorted[sorted.length - 1],
          result.path("primaryMetric").path("scoreUnit").asText(),
          allocation.isMissingNode()
              ? "–"
              : String.format("%,.0f", Stats.median(forkMeans(allocation.path("rawData")))));
    }
  }

  /** The mean of each fork's measurement iterations; JMH's rawData holds one array per fork. */
  private static double[] forkMeans(final JsonNode rawData) {
    final List<Double> means = new ArrayList<>();
    for (final JsonNode fork : rawData) {
      double sum = 0;
      for (final JsonNode iteration : fork) {
        sum += iteration.asDouble();
      }
      means.add(sum / fork.size());
    }
    return means.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static String shortName(final String benchmark) {
    return benchmark.substring(benchmark.lastIndexOf('.') + 1);
  }

  private static String parameters(final JsonNode params) {
    final List<String> pairs = new ArrayList<>();
    for (final Map.Entry<String, JsonNode> param : params.properties()) {
      pairs.add(param.getKey() + "=" + param.getValue().asText());
    }
    return String.join(" ", pairs);
  }
}
