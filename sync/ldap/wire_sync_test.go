package ldap

import (
	"bufio"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	ldapv3 "github.com/go-ldap/ldap/v3"
)

// withControls appends a controls element holding controls to msg.
func withControls(msg []byte, controls ...*ber.Packet) []byte {
	p := ber.DecodePacket(msg)
	ctl := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "")
	for _, c := range controls {
		ctl.AppendChild(c)
	}
	p.AppendChild(ctl)
	return p.Bytes()
}

// control encodes a response control as a server sends it.
func control(oid string, critical bool, value []byte) *ber.Packet {
	c := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	c.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, oid, ""))
	if critical {
		c.AppendChild(ber.NewBoolean(ber.ClassUniversal, ber.TypePrimitive, ber.TagBoolean, true, ""))
	}
	if value != nil {
		c.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(value), ""))
	}
	return c
}

func syncStateControl(state ldapv3.ControlSyncStateState, uuid [16]byte, critical bool) *ber.Packet {
	v := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	v.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, int64(state), ""))
	v.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, string(uuid[:]), ""))
	return control(ldapv3.ControlTypeSyncState, critical, v.Bytes())
}

// syncEntryMessage is an entry of a content synchronisation.
func syncEntryMessage(id int64, dn string, state ldapv3.ControlSyncStateState, uuid [16]byte) []byte {
	return withControls(entryMessage(id, dn, map[string][]string{"uid": {"x"}}, []string{"uid"}),
		control("1.2.3.4", false, []byte("another control first")), syncStateControl(state, uuid, true))
}

// refreshPresentMessage is the syncInfo message that ends a present
// phase, with its cookie.
func refreshPresentMessage(id int64, cookie string) []byte {
	value := ber.Encode(ber.ClassContext, ber.TypeConstructed, 2, nil, "")
	value.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, cookie, ""))
	msg := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	msg.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldapv3.ApplicationIntermediateResponse, nil, "")
	op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, ldapv3.ControlTypeSyncInfo, ""))
	op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 1, string(value.Bytes()), ""))
	msg.AppendChild(op)
	return msg.Bytes()
}

// syncDoneMessage ends a content synchronisation with its cookie.
func syncDoneMessage(id int64, cookie string) []byte {
	done := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	done.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldapv3.ApplicationSearchResultDone, nil, "")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	done.AppendChild(op)
	v := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	v.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, cookie, ""))
	return withControls(done.Bytes(), control(ldapv3.ControlTypeSyncDone, false, v.Bytes()))
}

