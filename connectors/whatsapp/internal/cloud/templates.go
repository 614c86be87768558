package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/loyalhub/loyalhub/core/fault"
	"github.com/loyalhub/loyalhub/core/messaging"
)

// WireTemplate is a template as the Graph API's message_templates edge
// lists it; 360dialog's templates endpoint returns the same objects.
type WireTemplate struct {
	Name            string          `json:"name"`
	Language        string          `json:"language"`
	Status          string          `json:"status"`
	Category        string          `json:"category"`
	ParameterFormat string          `json:"parameter_format,omitempty"`
	Components      []WireComponent `json:"components"`
}

// WireComponent is one component of a listed template.
type WireComponent struct {
	Type    string       `json:"type"`
	Format  string       `json:"format,omitempty"`
	Text    string       `json:"text,omitempty"`
	Buttons []WireButton `json:"buttons,omitempty"`
}

// WireButton is one button of a listed template.
type WireButton struct {
	Type string `json:"type"`
	Text string `json:"text,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Info turns a listed template into what a message using it must supply.
func (w WireTemplate) Info() messaging.TemplateInfo {
	info := messaging.TemplateInfo{
		Name:     w.Name,
		Language: w.Language,
		Category: strings.ToLower(w.Category),
		Status:   strings.ToUpper(w.Status),
		Named:    strings.EqualFold(w.ParameterFormat, "NAMED"),
	}
	for _, c := range w.Components {
		switch strings.ToUpper(c.Type) {
		case "HEADER":
			info.HeaderFormat = strings.ToUpper(c.Format)
			if info.HeaderFormat == "" {
				info.HeaderFormat = "TEXT"
			}
			if info.HeaderFormat == "TEXT" {
				info.HeaderParams = messaging.TemplateVars(c.Text)
			}
		case "BODY":
			info.BodyParams = messaging.TemplateVars(c.Text)
		case "BUTTONS":
			for _, b := range c.Buttons {
				t := strings.ToUpper(b.Type)
				info.Buttons = append(info.Buttons, messaging.TemplateButton{
					Type:    t,
					Dynamic: t == "COPY_CODE" || (t == "URL" && len(messaging.TemplateVars(b.URL)) > 0),
				})
			}
		}
	}
	if !info.Named && w.ParameterFormat == "" {
		// Older listings carry no parameter_format: the variables tell.
		for _, v := range append(append([]string(nil), info.BodyParams...), info.HeaderParams...) {
			if v != "" && (v[0] < '0' || v[0] > '9') {
				info.Named = true
			}
		}
	}
	return info
}

// FetchTemplates pages through a template listing that starts at first.
// next reads one page: its templates and the URL of the next page, or ""
// at the end. At most maxPages pages are read.
func FetchTemplates(ctx context.Context, c *Client, first string, next func(body []byte) ([]WireTemplate, string, error)) ([]messaging.TemplateInfo, error) {
	const maxPages = 200
	var out []messaging.TemplateInfo
	u := first
	for page := 0; u != ""; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("listing templates: more than %d pages", maxPages)
		}
		resp, err := c.client.R().SetContext(ctx).Get(u)
		if err != nil {
			return nil, fmt.Errorf("listing templates: %w", classifyTransport(err, false))
		}
		if resp.StatusCode() < 200 || resp.StatusCode() > 299 {
			return nil, fmt.Errorf("listing templates: %w", classifyResponse(resp.StatusCode(), resp.Header(), resp.Body(), time.Now()))
		}
		ts, n, err := next(resp.Body())
		if err != nil {
			return nil, fmt.Errorf("listing templates: reading page %d: %w", page+1, fault.Permanent(fault.ClassRequest, err))
		}
		for _, t := range ts {
			out = append(out, t.Info())
		}
		if n != "" {
			if _, err := url.Parse(n); err != nil {
				return nil, fmt.Errorf("listing templates: bad next page URL: %w", err)
			}
		}
		u = n
	}
	return out, nil
}

// GraphPage reads one page of the Graph API's message_templates edge.
func GraphPage(body []byte) ([]WireTemplate, string, error) {
	var p struct {
		Data   []WireTemplate `json:"data"`
		Paging struct {
			Next string `json:"next"`
		} `json:"paging"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, "", err
	}
	return p.Data, p.Paging.Next, nil
}
