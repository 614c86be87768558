// Package segment holds member segments without I/O: a segment is a named
// condition, written in expr, over what the hub knows of a member (Env).
// A condition is compiled once (Compile); the compiled Condition says which
// facts it reads (Needs), so that a store scan loads only those, and
// matches one member's facts at a time (Match).
package segment
