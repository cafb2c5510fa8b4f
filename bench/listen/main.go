// Command parley-listen is the reading half of the fan-out load: many WebSocket sockets in
// one channel, each delivery's latency taken from the stamp it carries. It is in Go so that
// the load reads faster than the servers it measures write (one Python process reads about
// 100,000 frames a second, less than Centrifugo writes), and it is the same for every server.
//
// It opens -sockets sockets to -url (socket i sends cookie i of -cookies, one per line,
// offering -subprotocol if given), and
// on each goes through -steps (a JSON list of {"send": text} and {"await": substring}), then
// prints "ready". From then on it prints "tick <deliveries> <closed sockets>" every 100 ms,
// and answers each "report <prefix> <count>" line on stdin with one "report <json>" line: the
// latencies of the deliveries of tags <prefix>0 .. <prefix><count-1> to every socket, and how
// many were lost or doubled. Those tags are then forgotten. Stdin closed: it exits.
//
// A stamp is {"tag": ..., "sent": <unix seconds>}, as the bench's publisher writes it, found
// in a frame as JSON or as JSON inside a JSON string (a Parley message's content).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

var stamp = regexp.MustCompile(`\\?"tag\\?":\s*\\?"([^"\\]+)\\?",\s*\\?"sent\\?":\s*([0-9.eE+]+)`)

type step struct {
	Send  string `json:"send,omitempty"`
	Await string `json:"await,omitempty"`
}

type seen struct {
	latency float64
	count   int32
}

type arrival struct {
	at     float64
	stamps []byte
}

type reader struct {
	mu       sync.Mutex
	arrivals []arrival // read, not yet looked into
	tags     map[string]seen
	conn     *websocket.Conn
	ended    atomic.Bool
}

// A stamp's tag key, in a frame's own JSON and escaped inside a JSON string: copying
// the stamps out is cheap enough to do while reading; they are parsed when reported.
var tagPlain, tagEscaped = []byte(`tag":`), []byte(`tag\":`)

var delivered atomic.Int64

func (r *reader) run() {
	var message bytes.Buffer // reused: only the stamps are kept, not the messages
	for {
		_, frame, err := r.conn.NextReader()
		if err == nil {
			message.Reset()
			_, err = message.ReadFrom(frame)
		}
		if err != nil {
			r.ended.Store(true)
			return
		}
		arrived := float64(time.Now().UnixNano()) / 1e9
		kept, count := stamps(message.Bytes())
		if count == 0 {
			continue
		}
		r.mu.Lock()
		r.arrivals = append(r.arrivals, arrival{arrived, kept})
		r.mu.Unlock()
		delivered.Add(int64(count))
	}
}

// stamps copies out of a message the stamps it carries (each from its tag key to the end
// of its object) and counts them: a message of a few hundred bytes leaves a few dozen.
func stamps(message []byte) ([]byte, int) {
	var kept []byte
	count := 0
	for _, key := range [][]byte{tagPlain, tagEscaped} {
		for offset := 0; ; {
			at := bytes.Index(message[offset:], key)
			if at < 0 {
				break
			}
			start := max(0, offset+at-2) // the key's opening quote, escaped or not
			end := bytes.IndexByte(message[start:], '}')
			if end < 0 {
				end = len(message) - start
			}
			kept = append(append(kept, message[start:start+end]...), '\n')
			count++
			offset += at + len(key)
		}
	}
	return kept, count
}

// sort files what was read by tag; the caller holds r.mu.
func (r *reader) sort() {
	for _, a := range r.arrivals {
		for _, match := range stamp.FindAllSubmatch(a.stamps, -1) {
			sent, err := strconv.ParseFloat(string(match[2]), 64)
			if err != nil {
				continue
			}
			tag := string(match[1])
			entry, known := r.tags[tag]
			if !known {
				entry.latency = a.at - sent
			}
			entry.count++
			r.tags[tag] = entry
		}
	}
	r.arrivals = nil
}

func open(url, cookie, subprotocol string, steps []step) (*reader, error) {
	header := http.Header{}
	if cookie != "" {
		header.Set("Cookie", cookie)
	}
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	if subprotocol != "" {
		dialer.Subprotocols = []string{subprotocol}
	}
	conn, _, err := dialer.Dial(url, header)
	if err != nil {
		return nil, err
	}
	if conn.Subprotocol() != subprotocol {
		return nil, fmt.Errorf("the server did not accept subprotocol %q", subprotocol)
	}
	conn.SetReadLimit(1 << 20)
	for _, s := range steps {
		if s.Send != "" {
			if err := conn.WriteMessage(websocket.TextMessage, []byte(s.Send)); err != nil {
				return nil, err
			}
			continue
		}
		conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		for {
			_, payload, err := conn.ReadMessage()
			if err != nil {
				return nil, fmt.Errorf("awaiting %q: %w", s.Await, err)
			}
			if strings.Contains(string(payload), s.Await) {
				break
			}
		}
		conn.SetReadDeadline(time.Time{})
	}
	return &reader{tags: map[string]seen{}, conn: conn}, nil
}

