package sqlite

import "time"

// Times are stored as Unix microseconds in UTC.

func toDB(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromDB(v int64) time.Time { return time.UnixMicro(v).UTC() }
