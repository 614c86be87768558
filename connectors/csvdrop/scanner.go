package csvdrop

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxRecordBytes bounds one record: a longer one, usually a quote that is
// never closed, fails the file instead of being read into memory whole.
const maxRecordBytes = 1 << 20

// readBufferSize is the read buffer; the header line is sniffed within it.
const readBufferSize = 64 << 10

var errRecordTooLong = fmt.Errorf("a record is longer than %d bytes (is a quote left open?)", maxRecordBytes)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// delimiters are the delimiter setting's values; 0 means sniffed.
var delimiters = map[string]rune{"auto": 0, ",": ',', ";": ';', "tab": '\t', "|": '|'}

// delimiterName is the setting's value for a delimiter.
func delimiterName(r rune) string {
	for k, v := range delimiters {
		if v == r && r != 0 {
			return k
		}
	}
	return ""
}

// guardReader fails a read that goes more than maxRecordBytes past the
// last record boundary.
type guardReader struct {
	r     io.Reader
	n     int64 // bytes read
	limit int64
}

func (g *guardReader) Read(p []byte) (int, error) {
	if g.n >= g.limit {
		return 0, errRecordTooLong
	}
	if room := g.limit - g.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	return n, err
}

// scanner reads the records of one CSV file from a record boundary,
// keeping the exact byte offset and physical line number of each record,
// so that reading can resume there. Quoted fields may span lines.
type scanner struct {
	cr    *csv.Reader
	guard *guardReader
	comma rune
	bom   bool
	start int64 // file offset where the input starts
	skip  int64 // input bytes consumed before the CSV reader (a BOM)
	lines int   // physical lines before the input
	// offset is the file offset just after the last record read, and next
	// the physical line number there (exact wherever input follows: a
	// quoted field left open at the end of the file holds its last line
	// breaks).
	offset int64
	next   int
}

// newScanner reads r, which starts at file offset start on physical line
// line (1-based). At offset 0 a UTF-8 BOM is skipped. A zero comma is
// sniffed on the first line.
func newScanner(r io.Reader, start int64, line int, comma rune) (*scanner, error) {
	g := &guardReader{r: r, limit: maxRecordBytes + readBufferSize}
	br := bufio.NewReaderSize(g, readBufferSize)
	s := &scanner{guard: g, start: start, lines: line - 1, offset: start, next: line}
	if start == 0 {
		if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
			_, _ = br.Discard(len(utf8BOM))
			s.bom, s.skip, s.offset = true, int64(len(utf8BOM)), int64(len(utf8BOM))
		}
	}
	if comma == 0 {
		b, err := br.Peek(readBufferSize)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
		comma = sniff(b)
	}
	s.comma = comma
	s.cr = csv.NewReader(br)
	s.cr.Comma = comma
	s.cr.FieldsPerRecord = -1
	s.cr.LazyQuotes = true
	s.cr.ReuseRecord = true
	return s, nil
}

// sniff picks the delimiter of the first line of b: whichever of , ; tab
// and | occurs most often outside quotes (a comma on a tie or none).
func sniff(b []byte) rune {
	var counts [4]int
	candidates := [4]byte{',', ';', '\t', '|'}
	quoted := false
scan:
	for _, c := range b {
		switch c {
		case '"':
			quoted = !quoted
		case '\n':
			if !quoted {
				break scan
			}
		default:
			if quoted {
				continue
			}
			for i, d := range candidates {
				if c == d {
					counts[i]++
				}
			}
		}
	}
	best := 0
	for i := range counts {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return rune(candidates[best])
}

// read returns the next record and the physical line it starts on. The
// record is reused by the next call. At the end it returns io.EOF.
func (s *scanner) read() ([]string, int, error) {
	rec, err := s.cr.Read()
	if errors.Is(err, errRecordTooLong) {
		return nil, 0, fmt.Errorf("from line %d: %w", s.next, errRecordTooLong)
	}
	if err != nil {
		return nil, 0, err
	}
	l, _ := s.cr.FieldPos(0)
	line := s.lines + l
	nl := 0
	for _, f := range rec {
		nl += strings.Count(f, "\n") // a quoted field's line breaks, CRLF read as LF
	}
	consumed := s.skip + s.cr.InputOffset()
	s.offset = s.start + consumed
	s.next = line + nl + 1
	s.guard.limit = consumed + maxRecordBytes + readBufferSize
	return rec, line, nil
}
