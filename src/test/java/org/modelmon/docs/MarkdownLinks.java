package org.modelmon.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds dead relative links in the Markdown files of a directory tree, as GitHub would render
 * them: a {@code [text](path)}, {@code ![alt](path)} or {@code [label]: path} whose file does not
 * exist or lies outside the tree, or whose {@code #anchor} names no heading of the target file.
 * Links with a scheme ({@code https:}, {@code mailto:}) are not followed; code is not read.
 */
final class MarkdownLinks {

  /** Directories that hold build output or third-party files, never the repository's docs. */
  private static final Set<String> SKIPPED_DIRECTORIES = Set.of("target", "node_modules", ".git");

  // [text](destination "title"): the text may hold one level of brackets ([`a`][b] is rare).
  private static final Pattern INLINE_LINK =
      Pattern.compile(
          "\\[(?:[^\\[\\]]|\\[[^\\[\\]]*\\])*\\]"
              + "\\(\\s*(<[^>]*>|[^\\s()]*(?:\\([^\\s()]*\\)[^\\s()]*)*)"
              + "(?:\\s+(?:\"[^\"]*\"|'[^']*'|\\([^)]*\\)))?\\s*\\)");
  private static final Pattern REFERENCE_DEFINITION =
      Pattern.compile("^ {0,3}\\[[^\\]]+\\]:\\s*(<[^>]*>|\\S+)");
  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");
  private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,})");
  private static final Pattern CODE_SPAN = Pattern.compile("(`+)(?:(?!\\1).)+?\\1");
  private static final Pattern ATX_HEADING =
      Pattern.compile("^ {0,3}#{1,6}\\s+(.*?)(?:\\s+#+)?\\s*$");
  private static final Pattern HTML_ANCHOR =
      Pattern.compile("<a\\s[^>]*\\b(?:name|id)\\s*=\\s*\"([^\"]+)\"", Pattern.CASE_INSENSITIVE);

  /**
   * A link that does not resolve.
   *
   * @param file the Markdown file, relative to the root
   * @param line 1-based line of the link
   * @param destination the link's destination as written
   * @param problem why it is dead
   */
  record DeadLink(Path file, int line, String destination, String problem) {
    @Override
    public String toString() {
      return file + ":" + line + ": (" + destination + ") " + problem;
    }
  }

  private final Path root;
  private final Map<Path, Set<String>> anchorsByFile = new HashMap<>();

  private MarkdownLinks(final Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** The dead links of every {@code *.md} file under {@code root}, in file and line order. */
  static List<DeadLink> deadLinks(final Path root) {
    final MarkdownLinks checker = new MarkdownLinks(root);
    final List<DeadLink> dead = new ArrayList<>();
    for (final Path file : markdownFiles(checker.root)) {
      dead.addAll(checker.check(file));
    }
    return dead;
  }

  /** Every {@code *.md} file under {@code root}, outside build output and dependencies, sorted. */
  static List<Path> markdownFiles(final Path root) {
    return repositoryFiles(root).stream()
        .filter(file -> file.getFileName().toString().endsWith(".md"))
        .toList();
  }

  /** Every file under {@code root}, outside build output and dependencies, sorted. */
  static List<Path> repositoryFiles(final Path root) {
    final List<Path> files = new ArrayList<>();
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(
                final Path dir, final BasicFileAttributes attributes) {
              return !dir.equals(root)
                      && SKIPPED_DIRECTORIES.contains(dir.getFileName().toString())
                  ? FileVisitResult.SKIP_SUBTREE
                  : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(
                final Path file, final BasicFileAttributes attributes) {
              files.add(file);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    files.sort(null);
    return files;
  }

  /**
   * The anchor GitHub gives a heading: its text without Markdown markup, in lower case, with
   * every character but letters, digits, spaces, {@code -} and {@code _} dropped, and each space
   * turned into {@code -}.
   */
  static String slug(final String headingText) {
    final String text =
        headingText
            .replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1") // links and images: their text
            .replace("`", "")
            .replace("*", "")
            .replaceAll("<[^>]+>", "") // inline HTML tags
            .toLowerCase(Locale.ROOT);
    final StringBuilder slug = new StringBuilder();
    text.codePoints()
        .forEach(
            c -> {
              if (c == ' ') {
                slug.append('-');
              } else if (Character.isLetterOrDigit(c)
                  || c == '-'
                  || c == '_'
                  || Character.getType(c) == Character.NON_SPACING_MARK) {
                slug.appendCodePoint(c);
              }
            });
    return slug.toString();
  }

  private List<DeadLink> check(final Path file) {
    final List<DeadLink> dead = new ArrayList<>();
    final Path relative = root.relativize(file);
    final List<String> lines = proseLines(file, true);
    for (int i = 0; i < lines.size(); i++) {
      final String line = lines.get(i);
      final List<String> destinations = new ArrayList<>();
      final Matcher inline = INLINE_LINK.matcher(line);
      while (inline.find()) {
        destinations.add(inline.group(1));
      }
      final Matcher definition = REFERENCE_DEFINITION.matcher(line);
      if (definition.find()) {
        destinations.add(definition.group(1));
      }
      for (final String destination : destinations) {
        final String problem = problemOf(file, destination);
        if (problem != null) {
          dead.add(new DeadLink(relative, i + 1, destination, problem));
        }
      }
    }
    return dead;
  }

  /** Why {@code destination}, a link in {@code file}, is dead, or {@code null} when it is not. */
  private String problemOf(final Path file, final String written) {
    String destination = written;
    if (destination.startsWith("<") && destination.endsWith(">")) {
      destination = destination.substring(1, destination.length() - 1);
    }
    if (destination.isEmpty()) {
      return "empty link";
    }
    if (SCHEME.matcher(destination).find() || destination.startsWith("//")) {
      return null; // absolute URL: not a file of this repository
    }
    final int hash = destination.indexOf('#');
    final String pathPart = hash < 0 ? destination : destination.substring(0, hash);
    final String anchor = hash < 0 ? null : destination.substring(hash + 1);
    final int question = pathPart.indexOf('?');
    final String withoutQuery = question < 0 ? pathPart : pathPart.substring(0, question);
    final String path = URLDecoder.decode(withoutQuery.replace("+", "%2B"), StandardCharsets.UTF_8);

    final Path target;
    if (path.isEmpty()) {
      target = file;
    } else {
      final Path base = path.startsWith("/") ? root : file.getParent();
      target = base.resolve(path.startsWith("/") ? path.substring(1) : path).normalize();
      if (!target.startsWith(root)) {
        return "points outside the repository";
      }
      if (!Files.exists(target)) {
        return "no such file: " + root.relativize(target);
      }
    }
    if (anchor == null || anchor.isEmpty()) {
      return null;
    }
    if (!target.getFileName().toString().endsWith(".md") || Files.isDirectory(target)) {
      return null; // GitHub's line anchors (#L10) and the like: not checked
    }
    final String wanted = URLDecoder.decode(anchor.replace("+", "%2B"), StandardCharsets.UTF_8);
    if (!anchorsOf(target).contains(wanted)) {
      return "no heading with anchor #" + wanted + " in " + root.relativize(target);
    }
    return null;
  }

  /** The anchors of a Markdown file's headings, with GitHub's -1, -2 suffixes for repeats. */
  private Set<String> anchorsOf(final Path file) {
    return anchorsByFile.computeIfAbsent(
        file,
        f -> {
          final Set<String> anchors = new LinkedHashSet<>();
          final Map<String, Integer> seen = new HashMap<>();
          final List<String> lines = proseLines(f, false);
          for (int i = 0; i < lines.size(); i++) {
            final String line = lines.get(i);
            final Matcher html = HTML_ANCHOR.matcher(line);
            while (html.find()) {
              anchors.add(html.group(1));
            }
            String heading = null;
            final Matcher atx = ATX_HEADING.matcher(line);
            if (atx.matches()) {
              heading = atx.group(1);
            } else if (i + 1 < lines.size()
                && !line.isBlank()
                && lines.get(i + 1).matches("^ {0,3}(=+|-+)\\s*$")
                && !line.trim().startsWith("|")
                && !line.trim().startsWith("-")) {
              heading = line.strip(); // setext heading: text underlined with === or ---
            }
            if (heading != null) {
              final String slug = slug(heading);
              final int count = seen.merge(slug, 1, Integer::sum);
              anchors.add(count == 1 ? slug : slug + "-" + (count - 1));
            }
          }
          return anchors;
        });
  }

  /**
   * The file's lines with fenced code blocks blanked, so that neither links nor headings are read
   * from code; line numbers stay those of the file. With {@code dropCodeSpans} inline code goes
   * too (for links); headings keep it, since GitHub's anchor includes the code's text.
   */
  private static List<String> proseLines(final Path file, final boolean dropCodeSpans) {
    final List<String> lines;
    try (Stream<String> stream = Files.lines(file, StandardCharsets.UTF_8)) {
      lines = new ArrayList<>(stream.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String fence = null;
    for (int i = 0; i < lines.size(); i++) {
      final String line = lines.get(i);
      final Matcher opening = FENCE.matcher(line);
      if (fence == null && opening.find()) {
        fence = opening.group(1);
        lines.set(i, "");
      } else if (fence != null) {
        final Matcher closing = FENCE.matcher(line);
        if (closing.find()
            && closing.group(1).charAt(0) == fence.charAt(0)
            && closing.group(1).length() >= fence.length()
            && line.strip().length() == closing.group(1).length()) {
          fence = null;
        }
        lines.set(i, "");
      } else if (dropCodeSpans) {
        lines.set(i, CODE_SPAN.matcher(line).replaceAll(""));
      }
    }
    return lines;
  }
}
