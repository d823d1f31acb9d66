/**
 * Labels that arrive after their predictions (docs/reference.md#label-events): what travels to the
 * join, what it keeps while a prediction waits for its label or a label for its prediction, and the
 * bounds it joins them within. Free of Kafka Streams; the join processor is in {@code topology}.
 */
package org.modelmon.join;
