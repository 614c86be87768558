package simulate

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/loyalhub/loyalhub/connectors/pos"
	"github.com/loyalhub/loyalhub/connectors/shopify"
	"github.com/loyalhub/loyalhub/connectors/whatsapp/sandbox"
	"github.com/loyalhub/loyalhub/core/store"
)

// country is a market of the simulated members: its share (of ten), the
// E.164 prefix of its mobile numbers and the members' language.
type country struct {
	code, prefix, language string
	digits                 int // digits after the prefix
}

var countries = []country{
	{"ID", "+62812", "id", 8}, {"ID", "+62813", "id", 8}, {"ID", "+62857", "id", 8}, {"ID", "+62878", "id", 8},
	{"ID", "+62811", "en", 8}, {"TR", "+90532", "tr", 7}, {"TR", "+90505", "tr", 7},
	{"IT", "+39347", "it", 7}, {"AE", "+97150", "ar", 7}, {"US", "+12025", "en", 6},
}

var firstNames = []string{"Sari", "Budi", "Ayu", "Dewi", "Rizky", "Elif", "Mehmet", "Giulia", "Marco", "Fatima", "Omar", "Emma"}

// phone returns the i-th phone of the simulation: unique for every i, of
// the country i picks.
func phone(i int) (string, country) {
	c := countries[i%len(countries)]
	return fmt.Sprintf("%s%0*d", c.prefix, c.digits, i/len(countries)+1), c
}

// importMembers creates the tenant's members through the admin API's
// member import (POST /members/import), in files of 50,000 rows: six in
// ten opted in to marketing, one in ten opted out, the others never
// asked; names, birthdays, languages and cities.
func (w *world) importMembers(ctx context.Context) error {
	const chunk = 50_000
	consentAt := w.at(-30, 10).UTC().Format(time.RFC3339)
	for from := 0; from < w.o.Members; from += chunk {
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		_ = cw.Write([]string{"phone", "name", "birthday", "consent", "consent_at", "consent_source", "language", "city"})
		for i := from; i < min(from+chunk, w.o.Members); i++ {
			p, c := phone(i)
			m := simMember{phone: p, name: firstNames[i%len(firstNames)], country: c.code, language: c.language}
			consent, source, at := "", "", ""
			r := w.rng.IntN(10)
			if w.o.pace {
				r = 0
			}
			switch {
			case r < 6:
				consent, source, at, m.optedIn = "opted_in", "store signup form", consentAt, true
				w.optedIn[waID(p)] = w.at(-30, 10)
			case r < 7:
				consent, at = "opted_out", consentAt
			}
			birthday := w.o.Start.AddDate(-30, 0, i%365).Format("2006-01-02")
			if w.o.pace {
				birthday = "" // no birthday journey beside the campaign
			}
			_ = cw.Write([]string{p, m.name, birthday, consent, at, source, c.language, "City " + c.code})
			w.members = append(w.members, m)
		}
		cw.Flush()
		var res struct {
			Imported, Updated, Skipped int
		}
		if err := w.admin(ctx, http.MethodPost, "/members/import", "text/csv", buf.Bytes(), &res); err != nil {
			return err
		}
		if res.Skipped > 0 {
			return fmt.Errorf("importing members: %d rows skipped", res.Skipped)
		}
		w.counts["members_imported"] += res.Imported
	}
	w.newPhone = w.o.Members
	return nil
}

// activity is what happens on an ordinary day, scaled by the members.
type activity struct {
	sales, shopify, questions, joins, stops, appStops int
}

func (w *world) daily() activity {
	n := w.o.Members
	return activity{
		sales:     max(6, n/250),
		shopify:   max(2, n/1000),
		questions: max(3, n/1000),
		joins:     max(2, n/2000),
		stops:     max(2, n/2000),
		appStops:  max(1, n/10000),
	}
}

// pick returns a random existing member's index.
func (w *world) pick() int { return w.rng.IntN(len(w.members)) }

// fresh returns a phone that is not a member's yet.
func (w *world) fresh() string {
	p, _ := phone(w.newPhone)
	w.newPhone++
	return p
}

// sales posts POS sales (most by members, some by new customers) and paid
// Shopify orders, signed as each source signs them.
func (w *world) sales(ctx context.Context, d, slot, n, shop int) error {
	for k := range n {
		p := w.fresh()
		name := "Guest"
		if w.rng.IntN(10) < 9 {
			m := w.members[w.pick()]
			p, name = m.phone, m.name
		}
		body, _ := json.Marshal(map[string]any{
			"sale_id":  fmt.Sprintf("S-%d-%d-%d", d, slot, k),
			"store_id": "JKT-01",
			"customer": map[string]string{"phone": p, "name": name},
			"total":    strconv.Itoa(20_000+w.rng.IntN(40)*5_000) + ".00",
			"currency": "IDR",
		})
		if err := w.post(ctx, "/hooks/"+Tenant+"/pos", body, map[string]string{pos.DefaultSignatureHeader: pos.Sign(posSecret, body)}); err != nil {
			return err
		}
		w.counts["pos_sales"]++
	}
	for k := range shop {
		m := w.members[w.pick()]
		id := int64(d*1_000_000 + slot*100_000 + k + 1)
		total := strconv.Itoa(50_000+w.rng.IntN(30)*10_000) + ".00"
		body, _ := json.Marshal(map[string]any{
			"id": 5_000_000_000_000 + id, "name": fmt.Sprintf("#%d", id), "phone": m.phone, "currency": "IDR",
			"total_price": total, "current_total_price": total, "financial_status": "paid", "test": false,
			"customer":     map[string]any{"id": 7_000_000_000 + id, "first_name": m.name, "phone": m.phone},
			"line_items":   []map[string]any{{"sku": "BEANS-250", "title": "Arabica 250 g", "quantity": 1, "price": total}},
			"processed_at": w.clock.Now().Format(time.RFC3339),
		})
		if err := w.post(ctx, "/hooks/"+Tenant+"/shop", body, map[string]string{
			"X-Shopify-Topic": "orders/paid", "X-Shopify-Shop-Domain": shopDomain,
			"X-Shopify-Event-Id": fmt.Sprintf("sim-%d", id), "X-Shopify-Hmac-Sha256": shopify.Sign(shopSecret, body),
		}); err != nil {
			return err
		}
		w.counts["shopify_orders"]++
	}
	return nil
}