type figures struct {
	Deliveries int     `json:"deliveries"`
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	Lost       int     `json:"lost"`
	Duplicated int     `json:"duplicated"`
}

// percentile is the bench's own (parley_bench.measure.percentile): the nearest rank.
func percentile(ordered []float64, p float64) float64 {
	if len(ordered) == 0 {
		return math.NaN()
	}
	rank := int(math.Ceil(p/100*float64(len(ordered)))) - 1
	return ordered[min(len(ordered)-1, max(0, rank))]
}

func report(readers []*reader, prefix string, count int) figures {
	var out figures
	latencies := make([]float64, 0, count*len(readers))
	for _, r := range readers {
		r.mu.Lock()
		r.sort()
		for n := 0; n < count; n++ {
			tag := prefix + strconv.Itoa(n)
			entry, known := r.tags[tag]
			if !known {
				out.Lost++
				continue
			}
			latencies = append(latencies, entry.latency)
			out.Duplicated += int(entry.count - 1)
			delete(r.tags, tag)
		}
		r.mu.Unlock()
	}
	sort.Float64s(latencies)
	out.Deliveries = len(latencies)
	ms := func(s float64) float64 { return math.Round(s*1e5) / 100 }
	out.P50Ms, out.P99Ms = ms(percentile(latencies, 50)), ms(percentile(latencies, 99))
	if len(latencies) > 0 {
		out.MaxMs = ms(latencies[len(latencies)-1])
	}
	return out
}

func main() {
	url := flag.String("url", "", "the WebSocket URL")
	sockets := flag.Int("sockets", 1000, "how many sockets")
	cookiesPath := flag.String("cookies", "", "a file of cookie headers, one per line (optional)")
	stepsJSON := flag.String("steps", "[]", "what each socket sends and awaits before it counts as ready")
	subprotocol := flag.String("subprotocol", "", "a subprotocol to offer, which the server must accept (optional)")
	flag.Parse()

	var steps []step
	if err := json.Unmarshal([]byte(*stepsJSON), &steps); err != nil {
		fail("bad -steps: %v", err)
	}
	cookies := []string{""}
	if *cookiesPath != "" {
		text, err := os.ReadFile(*cookiesPath)
		if err != nil {
			fail("reading -cookies: %v", err)
		}
		cookies = strings.Fields(string(text))
	}

	readers := make([]*reader, *sockets)
	limit := make(chan struct{}, 50)
	var opening sync.WaitGroup
	var failed atomic.Value
	for i := range readers {
		opening.Add(1)
		limit <- struct{}{}
		go func() {
			defer func() { <-limit; opening.Done() }()
			r, err := open(*url, cookies[i%len(cookies)], *subprotocol, steps)
			if err != nil {
				failed.Store(err)
				return
			}
			readers[i] = r
		}()
	}
	opening.Wait()
	if err, _ := failed.Load().(error); err != nil {
		fail("opening sockets: %v", err)
	}
	for _, r := range readers {
		go r.run()
	}

	out := bufio.NewWriter(os.Stdout)
	var writing sync.Mutex
	say := func(line string) {
		writing.Lock()
		defer writing.Unlock()
		out.WriteString(line + "\n")
		out.Flush()
	}
	say("ready")
	go func() {
		for range time.Tick(100 * time.Millisecond) {
			closed := 0
			for _, r := range readers {
				if r.ended.Load() {
					closed++
				}
			}
			say(fmt.Sprintf("tick %d %d", delivered.Load(), closed))
		}
	}()

	lines := bufio.NewScanner(os.Stdin)
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) != 3 || fields[0] != "report" {
			fail("unknown command %q", lines.Text())
		}
		count, err := strconv.Atoi(fields[2])
		if err != nil {
			fail("bad count in %q", lines.Text())
		}
		answer, _ := json.Marshal(report(readers, fields[1], count))
		say("report " + string(answer))
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "parley-listen: "+format+"\n", args...)
	os.Exit(1)
}
