package org.modelmon.window;

/**
 * A (model, version) pair: the unit of every metric series and the key the aggregation is
 * partitioned by.
 *
 * @param model the model name
 * @param version the version, {@code ""} when events carry none
 */
public record ModelKey(String model, String version) {

  /**
   * The key of watermark messages on the aggregation topic. No event can produce it: model names
   * are at least one character long.
   */
  public static final ModelKey WATERMARK = new ModelKey("", "");

  /** {@code model@version}, or {@code model} for the empty version. */
  public String qualifiedName() {
    return version.isEmpty() ? model : model + "@" + version;
  }

  /**
   * The pair named {@code qualifiedName} ({@link #qualifiedName()}'s form): neither model nor
   * version names may contain {@code @}, so the first one separates them.
   */
  public static ModelKey parseQualifiedName(final String qualifiedName) {
    final int at = qualifiedName.indexOf('@');
    return at < 0
        ? new ModelKey(qualifiedName, "")
        : new ModelKey(qualifiedName.substring(0, at), qualifiedName.substring(at + 1));
  }
}
