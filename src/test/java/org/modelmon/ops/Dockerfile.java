package org.modelmon.ops;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The instructions of a Dockerfile's final stage (the image that runs), read just far enough to
 * compare them with the Compose file and the Kubernetes manifests. The syntax itself is checked by
 * the Dockerfile linter in {@code src/test/manifest-validator}.
 *
 * @param text the whole file
 * @param instructions the final stage's instructions in order, line continuations joined
 */
record Dockerfile(String text, List<Instruction> instructions) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One instruction: its keyword in upper case and the rest of its (joined) line. */
  record Instruction(String keyword, String arguments) {}

  static Dockerfile read(final Path path) {
    final String text;
    try {
      text = Files.readString(path);
    } catch (final IOException e) {
      throw new UncheckedIOException(e);
    }
    final List<Instruction> instructions = new ArrayList<>();
    final StringBuilder logical = new StringBuilder();
    for (final String line : text.lines().toList()) {
      final String stripped = line.strip();
      if (stripped.startsWith("#") || (stripped.isEmpty() && logical.isEmpty())) {
        continue; // comments may sit between continued lines, too
      }
      if (stripped.endsWith("\\")) {
        logical.append(stripped, 0, stripped.length() - 1).append(' ');
        continue;
      }
      logical.append(stripped);
      final String[] parts = logical.toString().strip().split("\\s+", 2);
      logical.setLength(0);
      final String keyword = parts[0].toUpperCase(Locale.ROOT);
      if (keyword.equals("FROM")) {
        instructions.clear(); // only the last stage is the image
      }
      instructions.add(new Instruction(keyword, parts.length > 1 ? parts[1].strip() : ""));
    }
    return new Dockerfile(text, List.copyOf(instructions));
  }

  List<String> all(final String keyword) {
    return instructions.stream()
        .filter(instruction -> instruction.keyword().equals(keyword))
        .map(Instruction::arguments)
        .toList();
  }

  /** The arguments of the last {@code keyword} instruction: the one that takes effect. */
  Optional<String> last(final String keyword) {
    final List<String> all = all(keyword);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** {@code CMD} or {@code ENTRYPOINT} in exec (JSON array) form. */
  List<String> execForm(final String keyword) {
    final String arguments =
        last(keyword).orElseThrow(() -> new AssertionError("no " + keyword + " instruction"));
    try {
      return JSON.readValue(arguments, new TypeReference<List<String>>() {});
    } catch (final IOException e) {
      throw new AssertionError(keyword + " is not in exec (JSON array) form: " + arguments, e);
    }
  }

  /** The variables that {@code ENV KEY=VALUE ...} sets in the final stage (unquoted values). */
  Map<String, String> environment() {
    final Map<String, String> environment = new LinkedHashMap<>();
    for (final String arguments : all("ENV")) {
      for (final String pair : arguments.split("\\s+")) {
        final int equals = pair.indexOf('=');
        if (equals <= 0) {
          throw new AssertionError("ENV is not in KEY=VALUE form: " + arguments);
        }
        environment.put(pair.substring(0, equals), pair.substring(equals + 1));
      }
    }
    return environment;
  }

  List<Integer> exposedPorts() {
    return all("EXPOSE").stream()
        .flatMap(arguments -> List.of(arguments.split("\\s+")).stream())
        .map(port -> Integer.parseInt(port.replaceFirst("/tcp$", "")))
        .toList();
  }

  List<String> volumes() {
    final List<String> volumes = new ArrayList<>();
    for (final String arguments : all("VOLUME")) {
      if (arguments.startsWith("[")) {
        try {
          volumes.addAll(JSON.readValue(arguments, new TypeReference<List<String>>() {}));
        } catch (final IOException e) {
          throw new AssertionError("VOLUME is not a JSON array: " + arguments, e);
        }
      } else {
        volumes.addAll(List.of(arguments.split("\\s+")));
      }
    }
    return volumes;
  }
}
