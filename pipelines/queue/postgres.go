package queue

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	wmsql "github.com/ThreeDotsLabs/watermill-sql/v3/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

func bytea(string) string { return "BYTEA" }

func (q *Queue) openPostgres(ctx context.Context, topics []string) error {
	db, err := sql.Open("pgx", q.cfg.Postgres.DSN)
	if err != nil {
		return fmt.Errorf("opening database: %w", err)
	}
	q.onClose(func(context.Context) error {
		if err := db.Close(); err != nil {
			return fmt.Errorf("closing database: %w", err)
		}
		return nil
	})
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("connecting to database: %w", err)
	}
	schema := wmsql.DefaultPostgreSQLSchema{
		GeneratePayloadType: bytea,
		SubscribeBatchSize:  q.cfg.Postgres.SubscribeBatchSize,
	}
	offsets := wmsql.DefaultPostgreSQLOffsetsAdapter{}
	ackDeadline := q.cfg.AckWait
	subConfig := func(group string) wmsql.SubscriberConfig {
		return wmsql.SubscriberConfig{
			ConsumerGroup:    group,
			AckDeadline:      &ackDeadline,
			PollInterval:     q.cfg.Postgres.PollInterval,
			SchemaAdapter:    schema,
			OffsetsAdapter:   offsets,
			InitializeSchema: true,
		}
	}

	// The schema (one table per topic plus the offsets table) is created
	// here, once, rather than raced by the first publishers.
	initSub, err := wmsql.NewSubscriber(db, subConfig(""), q.logger)
	if err != nil {
		return fmt.Errorf("creating schema initialiser: %w", err)
	}
	for _, topic := range topics {
		if err := initSub.SubscribeInitialize(topic); err != nil {
			return fmt.Errorf("initialising schema of topic %s: %w", topic, err)
		}
	}
	if err := initSub.Close(); err != nil {
		return fmt.Errorf("closing schema initialiser: %w", err)
	}

	pub, err := wmsql.NewPublisher(db, wmsql.PublisherConfig{
		SchemaAdapter:        schema,
		AutoInitializeSchema: true,
	}, q.logger)
	if err != nil {
		return fmt.Errorf("creating publisher: %w", err)
	}
	q.publisher = pub
	q.onClose(func(context.Context) error {
		if err := pub.Close(); err != nil {
			return fmt.Errorf("closing publisher: %w", err)
		}
		return nil
	})
	q.newSub = func(group string, _ int) (message.Subscriber, error) {
		sub, err := wmsql.NewSubscriber(db, subConfig(group),
			q.logger.With(watermill.LogFields{"consumer_group": group}))
		if err != nil {
			return nil, err
		}
		return &onceSubscriber{Subscriber: sub}, nil
	}
	q.ping = db.PingContext
	return nil
}

// onceSubscriber makes Close safe to call twice and concurrently.
type onceSubscriber struct {
	message.Subscriber
	once sync.Once
	err  error
}

func (s *onceSubscriber) Close() error {
	s.once.Do(func() { s.err = s.Subscriber.Close() })
	return s.err
}
