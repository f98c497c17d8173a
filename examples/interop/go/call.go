package main

// The call flow (-flow call): a whole call with raw JSON over NATS request/reply and
// subscriptions, nothing but nats.go — the walkthrough in docs/call-control.md ("From any
// language: the raw JSON").
//
//  1. subscribe to <prefix>.events.channel.answer and <prefix>.events.channel.hangup.complete,
//     and to an inbox of its own for execute_app's forward_to;
//  2. originate user/1000 &park() under a uuid of its own (the reply comes once the call is
//     answered; its CHANNEL_ANSWER was published before it) and wait for that CHANNEL_ANSWER;
//  3. execute_app playback on <prefix>.node.<node_id> (a channel lives on one node) with
//     forward_to the inbox: the inbox gets a copy of the dispatch reply, then the application's
//     CHANNEL_EXECUTE_COMPLETE (or an error envelope when none will come);
//  4. hangup and wait for CHANNEL_HANGUP_COMPLETE;
//  5. hangup again: FSBUS_ERR_BUS_SESSION_NOT_FOUND.
//
// It prints one JSON line, {"driver":"nats","flow":"call","ok":…,"uuid":…,"node_id":…,"seen":[…]}:
// what it saw, in the order it waited for it; "error" when a step failed. Exit 1 unless ok.

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// The requests. Every optional field has omitempty: a field left out is the contract's "unset".
// Current agents read an optional field's Go zero value ("", 0) as unset too (docs/contract.md,
// "Unset fields"), but older ones refused some ("timeout":0, "timeout_ms":0). Required fields have
// no omitempty: an empty one is sent, and the agent's refusal names it.