func TestWireSyncState(t *testing.T) {
	u := [16]byte{0x2b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	for _, critical := range []bool{false, true} {
		msg := withControls(entryMessage(4, "uid=a", map[string][]string{"uid": {"a"}}, []string{"uid"}),
			syncStateControl(ldapv3.SyncStateModify, u, critical))
		r, err := parseResponse(msg)
		if err != nil {
			t.Fatal(err)
		}
		state, uuid, found, err := syncState(msg, r.end)
		if err != nil || !found || state != ldapv3.SyncStateModify || uuid != u {
			t.Errorf("critical %v: state %d, uuid %x, found %v, %v", critical, state, uuid, found, err)
		}
		// A corrupted control is an error or no state, never a panic.
		for i := r.end; i < len(msg); i++ {
			for _, x := range []byte{0x00, 0x04, 0x30, 0x7f, 0x84, 0xff} {
				bad := slices.Clone(msg)
				bad[i] = x
				_, _, _, _ = syncState(bad, r.end)
			}
		}
	}
	plain := entryMessage(4, "uid=a", map[string][]string{"uid": {"a"}}, []string{"uid"})
	r, _ := parseResponse(plain)
	if _, _, found, err := syncState(plain, r.end); found || err != nil {
		t.Errorf("an entry without controls: found %v, %v", found, err)
	}
	other := withControls(plain, control("1.2.3.4", false, nil))
	if _, _, found, err := syncState(other, r.end); found || err != nil {
		t.Errorf("an entry without a sync state: found %v, %v", found, err)
	}
}

// pipeServer answers the first request on a pipe with answer, and
// returns the client's end and the request it read.
func pipeServer(t *testing.T, answer func(id int64) [][]byte) (*wireConn, <-chan []byte) {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	requests := make(chan []byte, 1)
	go func() {
		srv := &wireConn{nc: server, r: bufio.NewReader(server), timeout: 5 * time.Second}
		req, err := srv.read()
		if err != nil {
			return
		}
		requests <- req
		r, _ := parseResponse(req)
		for _, msg := range answer(r.id) {
			if _, err := server.Write(msg); err != nil {
				return
			}
		}
	}()
	return &wireConn{nc: client, r: bufio.NewReader(client), timeout: 300 * time.Millisecond}, requests
}

func TestWireContentSync(t *testing.T) {
	u1, u2 := [16]byte{1}, [16]byte{2}
	w, requests := pipeServer(t, func(id int64) [][]byte {
		return [][]byte{syncEntryMessage(id, "uid=one", ldapv3.SyncStateAdd, u1), refreshPresentMessage(id, "c1"),
			syncEntryMessage(id, "uid=two", ldapv3.SyncStatePresent, u2), syncDoneMessage(id, "c2")}
	})
	var batches [][]syncItem
	err := w.syncRefresh("ou=people,dc=example,dc=org", "(objectClass=person)", []string{"uid"}, []byte("c0"), 2,
		func(items []syncItem) bool {
			batches = append(batches, items)
			return true
		})
	if err != nil {
		t.Fatal(err)
	}
	// The request carries the Sync Request control: refreshOnly, from c0.
	ctl := ber.DecodePacket(<-requests).Children[2].Children[0]
	if oid, _ := ctl.Children[0].Value.(string); oid != ldapv3.ControlTypeSyncRequest || len(ctl.Children) != 3 {
		t.Fatalf("the request carried control %q", oid)
	}
	value := ber.DecodePacket(ctl.Children[2].Data.Bytes())
	if mode, _ := value.Children[0].Value.(int64); mode != int64(ldapv3.SyncRequestModeRefreshOnly) || value.Children[1].Data.String() != "c0" {
		t.Errorf("sync request mode %v, cookie %q", value.Children[0].Value, value.Children[1].Data.String())
	}
	if len(batches) != 2 || len(batches[0]) != 2 || len(batches[1]) != 2 {
		t.Fatalf("batches %v", batches)
	}
	first, info, present, done := batches[0][0], batches[0][1], batches[1][0], batches[1][1]
	if first.entry == nil || first.entry.DN != "uid=one" || first.state != ldapv3.SyncStateAdd || first.uuid != u1 {
		t.Errorf("first item %+v", first)
	}
	if info.info == nil || info.info.RefreshPresent == nil || string(info.info.RefreshPresent.Cookie) != "c1" {
		t.Errorf("second item %+v", info)
	}
	if present.entry == nil || present.state != ldapv3.SyncStatePresent || present.uuid != u2 {
		t.Errorf("third item %+v", present)
	}
	sd, ok := ldapv3.FindControl(done.done, ldapv3.ControlTypeSyncDone).(*ldapv3.ControlSyncDone)
	if !ok || string(sd.Cookie) != "c2" {
		t.Errorf("last item %+v", done)
	}
}

func TestWireContentSyncTimesOutOnASilentServer(t *testing.T) {
	w, _ := pipeServer(t, func(id int64) [][]byte {
		return [][]byte{syncEntryMessage(id, "uid=one", ldapv3.SyncStateAdd, [16]byte{1})} // and then nothing
	})
	start := time.Now()
	items := 0
	err := w.syncRefresh("dc=example,dc=org", "(uid=*)", nil, nil, 1, func(b []syncItem) bool {
		items += len(b)
		time.Sleep(400 * time.Millisecond) // longer than the timeout: Roster's time does not count
		return true
	})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a silent server gave %v, not a timeout", err)
	}
	if items != 1 || time.Since(start) > 3*time.Second {
		t.Errorf("%d items, ended after %v", items, time.Since(start))
	}
}

// FuzzSyncState feeds syncState entries with any controls: an error or
// no state, never a panic, and a state read from a well-formed control
// is the one go-ldap reads.
func FuzzSyncState(f *testing.F) {
	f.Add(syncEntryMessage(3, "uid=a", ldapv3.SyncStateAdd, [16]byte{1, 2, 3}))
	f.Add(withControls(entryMessage(4, "uid=b", map[string][]string{"uid": {"b"}}, []string{"uid"}),
		syncStateControl(ldapv3.SyncStateDelete, [16]byte{9}, false)))
	f.Add(entryMessage(5, "uid=c", map[string][]string{"uid": {"c"}}, []string{"uid"}))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := parseResponse(msg)
		if err != nil || r.op != tagSearchEntry {
			return
		}
		state, uuid, found, err := syncState(msg, r.end)
		if err != nil || !found {
			return
		}
		p, perr := ber.DecodePacketErr(msg)
		if perr != nil || len(p.Children) < 3 {
			return
		}
		for _, cp := range p.Children[2].Children {
			c, err := ldapv3.DecodeControl(cp)
			if err != nil {
				return
			}
			if s, ok := c.(*ldapv3.ControlSyncState); ok {
				if s.State != state || [16]byte(s.EntryUUID) != uuid {
					t.Fatalf("syncState read %d %x, go-ldap %d %x", state, uuid, s.State, s.EntryUUID)
				}
				return
			}
		}
	})
}
