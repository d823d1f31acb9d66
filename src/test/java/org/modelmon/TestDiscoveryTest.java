package org.modelmon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Every class that holds tests is run by {@code mvn verify}: its name matches Surefire's or
 * Failsafe's include patterns, read from pom.xml so this check and the build cannot drift apart. A
 * class named outside the patterns compiles, is never run and so can never fail; the jqwik {@code
 * *Properties} classes were such classes until the patterns named them.
 */
class TestDiscoveryTest {

  /** Annotations that make a method a test for JUnit Jupiter or jqwik. */
  private static final Pattern TEST_ANNOTATION =
      Pattern.compile(
          "(?m)^\\s*@(?:org\\.junit\\.jupiter\\.api\\.|net\\.jqwik\\.api\\.)?"
              + "(Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate|Property|Example)"
              + "\\b");

  private static final Path POM = Path.of("pom.xml");

  @Test
  void shouldRunEveryClassThatHoldsTests() throws Exception {
    final Document pom = parse(POM);
    final List<String> unitPatterns = includes(pom, "maven-surefire-plugin");
    final List<String> integrationPatterns = includes(pom, "maven-failsafe-plugin");
    // Empty would mean the plugin's defaults, which this check does not model.
    assertThat(unitPatterns).as("Surefire <includes> in pom.xml").isNotEmpty();
    assertThat(integrationPatterns).as("Failsafe <includes> in pom.xml").isNotEmpty();

    final List<Path> testClasses = new ArrayList<>();
    for (final Path root : testSourceRoots(pom)) {
      testClasses.addAll(classesWithTests(root));
    }
    assertThat(testClasses)
        .as("classes with tests under the test source roots")
        .hasSizeGreaterThan(20);

    final List<String> notRun = new ArrayList<>();
    final List<String> runTwice = new ArrayList<>();
    for (final Path relative : testClasses) {
      final boolean unit = matchesAny(unitPatterns, relative);
      final boolean integration = matchesAny(integrationPatterns, relative);
      if (!unit && !integration) {
        notRun.add(relative.toString());
      } else if (unit && integration) {
        runTwice.add(relative.toString());
      }
    }
    assertThat(notRun)
        .as(
            "classes with tests that neither Surefire %s nor Failsafe %s runs: rename them",
            unitPatterns, integrationPatterns)
        .isEmpty();
    assertThat(runTwice).as("classes that both Surefire and Failsafe run").isEmpty();
  }

  @Test
  void shouldMatchPatternsAsSurefireDoes() {
    // The matcher itself must be able to say no, or the check above could never fail.
    assertThat(matchesAny(List.of("**/*Test.java"), Path.of("org/modelmon/FooTest.java"))).isTrue();
    assertThat(matchesAny(List.of("**/*Test.java"), Path.of("FooTest.java"))).isTrue();
    assertThat(matchesAny(List.of("**/*Test.java"), Path.of("org/modelmon/FooTests.java")))
        .isFalse();
    assertThat(matchesAny(List.of("**/*IT.java"), Path.of("org/modelmon/FooProperties.java")))
        .isFalse();
    assertThat(TEST_ANNOTATION.matcher("  /** Not a {@link Test}. */\n  void x() {}").find())
        .isFalse();
    assertThat(TEST_ANNOTATION.matcher("\n  @Property(tries = 10)\n  void x() {}").find()).isTrue();
    assertThat(TEST_ANNOTATION.matcher("\n  @Testing\n  void x() {}").find()).isFalse();
  }

  private static Document parse(final Path file) throws Exception {
    final DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(false);
    return factory.newDocumentBuilder().parse(file.toFile());
  }

  /** The {@code <include>} patterns of the named plugin's top-level configuration. */
  private static List<String> includes(final Document pom, final String artifactId) {
    final Element plugin = plugin(pom, artifactId);
    final List<String> patterns = new ArrayList<>();
    final NodeList configurations = plugin.getElementsByTagName("configuration");
    for (int i = 0; i < configurations.getLength(); i++) {
      final Element configuration = (Element) configurations.item(i);
      if (configuration.getParentNode() != plugin) {
        continue; // an execution's configuration: not the one -Dtest / -Dit.test runs beside
      }
      final NodeList includes = configuration.getElementsByTagName("include");
      for (int j = 0; j < includes.getLength(); j++) {
        patterns.add(includes.item(j).getTextContent().trim());
      }
    }
    return patterns;
  }

  private static Element plugin(final Document pom, final String artifactId) {
    final NodeList plugins = pom.getElementsByTagName("plugin");
    for (int i = 0; i < plugins.getLength(); i++) {
      final Element plugin = (Element) plugins.item(i);
      final NodeList ids = plugin.getElementsByTagName("artifactId");
      if (ids.getLength() > 0 && ids.item(0).getTextContent().trim().equals(artifactId)) {
        return plugin;
      }
    }
    throw new AssertionError(artifactId + " is not configured in pom.xml");
  }

  /** src/test/java and the extra test source roots build-helper adds (the benchmarks). */
  private static List<Path> testSourceRoots(final Document pom) {
    final List<Path> roots = new ArrayList<>(List.of(Path.of("src/test/java")));
    final NodeList goals = pom.getElementsByTagName("goal");
    for (int i = 0; i < goals.getLength(); i++) {
      if (!goals.item(i).getTextContent().trim().equals("add-test-source")) {
        continue;
      }
      final Element execution = (Element) goals.item(i).getParentNode().getParentNode();
      final NodeList sources = execution.getElementsByTagName("source");
      for (int j = 0; j < sources.getLength(); j++) {
        roots.add(Path.of(sources.item(j).getTextContent().trim()));
      }
    }
    for (final Path root : roots) {
      assertThat(root).as("test source root named in pom.xml").isDirectory();
    }
    return roots;
  }

  /** Paths, relative to {@code root}, of the Java files that declare at least one test. */
  private static List<Path> classesWithTests(final Path root) throws IOException {
    final List<Path> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (final Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        final String source = Files.readString(file, StandardCharsets.UTF_8);
        if (TEST_ANNOTATION.matcher(source).find()) {
          found.add(root.relativize(file));
        }
      }
    }
    return found;
  }

  /**
   * Ant-style matching as Surefire does it: {@code **}{@code /} also matches no directory at all,
   * which a plain glob does not.
   */
  private static boolean matchesAny(final List<String> patterns, final Path relative) {
    for (final String pattern : patterns) {
      final List<String> forms = new ArrayList<>(List.of(pattern));
      if (pattern.startsWith("**/")) {
        forms.add(pattern.substring(3));
      }
      for (final String form : forms) {
        final PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + form);
        if (matcher.matches(relative)) {
          return true;
        }
      }
    }
    return false;
  }
}