// common holds the fields every command takes (docs/contract.md).
type common struct {
	Command       string `json:"command"`
	NodeID        string `json:"node_id,omitempty"`
	ForwardTo     string `json:"forward_to,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
	TimeoutMS     int    `json:"timeout_ms,omitempty"`
}

type originateRequest struct {
	common
	Endpoint       string            `json:"endpoint"`
	Extension      string            `json:"extension"`
	Dialplan       string            `json:"dialplan,omitempty"`
	Context        string            `json:"context,omitempty"`
	CallerIDName   string            `json:"caller_id_name,omitempty"`
	CallerIDNumber string            `json:"caller_id_number,omitempty"`
	Timeout        int               `json:"timeout,omitempty"` // ring seconds, 1-3600
	Variables      map[string]string `json:"variables,omitempty"`
	UUID           string            `json:"uuid,omitempty"`
}

type executeAppRequest struct {
	common
	UUID      string            `json:"uuid"`
	App       string            `json:"app"`
	Args      string            `json:"args,omitempty"`
	Vars      map[string]string `json:"vars,omitempty"`
	EventLock bool              `json:"event_lock,omitempty"`
}

type hangupRequest struct {
	common
	UUID  string `json:"uuid"`
	Cause string `json:"cause,omitempty"` // NORMAL_CLEARING when left out
}

// seen is one step of the output line: a reply (on the request's own reply subject), an event
// (on its event subject) or a message on the forward_to inbox (a reply copy or an event).
type seen struct {
	On          string `json:"on"`
	Command     string `json:"command,omitempty"`
	Success     *bool  `json:"success,omitempty"`
	Message     string `json:"message,omitempty"`
	Code        string `json:"code,omitempty"`
	Event       string `json:"event,omitempty"`
	Application string `json:"application,omitempty"`
	Response    string `json:"response,omitempty"`
	Cause       string `json:"cause,omitempty"`
}

type callResult struct {
	Driver string `json:"driver"`
	Flow   string `json:"flow"`
	OK     bool   `json:"ok"`
	UUID   string `json:"uuid"`
	NodeID string `json:"node_id"`
	Seen   []seen `json:"seen"`
	Error  string `json:"error,omitempty"`
}

// callEvent is an event payload with the fields this flow reads (docs/contract.md, Events).
type callEvent struct {
	EventName string            `json:"event_name"`
	NodeID    string            `json:"node_id"`
	UUID      string            `json:"uuid"`
	Headers   map[string]string `json:"headers"`
}

type call struct {
	nc      *nats.Conn
	prefix  string
	timeout time.Duration
	out     *callResult
}

func runCall(url, prefix string, timeout time.Duration, out *callResult) error {
	nc, err := nats.Connect(url, nats.Name("fsbus-interop-go"), nats.Timeout(timeout))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer nc.Close()
	c := &call{nc: nc, prefix: prefix, timeout: timeout, out: out}

	// Subscribed (and the server told, Flush) before the originate: the call's events, published
	// before its reply, cannot be missed.
	events := make(chan *nats.Msg, 256)
	for _, name := range []string{"channel.answer", "channel.hangup.complete"} {
		if _, err := nc.ChanSubscribe(prefix+".events."+name, events); err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
	}
	inbox := nc.NewInbox()
	forwarded := make(chan *nats.Msg, 16)
	if _, err := nc.ChanSubscribe(inbox, forwarded); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}

	// A uuid of our own: the events can be told apart from the first one on.
	out.UUID = newUUID()
	// The reply comes once the call is answered (or failed): the request timeout must cover the
	// ring time (here the simulator's user/1000 answers at once).
	reply, err := c.request(prefix+".api", originateRequest{
		common: common{Command: "originate"}, Endpoint: "user/1000", Extension: "&park()", UUID: out.UUID,
	})
	if err != nil {
		return err
	}
	var placed struct {
		UUID string `json:"uuid"`
	}
	if err := json.Unmarshal(reply.Data, &placed); err != nil || placed.UUID == "" {
		return fmt.Errorf("originate: no data.uuid in the reply")
	}
	// data.uuid is the call's: another one than ours when ours was in use (data.requested_uuid).
	out.UUID, out.NodeID = placed.UUID, reply.NodeID
	if _, err := c.event(events, "CHANNEL_ANSWER"); err != nil {
		return err
	}

	// Every later command for the call goes to the node it lives on.
	node := prefix + ".node." + out.NodeID
	reply, err = c.request(node, executeAppRequest{
		common: common{Command: "execute_app", ForwardTo: inbox}, UUID: out.UUID, App: "playback", Args: "tone_stream://%(500,0,440)",
	})
	if err != nil {
		return err
	}
	var dispatched struct {
		ApplicationUUID string `json:"application_uuid"`
	}
	if err := json.Unmarshal(reply.Data, &dispatched); err != nil || dispatched.ApplicationUUID == "" {
		return fmt.Errorf("execute_app: no data.application_uuid in the reply")
	}
	if err := c.completion(forwarded, dispatched.ApplicationUUID); err != nil {
		return err
	}

	if _, err := c.request(node, hangupRequest{common: common{Command: "hangup"}, UUID: out.UUID, Cause: "NORMAL_CLEARING"}); err != nil {
		return err
	}
	if _, err := c.event(events, "CHANNEL_HANGUP_COMPLETE"); err != nil {
		return err
	}

	// The channel is gone: a second hangup is refused with FSBUS_ERR_BUS_SESSION_NOT_FOUND.
	again, err := c.send(node, hangupRequest{common: common{Command: "hangup"}, UUID: out.UUID})
	if err != nil {
		return err
	}
	if again.Success || again.Code != "FSBUS_ERR_BUS_SESSION_NOT_FOUND" {
		return fmt.Errorf("hangup again: %s (%s), not FSBUS_ERR_BUS_SESSION_NOT_FOUND", again.Message, again.Code)
	}
	out.OK = true
	return nil
}

// send sends one command and decodes its reply envelope, which it adds to the output.
func (c *call) send(subject string, body interface{ name() string }) (*envelope, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	msg, err := c.nc.Request(subject, data, c.timeout)
	if err != nil {
		return nil, fmt.Errorf("%s: request: %w", body.name(), err)
	}
	var reply envelope
	if err := json.Unmarshal(msg.Data, &reply); err != nil {
		return nil, fmt.Errorf("%s: the reply is not the JSON envelope: %w", body.name(), err)
	}
	c.out.Seen = append(c.out.Seen, replySeen("reply", body.name(), &reply))
	return &reply, nil
}

// request is send for a command that must succeed.
func (c *call) request(subject string, body interface{ name() string }) (*envelope, error) {
	reply, err := c.send(subject, body)
	if err == nil && !reply.Success {
		err = fmt.Errorf("%s: %s (%s)", body.name(), reply.Message, reply.Code)
	}
	return reply, err
}

func (r originateRequest) name() string  { return r.Command }
func (r executeAppRequest) name() string { return r.Command }
func (r hangupRequest) name() string     { return r.Command }

// event waits for the call's next event named name; other calls' events are skipped.
func (c *call) event(events <-chan *nats.Msg, name string) (*callEvent, error) {
	deadline := time.After(c.timeout)
	for {
		select {
		case m := <-events:
			var ev callEvent
			if json.Unmarshal(m.Data, &ev) != nil || ev.UUID != c.out.UUID || ev.EventName != name {
				continue
			}
			c.out.Seen = append(c.out.Seen, seen{On: "event", Event: name, Cause: ev.Headers["Hangup-Cause"]})
			return &ev, nil
		case <-deadline:
			return nil, fmt.Errorf("no %s for %s within %s", name, c.out.UUID, c.timeout)
		}
	}
}

// completion reads the forward_to inbox: a copy of the dispatch reply, then the application's
// CHANNEL_EXECUTE_COMPLETE (an event: event_name, no success), matched by its Application-UUID —
// or an error envelope when no completion will come (the channel ended first, the agent stopped).
func (c *call) completion(forwarded <-chan *nats.Msg, applicationUUID string) error {
	deadline := time.After(c.timeout)
	for {
		select {
		case m := <-forwarded:
			var probe struct {
				EventName string `json:"event_name"`
			}
			if err := json.Unmarshal(m.Data, &probe); err != nil {
				return fmt.Errorf("forward_to: not JSON: %w", err)
			}
			if probe.EventName == "" {
				var reply envelope
				if err := json.Unmarshal(m.Data, &reply); err != nil {
					return fmt.Errorf("forward_to: not the JSON envelope: %w", err)
				}
				c.out.Seen = append(c.out.Seen, replySeen("forward_to", "execute_app", &reply))
				if !reply.Success {
					return fmt.Errorf("forward_to: %s (%s)", reply.Message, reply.Code)
				}
				continue
			}
			var ev callEvent
			if err := json.Unmarshal(m.Data, &ev); err != nil {
				return fmt.Errorf("forward_to: not an event: %w", err)
			}
			if ev.EventName != "CHANNEL_EXECUTE_COMPLETE" || ev.Headers["Application-UUID"] != applicationUUID {
				continue
			}
			c.out.Seen = append(c.out.Seen, seen{
				On: "forward_to", Event: ev.EventName, Application: ev.Headers["Application"], Response: ev.Headers["Application-Response"],
			})
			return nil
		case <-deadline:
			return fmt.Errorf("no CHANNEL_EXECUTE_COMPLETE of %s on the forward_to inbox within %s", applicationUUID, c.timeout)
		}
	}
}

func replySeen(on, command string, reply *envelope) seen {
	success := reply.Success
	return seen{On: on, Command: command, Success: &success, Message: reply.Message, Code: reply.Code}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
