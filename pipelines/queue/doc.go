// Package queue opens the configured Watermill Pub/Sub backend: the message
// queue between loyalhub's stages.
//
// One config key, queue.backend, selects the backend:
//
//   - "embedded" (default) runs a NATS JetStream server inside the process,
//     with its file store under <data_dir>/queue and no network listener.
//   - "nats" uses an external NATS JetStream server or cluster.
//   - "postgres" stores messages in PostgreSQL tables through watermill-sql.
//   - "memory" is a Watermill GoChannel for tests; it is not durable.
//
// Every backend gives the same contract: Publish returns only after the
// message is stored (durably for all but memory), and a consumer group (the
// group passed to Queue.Subscriber) gets each message of a topic at least
// once: a nacked message, or one left unacknowledged for longer than
// queue.ack_wait, is delivered again, to any member of the group.
//
// # JetStream layout (embedded and nats)
//
// Open creates one stream per topic, named <stream_prefix>_<topic>, that
// captures the single subject <stream_prefix>.<topic>. A stream per topic
// keeps the duplicate window per topic, so re-publishing a message with its
// UUID to another topic (a dead-letter topic, say) is never mistaken for a
// duplicate. Streams use file storage, limits retention (messages stay until
// queue.max_age; consumers do not delete them), Duplicates =
// queue.duplicate_window and discard-old. The embedded server divides
// queue.embedded.max_store_bytes evenly among the streams; against an
// external server the streams have no byte limit of their own and the
// server's account limits apply. The embedded server accepts messages of up
// to 8 MiB; an external server's max_payload (1 MB by default) must exceed
// server.max_body_bytes plus the metadata headers.
//
// The publisher sends Nats-Msg-Id = the Watermill message UUID, so a message
// published twice with the same UUID within the duplicate window is stored
// once. Publish sends all its messages without waiting for each reply in
// turn, then waits until the stream has acknowledged every one of them, so
// it still returns only once they are stored.
//
// Each (group, topic) pair has a durable push consumer named
// <stream_prefix>_<topic>_<group> with a deliver group of the same name. The
// consumer is created or updated when the group first subscribes to the
// topic, and subscriptions bind to it; the client library therefore never
// deletes it when a subscription ends, and the group's position survives
// restarts. Within one group, every subscription (queue.subscribers per
// Subscribe call, across goroutines and replicas) shares the messages;
// separate groups each receive every message. Acknowledgement is explicit:
// a message whose handler returns without acking (a crash, a shutdown, an
// expired ack wait) is redelivered after queue.ack_wait, and a nacked one
// after an exponential delay of 1s doubling up to 1m. Deliveries are not
// limited; permanent failures must be routed to a dead-letter topic by the
// pipeline.
//
// # PostgreSQL layout
//
// Each topic is a table created at Open (payload BYTEA, so bodies are stored
// byte for byte, JSON or not), with consumer-group offsets in a shared offsets
// table. A group consumes a topic serially: the group's offset row is locked
// while a batch is processed, so several subscribers of one group take turns
// rather than running in parallel.
//
// # Memory
//
// The memory backend is one GoChannel shared by the publisher and every
// subscriber. It has no consumer groups: every subscription, whatever its
// group, receives every message. Messages published before anyone
// subscribed are kept in memory and replayed to each new subscription.
// Publish blocks until every current subscription has acknowledged the
// message, so a test that publishes and consumes in the same goroutine must
// publish from another one.
package queue
