package org.modelmon.topology;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.modelmon.join.JoinMessage;

/** The serde of the join topic's values. */
final class JoinSerdes {

  private JoinSerdes() {}

  /** {@link JoinMessage} in its binary form. */
  static Serde<JoinMessage> joinMessage() {
    return Serdes.serdeFrom(
        (topic, message) -> message == null ? null : JoinMessage.toBytes(message),
        (topic, bytes) -> bytes == null ? null : JoinMessage.fromBytes(bytes));
  }
}
