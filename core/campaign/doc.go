// Package campaign holds what a broadcast decides without I/O: which part
// of an audience a member falls in (a variant of an A/B test, or the
// holdout that gets nothing and measures the campaign's lift), and whether
// one variant did better than another beyond chance.
package campaign