func (w *world) post(ctx context.Context, path string, body []byte, headers map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.hubURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("posting to %s: %w", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("posting to %s: HTTP %d", path, resp.StatusCode)
	}
	return nil
}

// chats has members ask for their balance, new customers join, and
// opted-in members write STOP or stop marketing in WhatsApp, through the
// sandbox's inbound path, as customers write.
func (w *world) chats(a activity) error {
	write := func(p, name, text string) error {
		_, err := w.sb.SendInbound(sandbox.Inbound{From: waID(p), Name: name, Text: text, PhoneNumberID: phoneNumberID})
		return err
	}
	for range a.questions {
		m := w.members[w.pick()]
		if err := write(m.phone, m.name, "points"); err != nil {
			return err
		}
		w.counts["balance_questions"]++
	}
	for range a.joins {
		if err := write(w.fresh(), "New", "JOIN"); err != nil {
			return err
		}
		w.counts["joins"]++
	}
	for k := range a.stops + a.appStops {
		i := w.pick()
		m := w.members[i]
		if !m.optedIn || w.stopped[i] {
			continue
		}
		w.stopped[i] = true
		if k < a.stops {
			if err := write(m.phone, m.name, "STOP"); err != nil {
				return err
			}
			w.counts["stops_written"]++
			continue
		}
		w.sb.SetMarketing(waID(m.phone), true)
		w.counts["stops_in_whatsapp"]++
	}
	return nil
}

// campaign saves a segment and starts a marketing campaign to it now.
func (w *world) campaign(ctx context.Context, name, condition, template string, body []string, rate int) error {
	seg, _ := json.Marshal(map[string]string{"condition": condition, "description": "simulation"})
	if err := w.admin(ctx, http.MethodPut, "/segments/"+name, "application/json", seg, nil); err != nil {
		return err
	}
	spec, _ := json.Marshal(map[string]any{
		"name": name, "segment": name, "sender": "wa", "category": "marketing", "holdout": 5,
		"rate": rate,
		"variants": []map[string]any{{"name": "a", "template": map[string]any{
			"name": template, "language": "en", "body": body}}},
	})
	if err := w.admin(ctx, http.MethodPost, "/campaigns", "application/json", spec, nil); err != nil {
		return err
	}
	if err := w.admin(ctx, http.MethodPost, "/campaigns/"+name+"/start", "application/json", nil, nil); err != nil {
		return err
	}
	w.counts["campaigns"]++
	return nil
}

// plan is the month's events on their days.
type plan struct {
	campaign1, quality, tier, campaign2 int
}

func (w *world) plan() plan {
	d := w.o.Days
	return plan{campaign1: min(1, d-1), quality: d * 4 / 15, tier: d * 2 / 5, campaign2: d * 8 / 15}
}

// day plays one day: a morning with sales, chats and the day's events,
// then an afternoon of sales; each step settles before the next.
func (w *world) day(ctx context.Context, d int) error {
	p, a := w.plan(), w.daily()
	w.clock.Set(w.at(d, 10))
	w.logf("day %d", d+1)
	if d == p.quality {
		w.sb.SetQuality(phoneNumberID, sandbox.QualityUpdate{Event: "FLAGGED"})
		w.counts["quality_drops"]++
	}
	if err := w.sales(ctx, d, 0, a.sales/2, a.shopify); err != nil {
		return err
	}
	if err := w.chats(a); err != nil {
		return err
	}
	if d == p.campaign1 {
		if err := w.campaign(ctx, "month-offer", "balance >= 0", "monthly_offer",
			[]string{`data.first_name != "" ? data.first_name : "there"`, "string(member.balance)"}, w.o.PerSecond); err != nil {
			return err
		}
	}
	if d == p.campaign2 {
		if err := w.campaign(ctx, "double-points", "opted_in && balance >= 10", "double_points",
			[]string{`data.first_name != "" ? data.first_name : "there"`}, w.o.PerSecond); err != nil {
			return err
		}
	}
	if err := w.settle(ctx); err != nil {
		return err
	}
	w.clock.Set(w.at(d, 16))
	if d == p.quality {
		w.sb.SetQuality(phoneNumberID, sandbox.QualityUpdate{Event: "UNFLAGGED"})
	}
	if d == p.tier {
		limit := nextTier(w.o.messagingLimit())
		w.sb.SetMessagingLimit(limit)
		w.counts["tier_changes"]++
		w.logf("messaging limit raised to %s", limitName(limit))
	}
	if err := w.sales(ctx, d, 1, a.sales-a.sales/2, 0); err != nil {
		return err
	}
	return w.settle(ctx)
}

func storeFilter(status string) store.MessageFilter {
	return store.MessageFilter{Status: status, Limit: 1}
}
