package org.modelmon.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository stands alone: every relative link of its Markdown files reaches a file inside
 * it, and every {@code #anchor} a heading of that file, as GitHub renders them.
 */
class MarkdownLinksTest {

  /** Maven runs tests in the project's base directory, the repository root. */
  private static final Path REPOSITORY = Path.of("").toAbsolutePath();

  @Test
  void shouldHaveNoDeadLinkInAnyMarkdownFileOfTheRepository() {
    assertThat(MarkdownLinks.markdownFiles(REPOSITORY))
        .as("the checker finds the README, so it does look at the repository")
        .contains(REPOSITORY.resolve("README.md"));

    assertThat(MarkdownLinks.deadLinks(REPOSITORY)).isEmpty();
  }

  @Test
  void shouldNotReferToDocumentsOutsideTheRepository() throws IOException {
    // Spelled in pieces so that this file does not match itself.
    final List<String> outside =
        List.of("../" + "shared", "CONTRACT" + ".md", "ARCHITECTURE" + ".md");
    final List<String> found = new ArrayList<>();
    for (final Path file : MarkdownLinks.repositoryFiles(REPOSITORY)) {
      final byte[] bytes = Files.readAllBytes(file);
      final String text = new String(bytes, StandardCharsets.UTF_8);
      if (text.indexOf('\0') >= 0) {
        continue; // binary: an image
      }
      for (final String name : outside) {
        if (text.contains(name)) {
          found.add(REPOSITORY.relativize(file) + " mentions " + name);
        }
      }
    }

    assertThat(found).isEmpty();
  }

  @Test
  void shouldNotCiteAContractOrAnIssueTrackerUsersNeverSee() throws IOException {
    // Docs, dashboards, manifests and comments speak for themselves or point to docs/reference.md;
    // a contract or a numbered issue would be a document a user of the repository cannot read.
    // The pattern is spelled with character classes so that this file does not match itself.
    final Pattern outside =
        Pattern.compile("(?i)\\bthe [c]ontract\\b|\\b[c]ontract's\\b|\\b[i]ssues? #?\\d+\\b");
    final List<String> found = new ArrayList<>();
    for (final Path file : MarkdownLinks.repositoryFiles(REPOSITORY)) {
      final String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
      if (text.indexOf('\0') >= 0) {
        continue; // binary: an image
      }
      final Matcher match = outside.matcher(text);
      while (match.find()) {
        found.add(REPOSITORY.relativize(file) + " says \"" + match.group() + "\"");
      }
    }

    assertThat(found).isEmpty();
  }

  @Test
  void shouldReportAMissingFileAndALinkThatLeavesTheRepository(@TempDir final Path root)
      throws IOException {
    final Path repository = Files.createDirectories(root.resolve("repo"));
    Files.writeString(root.resolve("OUTSIDE.md"), "# Outside\n");
    Files.createDirectories(repository.resolve("docs"));
    Files.writeString(repository.resolve("docs/there.md"), "# There\n");
    Files.writeString(
        repository.resolve("README.md"),
        """
        # Readme

        [fine](docs/there.md), [gone](docs/missing.md), [out](../OUTSIDE.md)
        [also fine](./docs/../docs/there.md) and [web](https://example.com/x.md)
        ![picture](docs/picture.png)

        [def]: docs/nothing.md
        """);

    assertThat(MarkdownLinks.deadLinks(repository))
        .extracting(MarkdownLinks.DeadLink::line, MarkdownLinks.DeadLink::destination)
        .containsExactly(
            tuple(3, "docs/missing.md"),
            tuple(3, "../OUTSIDE.md"),
            tuple(5, "docs/picture.png"),
            tuple(7, "docs/nothing.md"));
  }

  @Test
  void shouldCheckAnchorsInOtherFilesAndInTheSameFile(@TempDir final Path repository)
      throws IOException {
    Files.writeString(
        repository.resolve("other.md"),
        """
        # Other

        ## Metrics (`GET /metrics`)

        ## Set-up: two commands

        ## Set-up: two commands
        """);
    Files.writeString(
        repository.resolve("README.md"),
        """
        # Read me

        [a](other.md#metrics-get-metrics) [b](other.md#set-up-two-commands)
        [c](other.md#set-up-two-commands-1) [d](other.md#set-up-two-commands-2)
        [e](#read-me) [f](#nowhere) [g](other.md#Metrics)
        """);

    final List<MarkdownLinks.DeadLink> dead = MarkdownLinks.deadLinks(repository);

    assertThat(dead)
        .extracting(MarkdownLinks.DeadLink::destination)
        .containsExactly("other.md#set-up-two-commands-2", "#nowhere", "other.md#Metrics");
    assertThat(dead.get(0).problem()).contains("#set-up-two-commands-2").contains("other.md");
  }

  @Test
  void shouldReadNoLinkOrHeadingFromCode(@TempDir final Path repository) throws IOException {
    Files.writeString(
        repository.resolve("README.md"),
        """
        # Code

        ```sh
        # not a heading
        echo "[not a link](missing.md)"
        ```

        `[not a link either](missing.md)` but [this one](#not-a-heading) is.
        """);

    assertThat(MarkdownLinks.deadLinks(repository))
        .extracting(MarkdownLinks.DeadLink::destination)
        .containsExactly("#not-a-heading");
  }

  @Test
  void shouldSkipBuildOutputAndDependencies(@TempDir final Path repository) throws IOException {
    Files.writeString(repository.resolve("README.md"), "# Fine\n");
    for (final String skipped : List.of("target", "node_modules", ".git")) {
      Files.createDirectories(repository.resolve(skipped));
      Files.writeString(repository.resolve(skipped).resolve("x.md"), "[dead](nowhere.md)\n");
    }

    assertThat(MarkdownLinks.markdownFiles(repository))
        .containsExactly(repository.resolve("README.md"));
    assertThat(MarkdownLinks.deadLinks(repository)).isEmpty();
  }

  @Test
  void shouldSlugHeadingsAsGitHubDoes() {
    // Worked by hand from GitHub's rule: lower case, drop punctuation but - and _, space to -.
    assertThat(MarkdownLinks.slug("Metrics (`GET /metrics`)")).isEqualTo("metrics-get-metrics");
    assertThat(MarkdownLinks.slug("Set-up: two commands")).isEqualTo("set-up-two-commands");
    assertThat(MarkdownLinks.slug("modelmon_window_* gauges")).isEqualTo("modelmon_window_-gauges");
    assertThat(MarkdownLinks.slug("H(p,q) = D(p‖q) + H(p)")).isEqualTo("hpq--dpq--hp");
    assertThat(MarkdownLinks.slug("[Security](x.md) and **more**")).isEqualTo("security-and-more");
  }
}
