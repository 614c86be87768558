package config

// Referrals let members bring new members: every member has a short code,
// a new member who joins with it is linked to its owner, and both are given
// points once the new member's first qualifying order makes its points
// available.
type Referrals struct {
	// Enabled turns referrals on. Default false.
	Enabled bool `koanf:"enabled"`
	// ReferrerPoints are given to the member whose code was used. Default 0.
	ReferrerPoints int64 `koanf:"referrer_points"`
	// RefereePoints are given to the new member. Default 0.
	RefereePoints int64 `koanf:"referee_points"`
	// MaxPerMonth bounds how many new members one referrer can link per
	// calendar month in the tenant's time zone. 0 (default): unlimited.
	MaxPerMonth int `koanf:"max_per_month"`
	// MinOrder is the least total, a decimal, of the new member's order that
	// completes the referral. Empty means the default "0": any order.
	MinOrder string `koanf:"min_order"`
}

func (v *validator) referrals(p string, r Referrals) {
	if r.ReferrerPoints < 0 {
		v.add(p+".referrer_points", "must not be negative, got %d", r.ReferrerPoints)
	}
	if r.RefereePoints < 0 {
		v.add(p+".referee_points", "must not be negative, got %d", r.RefereePoints)
	}
	if r.MaxPerMonth < 0 {
		v.add(p+".max_per_month", "must not be negative, got %d (0: unlimited)", r.MaxPerMonth)
	}
	if r.MinOrder != "" {
		v.decimal(p+".min_order", r.MinOrder, false)
	}
}
