package conversation

// OverrideError is a problem with one tenant override of keywords or
// messages. Path locates it inside the overrides, as configuration keys
// do: "id", "id.points", "tr.join[2]", "ar.redeemed". The error's text
// starts with it ("id.points_summary: unknown placeholder {tier}…"), so a
// configuration loader can place it under its own key path.
type OverrideError struct {
	Path string
	Msg  string
}

func (e *OverrideError) Error() string { return e.Path + ": " + e.Msg }
