// Command interop is the fsbus interop proof in Go: it talks to an fsbus agent over NATS with
// nothing but the NATS Go client (no fsbus code), the way a Go service would.
//
// It subscribes to <prefix>.events.api (the API event FreeSWITCH fires for every API command),
// sends {"command":"status"} to <prefix>.api, waits for the JSON reply envelope and for the API
// event the status command made FreeSWITCH fire, and prints one JSON line:
// {"driver":"nats","ok":…,"reply":{…},"event":{"event_name":…,"node_id":…}}. Exit 1 on failure.
//
// With -flow call it places a whole call instead (originate, execute_app with forward_to,
// hangup, the events between): see call.go.
//
// Usage: interop [-flow status|call] [-prefix freeswitch] [-timeout 20s] <nats-url>
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// envelope is the reply every command gets (docs/contract.md).
type envelope struct {
	Success bool            `json:"success"`
	Status  string          `json:"status"`
	Message string          `json:"message"`
	NodeID  string          `json:"node_id"`
	Code    string          `json:"code,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// event is what the agent publishes for a FreeSWITCH event: its name, its node and the headers.
type event struct {
	EventName string            `json:"event_name"`
	NodeID    string            `json:"node_id"`
	Headers   map[string]string `json:"headers"`
}

type result struct {
	Driver string    `json:"driver"`
	OK     bool      `json:"ok"`
	Reply  *envelope `json:"reply"`
	Event  struct {
		EventName string `json:"event_name"`
		NodeID    string `json:"node_id"`
	} `json:"event"`
	Error string `json:"error,omitempty"`
}

func main() {
	flow := flag.String("flow", "status", "status: the status command and its API event; call: a whole call (call.go)")
	prefix := flag.String("prefix", "freeswitch", "subject prefix of the agents")
	timeout := flag.Duration("timeout", 20*time.Second, "how long to wait for each reply and each event")
	flag.Parse()
	if flag.NArg() != 1 || (*flow != "status" && *flow != "call") {
		fmt.Fprintln(os.Stderr, "usage: interop [-flow status|call] [-prefix freeswitch] [-timeout 20s] <nats-url>")
		os.Exit(2)
	}
	if *flow == "call" {
		out := callResult{Driver: "nats", Flow: "call", Seen: []seen{}}
		if err := runCall(flag.Arg(0), *prefix, *timeout, &out); err != nil {
			out.Error = err.Error()
		}
		line, _ := json.Marshal(out)
		fmt.Println(string(line))
		if !out.OK {
			os.Exit(1)
		}
		return
	}
	out := result{Driver: "nats"}
	if err := run(flag.Arg(0), *prefix, *timeout, &out); err != nil {
		out.Error = err.Error()
	}
	line, _ := json.Marshal(out)
	fmt.Println(string(line))
	if !out.OK {
		os.Exit(1)
	}
}

func run(url, prefix string, timeout time.Duration, out *result) error {
	nc, err := nats.Connect(url, nats.Name("fsbus-interop-go"), nats.Timeout(timeout))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer nc.Close()

	// Subscribed (and the server told, Flush) before the command runs: its event cannot be missed.
	events := make(chan *nats.Msg, 256)
	if _, err := nc.ChanSubscribe(prefix+".events.api", events); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}

	msg, err := nc.Request(prefix+".api", []byte(`{"command":"status"}`), timeout)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	var reply envelope
	if err := json.Unmarshal(msg.Data, &reply); err != nil {
		return fmt.Errorf("reply is not the JSON envelope: %w", err)
	}
	out.Reply = &reply

	deadline := time.After(timeout)
	for {
		select {
		case m := <-events:
			var ev event
			if json.Unmarshal(m.Data, &ev) != nil || ev.EventName != "API" || ev.Headers["API-Command"] != "status" {
				continue
			}
			out.Event.EventName, out.Event.NodeID = ev.EventName, ev.NodeID
			out.OK = reply.Success && strings.Contains(string(reply.Data), "UP")
			return nil
		case <-deadline:
			return fmt.Errorf("no API event for the status command within %s", timeout)
		}
	}
}
