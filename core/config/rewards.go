package config

import (
	"fmt"
	"strings"
	"time"
)

// Reward is one item of the tenant's rewards catalog: something a member
// buys with points, paid for with a code the shop accepts.
type Reward struct {
	// ID identifies the reward in the admin API and on redemptions:
	// lower-case letters, digits, _ or -, unique within the tenant.
	ID string `koanf:"id"`
	// Name is what members see, such as "Free coffee". Required.
	Name string `koanf:"name"`
	// Names are the reward's name per language for the chat ("id": "Kopi
	// gratis"). Default: Name in every language.
	Names map[string]string `koanf:"names"`
	// Cost is the price in points, positive.
	Cost int64 `koanf:"cost"`
	// Tiers, when set, are the tier names whose members may redeem the
	// reward (compared ignoring case). A member without a tier is not
	// restricted. Empty: every member.
	Tiers []string `koanf:"tiers"`
	// Stock is how many times the reward can be redeemed in all; released
	// redemptions do not count. 0: unlimited (a pool reward is still bound
	// by its codes).
	Stock int64 `koanf:"stock"`
	// Valid limits when the reward can be redeemed.
	Valid RewardValid `koanf:"valid"`
	// Codes says where the reward's codes come from; exactly one of its
	// keys is set.
	Codes RewardCodes `koanf:"codes"`
}

// RewardValid is the period a reward can be redeemed in. Both bounds are
// optional.
type RewardValid struct {
	// From and Until are dates ("2026-12-01") or local date-times
	// ("2026-12-01T10:00") in the tenant's time zone; Until is exclusive.
	From  string `koanf:"from"`
	Until string `koanf:"until"`
}

// RewardCodes is the source of a reward's codes.
type RewardCodes struct {
	// Pool takes each code from the ones imported through the admin API,
	// first imported first; the reward is out of stock when none is left.
	Pool bool `koanf:"pool"`
	// Pattern generates a random code: inside braces, A is a random
	// upper-case letter and 9 a random digit ("KOPI-{AAAA}-{9999}"); the
	// rest is kept as written. At least 6 random characters.
	Pattern string `koanf:"pattern"`
	// Issuer names the tenant's connector that issues codes in the shop
	// (reserved for shop connectors).
	Issuer string `koanf:"issuer"`
}

// Limits of a code pattern.
const (
	MinCodeRandom  = 6  // random characters a pattern must hold at least
	MaxCodeLength  = 64 // characters of a generated code at most
	codeLiteralSet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)

// CheckCodePattern checks a code pattern: literal letters, digits, - and _,
// and groups in braces of A (a random upper-case letter) and 9 (a random
// digit), with at least MinCodeRandom random characters and at most
// MaxCodeLength characters in all.
func CheckCodePattern(p string) error {
	random, length := 0, 0
	in := false
	for i, c := range p {
		switch {
		case c == '{':
			if in {
				return fmt.Errorf("%q opens a group inside a group at %d", p, i)
			}
			in = true
			if i+1 < len(p) && p[i+1] == '}' {
				return fmt.Errorf("%q has an empty group at %d", p, i)
			}
		case c == '}':
			if !in {
				return fmt.Errorf("%q closes a group it did not open at %d", p, i)
			}
			in = false
		case in:
			if c != 'A' && c != '9' {
				return fmt.Errorf("%q has %q in a group: only A (a letter) and 9 (a digit) are random", p, c)
			}
			random++
			length++
		default:
			if !strings.ContainsRune(codeLiteralSet, c) {
				return fmt.Errorf("%q has %q: codes hold letters, digits, - and _", p, c)
			}
			length++
		}
	}
	switch {
	case in:
		return fmt.Errorf("%q leaves a group open", p)
	case random < MinCodeRandom:
		return fmt.Errorf("%q has %d random characters; at least %d make codes hard to guess, such as KOPI-{AAAA}-{9999}", p, random, MinCodeRandom)
	case length > MaxCodeLength:
		return fmt.Errorf("%q makes codes of %d characters, more than %d", p, length, MaxCodeLength)
	}
	return nil
}

func (v *validator) rewards(base string, rs []Reward) {
	seen := map[string]int{}
	for i, r := range rs {
		p := fmt.Sprintf("%s[%d]", base, i)
		switch {
		case !idPattern.MatchString(r.ID):
			v.add(p+".id", "%q must be lower-case letters, digits, _ or - (it is part of URLs)", r.ID)
		default:
			if j, dup := seen[r.ID]; dup {
				v.add(p+".id", "%q is already the id of rewards[%d]", r.ID, j)
			}
			seen[r.ID] = i
		}
		v.required(p+".name", r.Name)
		v.names(p+".names", r.Names)
		v.positive(p+".cost", r.Cost)
		for j, t := range r.Tiers {
			if strings.TrimSpace(t) == "" {
				v.add(fmt.Sprintf("%s.tiers[%d]", p, j), "must be a tier name, got an empty one")
			}
		}
		if r.Stock < 0 {
			v.add(p+".stock", "must not be negative, got %d (0: unlimited)", r.Stock)
		}
		// Only the form of the bounds is checked here: their order does not
		// depend on the zone they are read in.
		var from, until time.Time
		var err error
		if r.Valid.From != "" {
			if from, err = ParseLocal(r.Valid.From, time.UTC); err != nil {
				v.add(p+".valid.from", "%s", err)
			}
		}
		if r.Valid.Until != "" {
			if until, err = ParseLocal(r.Valid.Until, time.UTC); err != nil {
				v.add(p+".valid.until", "%s", err)
			}
		}
		if !from.IsZero() && !until.IsZero() && !until.After(from) {
			v.add(p+".valid.until", "must be after from (%s)", r.Valid.From)
		}
		v.rewardCodes(p+".codes", r.Codes)
	}
}

func (v *validator) rewardCodes(p string, c RewardCodes) {
	set := 0
	if c.Pool {
		set++
	}
	if c.Pattern != "" {
		set++
		if err := CheckCodePattern(c.Pattern); err != nil {
			v.add(p+".pattern", "%s", err)
		}
	}
	if c.Issuer != "" {
		set++
		if !idPattern.MatchString(c.Issuer) {
			v.add(p+".issuer", "%q is not a connector name: lower-case letters, digits, _ or -", c.Issuer)
		}
	}
	switch set {
	case 0:
		v.add(p, "set one of pool: true (imported codes), pattern (generated codes) or issuer (a shop connector)")
	case 1:
	default:
		v.add(p, "set only one of pool, pattern and issuer")
	}
}
