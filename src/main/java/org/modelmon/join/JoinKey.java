package org.modelmon.join;

/**
 * The key a label joins its prediction by: {@code model@id}. Model names cannot contain {@code @},
 * so the first one ends the model name whatever the id holds.
 */
public final class JoinKey {

  /**
   * The key of the join topic's {@link JoinMessage.StreamTime} messages, which go to every
   * partition. No event can produce it: model names are at least one character long.
   */
  public static final String STREAM_TIME = "";

  private JoinKey() {}

  /** The key of (model, id). */
  public static String of(final String model, final String id) {
    return model + "@" + id;
  }

  /** The model name of a key made by {@link #of}. */
  public static String modelOf(final String key) {
    return key.substring(0, key.indexOf('@'));
  }
}
